// GEMM kernels for neon (aarch64): 8x12 float and 6x8 double register tiles
// (24 of the 32 q registers accumulate, as BLIS armv8a). Compiled only for
// aarch64 (kernels/meson.build).
#include "common/isa_prelude.h"
#include "neon/arch.h"

namespace rusttorch::kernels::neon {

inline constexpr int kGemmRegs = 32;
template <class T> struct GemmShape;
template <> struct GemmShape<float> { static constexpr int mr = 8, nv = 3, mc = 128, kc = 256, nc = 4080; };
template <> struct GemmShape<double> { static constexpr int mr = 6, nv = 4, mc = 72, kc = 256, nc = 4080; };

#include "common/gemm_impl.inc"

void fill_gemm(KernelTable& t) { fill_gemm_table(t.gemm); }

}  // namespace rusttorch::kernels::neon
