// Kernel ABI of the arithmetic primitives the vector kernels are built on
// (see kernel_abi.h for the rules). They are in the table so that the tests
// can check each ISA's build of them directly, on any CPU that runs the ISA:
// a fused multiply-add that silently became a multiply and an add (as
// xsimd 8.1 compiles them for AVX-512) breaks every error-free step of the
// math kernels while leaving the results merely less accurate.
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

enum FusedOp : int {
  kFma,   // x y + z
  kFms,   // x y - z
  kFnma,  // z - x y
  kFnms,  // -(x y) - z
  kNumFusedOps
};

// out[i] = op(x[i], y[i], z[i]) as the kernels compute it (xsimd::fma and
// friends on this ISA's batches); with has_fma each is rounded once.
template <class T>
using FusedFn = void (*)(const T* x, const T* y, const T* z, T* out, int64_t n);
// hi[i] + lo[i] == a[i] * b[i] exactly (the kernels' two_prod).
template <class T>
using TwoProdFn = void (*)(const T* a, const T* b, T* hi, T* lo, int64_t n);

// All null in the scalar build (it computes in long double with libm, with no
// vector primitives).
struct PrimitiveKernels {
  int has_fma;  // the kernels use fused multiply-adds (kHasFma)
  FusedFn<float> fused_f32[kNumFusedOps];
  FusedFn<double> fused_f64[kNumFusedOps];
  TwoProdFn<float> two_prod_f32;
  TwoProdFn<double> two_prod_f64;
};

}  // namespace rusttorch::kernels
