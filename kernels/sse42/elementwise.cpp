// Elementwise kernels for sse42: the shared implementation compiled with this folder's flags.
#include "common/isa_prelude.h"
#include "sse42/arch.h"

namespace rusttorch::kernels::sse42 {
#include "common/elementwise_impl.inc"
}  // namespace rusttorch::kernels::sse42
