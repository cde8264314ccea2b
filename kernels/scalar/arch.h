// Scalar build: baseline flags, plain loops, no SIMD library.
#pragma once
#define RT_SIMD 0
