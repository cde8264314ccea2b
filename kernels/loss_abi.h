// Kernel ABI of the fused losses: cross_entropy, nll_loss and
// binary_cross_entropy_with_logits, forward and backward, float32 and float64
// (see kernel_abi.h for the rules: raw pointers, sizes and strides; kernels
// never allocate, never throw and never see a Tensor).
#pragma once
#include <cstdint>

#include "reduce_abi.h"

namespace rusttorch::kernels {

// ---- class-dim losses: cross_entropy, nll_loss ------------------------------
// The input is an (outer, classes, inner) block with the class dim in the
// middle; a "lane" is one (o, i) position, and its `classes` values are
//   x[o * s_outer + c * s_class + i]        (c < classes, i < lanes)
// s_class == 1 (lanes == 1) is the row shape: one pass per row over
// contiguous classes. s_class > 1 is the column shape: the class dim is
// strided and the kernel is vectorized across `lanes` contiguous positions
// (no transposed copy). Per-lane arrays (targets, losses, statistics,
// incoming gradients) are indexed [o * l_outer + i].
//
// Class-index targets are int64, each one ignore_index or in [0, classes):
// the front-end checks them first (kernels cannot report which one is bad).
// Probability targets (cross_entropy) are of the logits' dtype and laid out
// as x. Every lane's results depend on that lane's data and the parameters
// only, so any split of the lanes gives the same bits.
struct ClassLossArgs {
  const void* x;       // logits (cross_entropy) or log-probabilities (nll_loss)
  const void* target;  // int64 class indices per lane, or probabilities laid out as x
  const void* weight;  // `classes` per-class weights (the dtype of x), or null
  int64_t outer, classes, lanes;
  int64_t s_outer, s_class, l_outer;
  int64_t ignore_index;
  double smoothing;   // cross_entropy's label_smoothing, in [0, 1]
  double weight_sum;  // sum of the weights (classes when there are none)

  // cross_entropy statistics per lane, of x's dtype: written by the forward,
  // read by the backward. max: the lane's max logit; logsum: log(sum exp(x -
  // max)); tw (probability targets): sum_c w_c t'_c, t' the smoothed target.
  void* max;
  void* logsum;
  void* tw;

  // forward, per lane, in double: the lane's loss, weight included (0 where
  // the target is ignore_index), and for class indices the target's weight
  // (0 where ignored; the denominator of reduction='mean').
  double* loss;
  double* target_weight;

  // backward: the gradient of the result with respect to lane k's loss is
  // grad[k * grad_step] * grad_scale (grad_step 0: one value for every lane).
  const void* grad;
  int64_t grad_step;
  double grad_scale;
  void* grad_x;       // laid out as x
  void* grad_target;  // probability targets: laid out as x, or null
};
using ClassLossFn = void (*)(const ClassLossArgs& a);

// ---- binary_cross_entropy_with_logits ---------------------------------------
// loss_k = w_k ((1 - t_k) x_k - (1 + (pw_k - 1) t_k) log_sigmoid(x_k))
// over elements [begin, end) of `numel` contiguous x and t; weight and
// pos_weight are null or hold `period` values, element k using [k % period]
// (period 1: one value; the size of the last dim: broadcast over the rows;
// numel: one per element). Elements are split at multiples of the periods,
// so a call's result depends only on its arguments.
struct BceArgs {
  const void* x;
  const void* target;
  const void* weight;
  const void* pos_weight;
  int64_t weight_period, pos_weight_period;
  int64_t begin, end;
  // forward: the losses (or null), and the sum of the call's losses (or null)
  void* out;
  double* sum;
  // backward: the gradient of the result with respect to loss k is
  // grad[k * grad_step] * grad_scale.
  const void* grad;
  int64_t grad_step;
  double grad_scale;
  void* grad_x;
  void* grad_target;  // or null
};
using BceFn = void (*)(const BceArgs& a);

// A null entry means the dtype is not supported (only float32 and float64 are).
struct LossKernels {
  ClassLossFn cross_entropy[2][kReduceDTypes];           // [0]: class indices, [1]: probabilities
  ClassLossFn cross_entropy_backward[2][kReduceDTypes];
  ClassLossFn nll[kReduceDTypes];
  ClassLossFn nll_backward[kReduceDTypes];
  BceFn bce[kReduceDTypes];
  BceFn bce_backward[kReduceDTypes];
};

}  // namespace rusttorch::kernels
