// AVX2 + FMA build (-mavx2 -mfma -mno-avx512f): 256-bit xsimd batches.
#pragma once
#include <immintrin.h>
#include <xsimd/xsimd.hpp>
#define RT_SIMD 1
namespace rusttorch::kernels::avx2 {
using Arch = xsimd::fma3<xsimd::avx2>;  // plain xsimd::avx2 would not use FMA
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm256_stream_ps(p, v); }
inline void stream_store(double* p, xsimd::batch<double, Arch> v) { _mm256_stream_pd(p, v); }
inline void stream_fence() { _mm_sfence(); }
}  // namespace rusttorch::kernels::avx2
