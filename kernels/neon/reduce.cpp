// reduce kernels for neon.
#include "common/isa_prelude.h"
#include "neon/arch.h"

namespace rusttorch::kernels::neon {
void fill_reduce(KernelTable&) {}
}  // namespace rusttorch::kernels::neon
