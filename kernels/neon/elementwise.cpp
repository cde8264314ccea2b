// Elementwise kernels for neon: the shared implementation compiled with this folder's flags.
#include "common/isa_prelude.h"
#include "neon/arch.h"

namespace rusttorch::kernels::neon {
#include "common/elementwise_impl.inc"
}  // namespace rusttorch::kernels::neon
