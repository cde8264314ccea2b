// Loss functions with torch.nn.functional's semantics and errors (torch 2.13),
// on fused per-ISA kernels (kernels/common/loss_impl.inc).
//
// reduction: "none", "mean" or "sum" ("elementwise_mean" is "mean"); anything
// else is a ValueError. An undefined Tensor is "no weight".
//
// cross_entropy: input (C), (N, C) or (N, C, d1, ..., dk); target either class
// indices (int64 of shape (), (N) or (N, d1, ..., dk), each in [0, C) or
// ignore_index) or class probabilities (floating, the input's shape). One
// pass over each row (a max sweep, then one sweep for the log-sum-exp and the
// label-smoothing terms while the row is in cache); log_softmax is never
// written. The backward is one sweep per row, softmax minus the smoothed
// one-hot target, times the weights and the incoming gradient. Strided class
// dims ((N, C, d...)) are vectorized across the positions, without a
// transposed copy. Per-lane losses and the batch sums are accumulated in
// float64 (torch: in the input's dtype); results are in the input's dtype
// (probability targets: torch's promoted dtype of input, target and weight).
// reduction="mean" divides by the summed weight of the non-ignored targets
// (probability targets: by the number of positions), 0/0 giving NaN.
//
// nll_loss: input holds log-probabilities, shapes and targets as
// cross_entropy's class indices.
//
// binary_cross_entropy_with_logits: loss = w ((1 - t) x - (1 + (pw - 1) t)
// log_sigmoid(x)), elementwise and fused (forward and backward); target of the
// input's shape, weight and pos_weight broadcast to it (pos_weight usually
// over the last dim). The result has the target's dtype, as torch's.
//
// Autograd: each records one node (CrossEntropyLossBackward0, NllLossBackward0
// or NllLoss2DBackward0, BinaryCrossEntropyWithLogitsBackward0) with fused
// backward kernels; under create_graph the backward is composed of
// differentiable ops, so double backward works. Gradients flow to the input and
// to floating targets (probabilities, bce targets). A weight (or pos_weight)
// that requires grad is torch's error, except for cross_entropy with
// probability targets, where torch differentiates it and so do we (composed
// of differentiable ops).
#pragma once
#include <string>

#include "rusttorch/tensor.h"

namespace rusttorch {

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                     const std::string& reduction = "mean", int64_t ignore_index = -100, double label_smoothing = 0.0);
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                const std::string& reduction = "mean", int64_t ignore_index = -100);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                                        const Tensor& pos_weight = Tensor(), const std::string& reduction = "mean");

}  // namespace rusttorch
