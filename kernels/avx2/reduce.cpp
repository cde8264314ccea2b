// reduce kernels for avx2.
#include "common/isa_prelude.h"
#include "avx2/arch.h"

namespace rusttorch::kernels::avx2 {
void fill_reduce(KernelTable&) {}
}  // namespace rusttorch::kernels::avx2
