// Activation and math kernels for scalar: the shared implementation compiled
// with this folder's flags.
#include <algorithm>
#include <utility>

#include "common/isa_prelude.h"
#include "scalar/arch.h"

namespace rusttorch::kernels::scalar {
#include "common/reduce_simd.inc"
#include "common/activation_math.inc"
#include "common/activation_impl.inc"

void fill_activation(ReduceKernels& t) { act::fill(t); }
}  // namespace rusttorch::kernels::scalar
