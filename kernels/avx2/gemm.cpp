// GEMM kernels for avx2 (+FMA): 6x16 float and 6x8 double register tiles
// (BLIS Haswell's shapes: 12 accumulators, 2 B vectors, 1 broadcast of A).
#include "common/isa_prelude.h"
#include "avx2/arch.h"

namespace rusttorch::kernels::avx2 {

inline constexpr int kGemmRegs = 16;
template <class T> struct GemmShape;
template <> struct GemmShape<float> { static constexpr int mr = 6, nv = 2, mc = 120, kc = 320, nc = 4080; };
template <> struct GemmShape<double> { static constexpr int mr = 6, nv = 2, mc = 72, kc = 256, nc = 4080; };

// Masked loads: lanes past n are zero and their memory is never touched.
#define RT_GEMM_LOAD_PARTIAL 1
inline xsimd::batch<float, Arch> gemm_load_partial(const float* p, int n) {
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  return _mm256_maskload_ps(p, mask);
}
inline xsimd::batch<double, Arch> gemm_load_partial(const double* p, int n) {
  const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
  return _mm256_maskload_pd(p, mask);
}

#include "common/gemm_impl.inc"

void fill_gemm(KernelTable& t) { fill_gemm_table(t.gemm); }

}  // namespace rusttorch::kernels::avx2
