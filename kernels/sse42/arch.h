// SSE4.2 build (-msse4.2 -mno-avx): 128-bit xsimd batches.
#pragma once
#include <immintrin.h>
#include <xsimd/xsimd.hpp>
#define RT_SIMD 1
namespace rusttorch::kernels::sse42 {
using Arch = xsimd::sse4_2;
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm_stream_ps(p, v); }
inline void stream_store(double* p, xsimd::batch<double, Arch> v) { _mm_stream_pd(p, v); }
inline void stream_fence() { _mm_sfence(); }
}  // namespace rusttorch::kernels::sse42
