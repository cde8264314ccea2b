// Elementwise kernels for scalar: the shared implementation compiled with this folder's flags.
#include "common/isa_prelude.h"
#include "scalar/arch.h"

namespace rusttorch::kernels::scalar {
#include "common/elementwise_impl.inc"
}  // namespace rusttorch::kernels::scalar
