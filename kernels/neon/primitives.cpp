// Arithmetic primitives for neon (kernels/primitives_abi.h): the shared
// implementation compiled with this folder's flags.
#include <algorithm>

#include "common/isa_prelude.h"
#include "neon/arch.h"

namespace rusttorch::kernels::neon {
#include "common/reduce_simd.inc"
#include "common/primitives_impl.inc"

void fill_primitives(KernelTable& t) { prim::fill(t.primitives); }
}  // namespace rusttorch::kernels::neon
