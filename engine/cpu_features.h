// What the CPU and the OS let us run (cpuid for the instructions, xgetbv for
// the OS saving the wider registers on context switch).
#pragma once

namespace rusttorch::detail {

struct CpuFeatures {
  bool sse42 = false;
  bool avx2_fma = false;    // AVX2 + FMA3, YMM state enabled by the OS
  bool avx512 = false;      // F + BW + VL + DQ, ZMM state enabled by the OS
  bool neon = false;        // aarch64 (baseline there)
};

const CpuFeatures& cpu_features();

}  // namespace rusttorch::detail
