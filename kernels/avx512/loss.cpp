// Loss kernels (cross_entropy, nll_loss, binary_cross_entropy_with_logits) for
// avx512: the shared implementation compiled with this folder's flags.
// g++ 12 warns -Wuninitialized inside avx512fintrin.h (the undefined upper
// half of _mm512_castps256_ps512 and friends); the flags in meson.build only
// silence -Wmaybe-uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <algorithm>

#include "common/isa_prelude.h"
#include "avx512/arch.h"

namespace rusttorch::kernels::avx512 {
#include "common/reduce_simd.inc"
#include "common/activation_math.inc"
#include "common/loss_impl.inc"

void fill_loss(KernelTable& t) { loss::fill(t.loss); }
}  // namespace rusttorch::kernels::avx512
