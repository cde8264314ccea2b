// Reduction, scan and softmax kernels for avx512: the shared implementation
// compiled with this folder's flags. fill_reduce also fills the activations
// (kernels/avx512/activation.cpp).
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
#include "common/reduce_impl.inc"

void fill_activation(ReduceKernels& t);  // avx512/activation.cpp

void fill_reduce(KernelTable& t) {
  red::fill(t.reduce);
  fill_activation(t.reduce);
}
}  // namespace rusttorch::kernels::avx512
