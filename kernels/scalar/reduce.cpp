// reduce kernels for scalar.
#include "common/isa_prelude.h"
#include "scalar/arch.h"

namespace rusttorch::kernels::scalar {
void fill_reduce(KernelTable&) {}
}  // namespace rusttorch::kernels::scalar
