// reduce kernels for sse42.
#include "common/isa_prelude.h"
#include "sse42/arch.h"

namespace rusttorch::kernels::sse42 {
void fill_reduce(KernelTable&) {}
}  // namespace rusttorch::kernels::sse42
