// Kernel ABI of reductions, scans, softmax and activations (see kernel_abi.h
// for the rules: raw pointers, sizes and strides; kernels never allocate,
// never throw and never see a Tensor).
//
// Every reduction, scan and softmax kernel works on a 3-d problem
// (outer, len, inner): element (o, r, i) of the input is at
//   x[o * s_outer + r * s_len + i]            (the inner dim is contiguous)
// and the reduced dim is `len`. inner == 1 is the "row" shape (reduce along
// the contiguous dim, vector accumulators, one horizontal add at the end);
// inner > 1 is the "column" shape (reduce along an outer dim, vectorized
// across the inner dim, no transposed copy).
//
// Determinism: a kernel call's result depends only on its arguments (never
// on the thread that runs it or on what else it is given), and the front-end
// splits the work into pieces that depend only on the shape, combining
// partial results in a fixed order.
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

inline constexpr int kReduceDTypes = 5;  // == kNumDTypes (kernel_abi.h), checked there by the kernels

// ---- reductions ---------------------------------------------------------
// Accumulator ("acc") types, per op and input dtype:
//   sum-like ops (kRedSum .. kRedSumExp) on float32/float64: double
//     (kRedSum on float32 adds 8 elements at a time pairwise in float, then
//     in double; the other float32 ops widen every element to double;
//     within a call, blocks of 512 elements are combined pairwise);
//   kRedSum, kRedProd on bool/int32/int64: int64 (wrapping);
//   kRedMax, kRedMin, kRedMaxAbs, kRedMinAbs, kRedArgMax, kRedArgMin: the input type;
//   kRedAll, kRedAny: uint8 (0/1), any input dtype.
enum ReduceOp : int {
  kRedSum,           // sum x
  kRedProd,          // prod x
  kRedSumAbs,        // sum |x|            (norm 1)
  kRedSumSq,         // sum x^2            (norm 2)
  kRedCountNonzero,  // sum (x != 0)       (norm 0)
  kRedSumSqDev,      // sum (x - c)^2      (var, std; c = center[o * inner + i])
  kRedSumExp,        // sum exp(x - c)     (logsumexp; c = the max, finite)
  kRedMax,           // NaN propagates
  kRedMin,
  kRedMaxAbs,        // max |x|            (norm inf)
  kRedMinAbs,        // min |x|            (norm -inf)
  kRedArgMax,        // value and first index of the max; NaN counts as the max
  kRedArgMin,        // value and first index of the min; NaN counts as the min
  kRedAll,           // all x != 0
  kRedAny,           // any x != 0
  kNumReduceOps
};

struct ReduceArgs {
  const void* x;
  int64_t outer, len, inner;  // len >= 1 (the front-end handles empty dims)
  int64_t s_outer, s_len;     // element strides of the outer and reduced dims
  void* acc;                  // out: outer*inner accumulators, acc[o * inner + i]
  int64_t* index;             // out (kRedArgMax/kRedArgMin): index in [0, len)
  const double* center;       // in (kRedSumSqDev, kRedSumExp): outer*inner values
};
using ReduceFn = void (*)(const ReduceArgs& a);

// ---- scans (cumsum, cumprod) -------------------------------------------
// out has the same element strides as x; float32 accumulates in double and
// writes float32; float64 writes float64; bool/int32/int64 write int64.
enum ScanOp : int { kScanSum, kScanProd, kNumScanOps };
struct ScanArgs {
  const void* x;
  void* out;
  int64_t outer, len, inner;
  int64_t s_outer, s_len;
};
using ScanFn = void (*)(const ScanArgs& a);

// ---- softmax / log_softmax (float32, float64) along len ------------------
// x and out have the same element strides. One call owns whole (o, i) lanes.
struct SoftmaxArgs {
  const void* x;
  void* out;
  int64_t outer, len, inner;
  int64_t s_outer, s_len;
  int log;    // 1: log_softmax
  int flags;  // kStreamStores (kernel_abi.h): the output will not be read soon
};
using SoftmaxFn = void (*)(const SoftmaxArgs& a);

// ---- activations and math (float32, float64), n contiguous elements -------
// Results do not depend on an element's position in the run (tails are
// computed by the same vector code on a padded copy), so any tiling gives
// the same bits.
enum ActOp : int {
  kActRelu, kActRelu6,
  kActLeakyRelu,   // p[0] = negative slope
  kActElu,         // p[0] = alpha, p[1] = scale (output), p[2] = input scale: scale * (x > 0 ? x : alpha * expm1(x * p[2]))
  kActGelu,        // erf form
  kActGeluTanh,    // tanh approximation
  kActSilu, kActMish,
  kActSoftplus,    // p[0] = beta, p[1] = threshold
  kActSoftsign,
  kActHardtanh,    // p[0] = min, p[1] = max
  kActHardsigmoid, kActHardswish,
  kActSigmoid, kActLogSigmoid, kActTanh,
  kActExpm1, kActLog1p, kActLog2, kActSin, kActCos, kActErf,
  kNumActOps
};
struct ActParams {
  double p[3] = {0.0, 0.0, 0.0};
};
// flags: kStreamStores (kernel_abi.h) when the output will not be read soon.
using ActFn = void (*)(const void* x, void* out, int64_t n, int flags, const ActParams& p);
// Backward: out = g * f'(x), with y = f(x) (what sigmoid and tanh read), in one
// pass. Null for the ops whose gradient is composed of other ops.
using ActBackwardFn = void (*)(const void* x, const void* y, const void* g, void* out, int64_t n,
                               const ActParams& p);
// Softmax backward over `rows` contiguous rows of `len`: out = y * (g - sum(g * y))
// for softmax, out = g - exp(y) * sum(g) for log_softmax (y is the forward output).
struct SoftmaxBackwardArgs {
  const void* y;
  const void* g;
  void* out;
  int64_t rows, len;
  int log;
};
using SoftmaxBackwardFn = void (*)(const SoftmaxBackwardArgs& a);

// A null entry means the (op, dtype) pair is not supported.
struct ReduceKernels {
  ReduceFn reduce[kNumReduceOps][kReduceDTypes];
  ScanFn scan[kNumScanOps][kReduceDTypes];
  SoftmaxFn softmax[kReduceDTypes];
  ActFn act[kNumActOps][kReduceDTypes];
  ActBackwardFn act_backward[kNumActOps][kReduceDTypes];
  SoftmaxBackwardFn softmax_backward[kReduceDTypes];
};

}  // namespace rusttorch::kernels
