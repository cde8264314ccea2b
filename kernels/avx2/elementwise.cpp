// Elementwise kernels for avx2: the shared implementation compiled with this folder's flags.
#include "common/isa_prelude.h"
#include "avx2/arch.h"

namespace rusttorch::kernels::avx2 {
#include "common/elementwise_impl.inc"
}  // namespace rusttorch::kernels::avx2
