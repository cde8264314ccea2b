// Kernel ABI of matrix multiplication (see kernel_abi.h for the rules).
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

struct GemmKernels {
  int placeholder = 0;  // filled in by the GEMM work
};

}  // namespace rusttorch::kernels
