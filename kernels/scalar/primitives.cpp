// Arithmetic primitives for scalar: none (kernels/primitives_abi.h). The
// scalar build computes in long double with libm; its table entries stay null.
#include "common/isa_prelude.h"
#include "scalar/arch.h"

namespace rusttorch::kernels::scalar {
void fill_primitives(KernelTable&) {}
}  // namespace rusttorch::kernels::scalar
