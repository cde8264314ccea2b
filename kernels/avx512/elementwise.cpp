// Elementwise kernels for avx512: the shared implementation compiled with this folder's flags.
#include "common/isa_prelude.h"
#include "avx512/arch.h"

namespace rusttorch::kernels::avx512 {
#include "common/elementwise_impl.inc"
}  // namespace rusttorch::kernels::avx512
