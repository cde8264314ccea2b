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

struct ConvKernels {
  Im2ColFn im2col[2];
  Col2ImFn col2im[5];  // by dtype (kernel_abi.h's DType order); null for bool
};

}  // namespace rusttorch::kernels
