// Loss kernels (cross_entropy, nll_loss, binary_cross_entropy_with_logits) for
// scalar: the shared implementation compiled with this folder's flags.
#include <algorithm>

#include "common/isa_prelude.h"
#include "scalar/arch.h"

namespace rusttorch::kernels::scalar {
#include "common/reduce_simd.inc"
#include "common/activation_math.inc"
#include "common/loss_impl.inc"

void fill_loss(KernelTable& t) { loss::fill(t.loss); }
}  // namespace rusttorch::kernels::scalar
