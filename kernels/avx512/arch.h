// AVX-512 build (F, BW, VL, DQ + FMA): 512-bit xsimd batches.
#pragma once
#include <immintrin.h>
#include <xsimd/xsimd.hpp>
#define RT_SIMD 1
namespace rusttorch::kernels::avx512 {
using Arch = xsimd::avx512bw;
inline void stream_store(float* p, xsimd::batch<float, Arch> v) { _mm512_stream_ps(p, v); }
inline void stream_store(double* p, xsimd::batch<double, Arch> v) { _mm512_stream_pd(p, v); }
inline void stream_fence() { _mm_sfence(); }
}  // namespace rusttorch::kernels::avx512
