// Arithmetic primitives for avx512 (kernels/primitives_abi.h): the shared
// implementation compiled with this folder's flags.
// g++ 12 warns -Wuninitialized inside avx512fintrin.h (the undefined upper
// half of _mm512_castps256_ps512 and friends, in reduce_simd.inc).
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <algorithm>

#include "common/isa_prelude.h"
#include "avx512/arch.h"

namespace rusttorch::kernels::avx512 {
#include "common/reduce_simd.inc"
#include "common/primitives_impl.inc"

void fill_primitives(KernelTable& t) { prim::fill(t.primitives); }
}  // namespace rusttorch::kernels::avx512
