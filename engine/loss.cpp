// Loss entry points (rusttorch/loss.h): torch 2.13's checks in torch's order,
// dtype rules, output allocation, then the active ISA's fused kernels over
// oneTBB tiles of whole lanes; the reductions over lanes go through sum() on
// float64 per-lane (or per-block) values, which is deterministic for any
// thread count. The autograd nodes are recorded in autograd/derivatives.cpp.
#include "rusttorch/loss.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/activation.h"
#include "rusttorch/ops.h"
#include "rusttorch/reduction.h"
#include "tensor_access.h"

namespace rusttorch {
namespace k = kernels;
using autograd::BceSpec;
using autograd::ClassLossKind;
using autograd::ClassLossSpec;
using autograd::LossReduction;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

LossReduction parse_reduction(const std::string& r) {
  if (r == "none") return LossReduction::None;
  if (r == "mean" || r == "elementwise_mean") return LossReduction::Mean;
  if (r == "sum") return LossReduction::Sum;
  throw ValueError(r + " is not a valid value for reduction");
}

// torch's check_no_requires_grad: only while grad mode is on.
void check_no_requires_grad(const Tensor& t, const char* arg, const char* fn) {
  if (t.defined() && t.requires_grad() && autograd::is_grad_enabled())
    throw Error(std::string("The function '") + fn + "' is not differentiable with respect to argument '" + arg +
                "'. This input cannot have requires_grad True.");
}

std::string num_str(double v) {  // as torch's messages print doubles (C++ ostream)
  std::ostringstream s;
  s << v;
  return s.str();
}

void check_smoothing(double ls) {
  if (ls > 0.0 && ls > 1.0) throw Error("label_smoothing must be between 0.0 and 1.0. Got: " + num_str(ls));
}

// ---------------------------------------------------------------- the (outer, classes, inner) view
struct ClassShape {
  int64_t outer = 1, classes = 1, inner = 1;
  int64_t class_dim = 0;
  Shape lane_shape;  // reduction='none'
  int64_t lanes() const { return outer * inner; }
};
ClassShape class_shape(const Tensor& x) {
  ClassShape s;
  if (x.ndim() == 1) {
    s.classes = x.size(0);
    return s;
  }
  s.class_dim = 1;
  s.outer = x.size(0);
  s.classes = x.size(1);
  s.lane_shape.push_back(x.size(0));
  for (int64_t d = 2; d < x.ndim(); ++d) {
    s.inner *= x.size(d);
    s.lane_shape.push_back(x.size(d));
  }
  return s;
}

// Calls fn(args) over tiles of whole lanes: rows (inner == 1), or blocks of
// positions of one outer index. Per-lane pointers are set from the bases.
struct LaneBases {
  const char* x = nullptr;
  const char* target = nullptr;  // laid out as x (probabilities) or per lane (int64)
  bool target_per_lane = true;
  char* grad_x = nullptr;
  char* grad_target = nullptr;
  char* stats = nullptr;  // (3, lanes) of the dtype
  double* loss = nullptr;
  double* target_weight = nullptr;
  const char* grad = nullptr;
};
void for_lane_tiles(const ClassShape& sh, DType dt, const k::ClassLossArgs& proto, const LaneBases& b, int64_t grain_elems,
                    k::ClassLossFn fn) {
  const int64_t es = static_cast<int64_t>(itemsize(dt)), C = sh.classes, I = sh.inner, lanes = sh.lanes();
  auto call = [&](int64_t outer, int64_t nl, int64_t x_off, int64_t lane_off, int64_t s_outer, int64_t s_class,
                  int64_t l_outer) {
    k::ClassLossArgs a = proto;
    a.outer = outer;
    a.classes = C;
    a.lanes = nl;
    a.s_outer = s_outer;
    a.s_class = s_class;
    a.l_outer = l_outer;
    a.x = b.x + x_off * es;
    a.target = b.target ? b.target + (b.target_per_lane ? lane_off * 8 : x_off * es) : nullptr;
    if (b.stats) {
      a.max = b.stats + lane_off * es;
      a.logsum = b.stats + (lanes + lane_off) * es;
      a.tw = b.stats + (2 * lanes + lane_off) * es;
    }
    if (b.loss) a.loss = b.loss + lane_off;
    if (b.target_weight) a.target_weight = b.target_weight + lane_off;
    if (b.grad) a.grad = b.grad + lane_off * a.grad_step * es;
    if (b.grad_x) a.grad_x = b.grad_x + x_off * es;
    if (b.grad_target) a.grad_target = b.grad_target + x_off * es;
    fn(a);
  };
  if (I == 1) {
    const int64_t grain = std::max<int64_t>(1, grain_elems / std::max<int64_t>(C, 1));
    detail::parallel_for(sh.outer, grain, [&](int64_t lo, int64_t hi) { call(hi - lo, 1, lo * C, lo, C, 1, 1); });
    return;
  }
  constexpr int64_t kLaneBlock = 256;
  const int64_t blocks = (I + kLaneBlock - 1) / kLaneBlock;
  const int64_t grain = std::max<int64_t>(1, grain_elems / std::max<int64_t>(C * std::min(I, kLaneBlock), 1));
  detail::parallel_for(sh.outer * blocks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / blocks, i0 = (t % blocks) * kLaneBlock;
      call(1, std::min(kLaneBlock, I - i0), o * C * I + i0, o * I + i0, C * I, I, I);
    }
  });
}

// The per-class weight as the kernels read it: contiguous, of the compute dtype.
Tensor weight_arg(const Tensor& w, DType dt) { return w.defined() ? w.to(dt).contiguous().reshape({-1}) : Tensor(); }

double weight_total(const Tensor& w, int64_t classes) {
  if (!w.defined()) return static_cast<double>(classes);
  return sum(w.to(DType::Float64));
}

// reduction over the lanes' float64 losses, in the compute dtype.
Tensor reduce_lanes(const Tensor& lane_loss, const ClassShape& sh, LossReduction red, DType dt, double denom) {
  if (red == LossReduction::None) return lane_loss.to(dt).reshape(sh.lane_shape);
  const double total = sum(lane_loss);
  return Tensor::scalar_tensor(Scalar(red == LossReduction::Mean ? total / denom : total), dt);
}

// ---------------------------------------------------------------- checks
// nll_loss_nd's, then nll_loss's or nll_loss2d's checks of an index target
// (torch's order); `x` is of a floating dtype unless nll_loss reports it.
void check_index_target(const Tensor& x, const Tensor& target, const Tensor& weight, const char* frame) {
  if (x.ndim() < 1) throw ValueError("Expected 1 or more dimensions (got " + std::to_string(x.ndim()) + ")");
  if (x.ndim() != 1) {
    if (target.ndim() == 0 && x.size(0) == 0) throw IndexError("Dimension specified as 0 but tensor has no dimensions");
    const int64_t tb = target.ndim() == 0 ? 0 : target.size(0);
    if (x.size(0) != tb)
      throw ValueError("Expected input batch_size (" + std::to_string(x.size(0)) + ") to match target batch_size (" +
                       std::to_string(tb) + ").");
  }
  const int64_t C = x.ndim() == 1 ? x.size(0) : x.size(1);
  const bool spatial = x.ndim() >= 3;
  if (spatial && x.ndim() != 4) {
    const Shape want_rest(x.shape().begin() + 2, x.shape().end());
    const Shape got_rest = target.ndim() >= 1 ? Shape(target.shape().begin() + 1, target.shape().end()) : Shape{};
    if (got_rest != want_rest) {
      Shape want = want_rest;
      want.insert(want.begin(), x.size(0));
      throw Error("Expected target size " + shape_str(want) + ", got " + shape_str(target.shape()));
    }
  }
  check_no_requires_grad(weight, "weight", spatial ? "nll_loss2d_forward" : "nll_loss_forward");
  const auto check_dtype = [&] {
    if (target.dtype() != DType::Int64)
      throw Error(std::string("expected target dtype to be Long or Byte, but got ") + detail::torch_type_name(target.dtype()));
  };
  if (!spatial) {
    if (target.ndim() > 1) throw Error("0D or 1D target tensor expected, multi-target not supported");
    check_dtype();
    if (x.ndim() == 1 && target.ndim() == 1 && target.size(0) != 1)
      throw ValueError("For 1D input, 1D target must have size 1, but got target size: " + std::to_string(target.size(0)));
    if (weight.defined() && !(weight.ndim() == 1 && weight.numel() == C))
      throw Error("weight tensor should be defined either for all " + std::to_string(C) +
                  " classes or no classes but got weight tensor of shape: " + shape_str(weight.shape()));
  } else {
    if (x.ndim() == 4 && target.ndim() != 3)
      throw Error("only batches of spatial targets supported (3D tensors) but got targets of dimension: " +
                  std::to_string(target.ndim()));
    check_dtype();
    if (weight.defined() && weight.numel() != C) throw Error("weight tensor should be defined either for all or no classes");
    if (x.ndim() == 4 && (target.size(0) != x.size(0) || target.size(1) != x.size(2) || target.size(2) != x.size(3)))
      throw Error("size mismatch (got input: " + shape_str(x.shape()) + " , target: " + shape_str(target.shape()));
  }
  if (!is_floating(x.dtype())) detail::not_implemented(frame, x.dtype());
  if (weight.defined() && weight.dtype() != x.dtype())
    throw Error(std::string("expected scalar type ") + detail::torch_type_name(x.dtype()) + " but found " +
                detail::torch_type_name(weight.dtype()));
}

// The first target that is neither ignore_index nor a class: torch's IndexError.
void check_target_range(const Tensor& target, int64_t classes, int64_t ignore_index) {
  const int64_t* t = target.data<int64_t>();
  for (int64_t i = 0, n = target.numel(); i < n; ++i)
    if (t[i] != ignore_index && (t[i] < 0 || t[i] >= classes))
      throw IndexError("Target " + std::to_string(t[i]) + " is out of bounds.");
}

const char* log_softmax_frame(const Tensor& x) {
  return x.ndim() <= 2 ? "log_softmax_lastdim_kernel_impl" : "log_softmax_kernel_impl";
}

// ---------------------------------------------------------------- forward
// Index targets (cross_entropy or nll_loss): x of the compute dtype.
Tensor class_forward_index(ClassLossSpec& spec, const Tensor& input, const Tensor& target_in, const Tensor& weight_in) {
  const DType dt = spec.dtype;
  const Tensor x = input.contiguous();
  const Tensor target = target_in.contiguous();
  const Tensor w = weight_arg(weight_in, dt);
  const ClassShape sh = class_shape(x);
  const bool nll = spec.kind == ClassLossKind::Nll;
  check_target_range(target, sh.classes, spec.ignore_index);
  const int64_t lanes = sh.lanes();
  Tensor lane_loss = TensorAccess::alloc({lanes}, DType::Float64);
  Tensor lane_w = TensorAccess::alloc({lanes}, DType::Float64);
  spec.stats = nll ? Tensor() : TensorAccess::alloc({3, lanes}, dt);
  if (lanes > 0) {
    const auto& lk = detail::active_kernels().loss;
    k::ClassLossArgs proto{};
    proto.weight = w.defined() ? w.data_ptr() : nullptr;
    proto.ignore_index = spec.ignore_index;
    proto.smoothing = spec.smoothing;
    proto.weight_sum = weight_total(w, sh.classes);
    LaneBases b;
    b.x = static_cast<const char*>(x.data_ptr());
    b.target = static_cast<const char*>(target.data_ptr());
    b.loss = lane_loss.data<double>();
    b.target_weight = lane_w.data<double>();
    if (!nll) b.stats = static_cast<char*>(spec.stats.data_ptr());
    const int di = static_cast<int>(dt);
    for_lane_tiles(sh, dt, proto, b, nll ? detail::kGrainCheap : detail::kGrainTranscendental,
                   nll ? lk.nll[di] : lk.cross_entropy[0][di]);
  }
  double denom = 1.0;
  if (spec.reduction == LossReduction::Mean) denom = lanes == 0 ? 0.0 : sum(lane_w);
  spec.scale = spec.reduction == LossReduction::Mean ? 1.0 / denom : 1.0;
  // torch's mean is nll_sum / denom (+ smoothing_sum / denom): NaN whenever denom is 0, as nll_sum is then 0
  if (spec.reduction == LossReduction::Mean && denom == 0.0) return Tensor::scalar_tensor(Scalar(kNaN), dt);
  return reduce_lanes(lane_loss, sh, spec.reduction, dt, denom);
}

// Probability targets: x and target of the compute dtype.
Tensor class_forward_prob(ClassLossSpec& spec, const Tensor& input, const Tensor& target_in, const Tensor& weight_in) {
  const DType dt = spec.dtype;
  const Tensor x = input.to(dt).contiguous();
  const Tensor target = target_in.to(dt).contiguous();
  const Tensor w = weight_arg(weight_in, dt);
  const ClassShape sh = class_shape(x);
  const int64_t lanes = sh.lanes();
  Tensor lane_loss = Tensor::zeros({lanes}, DType::Float64);
  spec.stats = Tensor::zeros({3, lanes}, dt);
  if (lanes > 0 && sh.classes > 0) {
    k::ClassLossArgs proto{};
    proto.weight = w.defined() ? w.data_ptr() : nullptr;
    proto.smoothing = spec.smoothing;
    proto.weight_sum = weight_total(w, sh.classes);
    LaneBases b;
    b.x = static_cast<const char*>(x.data_ptr());
    b.target = static_cast<const char*>(target.data_ptr());
    b.target_per_lane = false;
    b.loss = lane_loss.data<double>();
    b.stats = static_cast<char*>(spec.stats.data_ptr());
    for_lane_tiles(sh, dt, proto, b, detail::kGrainTranscendental,
                   detail::active_kernels().loss.cross_entropy[1][static_cast<int>(dt)]);
  }
  const double denom = static_cast<double>(lanes);
  spec.scale = spec.reduction == LossReduction::Mean ? 1.0 / denom : 1.0;
  if (x.numel() == 0 && spec.reduction == LossReduction::Mean) return Tensor::scalar_tensor(Scalar(kNaN), dt);
  return reduce_lanes(lane_loss, sh, spec.reduction, dt, denom);
}

// torch's own formula, of differentiable ops: probability targets whose
// weight requires grad (torch differentiates the weight there).
Tensor cross_entropy_prob_composed(const Tensor& input, const Tensor& target, const Tensor& weight, LossReduction red,
                                   double ls) {
  const int64_t cd = input.ndim() == 1 ? 0 : 1, C = input.size(cd);
  const Tensor logp = log_softmax(input, cd);
  Tensor t = ls > 0 ? add(mul(target, 1.0 - ls), ls / static_cast<double>(C)) : target;
  Shape ws(static_cast<std::size_t>(input.ndim()), 1);
  ws[static_cast<std::size_t>(cd)] = C;
  const Tensor prod = mul(mul(logp, t), weight.reshape(ws));
  if (red == LossReduction::None) return neg(sum(prod, DimList(cd)));
  const Tensor total = neg(sum(prod, std::nullopt));
  if (red == LossReduction::Sum) return total;
  if (input.numel() == 0) return mul(total, kNaN);
  return div(total, static_cast<double>(input.numel() / C));
}

// ---------------------------------------------------------------- binary_cross_entropy_with_logits
// An operand broadcast to the input as the kernel reads it: one value, a
// vector over the last dim (rows long enough to be worth segments), or one
// value per element.
struct PeriodicArg {
  Tensor t;
  int64_t period = 0;
};
PeriodicArg periodic(const Tensor& w, const Tensor& x, DType dt) {
  PeriodicArg r;
  if (!w.defined()) return r;
  const Tensor v = w.to(dt);
  const int64_t n = x.numel(), last = x.ndim() == 0 ? 1 : x.size(-1);
  bool lastdim = v.ndim() >= 1 && v.size(-1) == last && last >= 64;
  for (int64_t d = 0; d + 1 < v.ndim(); ++d) lastdim = lastdim && v.size(d) == 1;
  if (v.numel() == 1) {
    r.t = v.reshape({1}).contiguous();
    r.period = 1;
  } else if (lastdim && n > 0) {
    r.t = v.reshape({last}).contiguous();
    r.period = last;
  } else {
    r.t = v.expand(x.shape()).contiguous();
    r.period = std::max<int64_t>(n, 1);
  }
  return r;
}

constexpr int64_t kBceBlock = 16384;  // elements per kernel call (and per partial sum)

struct BceOperands {
  Tensor x, t;
  PeriodicArg w, pw;
  int64_t n = 0, blocks = 0;
  k::BceArgs proto() const {
    k::BceArgs a{};
    a.x = x.data_ptr();
    a.target = t.data_ptr();
    a.weight = w.t.defined() ? w.t.data_ptr() : nullptr;
    a.pos_weight = pw.t.defined() ? pw.t.data_ptr() : nullptr;
    a.weight_period = w.period;
    a.pos_weight_period = pw.period;
    return a;
  }
  template <class F>
  void for_blocks(const F& f) const {
    detail::parallel_for(blocks, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) f(b, b * kBceBlock, std::min(n, (b + 1) * kBceBlock));
    });
  }
};
BceOperands bce_operands(const Tensor& x, const Tensor& t, const Tensor& w, const Tensor& pw, DType dt) {
  BceOperands o;
  o.x = x.to(dt).contiguous();
  o.t = t.to(dt).contiguous();
  o.w = periodic(w, x, dt);
  o.pw = periodic(pw, x, dt);
  o.n = x.numel();
  o.blocks = (o.n + kBceBlock - 1) / kBceBlock;
  return o;
}

void check_inplace_broadcast(const Shape& out, const Shape& other) {
  const Shape b = broadcast_shapes(out, other);
  if (b != out)
    throw Error("output with shape " + shape_str(out) + " doesn't match the broadcast shape " + shape_str(b));
}

Tensor bce_forward(const BceSpec& spec, const Tensor& x, const Tensor& t, const Tensor& w, const Tensor& pw) {
  const DType dt = spec.dtype;
  const BceOperands o = bce_operands(x, t, w, pw, dt);
  const auto fn = detail::active_kernels().loss.bce[static_cast<int>(dt)];
  if (spec.reduction == LossReduction::None) {
    Tensor out = TensorAccess::alloc(x.shape(), dt);
    o.for_blocks([&](int64_t, int64_t b, int64_t e) {
      k::BceArgs a = o.proto();
      a.begin = b;
      a.end = e;
      a.out = out.data_ptr();
      fn(a);
    });
    return out;
  }
  Tensor parts = Tensor::zeros({o.blocks}, DType::Float64);
  double* pp = parts.data<double>();
  o.for_blocks([&](int64_t blk, int64_t b, int64_t e) {
    k::BceArgs a = o.proto();
    a.begin = b;
    a.end = e;
    a.sum = pp + blk;
    fn(a);
  });
  const double total = sum(parts);
  const double v = spec.reduction == LossReduction::Mean ? total / static_cast<double>(o.n) : total;
  return Tensor::scalar_tensor(Scalar(v), dt);
}

}  // namespace

// ---------------------------------------------------------------- public entry points
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, const std::string& reduction,
                     int64_t ignore_index, double label_smoothing) {
  const LossReduction red = parse_reduction(reduction);
  detail::check_defined(input, "cross_entropy");
  detail::check_defined(target, "cross_entropy");
  const double ls = label_smoothing > 0.0 ? label_smoothing : 0.0;  // torch: smoothing only when > 0 (NaN: none)
  ClassLossSpec spec;
  spec.reduction = red;
  spec.ignore_index = ignore_index;
  spec.smoothing = ls;
  spec.has_weight = weight.defined();
  if (input.shape() == target.shape()) {  // class probabilities
    if (!is_floating(target.dtype()))
      throw Error(std::string("Expected floating point type for target with class probabilities, got ") +
                  detail::torch_type_name(target.dtype()));
    if (ignore_index >= 0) throw Error("ignore_index is not supported for floating point target");
    if (input.ndim() == 0) throw IndexError("Dimension specified as 1 but tensor has no dimensions");
    const int64_t C = input.size(input.ndim() == 1 ? 0 : 1);
    if (weight.defined() && !(weight.ndim() == 1 && weight.numel() == C))
      throw Error("cross_entropy: weight tensor should be defined either for all " + std::to_string(C) +
                  " classes or no classes but got weight tensor of shape: " + shape_str(weight.shape()));
    if (!is_floating(input.dtype())) detail::not_implemented(log_softmax_frame(input), input.dtype());
    check_smoothing(label_smoothing);
    if (weight.defined() && weight.requires_grad() && autograd::is_grad_enabled())
      return cross_entropy_prob_composed(input, target, weight, red, ls);
    spec.kind = ClassLossKind::CrossEntropyProb;
    spec.dtype = result_type(input, target);
    if (weight.defined()) spec.dtype = result_type(Tensor::empty({0}, spec.dtype), weight);
    if (autograd::should_record({&input, &target}))
      return autograd::class_loss(spec, input, target, weight,
                                  [&] { return class_forward_prob(spec, input, target, weight); });
    return class_forward_prob(spec, input, target, weight);
  }
  check_smoothing(label_smoothing);
  if (input.ndim() == 0) wrap_dim(1, 1);  // torch's log_softmax(input, 1): "Dimension out of range ..."
  if (!is_floating(input.dtype())) detail::not_implemented(log_softmax_frame(input), input.dtype());
  check_index_target(input, target, weight, input.ndim() >= 3 ? "nll_loss2d_forward_out_frame" : "nll_loss_out_frame");
  spec.kind = ClassLossKind::CrossEntropyIndex;
  spec.dtype = input.dtype();
  if (autograd::should_record({&input}))
    return autograd::class_loss(spec, input, target, weight, [&] { return class_forward_index(spec, input, target, weight); });
  return class_forward_index(spec, input, target, weight);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, const std::string& reduction,
                int64_t ignore_index) {
  const LossReduction red = parse_reduction(reduction);
  detail::check_defined(input, "nll_loss");
  detail::check_defined(target, "nll_loss");
  check_index_target(input, target, weight, input.ndim() >= 3 ? "nll_loss2d_forward_out_frame" : "nll_loss_out_frame");
  ClassLossSpec spec;
  spec.kind = ClassLossKind::Nll;
  spec.reduction = red;
  spec.ignore_index = ignore_index;
  spec.has_weight = weight.defined();
  spec.dtype = input.dtype();
  if (autograd::should_record({&input}))
    return autograd::class_loss(spec, input, target, weight, [&] { return class_forward_index(spec, input, target, weight); });
  return class_forward_index(spec, input, target, weight);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, const std::string& reduction) {
  const LossReduction red = parse_reduction(reduction);
  detail::check_defined(input, "binary_cross_entropy_with_logits");
  detail::check_defined(target, "binary_cross_entropy_with_logits");
  if (target.shape() != input.shape())
    throw ValueError("Target size (rusttorch.Size(" + shape_str(target.shape()) +
                     ")) must be the same as input size (rusttorch.Size(" + shape_str(input.shape()) + "))");
  check_no_requires_grad(weight, "weight", "binary_cross_entropy_with_logits");
  check_no_requires_grad(pos_weight, "pos_weight", "binary_cross_entropy_with_logits");
  if (!is_floating(input.dtype())) detail::not_implemented("log_sigmoid_cpu", input.dtype());
  if (pos_weight.defined()) {
    if (pos_weight.dtype() == DType::Bool)
      throw Error("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a "
                  "mask, use the `~` or `logical_not()` operator instead.");
    const Shape b = broadcast_shapes(pos_weight.shape(), target.shape());
    if (b != input.shape())
      throw Error("output with shape " + shape_str(input.shape()) + " doesn't match the broadcast shape " + shape_str(b));
  }
  if (target.dtype() == DType::Bool)
    throw Error("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
                "operator instead.");
  if (!is_floating(target.dtype()))
    throw Error(std::string("result type ") + detail::torch_type_name(input.dtype()) +
                " can't be cast to the desired output type " + detail::torch_type_name(target.dtype()));
  if (weight.defined()) check_inplace_broadcast(input.shape(), weight.shape());
  BceSpec spec;
  spec.reduction = red;
  spec.dtype = target.dtype();  // torch computes in place into (1 - target)
  spec.has_weight = weight.defined();
  spec.has_pos_weight = pos_weight.defined();
  if (autograd::should_record({&input, &target}))
    return autograd::bce_with_logits(spec, input, target, weight, pos_weight,
                                     [&] { return bce_forward(spec, input, target, weight, pos_weight); });
  return bce_forward(spec, input, target, weight, pos_weight);
}

// ---------------------------------------------------------------- fused backward kernels (autograd)
namespace autograd {

std::vector<Tensor> fused_class_loss_backward(const ClassLossSpec& spec, const Tensor& input, const Tensor& target_in,
                                              const Tensor& weight_in, const Tensor& grad, bool want_target) {
  const DType dt = spec.dtype;
  const bool prob = spec.kind == ClassLossKind::CrossEntropyProb;
  const Tensor x = input.to(dt).contiguous();
  const Tensor target = prob ? target_in.to(dt).contiguous() : target_in.contiguous();
  const Tensor w = weight_arg(weight_in, dt);
  const Tensor g = grad.to(dt).contiguous();
  const ClassShape sh = class_shape(x);
  Tensor gx = TensorAccess::alloc(x.shape(), dt);
  Tensor gt = prob && want_target ? TensorAccess::alloc(x.shape(), dt) : Tensor();
  if (x.numel() == 0) return {gx, gt};
  k::ClassLossArgs proto{};
  proto.weight = w.defined() ? w.data_ptr() : nullptr;
  proto.ignore_index = spec.ignore_index;
  proto.smoothing = spec.smoothing;
  proto.weight_sum = weight_total(w, sh.classes);
  proto.grad_step = spec.reduction == LossReduction::None ? 1 : 0;
  proto.grad_scale = spec.scale;
  LaneBases b;
  b.x = static_cast<const char*>(x.data_ptr());
  b.target = static_cast<const char*>(target.data_ptr());
  b.target_per_lane = !prob;
  b.grad = static_cast<const char*>(g.data_ptr());
  b.grad_x = static_cast<char*>(gx.data_ptr());
  if (gt.defined()) b.grad_target = static_cast<char*>(gt.data_ptr());
  const auto& lk = detail::active_kernels().loss;
  const int di = static_cast<int>(dt);
  if (spec.kind != ClassLossKind::Nll) b.stats = static_cast<char*>(spec.stats.data_ptr());
  for_lane_tiles(sh, dt, proto, b,
                 spec.kind == ClassLossKind::Nll ? detail::kGrainCheap : detail::kGrainTranscendental,
                 spec.kind == ClassLossKind::Nll ? lk.nll_backward[di] : lk.cross_entropy_backward[prob ? 1 : 0][di]);
  return {gx, gt};
}

std::vector<Tensor> fused_bce_backward(const BceSpec& spec, const Tensor& input, const Tensor& target,
                                       const Tensor& weight, const Tensor& pos_weight, const Tensor& grad,
                                       bool want_target) {
  const DType dt = spec.dtype;
  const BceOperands o = bce_operands(input, target, weight, pos_weight, dt);
  const Tensor g = grad.to(dt).contiguous();
  Tensor gx = TensorAccess::alloc(input.shape(), dt);
  Tensor gt = want_target ? TensorAccess::alloc(input.shape(), dt) : Tensor();
  const auto fn = detail::active_kernels().loss.bce_backward[static_cast<int>(dt)];
  const bool none = spec.reduction == LossReduction::None;
  const double scale = spec.reduction == LossReduction::Mean ? 1.0 / static_cast<double>(o.n) : 1.0;
  o.for_blocks([&](int64_t, int64_t b, int64_t e) {
    k::BceArgs a = o.proto();
    a.begin = b;
    a.end = e;
    a.grad = g.data_ptr();
    a.grad_step = none ? 1 : 0;
    a.grad_scale = scale;
    a.grad_x = gx.data_ptr();
    a.grad_target = gt.defined() ? gt.data_ptr() : nullptr;
    fn(a);
  });
  return {gx, gt};
}

}  // namespace autograd
}  // namespace rusttorch
