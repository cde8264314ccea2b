// The GEMM driver: BLIS's loops around the active ISA's packing routines and
// microkernels (kernels/gemm_abi.h), the no-pack path for small and skinny
// problems, and oneTBB tiles. Front-end code only: no SIMD here.
#pragma once
#include <cstdint>

#include "kernel_abi.h"

namespace rusttorch::detail {

// C (m x n) = alpha * A (m x k) B (k x n) + beta * X, all strided (element
// (i, j) of A at a[i * rsa + j * csa]); beta == 0 leaves X unread. C must not
// overlap A, B or X (X may be C itself only with the same strides).
template <class T>
struct GemmCall {
  int64_t m = 0, n = 0, k = 0;
  const T* a = nullptr;
  int64_t rsa = 0, csa = 0;
  const T* b = nullptr;
  int64_t rsb = 0, csb = 0;
  T* c = nullptr;
  int64_t rsc = 0, csc = 0;
  T alpha = T(1), beta = T(0);
  const T* x = nullptr;
  int64_t rsx = 0, csx = 0;
};

// One product on up to `threads` threads (1: the calling thread only). T is
// float, double, int32_t or int64_t. The result does not depend on `threads`.
template <class T>
void gemm(const kernels::KernelTable& kt, const GemmCall<T>& call, int threads);

// `batch` products of the same shape; product i uses call's pointers moved by
// off_a[i], off_b[i], off_c[i] and off_x[i] elements (off_x may be null).
// Parallel over products when each is small, inside each product otherwise.
template <class T>
void gemm_batched(const kernels::KernelTable& kt, const GemmCall<T>& call, int64_t batch, const int64_t* off_a,
                  const int64_t* off_b, const int64_t* off_c, const int64_t* off_x);

}  // namespace rusttorch::detail
