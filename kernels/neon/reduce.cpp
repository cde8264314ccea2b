// Reduction, scan and softmax kernels for neon: the shared implementation
// compiled with this folder's flags. fill_reduce also fills the activations
// (kernels/neon/activation.cpp).
#include <algorithm>

#include "common/isa_prelude.h"
#include "neon/arch.h"

namespace rusttorch::kernels::neon {
#include "common/reduce_simd.inc"
#include "common/activation_math.inc"
#include "common/reduce_impl.inc"

void fill_activation(ReduceKernels& t);  // neon/activation.cpp

void fill_reduce(KernelTable& t) {
  red::fill(t.reduce);
  fill_activation(t.reduce);
}
}  // namespace rusttorch::kernels::neon
