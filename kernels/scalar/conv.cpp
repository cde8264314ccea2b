// Convolution kernels (im2col, col2im) for scalar: the shared implementation
// compiled with this folder's flags.
#include <algorithm>
#include <cstdint>

#include "common/isa_prelude.h"

namespace rusttorch::kernels::scalar {
#include "common/conv_impl.inc"

void fill_conv(KernelTable& t) { conv::fill(t.conv); }
}  // namespace rusttorch::kernels::scalar
