// Fused optimizer steps: one pass over every parameter and its state, in
// place, with torch 2.13's single-tensor (for-loop) formulas (torch/optim/
// sgd.py, adam.py, adamw.py, rmsprop.py, adagrad.py). The caller keeps the
// state (step counts included) and passes it per parameter; the lists are per
// parameter and of equal length, and a state list an option does not use is
// empty. Tensors are float32 or float64, contiguous, each state of its
// parameter's shape and dtype (a call may mix dtypes across parameters).
// Nothing is recorded for autograd; each written tensor's version is bumped.
#pragma once
#include <vector>

#include "rusttorch/tensor.h"

namespace rusttorch::optim {

struct SgdOptions {
  double lr = 1e-3, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false, maximize = false;
};
// momentum_buffers: one per parameter when momentum != 0, else empty.
// first_step[i]: torch's "buf is None" (the buffer becomes the gradient, no
// dampening); one per parameter when momentum != 0, else empty or ignored.
void fused_sgd_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& momentum_buffers, const std::vector<bool>& first_step,
                const SgdOptions& o);

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, weight_decay = 0.0, eps = 1e-8;
  bool amsgrad = false, maximize = false;
  bool decoupled_weight_decay = false;  // AdamW: param *= 1 - lr * weight_decay
};
// steps[i]: the step number of parameter i after this step's increment.
// max_exp_avg_sqs: one per parameter with amsgrad, else empty.
void fused_adam_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<double>& steps, const AdamOptions& o);

struct RmspropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0.0, momentum = 0.0;
  bool centered = false, maximize = false;
};
// grad_avgs: one per parameter when centered, else empty; momentum_buffers:
// one per parameter when momentum > 0, else empty.
void fused_rmsprop_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                    const std::vector<Tensor>& momentum_buffers, const RmspropOptions& o);

struct AdagradOptions {
  double lr = 1e-2, lr_decay = 0.0, weight_decay = 0.0, eps = 1e-10;
  bool maximize = false;
};
// steps[i]: the step number of parameter i after this step's increment.
void fused_adagrad_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& state_sums, const std::vector<double>& steps,
                    const AdagradOptions& o);

}  // namespace rusttorch::optim
