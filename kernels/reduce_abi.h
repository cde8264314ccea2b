// Kernel ABI of reductions, activations and softmax (see kernel_abi.h for the rules).
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

struct ReduceKernels {
  int placeholder = 0;  // filled in by the reductions work
};

}  // namespace rusttorch::kernels
