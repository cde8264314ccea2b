// Every derivative formula, written once with the public ops, so that the
// backward pass is itself recorded under create_graph=True (double backward).
// Node names are torch's (AddBackward0, ...). Gradients of broadcast inputs
// come back in the result's shape; the engine sums them to the input's shape
// and casts them to its dtype.
#include "autograd/derivatives.h"

#include <algorithm>
#include <cmath>

#include "autograd/function.h"
#include "rusttorch/activation.h"
#include "rusttorch/linalg.h"
#include "rusttorch/sort.h"

namespace rusttorch::autograd {
namespace k = kernels;
namespace {

using Grads = std::vector<Tensor>;

Tensor zeros(const Tensor& t) { return Tensor::zeros(t.shape(), t.dtype()); }

// Runs `compute` without recording.
template <class F>
auto untracked(F&& compute) {
  NoGradGuard guard;
  return compute();
}

// The gradient of a reduced result, expanded back over the reduced dims.
Tensor unreduce(const Tensor& g, const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor r = g;
  if (!keepdim)
    for (int64_t d : dims) r = r.unsqueeze(d);  // dims ascending
  return r.expand(shape);
}

Tensor prod_over(const Tensor& t, const std::vector<int64_t>& dims) {
  Tensor r = t;
  for (int64_t d : dims) r = prod(r, d, true);
  return r;
}

int64_t count_of(const Shape& shape, const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= shape[static_cast<std::size_t>(d)];
  return n;
}

}  // namespace

[[noreturn]] void refuse_out(const char* op) {
  throw Error(std::string(op) +
              "(): functions with out=... arguments don't support automatic differentiation, but one of the "
              "arguments requires grad.");
}

Tensor ViewRegion::of(const Tensor& t) const {
  NoGradGuard no_grad;
  return t.as_strided(shape, strides, t.storage_offset() + offset);
}

namespace {
// A copy of t's value that continues t's history.
Tensor copy_with_history(const Tensor& t) {
  Tensor old = untracked([&] { return t.clone(); });
  if (t.requires_grad()) {
    auto meta = std::make_shared<AutogradMeta>();
    meta->grad_fn = t.grad_fn();
    meta->output_nr = t.output_nr();
    old.set_autograd_meta(std::move(meta));
  }
  return old;
}

// self takes r's history (r holds self's new value).
void rebase(Tensor& self, const Tensor& r) {
  if (!r.requires_grad()) return;
  AutogradMeta& m = self.mutable_autograd_meta();
  m.grad_fn = r.grad_fn();
  m.output_nr = r.output_nr();
  m.requires_grad = false;
}

// An in-place op on a view of a tensor in the graph: the op runs on the view's
// old value, its result goes into the base (copy_slices), and the view
// becomes a view of the base's new value.
Tensor& inplace_on_view(Tensor& self, const std::function<Tensor(const Tensor& old)>& op) {
  Tensor base = self.autograd_meta()->view_base;
  if (base.is_leaf() && base.requires_grad())
    throw Error("a view of a leaf Variable that requires grad is being used in an in-place operation.");
  if (!base.is_contiguous())
    throw Error("rusttorch: an in-place operation on a view of a non-contiguous tensor that is part of the "
                "autograd graph is not supported yet; use an out-of-place op");
  const ViewRegion region{self.shape(), self.strides(), self.storage_offset() - base.storage_offset()};
  const Tensor r = op(copy_with_history(self));
  copy_slices(base, region, r);
  Tensor view = region.of(base);  // the view again, now of the base's new value
  const Shape base_shape = base.shape();
  record("AsStridedBackward0", {&base}, {&view}, [region, base_shape](GradContext& c) {
    NoGradGuard no_grad;
    Tensor z = Tensor::zeros(base_shape, c.grad().dtype());
    region.of(z).copy_(c.grad());
    return Grads{z};
  });
  AutogradMeta& m = self.mutable_autograd_meta();
  m.grad_fn = view.grad_fn();
  m.output_nr = 0;
  return self;
}
}  // namespace

void copy_slices(Tensor& base, const ViewRegion& region, const Tensor& value) {
  inplace(base, [&](const Tensor& old) {
    Tensor res = untracked([&] {
      Tensor t = old.clone();
      region.of(t).copy_(value);
      return t;
    });
    const bool value_grad = value.requires_grad();
    record("torch::autograd::CopySlices", {&old, value_grad ? &value : nullptr}, {&res}, [region](GradContext& c) {
      NoGradGuard no_grad;
      const Tensor g = c.grad().contiguous();
      Tensor g_old, g_value;
      if (c.needs(0)) {
        g_old = g.clone();
        region.of(g_old).fill_(0.0);
      }
      if (c.needs(1)) g_value = region.of(g).clone();
      return Grads{g_old, g_value};
    });
    return res;
  });
}

Tensor& inplace(Tensor& self, const std::function<Tensor(const Tensor& old)>& op) {
  if (self.is_leaf() && self.requires_grad())
    throw Error("a leaf Variable that requires grad is being used in an in-place operation.");
  if (self.has_autograd() && self.autograd_meta()->is_view && self.autograd_meta()->view_base.defined())
    return inplace_on_view(self, op);
  const Tensor r = op(copy_with_history(self));
  untracked([&] { return self.copy_(r); });
  rebase(self, r);
  return self;
}

// ------------------------------------------------------------------ elementwise
namespace {

// The formula language of the op table (rusttorch/op_table.def): an operand
// is unpacked (and version-checked) only when a formula reads it.
class Lazy {
 public:
  Lazy(GradContext& c, std::size_t slot, std::optional<Scalar> scalar = std::nullopt)
      : c_(&c), slot_(slot), scalar_(scalar) {}
  operator Operand() const { return scalar_ ? Operand(*scalar_) : Operand(c_->saved(slot_)); }  // NOLINT
  operator Tensor() const { return c_->saved(slot_); }                                          // NOLINT

 private:
  GradContext* c_;
  std::size_t slot_;
  std::optional<Scalar> scalar_;
};

Tensor scaled(const Tensor& g, Scalar s) { return s.to_double() == 1.0 ? g : mul(g, s); }

const char* div_node(RoundingMode mode) { return mode == RoundingMode::None ? "DivBackward0" : "DivBackward1"; }
Tensor div_self(const Tensor& grad, const Operand& other, RoundingMode mode) {
  return mode == RoundingMode::None ? div(grad, other) : zeros(grad);
}
Tensor div_other(const Tensor& grad, const Operand& self, const Operand& other, RoundingMode mode) {
  if (mode != RoundingMode::None) return zeros(grad);
  return neg(div(mul(grad, self), mul(other, other)));
}

const char* pow_node(const Operand& self, const Operand& exponent) {
  return exponent.is_scalar() ? "PowBackward0" : self.is_scalar() ? "PowBackward2" : "PowBackward1";
}
// d/dself self^e = e * self^(e - 1); 0 where e == 0 (no NaN from 0 * inf), as torch.
Tensor pow_self(const Tensor& grad, const Operand& self, const Operand& exponent) {
  const Tensor base = self.tensor();
  if (exponent.is_scalar()) {
    const double e = exponent.scalar().to_double();
    return e == 0.0 ? zeros(grad) : mul(mul(grad, e), pow(base, Scalar(e - 1.0)));
  }
  const Tensor& e = exponent.tensor();
  return mul(grad, where(eq(e, 0), Operand(0.0), Operand(mul(e, pow(base, sub(e, 1))))));
}
// d/de self^e = self^e * log(self); 0 where self == 0 and e >= 0, as torch.
Tensor pow_exponent(const Tensor& grad, const Operand& self, const Operand& exponent, const Tensor& result) {
  if (self.is_scalar())
    return mul(grad, mul(result, Tensor::scalar_tensor(Scalar(std::log(self.scalar().to_double())), result.dtype())));
  const Tensor& base = self.tensor();
  const Tensor d = mul(result, log(base));
  return mul(grad, where(logical_and(eq(base, 0), ge(exponent, 0)), Operand(0.0), Operand(d)));
}

// maximum / minimum: the gradient goes to the larger (smaller) operand, half
// to each on a tie, to both where one is NaN, as torch.
Tensor max_min(const Tensor& grad, const Operand& mine, const Operand& theirs, bool is_max) {
  const Tensor half = where(eq(mine, theirs), Operand(div(grad, 2)), Operand(grad));
  return where(is_max ? lt(mine, theirs) : gt(mine, theirs), Operand(0.0), Operand(half));
}

// Activation derivatives that take a few lines.
Tensor gelu_derivative(const Tensor& x) {
  const Tensor cdf = mul(add(erf(mul(x, M_SQRT1_2)), 1), 0.5);
  const Tensor pdf = mul(exp(mul(mul(x, x), -0.5)), 0.5 * M_2_SQRTPI * M_SQRT1_2);
  return add(cdf, mul(x, pdf));
}
Tensor gelu_tanh_derivative(const Tensor& x) {
  const double beta = M_SQRT2 * M_2_SQRTPI * 0.5, kappa = 0.044715;
  const Tensor x2 = mul(x, x);
  const Tensor t = tanh(mul(add(x, mul(mul(x2, x), kappa)), beta));
  const Tensor left = mul(add(t, 1), 0.5);
  return add(left, mul(mul(mul(x, 0.5), sub(1.0, mul(t, t))), mul(add(mul(x2, 3 * kappa), 1), beta)));
}
Tensor mish_derivative(const Tensor& x) {
  const Tensor ts = tanh(softplus(x));
  return add(ts, mul(mul(x, sigmoid(x)), sub(1.0, mul(ts, ts))));
}

}  // namespace

Tensor binary(int op, const Operand& a, const Operand& b, Scalar alpha, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  const Tensor* ta = tensor_ptr(a);
  const Tensor* tb = tensor_ptr(b);
  // The formulas keep the scalar operands, never the tensors (those are saved
  // on the node): a captured tensor would keep its own graph alive from
  // inside the closure, and destroy it by recursion.
  const std::optional<Scalar> sa = a.is_scalar() ? std::optional<Scalar>(a.scalar()) : std::nullopt;
  const std::optional<Scalar> sb = b.is_scalar() ? std::optional<Scalar>(b.scalar()) : std::nullopt;
  // div(rounding_mode='trunc') has its own kernel and div's row (floor is floor_divide's kernel and row)
  const RoundingMode mode = op == k::kDivTrunc ? RoundingMode::Trunc : RoundingMode::None;
  const int row = op == k::kDivTrunc ? k::kDiv : op;
  const char* node_name = nullptr;
  Formula f;
  switch (row) {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other)                            \
  case k::kernel:                                                                                   \
    node_name = [&]() -> const char* {                                                              \
      [[maybe_unused]] const Operand &self = a, &other = b;                                         \
      return node;                                                                                  \
    }();                                                                                            \
    f = [sa, sb, alpha, mode](GradContext& c) {                                                      \
      [[maybe_unused]] const Lazy self(c, 0, sa), other(c, 1, sb);                                  \
      [[maybe_unused]] const Lazy result(c, 2);                                                     \
      [[maybe_unused]] const Tensor& grad = c.grad();                                               \
      (void)alpha;                                                                                  \
      (void)mode;                                                                                   \
      return Grads{c.needs(0) ? Tensor(d_self) : Tensor(), c.needs(1) ? Tensor(d_other) : Tensor()}; \
    };                                                                                              \
    break;
#include "rusttorch/op_table.def"
    default:
      break;
  }
  if (!node_name) return r;  // comparisons, logical and bitwise ops: no gradient
  auto node = record(node_name, {ta, tb}, {&r}, std::move(f));
  // Saved: 0 = a, 1 = b (scalars save nothing but keep the slot), 2 = the result.
  node->save(ta ? *ta : Tensor());
  node->save(tb ? *tb : Tensor());
  node->save(r, true);
  return r;
}

Tensor unary(int op, const Tensor& a, const k::OpParams& p, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  const char* node_name = nullptr;
  Formula f;
  switch (op) {
#define RT_UNARY(name, kernel, node, d_self)                      \
  case k::kernel:                                                 \
    node_name = node;                                             \
    f = [](GradContext& c) {                                      \
      [[maybe_unused]] const Lazy self(c, 0), result(c, 1);       \
      [[maybe_unused]] const Tensor& grad = c.grad();             \
      return Grads{Tensor(d_self)};                               \
    };                                                            \
    break;
#include "rusttorch/op_table.def"
    case k::kClamp: {  // clamp with scalar bounds (tensor bounds compose maximum and minimum)
      node_name = "ClampBackward1";
      const bool lo = p.has_lo, hi = p.has_hi;
      const double vlo = p.f[0], vhi = p.f[1];
      f = [lo, hi, vlo, vhi](GradContext& c) {
        const Tensor x = c.saved(0);
        Tensor keep;
        if (lo) keep = ge(x, vlo);
        if (hi) keep = keep.defined() ? logical_and(keep, le(x, vhi)) : le(x, vhi);
        return Grads{where(keep, Operand(c.grad()), Operand(0.0))};
      };
      break;
    }
    default:
      break;
  }
  if (!node_name) return r;
  auto node = record(node_name, {&a}, {&r}, std::move(f));
  node->save(a);
  node->save(r, true);
  return r;
}

Tensor activation(int op, const Tensor& a, const k::ActParams& p, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  const double pa = p.p[0], pb = p.p[1], pc = p.p[2];
  const char* node_name = nullptr;
  Formula composed;
  switch (op) {
#define RT_ACT_DERIVATIVE(kernel, node, d_self)                          \
  case k::kernel:                                                        \
    node_name = node;                                                    \
    composed = [pa, pb, pc](GradContext& c) {                            \
      [[maybe_unused]] const Tensor x = c.saved(0), y = c.saved(1);      \
      [[maybe_unused]] const double p0 = pa, p1 = pb, p2 = pc;           \
      [[maybe_unused]] const Tensor& grad = c.grad();                    \
      return Grads{Tensor(d_self)};                                      \
    };                                                                   \
    break;
#include "rusttorch/op_table.def"
    default:
      break;
  }
  if (!node_name) return r;
  // Without create_graph, the one-pass kernel when the op has one; the
  // composed formula (recorded, so differentiable again) otherwise.
  Formula fused = [op, p, composed = std::move(composed)](GradContext& c) {
    if (!is_grad_enabled()) {
      Tensor g = fused_activation_backward(op, c.saved(0), c.saved(1), c.grad(), p);
      if (g.defined()) return Grads{g};
    }
    return composed(c);
  };
  auto node = record(node_name, {&a}, {&r}, std::move(fused));
  node->save(a);
  node->save(r, true);
  return r;
}

Tensor where(const Tensor& cond, const Operand& a, const Operand& b, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  auto node = record("WhereBackward0", {tensor_ptr(a), tensor_ptr(b)}, {&r}, [](GradContext& c) {
    const Tensor m = c.saved(0);
    Tensor ga, gb;
    if (c.needs(0)) ga = rusttorch::where(m, Operand(c.grad()), Operand(0.0));
    if (c.needs(1)) gb = rusttorch::where(m, Operand(0.0), Operand(c.grad()));
    return Grads{ga, gb};
  });
  node->save(cond);
  return r;
}

Tensor softmax(const Tensor& a, int64_t dim, bool log, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  auto node = record(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {&a}, {&r}, [dim, log](GradContext& c) {
    const Tensor y = c.saved(0), g = c.grad();
    if (!is_grad_enabled()) {
      Tensor fused = fused_softmax_backward(y, g, dim, log);
      if (fused.defined()) return Grads{fused};
    }
    if (log) return Grads{sub(g, mul(exp(y), sum(g, DimList(dim), true)))};
    return Grads{mul(y, sub(g, sum(mul(g, y), DimList(dim), true)))};
  });
  node->save(r, true);
  return r;
}

// ------------------------------------------------------------------ reductions
Tensor reduction(Reduction kind, const Tensor& a, const std::vector<int64_t>& dims, bool keepdim,
                 const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype()) || !is_floating(a.dtype())) return r;
  const Shape shape = a.shape();
  const bool full = dims.size() == shape.size() && !keepdim;  // torch names these ...Backward0
  const char* names[] = {"SumBackward1", "MeanBackward1", "ProdBackward1", "AmaxBackward0", "AminBackward0",
                         "LogsumexpBackward0"};
  const char* full_names[] = {"SumBackward0", "MeanBackward0", "ProdBackward0", "MaxBackward1", "MinBackward1",
                              "LogsumexpBackward0"};
  auto node = record((full ? full_names : names)[static_cast<int>(kind)], {&a}, {&r}, [kind, shape, dims, keepdim](GradContext& c) {
    const Tensor g = unreduce(c.grad(), shape, dims, keepdim);
    switch (kind) {
      case Reduction::Sum: return Grads{g};
      case Reduction::Mean: return Grads{div(g, static_cast<double>(std::max<int64_t>(count_of(shape, dims), 1)))};
      case Reduction::LogSumExp: {
        const Tensor out = unreduce(c.saved(1), shape, dims, keepdim);
        return Grads{mul(g, exp(sub(c.saved(0), out)))};
      }
      case Reduction::AMax:
      case Reduction::AMin: {  // ties share the gradient evenly, as torch
        const Tensor x = c.saved(0);
        const Tensor mask = eq(x, unreduce(c.saved(1), shape, dims, keepdim));
        const Tensor count = sum(mask, DimList(dims), true, x.dtype());
        return Grads{where(mask, Operand(div(g, count)), Operand(0.0))};
      }
      case Reduction::Prod: {
        // No zero in the slice: out / x. One zero: the product of the others
        // at the zero. More: 0.
        const Tensor x = c.saved(0);
        const Tensor out = unreduce(c.saved(1), shape, dims, keepdim);
        const Tensor is_zero = eq(x, 0);
        const Tensor zeros = unreduce(sum(is_zero, DimList(dims), true), shape, dims, true);
        const Tensor others = unreduce(prod_over(where(is_zero, Operand(1.0), Operand(x)), dims), shape, dims, true);
        const Tensor no_zero = div(out, where(is_zero, Operand(1.0), Operand(x)));
        const Tensor one_zero = where(is_zero, Operand(others), Operand(0.0));
        return Grads{mul(g, where(eq(zeros, 0), Operand(no_zero), Operand(where(eq(zeros, 1), Operand(one_zero), Operand(0.0)))))};
      }
    }
    return Grads{Tensor()};
  });
  node->save(a);
  node->save(r, true);
  return r;
}

Tensor max_min_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_max, ValuesIndices& r,
                   const std::function<ValuesIndices()>& compute) {
  r = untracked(compute);
  if (!is_floating(r.values.dtype())) return r.values;
  const Shape shape = a.shape();
  auto node = record(is_max ? "MaxBackward0" : "MinBackward0", {&a}, {&r.values}, [shape, dim, keepdim](GradContext& c) {
    // The gradient goes to the index each slice chose.
    const Tensor idx = unreduce(c.saved(0), shape, {dim}, keepdim);
    Shape pos_shape(shape.size(), 1);
    pos_shape[static_cast<std::size_t>(dim)] = shape[static_cast<std::size_t>(dim)];
    const Tensor pos = Tensor::arange(Scalar(shape[static_cast<std::size_t>(dim)])).reshape(pos_shape);
    const Tensor g = unreduce(c.grad(), shape, {dim}, keepdim);
    return Grads{where(eq(idx, pos), Operand(g), Operand(0.0))};
  });
  node->save(r.indices);
  return r.values;
}

void indexed_values(const char* name, const Tensor& a, int64_t dim, bool keepdim, ValuesIndices& r,
                    const std::function<ValuesIndices()>& compute) {
  r = untracked(compute);
  const Shape shape = a.shape();
  const int64_t d = wrap_dim(dim, a.ndim());
  auto node = record(name, {&a}, {&r.values}, [shape, d, keepdim](GradContext& c) {
    if (shape.empty()) return Grads{c.grad().reshape(shape)};  // a 0-d input: its one value
    Tensor g = c.grad(), idx = c.saved(0);
    if (!keepdim) {
      g = g.unsqueeze(d);
      idx = idx.unsqueeze(d);
    }
    return Grads{rusttorch::scatter_add(Tensor::zeros(shape, g.dtype()), d, idx, g)};
  });
  node->save(r.indices);
}

Tensor gather(const Tensor& a, int64_t dim, const Tensor& index, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  const Shape shape = a.shape();
  auto node = record("GatherBackward0", {&a}, {&r}, [shape, dim](GradContext& c) {
    if (shape.empty()) return Grads{c.grad().reshape(shape)};
    return Grads{rusttorch::scatter_add(Tensor::zeros(shape, c.grad().dtype()), dim, c.saved(0), c.grad())};
  });
  node->save(index);
  return r;
}

Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src,
                   const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  const Shape src_shape = src.shape();
  auto node = record("ScatterAddBackward0", {&a, &src}, {&r}, [dim, src_shape](GradContext& c) {
    const Tensor& g = c.grad();
    if (src_shape.empty()) return Grads{g, g.reshape(src_shape)};
    // src's gradient: g at the index, over the index's extent (src may be larger).
    Tensor gs = rusttorch::gather(g, dim, c.saved(0));
    if (gs.shape() != src_shape) {
      Tensor full = Tensor::zeros(src_shape, g.dtype());
      Tensor view = full;
      for (std::size_t d = 0; d < src_shape.size(); ++d) view = view.narrow(static_cast<int64_t>(d), 0, gs.shape()[d]);
      view.copy_(gs);
      gs = full;
    }
    return Grads{g, gs};
  });
  node->save(index);
  return r;
}

Tensor convolution(ConvPrim kind, const Tensor& a, const Tensor& b, const Tensor& bias, const ConvProblem& p,
                   const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  const char* name = kind == ConvPrim::AvgPool          ? "AvgPool2DBackward0"
                     : kind == ConvPrim::AvgPoolAdjoint ? "AvgPool2DBackwardBackward0"
                     : kind == ConvPrim::Unfold ? "Im2ColBackward0"
                     : kind == ConvPrim::Fold ? "Col2ImBackward0"
                     : kind == ConvPrim::WeightGrad ? "ConvolutionBackwardBackward0"
                                                  : "ConvolutionBackward0";
  const bool has_b = b.defined();
  auto node = record(name, {&a, has_b ? &b : nullptr, bias.defined() ? &bias : nullptr}, {&r},
                     [kind, p, has_b](GradContext& c) {
    const Tensor& g = c.grad();
    const Tensor x = c.saved(0), y = has_b ? c.saved(1) : Tensor();
    auto prim = [&](ConvPrim k, const Tensor& u, const Tensor& v) { return conv_primitive(k, u, v, Tensor(), p); };
    Grads out(3);
    switch (kind) {
      case ConvPrim::Forward:  // x, w
        if (c.needs(0)) out[0] = prim(ConvPrim::InputGrad, g, y);
        if (c.needs(1)) out[1] = prim(ConvPrim::WeightGrad, x, g);
        break;
      case ConvPrim::InputGrad:  // gy, w
        if (c.needs(0)) out[0] = prim(ConvPrim::Forward, g, y);
        if (c.needs(1)) out[1] = prim(ConvPrim::WeightGrad, g, x);
        break;
      case ConvPrim::WeightGrad:  // x, gy
        if (c.needs(0)) out[0] = prim(ConvPrim::InputGrad, y, g);
        if (c.needs(1)) out[1] = prim(ConvPrim::Forward, x, g);
        break;
      case ConvPrim::Unfold: out[0] = prim(ConvPrim::Fold, g, Tensor()); break;
      case ConvPrim::Fold: out[0] = prim(ConvPrim::Unfold, g, Tensor()); break;
      case ConvPrim::AvgPool: out[0] = prim(ConvPrim::AvgPoolAdjoint, g, Tensor()); break;
      case ConvPrim::AvgPoolAdjoint: out[0] = prim(ConvPrim::AvgPool, g, Tensor()); break;
    }
    if (c.needs(2)) out[2] = sum(g, DimList(std::vector<int64_t>{0, 2, 3, 4}));
    return out;
  });
  node->save(a);
  if (has_b) node->save(b);
  return r;
}

Tensor var_std(const Tensor& a, const std::vector<int64_t>& dims, double correction, bool keepdim, bool take_sqrt,
               const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  const Shape shape = a.shape();
  auto node = record(take_sqrt ? "StdBackward0" : "VarBackward0", {&a}, {&r},
                     [shape, dims, correction, keepdim, take_sqrt](GradContext& c) {
                       const Tensor x = c.saved(0);
                       const double n = std::max(0.0, static_cast<double>(count_of(shape, dims)) - correction);
                       const Tensor centered = sub(x, mean(x, DimList(dims), true));
                       Tensor g = unreduce(c.grad(), shape, dims, keepdim);
                       if (take_sqrt) g = div(g, unreduce(c.saved(1), shape, dims, keepdim));
                       return Grads{mul(g, div(centered, take_sqrt ? n : n / 2.0))};
                     });
  node->save(a);
  node->save(r, true);
  return r;
}

Tensor norm(const Tensor& a, double p, const std::vector<int64_t>& dims, bool keepdim,
            const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  const Shape shape = a.shape();
  auto node = record("LinalgVectorNormBackward0", {&a}, {&r}, [shape, dims, keepdim, p](GradContext& c) {
    const Tensor x = c.saved(0);
    const Tensor out = unreduce(c.saved(1), shape, dims, keepdim);
    const Tensor g = unreduce(c.grad(), shape, dims, keepdim);
    if (p == 0.0) return Grads{zeros(x)};
    if (p == 1.0) return Grads{mul(g, sign(x))};
    if (std::isinf(p)) {  // ties share the gradient evenly
      const Tensor ax = abs(x);
      const Tensor mask = eq(ax, out);
      const Tensor count = unreduce(sum(mask, DimList(dims), true, x.dtype()), shape, dims, true);
      return Grads{where(mask, Operand(mul(div(g, count), sign(x))), Operand(0.0))};
    }
    const Tensor zero = eq(out, 0);
    const Tensor safe = where(zero, Operand(1.0), Operand(out));
    Tensor d;
    if (p == 2.0) d = div(x, safe);
    else d = div(mul(x, pow(abs(x), Scalar(p - 2.0))), pow(safe, Scalar(p - 1.0)));
    return Grads{where(zero, Operand(0.0), Operand(mul(g, d)))};
  });
  node->save(a);
  node->save(r, true);
  return r;
}

namespace {
// The gradient of cumsum (prod = false) or cumprod along `dim`, in double, by
// one backward pass per line: cumsum's is the reverse cumulative sum of g;
// cumprod's is E_i * S_i with E_i = x_0 ... x_(i-1) and
// S_i = g_i + x_(i+1) S_(i+1), exact with zeros (no division by x).
Tensor scan_backward(const Tensor& g, const Tensor& x, int64_t dim, bool prod) {
  NoGradGuard no_grad;
  const int64_t last = std::max<int64_t>(x.ndim(), 1) - 1;
  const Tensor gt = g.to(DType::Float64).transpose(dim, last).contiguous();
  const Tensor xt = x.to(DType::Float64).transpose(dim, last).contiguous();
  Tensor out = Tensor::empty(gt.shape(), DType::Float64);
  const int64_t n = x.ndim() == 0 ? 1 : gt.size(-1);
  const int64_t rows = n == 0 ? 0 : gt.numel() / n;
  const double* gp = gt.data<double>();
  const double* xp = xt.data<double>();
  double* op = out.data<double>();
  for (int64_t r = 0; r < rows; ++r, gp += n, xp += n, op += n) {
    double acc = 0;
    for (int64_t i = n - 1; i >= 0; --i) {
      acc = prod ? gp[i] + (i + 1 < n ? xp[i + 1] * acc : 0.0) : acc + gp[i];
      op[i] = acc;
    }
    if (prod) {
      double e = 1;
      for (int64_t i = 0; i < n; ++i) {
        op[i] *= e;
        e *= xp[i];
      }
    }
  }
  return out.transpose(dim, last).to(x.dtype());
}
}  // namespace

Tensor scan(const Tensor& a, int64_t dim, bool prod, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  auto node = record(prod ? "CumprodBackward0" : "CumsumBackward0", {&a}, {&r}, [dim, prod](GradContext& c) {
    if (!is_grad_enabled()) return Grads{scan_backward(c.grad(), c.saved(0), dim, prod)};
    // create_graph: recorded ops. Reverse cumulative sum: total - inclusive prefix + own term.
    auto rev_cumsum = [dim](const Tensor& t) { return add(sub(sum(t, DimList(dim), true), cumsum(t, dim)), t); };
    if (!prod) return Grads{rev_cumsum(c.grad())};
    const Tensor x = c.saved(0);
    if (any(eq(x, 0), std::nullopt, false).item().to_bool())
      throw Error("rusttorch: the double backward (create_graph=True) of cumprod of an input with zeros is not "
                  "implemented yet");
    return Grads{div(rev_cumsum(mul(c.grad(), c.saved(1))), x)};
  });
  node->save(a);
  node->save(r, true);
  return r;
}

// ------------------------------------------------------------------ views and copies
Tensor view_like(const char* name, const Tensor& a, const std::function<Tensor()>& compute,
                 const std::function<Tensor(const Tensor& grad)>& backward) {
  Tensor r = untracked(compute);
  record(name, {&a}, {&r}, [backward](GradContext& c) { return Grads{backward(c.grad())}; });
  if (r.shares_storage_with(a)) {  // a view: in-place ops on it write into its base (inplace_on_view)
    AutogradMeta& m = r.mutable_autograd_meta();
    m.is_view = true;
    const auto& am = a.autograd_meta();
    m.view_base = am && am->is_view && am->view_base.defined() ? am->view_base : a;
  }
  return r;
}

namespace {
// The gradient of a slice/select: zeros with the gradient in the viewed elements.
// Recorded itself under create_graph (its own gradient is the view again).
Tensor embed(const Tensor& g, const Shape& shape, const std::function<Tensor(const Tensor&)>& view) {
  Tensor out = untracked([&] {
    Tensor z = Tensor::zeros(shape, g.dtype());
    view(z).copy_(g);
    return z;
  });
  if (should_record({&g}))
    record("SliceBackwardBackward0", {&g}, {&out}, [view](GradContext& c) { return Grads{view(c.grad())}; });
  return out;
}
}  // namespace

Tensor embedding_view(const char* name, const Tensor& a, const std::function<Tensor()>& compute,
                      const std::function<Tensor(const Tensor& t)>& view) {
  const Shape shape = a.shape();
  return view_like(name, a, compute, [shape, view](const Tensor& g) { return embed(g, shape, view); });
}

Tensor copy_like(const char* name, const Tensor& a, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  record(name, {&a}, {&r}, [](GradContext& c) { return Grads{c.grad()}; });
  return r;
}

// ------------------------------------------------------------------ products
Tensor product(Product kind, const Tensor& a, const Tensor& b, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  const char* names[] = {"MmBackward0", "BmmBackward0", "MvBackward0", "DotBackward0"};
  auto node = record(names[static_cast<int>(kind)], {&a, &b}, {&r}, [kind](GradContext& c) {
    const Tensor x = c.saved(0), y = c.saved(1), g = c.grad();
    Tensor gx, gy;
    switch (kind) {
      case Product::Mm:
        if (c.needs(0)) gx = mm(g, y.t());
        if (c.needs(1)) gy = mm(x.t(), g);
        break;
      case Product::Bmm:
        if (c.needs(0)) gx = bmm(g, y.transpose(1, 2));
        if (c.needs(1)) gy = bmm(x.transpose(1, 2), g);
        break;
      case Product::Mv:
        if (c.needs(0)) gx = outer(g, y);
        if (c.needs(1)) gy = mv(x.t(), g);
        break;
      case Product::Dot:
        if (c.needs(0)) gx = mul(y, g);
        if (c.needs(1)) gy = mul(x, g);
        break;
    }
    return Grads{gx, gy};
  });
  node->save(a);
  node->save(b);
  return r;
}

Tensor addmm_like(bool batched, const Tensor& input, const Tensor& m1, const Tensor& m2, Scalar beta, Scalar alpha,
                  const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  const double be = beta.to_double(), al = alpha.to_double();
  auto node = record(batched ? "BaddbmmBackward0" : "AddmmBackward0", {&input, &m1, &m2}, {&r},
                     [batched, be, al](GradContext& c) {
                       const Tensor x = c.saved(0), y = c.saved(1), g = c.grad();
                       Tensor gi, gx, gy;
                       if (c.needs(0)) gi = be == 0.0 ? Tensor() : (be == 1.0 ? g : mul(g, be));
                       if (c.needs(1)) gx = batched ? bmm(g, y.transpose(1, 2)) : mm(g, y.t());
                       if (c.needs(2)) gy = batched ? bmm(x.transpose(1, 2), g) : mm(x.t(), g);
                       if (al != 1.0) {
                         if (gx.defined()) gx = mul(gx, al);
                         if (gy.defined()) gy = mul(gy, al);
                       }
                       return Grads{gi, gx, gy};
                     });
  node->save(m1);
  node->save(m2);
  return r;
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  const Shape xs = x.shape();
  auto node = record("LinearBackward0", {&x, &w, bias.defined() ? &bias : nullptr}, {&r}, [xs](GradContext& c) {
    const Tensor x = c.saved(0), w = c.saved(1), g = c.grad();
    Tensor gx, gw, gb;
    const int64_t k = xs.empty() ? 1 : xs.back();
    if (w.ndim() == 1) {  // y = x . w over the last dim
      const Tensor gu = g.unsqueeze(-1);
      if (c.needs(0)) gx = mul(gu, w);
      if (c.needs(1)) gw = sum(mul(gu, x).reshape({-1, k}), DimList(0), false);
    } else {
      const int64_t n = w.size(0);
      const Tensor g2 = g.reshape({-1, n});
      if (c.needs(0)) gx = rusttorch::matmul(g, w);
      if (c.needs(1)) gw = mm(g2.t(), x.reshape({-1, k}));
    }
    if (c.needs(2)) gb = g;  // summed to the bias's shape by the engine
    return Grads{gx, gw, gb};
  });
  node->save(x);
  node->save(w);
  return r;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  // The shapes as torch.matmul reads them, through recorded ops.
  if (a.ndim() == 0 || b.ndim() == 0) return rusttorch::matmul(a.detach(), b.detach());  // raises torch's error
  if (a.ndim() == 1 && b.ndim() == 1) return dot(a, b);
  if (a.ndim() == 2 && b.ndim() == 1) return mv(a, b);
  if (a.ndim() == 1 && b.ndim() == 2) return mm(a.unsqueeze(0), b).squeeze(0);
  if (a.ndim() == 2 && b.ndim() == 2) return mm(a, b);
  const Tensor a3 = a.ndim() == 1 ? a.unsqueeze(0) : a;
  const Tensor b3 = b.ndim() == 1 ? b.unsqueeze(-1) : b;
  const Shape as(a3.shape().begin(), a3.shape().end() - 2), bs(b3.shape().begin(), b3.shape().end() - 2);
  const Shape batch = broadcast_shapes(as, bs);
  const int64_t n = a3.size(-2), kk = a3.size(-1), m = b3.size(-1);
  if (b3.size(-2) != kk) return rusttorch::matmul(a.detach(), b.detach());  // raises torch's error
  Shape ae = batch, be = batch;
  ae.insert(ae.end(), {n, kk});
  be.insert(be.end(), {kk, m});
  const Tensor r = bmm(a3.expand(ae).reshape({-1, n, kk}), b3.expand(be).reshape({-1, kk, m}));
  Shape rs = batch;
  if (a.ndim() > 1) rs.push_back(n);
  if (b.ndim() > 1) rs.push_back(m);
  return r.reshape(rs);
}

Tensor cat(const std::vector<Tensor>& ts, int64_t dim, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  if (!is_floating(r.dtype())) return r;
  std::vector<const Tensor*> inputs;
  std::vector<int64_t> sizes;
  for (const Tensor& t : ts) {
    inputs.push_back(&t);
    sizes.push_back(t.ndim() == 1 && t.numel() == 0 ? -1 : t.size(dim));  // torch skips legacy empty inputs
  }
  record("CatBackward0", inputs, {&r}, [sizes, dim](GradContext& c) {
    Grads out;
    int64_t start = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] < 0) {
        out.push_back(Tensor());
        continue;
      }
      out.push_back(c.needs(i) ? c.grad().narrow(dim, start, sizes[i]) : Tensor());
      start += sizes[i];
    }
    return out;
  });
  return r;
}

// ------------------------------------------------------------------ losses
// One node per loss; without create_graph its backward is the fused kernel
// (engine/loss.cpp), under create_graph the same gradient composed of
// differentiable ops (so double backward works, with respect to the input,
// a probability target and the incoming gradient alike).
namespace {
int64_t class_dim_of(const Tensor& x) { return x.ndim() == 1 ? 0 : 1; }
// The shape that puts a per-class vector on the class dim.
Shape class_view(const Tensor& x) {
  Shape s(static_cast<std::size_t>(x.ndim()), 1);
  s[static_cast<std::size_t>(class_dim_of(x))] = x.size(class_dim_of(x));
  return s;
}
// d(result) / d(lane loss), broadcastable against the input.
Tensor per_lane_grad(const Tensor& g, LossReduction red, double scale, int64_t cd) {
  const Tensor s = scale == 1.0 ? g : mul(g, scale);
  return red == LossReduction::None ? s.unsqueeze(cd) : s;
}

// Index targets: d input = g (softmax(x) K - M) (cross_entropy) or -g M (nll_loss),
// K and M constants built from the targets and weights.
Tensor class_index_composed(const ClassLossSpec& spec, const Tensor& x, const Tensor& target, const Tensor& weight,
                            const Tensor& g) {
  const int64_t cd = class_dim_of(x), C = x.size(cd);
  const DType dt = spec.dtype;
  const Shape cv = class_view(x);
  Tensor K, M;
  {
    NoGradGuard no_grad;
    const Tensor active = ne(target, spec.ignore_index);
    const Tensor safe = where(active, Operand(target), Operand(int64_t{0}));
    const Tensor onehot = eq(safe.unsqueeze(cd), Tensor::arange(0, C, 1, DType::Int64).reshape(cv)).to(dt);
    const Tensor wb = weight.defined() ? weight.to(dt).reshape(cv) : Tensor::ones(cv, dt);
    const Tensor act = active.to(dt).unsqueeze(cd);
    const Tensor wt_onehot = mul(mul(onehot, wb), act);  // w_t at the target's class, 0 where ignored
    if (spec.kind == ClassLossKind::Nll) {
      M = wt_onehot;
    } else {
      const double ls = spec.smoothing, per_class = ls / static_cast<double>(C);
      const double wsum = sum(wb.to(DType::Float64));
      K = add(mul(sum(wt_onehot, DimList(cd), true), 1.0 - ls), mul(act, per_class * wsum));
      M = add(mul(wt_onehot, 1.0 - ls), mul(mul(wb, act), per_class));
    }
  }
  const Tensor gb = per_lane_grad(g, spec.reduction, spec.scale, cd);
  if (spec.kind == ClassLossKind::Nll) return neg(mul(gb, M));
  return mul(gb, sub(mul(softmax(x, cd), K), M));
}

// Probability targets: d input = g (softmax(x) sum(w t') - w t'), d target = -g (1 - ls) w log_softmax(x).
Grads class_prob_composed(const ClassLossSpec& spec, const Tensor& x, const Tensor& target, const Tensor& weight,
                          const Tensor& g, bool want_x, bool want_t) {
  const int64_t cd = class_dim_of(x), C = x.size(cd);
  const double ls = spec.smoothing;
  const Tensor wb = weight.defined() ? weight.reshape(class_view(x)) : Tensor();
  const Tensor tp = ls > 0 ? add(mul(target, 1.0 - ls), ls / static_cast<double>(C)) : target;
  const Tensor wtp = wb.defined() ? mul(tp, wb) : tp;
  const Tensor gb = per_lane_grad(g, spec.reduction, spec.scale, cd);
  Tensor gx, gt;
  if (want_x) gx = mul(gb, sub(mul(softmax(x, cd), sum(wtp, DimList(cd), true)), wtp));
  if (want_t) {
    const Tensor lp = log_softmax(x, cd);
    gt = mul(mul(gb, -(1.0 - ls)), wb.defined() ? mul(lp, wb) : lp);
  }
  return {gx, gt};
}
}  // namespace

Tensor class_loss(ClassLossSpec& spec, const Tensor& input, const Tensor& target, const Tensor& weight,
                  const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  const bool prob = spec.kind == ClassLossKind::CrossEntropyProb;
  const char* name = spec.kind != ClassLossKind::Nll ? "CrossEntropyLossBackward0"
                     : input.ndim() >= 3             ? "NllLoss2DBackward0"
                                                     : "NllLossBackward0";
  auto node = record(name, {&input, prob ? &target : nullptr}, {&r}, [spec](GradContext& c) {
    const Tensor x = c.saved(0), t = c.saved(1), w = spec.has_weight ? c.saved(2) : Tensor();
    const bool want_t = spec.kind == ClassLossKind::CrossEntropyProb && c.needs(1);
    if (!is_grad_enabled()) {
      std::vector<Tensor> g = fused_class_loss_backward(spec, x, t, w, c.grad(), want_t);
      return Grads{c.needs(0) ? g[0] : Tensor(), g[1]};
    }
    if (spec.kind == ClassLossKind::CrossEntropyProb) return class_prob_composed(spec, x, t, w, c.grad(), c.needs(0), want_t);
    return Grads{class_index_composed(spec, x, t, w, c.grad()), Tensor()};
  });
  node->save(input);
  node->save(target);
  if (weight.defined()) node->save(weight);
  return r;
}

Tensor bce_with_logits(const BceSpec& spec, const Tensor& input, const Tensor& target, const Tensor& weight,
                       const Tensor& pos_weight, const std::function<Tensor()>& compute) {
  Tensor r = untracked(compute);
  auto node = record("BinaryCrossEntropyWithLogitsBackward0", {&input, &target}, {&r}, [spec](GradContext& c) {
    const Tensor x = c.saved(0), t = c.saved(1);
    const Tensor w = spec.has_weight ? c.saved(2) : Tensor();
    const Tensor pw = spec.has_pos_weight ? c.saved(spec.has_weight ? 3 : 2) : Tensor();
    if (!is_grad_enabled()) {
      std::vector<Tensor> g = fused_bce_backward(spec, x, t, w, pw, c.grad(), c.needs(1));
      return Grads{c.needs(0) ? g[0] : Tensor(), g[1]};
    }
    // (sigmoid(x) (pw t + 1 - t) - pw t) s and (log_sigmoid(-x) - pw log_sigmoid(x)) s, s = g w (/ numel)
    Tensor s = spec.reduction == LossReduction::Mean ? div(c.grad(), static_cast<double>(x.numel())) : c.grad();
    if (w.defined()) s = mul(s, w);
    Tensor gx, gt;
    if (pw.defined()) {
      const Tensor pt = mul(pw, t);
      if (c.needs(0)) gx = mul(sub(mul(sigmoid(x), sub(add(pt, 1.0), t)), pt), s);
      if (c.needs(1)) gt = mul(sub(logsigmoid(neg(x)), mul(pw, logsigmoid(x))), s);
    } else {
      if (c.needs(0)) gx = mul(sub(sigmoid(x), t), s);
      if (c.needs(1)) gt = mul(neg(x), s);
    }
    return Grads{gx, gt};
  });
  node->save(input);
  node->save(target);
  if (weight.defined()) node->save(weight);
  if (pos_weight.defined()) node->save(pos_weight);
  return r;
}

}  // namespace rusttorch::autograd
