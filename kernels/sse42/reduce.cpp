// Reduction, scan and softmax kernels for sse42: the shared implementation
// compiled with this folder's flags. fill_reduce also fills the activations
// (kernels/sse42/activation.cpp).
#include <algorithm>

#include "common/isa_prelude.h"
#include "sse42/arch.h"

namespace rusttorch::kernels::sse42 {
#include "common/reduce_simd.inc"
#include "common/activation_math.inc"
#include "common/reduce_impl.inc"

void fill_activation(ReduceKernels& t);  // sse42/activation.cpp

void fill_reduce(KernelTable& t) {
  red::fill(t.reduce);
  fill_activation(t.reduce);
}
}  // namespace rusttorch::kernels::sse42
