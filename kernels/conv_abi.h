// Kernel ABI of convolution (see kernel_abi.h for the rules: raw pointers,
// sizes and strides; kernels never allocate, never throw and never see a
// Tensor). The front-end (engine/conv.cpp) turns every convolution into
// GEMMs over column matrices; these kernels build those matrices and scatter
// them back.
//
// Geometry. Every convolution is three-dimensional here: 1-D and 2-D ones
// have leading spatial dims of size 1 (kernel 1, stride 1, no padding). One
// image of one group is `channels` planes of in[0] x in[1] x in[2] elements,
// contiguous. The column matrix has one row per (channel, kd, kh, kw) and one
// column per output position (od, oh, ow), in that order; an output position
// reads input (od * stride - pad + kd * dilation, ...) in each dim, and a
// position outside the input reads zero (so padding on the high side is
// whatever out[] implies).
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

struct ConvGeometry {
  int64_t channels;
  int64_t in[3], out[3], kernel[3], stride[3], pad[3], dilation[3];
};

// Columns [col0, col0 + ncols) of the column matrix of image x, into col
// (row r at col + r * ncols). By element size: [0] 4 bytes, [1] 8 bytes.
using Im2ColFn = void (*)(const void* x, const ConvGeometry* g, int64_t col0, int64_t ncols, void* col);
// The adjoint: adds each element of those columns into the input element it
// was read from (x += col2im(col)); elements that read padding are dropped.
// Columns are added in order, so sums do not depend on how calls are tiled.
using Col2ImFn = void (*)(const void* col, const ConvGeometry* g, int64_t col0, int64_t ncols, void* x);

// Pooling over `channels` planes of in[1] x in[2] (in[0], kernel[0] ... are
// 1), windows as the convolution's (padding never counts as a maximum).
// max: y = the largest element of each window, idx = its offset in the plane
// (the first one of ties; a NaN wins, as torch). avg: y = the window's sum
// over the elements inside the input, divided per window by `divisor` if
// non-zero, else by the window's size within the padded input
// (count_include_pad) or within the input. avg_adjoint: x += each y element
// spread over its window with the same weights (avg's gradient).
struct PoolParams {
  int64_t divisor;
  int count_include_pad;
};
using MaxPoolFn = void (*)(const void* x, const ConvGeometry* g, void* y, int64_t* idx);
using AvgPoolFn = void (*)(const void* x, const ConvGeometry* g, const PoolParams* p, void* y);
using AvgPoolAdjointFn = void (*)(const void* y, const ConvGeometry* g, const PoolParams* p, void* x);

struct ConvKernels {
  Im2ColFn im2col[2];
  Col2ImFn col2im[5];  // by dtype (kernel_abi.h's DType order); null for bool
  MaxPoolFn max_pool[5];  // null for bool
  AvgPoolFn avg_pool[2];  // [0] float32, [1] float64
  AvgPoolAdjointFn avg_pool_adjoint[2];
};

}  // namespace rusttorch::kernels
