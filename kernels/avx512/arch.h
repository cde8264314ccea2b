// AVX-512 build (F, BW, VL, DQ + FMA): 512-bit xsimd batches.
//
// xsimd 8.1.0 defines fma, fms, fnma and fnms only for fma3<sse4_2>,
// fma3<avx>, fma4 and NEON; for avx512f (and so avx512bw) they fall back to
// the generic x * y + z, which -ffp-contract=off keeps at two roundings. The
// kernels rely on one rounding (two_prod's error term, the sin/cos and exp
// reductions, the erfc residual), and a polynomial step would cost two
// dependent instructions. The overloads below make them single VFMADD/
// VFMSUB/VFNMADD/VFNMSUB instructions; tools/check_isa_instructions.py checks
// the object contains them, tests/test_primitives.cpp that they round once.
// They are declared before <xsimd/xsimd.hpp> (as in neon/arch.h): xsimd calls
// `kernel::fma<A>(...)` by qualified name inside templates, which only sees
// declarations made before the template's definition. An overload for
// requires_arch<avx512f> wins over the generic one (avx512bw derives from
// avx512f, which derives from generic: the nearer base is the better match).
#pragma once
#include <immintrin.h>

#include <xsimd/config/xsimd_config.hpp>
#include <xsimd/config/xsimd_arch.hpp>  // arch tags, register types, kernel::requires_arch

namespace xsimd {
template <class T, class A>
class batch;
namespace kernel {
#define RT_AVX512_FMA_DECL(name)                                                                              \
  template <class A>                                                                                          \
  batch<float, A> name(batch<float, A> const& x, batch<float, A> const& y, batch<float, A> const& z,        \
                       requires_arch<avx512f>) noexcept;                                                      \
  template <class A>                                                                                          \
  batch<double, A> name(batch<double, A> const& x, batch<double, A> const& y, batch<double, A> const& z,    \
                        requires_arch<avx512f>) noexcept;
RT_AVX512_FMA_DECL(fma)
RT_AVX512_FMA_DECL(fms)
RT_AVX512_FMA_DECL(fnma)
RT_AVX512_FMA_DECL(fnms)
#undef RT_AVX512_FMA_DECL
}  // namespace kernel
}  // namespace xsimd

#include <xsimd/xsimd.hpp>

namespace xsimd::kernel {
// fma: x y + z; fms: x y - z; fnma: z - x y; fnms: -(x y) - z; each rounded once.
#define RT_AVX512_FMA_DEF(name, intrinsic)                                                                    \
  template <class A>                                                                                          \
  batch<float, A> name(batch<float, A> const& x, batch<float, A> const& y, batch<float, A> const& z,        \
                       requires_arch<avx512f>) noexcept {                                                     \
    return intrinsic##_ps(x, y, z);                                                                           \
  }                                                                                                           \
  template <class A>                                                                                          \
  batch<double, A> name(batch<double, A> const& x, batch<double, A> const& y, batch<double, A> const& z,    \
                        requires_arch<avx512f>) noexcept {                                                    \
    return intrinsic##_pd(x, y, z);                                                                           \
  }
RT_AVX512_FMA_DEF(fma, _mm512_fmadd)
RT_AVX512_FMA_DEF(fms, _mm512_fmsub)
RT_AVX512_FMA_DEF(fnma, _mm512_fnmadd)
RT_AVX512_FMA_DEF(fnms, _mm512_fnmsub)
#undef RT_AVX512_FMA_DEF
}  // namespace xsimd::kernel

#define RT_SIMD 1
namespace rusttorch::kernels::avx512 {
using Arch = xsimd::avx512bw;
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm512_stream_ps(p, v); }
inline void stream_store(double* p, xsimd::batch<double, Arch> v) { _mm512_stream_pd(p, v); }
inline void stream_fence() { _mm_sfence(); }
// t[j] per lane for a 32-entry table (64-byte aligned), j in [0, 32): one vpermt2ps.
#define RT_HAS_LOOKUP32 1
inline xsimd::batch<float, Arch> lookup32(const float* t, xsimd::batch<int32_t, Arch> j) {
  return _mm512_permutex2var_ps(_mm512_load_ps(t), j, _mm512_load_ps(t + 16));
}
}  // namespace rusttorch::kernels::avx512
