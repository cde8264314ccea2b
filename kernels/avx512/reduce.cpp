// reduce kernels for avx512.
#include "common/isa_prelude.h"
#include "avx512/arch.h"

namespace rusttorch::kernels::avx512 {
void fill_reduce(KernelTable&) {}
}  // namespace rusttorch::kernels::avx512
