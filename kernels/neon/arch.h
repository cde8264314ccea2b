// NEON build (aarch64 baseline): 128-bit xsimd batches. No streaming stores:
// plain stores (the caches handle write-allocate well enough on these cores).
//
// xsimd 8.1.0 gives xsimd::neon64 the 32-bit ARMv7 NEON float code for
// division and square root: a reciprocal (square-root) estimate refined by two
// Newton steps. That is not correctly rounded (off by an ULP for many inputs,
// so neon disagreed with the scalar path and with x86) and gives NaN for
// sqrt(inf) and 1/sqrt(+-0). AArch64 has exact FDIV and FSQRT on vectors, so
// the overloads below use them; they also map the rounding functions to single
// FRINT instructions instead of xsimd's generic emulation, and fnma and fnms
// to FMLS.
// They must be declared before <xsimd/xsimd.hpp>: xsimd calls `kernel::div<A>(...)` by
// qualified name inside templates, which only sees declarations made before
// the template's definition. An overload for requires_arch<neon64> wins over
// xsimd's neon one (exact match against derived-to-base conversion).
#pragma once
#include <cstddef>

#include <xsimd/config/xsimd_config.hpp>
#include <xsimd/config/xsimd_arch.hpp>  // arch tags, register types, kernel::requires_arch

namespace xsimd {
template <class T, class A>
class batch;
namespace kernel {
template <class A>
batch<float, A> div(batch<float, A> const& lhs, batch<float, A> const& rhs, requires_arch<neon64>) noexcept;
template <class A>
batch<float, A> sqrt(batch<float, A> const& x, requires_arch<neon64>) noexcept;
#define RT_NEON64_UNARY_DECL(name)                                                         \
  template <class A>                                                                       \
  batch<float, A> name(batch<float, A> const& x, requires_arch<neon64>) noexcept;        \
  template <class A>                                                                       \
  batch<double, A> name(batch<double, A> const& x, requires_arch<neon64>) noexcept;
template <class A>
batch<float, A> fnma(batch<float, A> const& x, batch<float, A> const& y, batch<float, A> const& z, requires_arch<neon64>) noexcept;
template <class A>
batch<double, A> fnma(batch<double, A> const& x, batch<double, A> const& y, batch<double, A> const& z, requires_arch<neon64>) noexcept;
template <class A>
batch<float, A> fnms(batch<float, A> const& x, batch<float, A> const& y, batch<float, A> const& z, requires_arch<neon64>) noexcept;
template <class A>
batch<double, A> fnms(batch<double, A> const& x, batch<double, A> const& y, batch<double, A> const& z, requires_arch<neon64>) noexcept;
RT_NEON64_UNARY_DECL(floor)
RT_NEON64_UNARY_DECL(ceil)
RT_NEON64_UNARY_DECL(trunc)
RT_NEON64_UNARY_DECL(nearbyint)
#undef RT_NEON64_UNARY_DECL
}  // namespace kernel
}  // namespace xsimd

#include <xsimd/xsimd.hpp>

namespace xsimd::kernel {
template <class A>
batch<float, A> div(batch<float, A> const& lhs, batch<float, A> const& rhs, requires_arch<neon64>) noexcept {
  return vdivq_f32(lhs, rhs);
}
template <class A>
batch<float, A> sqrt(batch<float, A> const& x, requires_arch<neon64>) noexcept {
  return vsqrtq_f32(x);
}
// z - x y rounded once (FMLS): xsimd 8.1 has fused fma and fms on NEON but
// computes fnma as -x * y + z, two roundings, where the kernels rely on one
// (sin/cos reduction, the exp and erfc residuals).
template <class A>
batch<float, A> fnma(batch<float, A> const& x, batch<float, A> const& y, batch<float, A> const& z, requires_arch<neon64>) noexcept {
  return vfmsq_f32(z, x, y);
}
template <class A>
batch<double, A> fnma(batch<double, A> const& x, batch<double, A> const& y, batch<double, A> const& z, requires_arch<neon64>) noexcept {
  return vfmsq_f64(z, x, y);
}
// -(x y) - z rounded once: xsimd 8.1 has no NEON fnms at all (generic, two
// roundings; found by tests/test_primitives.cpp). -z is exact.
template <class A>
batch<float, A> fnms(batch<float, A> const& x, batch<float, A> const& y, batch<float, A> const& z, requires_arch<neon64>) noexcept {
  return vfmsq_f32(vnegq_f32(z), x, y);
}
template <class A>
batch<double, A> fnms(batch<double, A> const& x, batch<double, A> const& y, batch<double, A> const& z, requires_arch<neon64>) noexcept {
  return vfmsq_f64(vnegq_f64(z), x, y);
}
#define RT_NEON64_UNARY_DEF(name, op)                                                      \
  template <class A>                                                                       \
  batch<float, A> name(batch<float, A> const& x, requires_arch<neon64>) noexcept {       \
    return op##_f32(x);                                                                    \
  }                                                                                        \
  template <class A>                                                                       \
  batch<double, A> name(batch<double, A> const& x, requires_arch<neon64>) noexcept {     \
    return op##_f64(x);                                                                    \
  }
RT_NEON64_UNARY_DEF(floor, vrndmq)      // FRINTM: toward -inf
RT_NEON64_UNARY_DEF(ceil, vrndpq)       // FRINTP: toward +inf
RT_NEON64_UNARY_DEF(trunc, vrndq)       // FRINTZ: toward zero
RT_NEON64_UNARY_DEF(nearbyint, vrndiq)  // FRINTI: current rounding mode, no inexact trap
#undef RT_NEON64_UNARY_DEF
}  // namespace xsimd::kernel

#define RT_SIMD 1
namespace rusttorch::kernels::neon {
using Arch = xsimd::neon64;
template <class T>
inline void stream_store(T* p, xsimd::batch<T, Arch> v) { v.store_aligned(p); }
inline void stream_fence() {}
}  // namespace rusttorch::kernels::neon
