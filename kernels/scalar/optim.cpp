// Fused optimizer updates for scalar (kernels/optim_abi.h): the shared
// implementation compiled with this folder's flags.
#include <algorithm>

#include "common/isa_prelude.h"
#include "scalar/arch.h"

namespace rusttorch::kernels::scalar {
#include "common/reduce_simd.inc"
#include "common/optim_impl.inc"

void fill_optim(KernelTable& t) { optim::fill(t.optim); }
}  // namespace rusttorch::kernels::scalar
