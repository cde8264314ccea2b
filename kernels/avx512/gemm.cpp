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

// W x W transposes (16 floats, 8 doubles) for packing panels whose rows are
// contiguous, built from the 256-bit 8 x 8 / 4 x 4 transposes of the AVX2 build:
// dst[p * ld + q] = rows[q][p].
inline void transpose8x8(const float* const* rows, int64_t off, float* dst, int64_t ld) {
  const __m256 r0 = _mm256_loadu_ps(rows[0] + off), r1 = _mm256_loadu_ps(rows[1] + off),
               r2 = _mm256_loadu_ps(rows[2] + off), r3 = _mm256_loadu_ps(rows[3] + off),
               r4 = _mm256_loadu_ps(rows[4] + off), r5 = _mm256_loadu_ps(rows[5] + off),
               r6 = _mm256_loadu_ps(rows[6] + off), r7 = _mm256_loadu_ps(rows[7] + off);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
               u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
               u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
               u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(dst + 0 * ld, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * ld, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
}
inline void transpose4x4(const double* const* rows, int64_t off, double* dst, int64_t ld) {
  const __m256d r0 = _mm256_loadu_pd(rows[0] + off), r1 = _mm256_loadu_pd(rows[1] + off),
                r2 = _mm256_loadu_pd(rows[2] + off), r3 = _mm256_loadu_pd(rows[3] + off);
  const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1), t2 = _mm256_unpacklo_pd(r2, r3),
                t3 = _mm256_unpackhi_pd(r2, r3);
  _mm256_storeu_pd(dst + 0 * ld, _mm256_permute2f128_pd(t0, t2, 0x20));
  _mm256_storeu_pd(dst + 1 * ld, _mm256_permute2f128_pd(t1, t3, 0x20));
  _mm256_storeu_pd(dst + 2 * ld, _mm256_permute2f128_pd(t0, t2, 0x31));
  _mm256_storeu_pd(dst + 3 * ld, _mm256_permute2f128_pd(t1, t3, 0x31));
}
#define RT_GEMM_TRANSPOSE 1
inline void gemm_transpose(const float* const* rows, float* dst, int64_t ld) {
  for (int qb = 0; qb < 2; ++qb)
    for (int pb = 0; pb < 2; ++pb) transpose8x8(rows + 8 * qb, 8 * pb, dst + 8 * pb * ld + 8 * qb, ld);
}
inline void gemm_transpose(const double* const* rows, double* dst, int64_t ld) {
  for (int qb = 0; qb < 2; ++qb)
    for (int pb = 0; pb < 2; ++pb) transpose4x4(rows + 4 * qb, 4 * pb, dst + 4 * pb * ld + 4 * qb, ld);
}

#include "common/gemm_impl.inc"

void fill_gemm(KernelTable& t) { fill_gemm_table(t.gemm); }

}  // namespace rusttorch::kernels::avx512
