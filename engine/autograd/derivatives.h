// The derivative of every differentiable op, in one place
// (engine/autograd/derivatives.cpp, torch's derivatives.yaml in C++). Each op
// entry point calls one of these when autograd::should_record says so; they
// compute the op under NoGradGuard and record its node.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernel_abi.h"
#include "reduce_abi.h"
#include "rusttorch/autograd.h"
#include "rusttorch/ops.h"
#include "rusttorch/reduction.h"

namespace rusttorch::autograd {

inline const Tensor* tensor_ptr(const Operand& o) { return o.is_scalar() ? nullptr : &o.tensor(); }

// An in-place op on a tensor in the graph: the op runs out of place on a
// copy of the old value (which keeps the old history), the result is written
// back, and the tensor takes the result's history (torch's rebase).
Tensor& inplace(Tensor& self, const std::function<Tensor(const Tensor& old)>& op);
// out= with an input that requires grad: torch's error.
[[noreturn]] void refuse_out(const char* op);

// Elementwise ops, by kernel op id (kernels::BinaryOp, UnaryOp, ActOp).
// `compute` gives the result; it runs without recording.
Tensor binary(int op, const Operand& a, const Operand& b, Scalar alpha, const std::function<Tensor()>& compute);
Tensor unary(int op, const Tensor& a, const kernels::OpParams& p, const std::function<Tensor()>& compute);
Tensor activation(int op, const Tensor& a, const kernels::ActParams& p, const std::function<Tensor()>& compute);
Tensor where(const Tensor& cond, const Operand& a, const Operand& b, const std::function<Tensor()>& compute);
Tensor softmax(const Tensor& a, int64_t dim, bool log, const std::function<Tensor()>& compute);

// Reductions. `dims` are the reduced dims, wrapped and sorted (all dims for a full reduction).
enum class Reduction { Sum, Mean, Prod, AMax, AMin, LogSumExp };
Tensor reduction(Reduction kind, const Tensor& a, const std::vector<int64_t>& dims, bool keepdim,
                 const std::function<Tensor()>& compute);
Tensor max_min_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_max, ValuesIndices& r,
                   const std::function<ValuesIndices()>& compute);
// sort, topk, kthvalue: values chosen by index along dim (r.indices, shaped
// as r.values; without keepdim the dim was removed); the gradient is
// scattered back to the chosen elements (through scatter_add, so it is
// differentiable again).
void indexed_values(const char* name, const Tensor& a, int64_t dim, bool keepdim, ValuesIndices& r,
                    const std::function<ValuesIndices()>& compute);
// gather and scatter_add (engine/index_ops.cpp): each one's gradient is the other.
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index, const std::function<Tensor()>& compute);
Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src,
                   const std::function<Tensor()>& compute);
Tensor var_std(const Tensor& a, const std::vector<int64_t>& dims, double correction, bool keepdim, bool take_sqrt,
               const std::function<Tensor()>& compute);
Tensor norm(const Tensor& a, double p, const std::vector<int64_t>& dims, bool keepdim,
            const std::function<Tensor()>& compute);
Tensor scan(const Tensor& a, int64_t dim, bool prod, const std::function<Tensor()>& compute);

// Views: the op on the gradient that undoes the view.
Tensor view_like(const char* name, const Tensor& a, const std::function<Tensor()>& compute,
                 const std::function<Tensor(const Tensor& grad)>& backward);
// slice / select: the gradient goes into those elements of a zero tensor.
Tensor embedding_view(const char* name, const Tensor& a, const std::function<Tensor()>& compute,
                      const std::function<Tensor(const Tensor& t)>& view);
Tensor copy_like(const char* name, const Tensor& a, const std::function<Tensor()>& compute);  // clone, contiguous, to

// Products.
enum class Product { Mm, Bmm, Mv, Dot };
Tensor product(Product kind, const Tensor& a, const Tensor& b, const std::function<Tensor()>& compute);
Tensor addmm_like(bool batched, const Tensor& input, const Tensor& m1, const Tensor& m2, Scalar beta, Scalar alpha,
                  const std::function<Tensor()>& compute);
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias, const std::function<Tensor()>& compute);
// matmul in terms of the recorded products and views (its gradient follows).
Tensor matmul(const Tensor& a, const Tensor& b);

// One-pass backward kernels (engine/activation.cpp); undefined when none
// applies (then the composed formula runs).
Tensor fused_activation_backward(int op, const Tensor& x, const Tensor& y, const Tensor& g,
                                 const kernels::ActParams& p);
Tensor fused_softmax_backward(const Tensor& y, const Tensor& g, int64_t dim, bool log);

// torch.cat: each input gets its slice of the gradient.
Tensor cat(const std::vector<Tensor>& ts, int64_t dim, const std::function<Tensor()>& compute);

// Convolution (engine/conv.cpp): five primitives over 5-D operands, each
// one's gradients made of the others, so every order of derivative exists.
//   Forward(x, w, bias) -> y        InputGrad(gy, w, bias) -> gx (a transposed convolution)
//   WeightGrad(x, gy) -> gw         Unfold(x) -> columns, Fold(columns) -> x (F.unfold, F.fold)
//   AvgPool(x) -> y                 AvgPoolAdjoint(gy) -> gx (avg_pool2d and its gradient)
enum class ConvPrim { Forward, InputGrad, WeightGrad, Unfold, Fold, AvgPool, AvgPoolAdjoint };
struct ConvProblem {
  kernels::ConvGeometry g{};  // g.channels: input channels per group (planes per image for pooling)
  int64_t batch = 0, groups = 1, cout_g = 0;  // output channels per group
  kernels::PoolParams pool{0, 1};
};
// The primitive, recorded when an operand requires grad (b and bias may be undefined).
Tensor conv_primitive(ConvPrim kind, const Tensor& a, const Tensor& b, const Tensor& bias, const ConvProblem& p);
Tensor convolution(ConvPrim kind, const Tensor& a, const Tensor& b, const Tensor& bias, const ConvProblem& p,
                   const std::function<Tensor()>& compute);

// Losses (engine/loss.cpp validates and runs the fused kernels; the nodes and
// the composed formulas for create_graph are in derivatives.cpp).
enum class LossReduction { None, Mean, Sum };
enum class ClassLossKind { CrossEntropyIndex, CrossEntropyProb, Nll };
// What a class-dim loss's backward needs besides its saved tensors.
struct ClassLossSpec {
  ClassLossKind kind = ClassLossKind::Nll;
  LossReduction reduction = LossReduction::Mean;
  int64_t ignore_index = -100;
  double smoothing = 0.0;  // label smoothing in effect (0: none)
  DType dtype = DType::Float32;  // the compute dtype
  bool has_weight = false;
  // Filled by the forward: cross_entropy's per-lane statistics ((3, lanes) of
  // the compute dtype), and d(result) / d(lane loss) (1 / denominator for mean).
  Tensor stats;
  double scale = 1.0;
};
// `compute` runs the forward (filling spec.stats and spec.scale) and the node is
// recorded with input, and target for probabilities, as its inputs.
Tensor class_loss(ClassLossSpec& spec, const Tensor& input, const Tensor& target, const Tensor& weight,
                  const std::function<Tensor()>& compute);
// {d input, d target (probabilities, when want_target)} from the fused kernels.
std::vector<Tensor> fused_class_loss_backward(const ClassLossSpec& spec, const Tensor& input, const Tensor& target,
                                              const Tensor& weight, const Tensor& grad, bool want_target);

struct BceSpec {
  LossReduction reduction = LossReduction::Mean;
  DType dtype = DType::Float32;  // the target's: torch computes in place into (1 - target)
  bool has_weight = false, has_pos_weight = false;
};
Tensor bce_with_logits(const BceSpec& spec, const Tensor& input, const Tensor& target, const Tensor& weight,
                       const Tensor& pos_weight, const std::function<Tensor()>& compute);
std::vector<Tensor> fused_bce_backward(const BceSpec& spec, const Tensor& input, const Tensor& target,
                                       const Tensor& weight, const Tensor& pos_weight, const Tensor& grad,
                                       bool want_target);

}  // namespace rusttorch::autograd
