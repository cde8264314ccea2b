// Fused optimizer updates for avx2 (kernels/optim_abi.h): the shared
// implementation compiled with this folder's flags.
#include <algorithm>

#include "common/isa_prelude.h"
#include "avx2/arch.h"

namespace rusttorch::kernels::avx2 {
#include "common/reduce_simd.inc"
#include "common/optim_impl.inc"

void fill_optim(KernelTable& t) { optim::fill(t.optim); }
}  // namespace rusttorch::kernels::avx2
