// NEON build (aarch64 baseline): 128-bit xsimd batches. No streaming stores:
// plain stores (the caches handle write-allocate well enough on these cores).
#pragma once
#include <xsimd/xsimd.hpp>
#define RT_SIMD 1
namespace rusttorch::kernels::neon {
using Arch = xsimd::neon64;
template <class T>
inline void stream_store(T* p, xsimd::batch<T, Arch> v) { v.store_aligned(p); }
inline void stream_fence() {}
}  // namespace rusttorch::kernels::neon
