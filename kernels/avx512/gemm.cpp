// GEMM kernels for avx512: 12x32 float and 12x16 double register tiles
// (24 of the 32 zmm registers accumulate).
// g++ 12 reports -Wuninitialized inside avx512fintrin.h (_mm512_extractf64x4_pd
// as used by xsimd::hadd); it must be silenced before that header is read.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include "common/isa_prelude.h"
#include "avx512/arch.h"

namespace rusttorch::kernels::avx512 {

inline constexpr int kGemmRegs = 32;
template <class T> struct GemmShape;
template <> struct GemmShape<float> { static constexpr int mr = 12, nv = 2, mc = 144, kc = 384, nc = 4096; };
template <> struct GemmShape<double> { static constexpr int mr = 12, nv = 2, mc = 96, kc = 384, nc = 4080; };

// Masked loads: lanes past n are zero and their memory is never touched.
#define RT_GEMM_LOAD_PARTIAL 1
inline xsimd::batch<float, Arch> gemm_load_partial(const float* p, int n) {
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
}
inline xsimd::batch<double, Arch> gemm_load_partial(const double* p, int n) {
  return _mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1u), p);
}

#include "common/gemm_impl.inc"

void fill_gemm(KernelTable& t) { fill_gemm_table(t.gemm); }

}  // namespace rusttorch::kernels::avx512
