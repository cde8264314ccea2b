// Loss kernels (cross_entropy, nll_loss, binary_cross_entropy_with_logits) for
// sse42: the shared implementation compiled with this folder's flags.
#include <algorithm>

#include "common/isa_prelude.h"
#include "sse42/arch.h"

namespace rusttorch::kernels::sse42 {
#include "common/reduce_simd.inc"
#include "common/activation_math.inc"
#include "common/loss_impl.inc"

void fill_loss(KernelTable& t) { loss::fill(t.loss); }
}  // namespace rusttorch::kernels::sse42
