// Kernel ABI of matrix multiplication (see kernel_abi.h for the rules).
//
// The front-end (engine/gemm_driver.cpp) runs BLIS's loops: it cuts C into
// tiles for oneTBB, packs KC x NC panels of B and MC x KC blocks of A with the
// ISA's packing routines into buffers it owns, and calls the ISA's MR x NR
// microkernel per register tile. Small and skinny problems go to `direct`,
// which reads A and B in place. Matrices are (pointer, row stride, column
// stride) in elements: element (i, j) of A is a[i * rsa + j * csa]. Strides
// may be zero (broadcast) or anything else; nothing is copied before packing.
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

// What a call writes into C (m x n):
//   C(i, j) = alpha * sum_p A(i, p) B(p, j) + beta * X(i, j),  X(i, j) = x[i * rsx + j * csx]
// beta == 0: X is not read at all (NaN and inf in it do not propagate, as BLAS
// and torch.addmm(beta=0)). X may be C itself (accumulation over K blocks), a
// broadcast bias (rsx == 0) or an addmm input.
template <class T>
struct GemmEpilogue {
  T alpha;
  T beta;
  const T* x;
  int64_t rsx, csx;
};

// Packs rows [0, rows) x columns [0, k) of a strided matrix S (element (r, p)
// at src[r * rs + p * cs]) into ceil(rows / R) panels of R x k, each stored
// p-major (R consecutive values per p), rows past the end zero-filled. R is MR
// for pack_a (S = the A block) and NR for pack_b (S = the B panel transposed,
// so pack_b(n, k, b, csb, rsb, dst) packs a k x n block of B).
template <class T>
using GemmPackFn = void (*)(int64_t rows, int64_t k, const T* src, int64_t rs, int64_t cs, T* dst);

// One register tile: C(0..m, 0..n) (m <= MR, n <= NR) from a packed MR x k
// panel of A and a packed k x NR panel of B. ep->x points at the tile's (0, 0).
template <class T>
using GemmMicroFn = void (*)(int64_t k, const T* a_packed, const T* b_packed, T* c, int64_t rsc, int64_t csc,
                             int64_t m, int64_t n, const GemmEpilogue<T>* ep);

// A whole (sub)problem without packing: C (m x n) from strided A (m x k) and
// B (k x n). Fast when csb == 1 (rows of B are loaded as vectors, A broadcast)
// or when csa == 1 and rsb == 1 (dot products along k); any strides work.
// Never reads outside the m x k and k x n elements it is given.
template <class T>
using GemmDirectFn = void (*)(int64_t m, int64_t n, int64_t k, const T* a, int64_t rsa, int64_t csa, const T* b,
                              int64_t rsb, int64_t csb, T* c, int64_t rsc, int64_t csc, const GemmEpilogue<T>* ep);

// The floating-point GEMM of one dtype on one ISA.
template <class T>
struct GemmFloatKernels {
  int mr = 0, nr = 0;          // register tile of `micro`
  int mc = 0, kc = 0, nc = 0;  // cache blocking: A block mc x kc (L2), B panel kc x nc (L3); mc % mr == nc % nr == 0
  GemmPackFn<T> pack_a = nullptr;  // R = mr
  GemmPackFn<T> pack_b = nullptr;  // R = nr
  GemmMicroFn<T> micro = nullptr;
  GemmDirectFn<T> direct = nullptr;
};

struct GemmKernels {
  GemmFloatKernels<float> f32;
  GemmFloatKernels<double> f64;
  // Integers: plain loops (wrapping arithmetic), no packing.
  GemmDirectFn<int32_t> i32 = nullptr;
  GemmDirectFn<int64_t> i64 = nullptr;
};

}  // namespace rusttorch::kernels
