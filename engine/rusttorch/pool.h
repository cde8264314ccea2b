// Pooling (engine/pool.cpp): torch's max_pool2d (with indices) and
// avg_pool2d over (N, C, H, W) or (C, H, W); the 1-D forms are these over a
// height of one (rusttorch.nn.functional). Differentiable to any order.
#pragma once
#include <cstdint>
#include <vector>

#include "rusttorch/reduction.h"
#include "rusttorch/tensor.h"

namespace rusttorch {

// Window parameters: one value or one per spatial dim; an empty stride means the kernel size.
struct PoolOptions {
  std::vector<int64_t> kernel_size, stride, padding{0}, dilation{1};
  bool ceil_mode = false;
  bool count_include_pad = true;  // avg
  int64_t divisor_override = 0;   // avg: 0 for none
};

// values and the offset of each maximum within its input plane (int64).
ValuesIndices max_pool2d_with_indices(const Tensor& input, const PoolOptions& o);
Tensor avg_pool2d(const Tensor& input, const PoolOptions& o);

}  // namespace rusttorch
