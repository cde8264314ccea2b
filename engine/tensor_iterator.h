// The elementwise loop driver. Operands (output first) are tensors already
// broadcast to the output shape (stride 0 where broadcast) and already of the
// dtypes the kernel wants. It coalesces dimensions, splits the index space into
// oneTBB tiles and calls the kernel on contiguous runs: a strided input is
// gathered into a per-tile buffer, a strided output is written to one and
// scattered back, and a stride-0 input is passed as one element ("scalar
// operand") where the kernel accepts that.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "rusttorch/tensor.h"

namespace rusttorch::detail {

inline constexpr int kMaxOperands = 4;

struct Run {
  char* ptr[kMaxOperands];
  bool scalar[kMaxOperands];  // input k is one element repeated
  int64_t n;
};

struct LoopOptions {
  int64_t grain = 32768;
  // Inputs that may be passed as a single element when their inner stride is 0.
  bool scalar_ok[kMaxOperands] = {false, false, false, false};
  // At most one input passed as a scalar per run (binary kernels take one).
  bool one_scalar_at_most = true;
};

// `body` is called concurrently from several threads; it returns a kernel
// status, and the first non-zero status is returned.
int for_each_run(const std::vector<Tensor>& operands, const LoopOptions& opt, const std::function<int(const Run&)>& body);

}  // namespace rusttorch::detail
