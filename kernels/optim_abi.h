// Kernel ABI of the fused optimizer updates (see kernel_abi.h for the rules:
// raw pointers and sizes; kernels never allocate, never throw and never see a
// Tensor).
//
// One call updates n contiguous elements of one parameter and of its state
// tensors in place, with the per-tensor scalars the front-end computed in
// double (step counts, bias corrections, step sizes, as torch does) and
// rounded to the element type. The formulas and their order of operations are
// torch 2.13's single-tensor (for-loop) implementations (torch/optim/*.py,
// `_single_tensor_*`), with the roundings of ATen's vectorized CPU kernels
// (add with alpha and lerp fused, addcmul and addcdiv not); the one change is
// Adam's denominator, sqrt(v) * (1 / sqrt(bias_correction2)) + eps instead of
// a second division.
//
// An element's result does not depend on its position in the run (tails go
// through the same vector code), so any split of the work gives the same bits.
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

// Flags of an optimizer call (OptimScalars::flags).
enum : int {
  kOptWeightDecay = 1,  // L2: grad += weight_decay * param (torch skips it when weight_decay == 0)
  kOptMomentum = 2,     // SGD, RMSprop: a momentum buffer is updated
  kOptFirstStep = 4,    // SGD: the buffer becomes the gradient (torch's "buf is None")
  kOptNesterov = 8,     // SGD
  kOptAmsgrad = 16,     // Adam: max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq), NaN propagating
  kOptCentered = 32,    // RMSprop: grad_avg is kept and subtracted
};

// SGD: g = sign * grad (+ weight_decay * p); buf = momentum * buf + dampening_keep * g
// (or buf = g on the first step); g = nesterov ? g + momentum * buf : buf; p += neg_lr * g.
template <class T>
struct SgdScalars {
  T sign;            // -1 with maximize, else 1 (an exact product)
  T weight_decay;
  T momentum;
  T dampening_keep;  // 1 - dampening
  T neg_lr;          // -lr
  int flags;
};

// Adam / AdamW: g = sign * grad (+ weight_decay * p); p *= decay;
// m = lerp(m, g, beta1_weight); v = v * beta2 + beta2_weight * g * g;
// vmax = max(vmax, v) (amsgrad); p += neg_step_size * m / (sqrt(v or vmax) * inv_bc2_sqrt + eps).
template <class T>
struct AdamScalars {
  T sign;
  T weight_decay;   // L2 (Adam); AdamW folds it into decay
  T decay;          // 1 - lr * weight_decay (AdamW), else 1 (an exact product)
  T beta1_weight;   // 1 - beta1, the lerp weight
  T beta2;
  T beta2_weight;   // 1 - beta2
  T neg_step_size;  // -lr / (1 - beta1^step)
  T inv_bc2_sqrt;   // 1 / sqrt(1 - beta2^step)
  T eps;
  int flags;
};

// RMSprop: g = sign * grad (+ weight_decay * p); sq = sq * alpha + alpha_weight * g * g;
// centered: ga = lerp(ga, g, alpha_weight), avg = sqrt(sq - ga * ga), else sqrt(sq); avg += eps;
// momentum: buf = buf * momentum + g / avg, p += neg_lr * buf; else p += neg_lr * g / avg.
template <class T>
struct RmspropScalars {
  T sign;
  T weight_decay;
  T alpha;
  T alpha_weight;  // 1 - alpha
  T eps;
  T momentum;
  T neg_lr;
  int flags;
};

// Adagrad: g = sign * grad (+ weight_decay * p); sum += g * g; p += neg_clr * g / (sqrt(sum) + eps).
template <class T>
struct AdagradScalars {
  T sign;
  T weight_decay;
  T eps;
  T neg_clr;  // -lr / (1 + (step - 1) * lr_decay)
  int flags;
};

template <class T>
using SgdStepFn = void (*)(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdScalars<T>& s);
template <class T>
using AdamStepFn = void (*)(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
                            const AdamScalars<T>& s);
template <class T>
using RmspropStepFn = void (*)(T* param, const T* grad, T* square_avg, T* grad_avg, T* momentum_buffer, int64_t n,
                               const RmspropScalars<T>& s);
template <class T>
using AdagradStepFn = void (*)(T* param, const T* grad, T* state_sum, int64_t n, const AdagradScalars<T>& s);

// State pointers an option does not use (no momentum, no amsgrad, not
// centered) may be null. Every entry is filled on every ISA.
struct OptimKernels {
  SgdStepFn<float> sgd_f32;
  SgdStepFn<double> sgd_f64;
  AdamStepFn<float> adam_f32;
  AdamStepFn<double> adam_f64;
  RmspropStepFn<float> rmsprop_f32;
  RmspropStepFn<double> rmsprop_f64;
  AdagradStepFn<float> adagrad_f32;
  AdagradStepFn<double> adagrad_f64;
};

}  // namespace rusttorch::kernels
