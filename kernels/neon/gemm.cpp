// gemm kernels for neon.
#include "common/isa_prelude.h"
#include "neon/arch.h"

namespace rusttorch::kernels::neon {
void fill_gemm(KernelTable&) {}
}  // namespace rusttorch::kernels::neon
