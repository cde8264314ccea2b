// Convolution (engine/conv.cpp): torch's conv1d/2d/3d, conv_transpose1d/2d/3d,
// unfold (im2col) and fold (col2im), over NC(D)(H)W tensors, each lowered to
// GEMMs on the project's packed GEMM. Results are the same bits for any
// thread count; every op is differentiable, to any order.
#pragma once
#include <cstdint>
#include <vector>

#include "rusttorch/tensor.h"

namespace rusttorch {

// One value per spatial dim, or one for all of them (as torch's int-or-tuple).
struct ConvOptions {
  std::vector<int64_t> stride{1}, padding{0}, dilation{1}, output_padding{0};
  bool padding_same = false;  // padding='same' (stride 1; the odd unit of padding goes on the high side)
  bool transposed = false;
  int64_t groups = 1;
};

// input (N, C_in, *spatial) or unbatched (C_in, *spatial) with `dims`
// spatial dims (1, 2 or 3); weight (C_out, C_in / groups, *kernel), or
// (C_in, C_out / groups, *kernel) when transposed; bias (C_out) or undefined.
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t dims,
                   const ConvOptions& options);

// F.unfold: (N, C, H, W) or (C, H, W) -> (N, C * kh * kw, L) of sliding blocks.
Tensor unfold_blocks(const Tensor& input, const std::vector<int64_t>& kernel_size,
                     const std::vector<int64_t>& dilation, const std::vector<int64_t>& padding,
                     const std::vector<int64_t>& stride);
// F.fold: (N, C * kh * kw, L) or (C * kh * kw, L) -> (N, C, *output_size), overlapping blocks summed.
Tensor fold_blocks(const Tensor& input, const std::vector<int64_t>& output_size, const std::vector<int64_t>& kernel_size,
                   const std::vector<int64_t>& dilation, const std::vector<int64_t>& padding,
                   const std::vector<int64_t>& stride);

}  // namespace rusttorch
