// GEMM kernels for sse42: 6x8 float and 6x4 double register tiles (no FMA:
// multiply then add, 12 accumulators of the 16 xmm registers).
#include "common/isa_prelude.h"
#include "sse42/arch.h"

namespace rusttorch::kernels::sse42 {

inline constexpr int kGemmRegs = 16;
template <class T> struct GemmShape;
template <> struct GemmShape<float> { static constexpr int mr = 6, nv = 2, mc = 96, kc = 256, nc = 4080; };
template <> struct GemmShape<double> { static constexpr int mr = 6, nv = 2, mc = 72, kc = 256, nc = 4080; };

// W x W transposes for packing panels whose rows are contiguous (row-major
// A, the transposed B of linear): dst[p * ld + q] = rows[q][p].
#define RT_GEMM_TRANSPOSE 1
inline void gemm_transpose(const float* const* rows, float* dst, int64_t ld) {
  __m128 r0 = _mm_loadu_ps(rows[0]), r1 = _mm_loadu_ps(rows[1]), r2 = _mm_loadu_ps(rows[2]), r3 = _mm_loadu_ps(rows[3]);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(dst + 0 * ld, r0);
  _mm_storeu_ps(dst + 1 * ld, r1);
  _mm_storeu_ps(dst + 2 * ld, r2);
  _mm_storeu_ps(dst + 3 * ld, r3);
}
inline void gemm_transpose(const double* const* rows, double* dst, int64_t ld) {
  const __m128d r0 = _mm_loadu_pd(rows[0]), r1 = _mm_loadu_pd(rows[1]);
  _mm_storeu_pd(dst + 0 * ld, _mm_unpacklo_pd(r0, r1));
  _mm_storeu_pd(dst + 1 * ld, _mm_unpackhi_pd(r0, r1));
}

#include "common/gemm_impl.inc"

void fill_gemm(KernelTable& t) { fill_gemm_table(t.gemm); }

}  // namespace rusttorch::kernels::sse42
