// GEMM kernels for sse42: 6x8 float and 6x4 double register tiles (no FMA:
// multiply then add, 12 accumulators of the 16 xmm registers).
#include "common/isa_prelude.h"
#include "sse42/arch.h"

namespace rusttorch::kernels::sse42 {

inline constexpr int kGemmRegs = 16;
template <class T> struct GemmShape;
template <> struct GemmShape<float> { static constexpr int mr = 6, nv = 2, mc = 96, kc = 256, nc = 4080; };
template <> struct GemmShape<double> { static constexpr int mr = 6, nv = 2, mc = 72, kc = 256, nc = 4080; };

#include "common/gemm_impl.inc"

void fill_gemm(KernelTable& t) { fill_gemm_table(t.gemm); }

}  // namespace rusttorch::kernels::sse42
