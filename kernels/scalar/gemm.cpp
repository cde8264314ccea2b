// GEMM kernels for scalar: the shared implementation with one-lane "vectors",
// 4x4 register tiles.
#include "common/isa_prelude.h"
#include "scalar/arch.h"

namespace rusttorch::kernels::scalar {

inline constexpr int kGemmRegs = 16;
template <class T> struct GemmShape;
template <> struct GemmShape<float> { static constexpr int mr = 4, nv = 4, mc = 64, kc = 256, nc = 4080; };
template <> struct GemmShape<double> { static constexpr int mr = 4, nv = 4, mc = 64, kc = 256, nc = 4080; };

#include "common/gemm_impl.inc"

void fill_gemm(KernelTable& t) { fill_gemm_table(t.gemm); }

}  // namespace rusttorch::kernels::scalar
