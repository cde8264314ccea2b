// Activation, elementwise math and softmax entry points: dtype rules,
// validation, output allocation, then the active ISA's kernel over oneTBB
// tiles (for_each_run for the elementwise ones; whole softmax lanes per tile).
#include <optional>
#include <string>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "parallel.h"
#include "op_util.h"
#include "rusttorch/activation.h"
#include "rusttorch/ops.h"
#include "tensor_access.h"
#include "tensor_iterator.h"

namespace rusttorch {
namespace k = kernels;
namespace {

enum class IntRule {
  Reject,       // integer/bool inputs: TypeError, as torch
  ToFloat,      // integer/bool inputs compute in float32
  IntToFloat,   // integers compute in float32; bool: TypeError (torch's softsign takes abs of bool)
};

struct ActInfo {
  const char* kernel;  // torch's kernel name in "not implemented" errors
  IntRule ints;
  bool cheap;          // grain of an add rather than of a transcendental
};

ActInfo info_of(int op) {
  switch (op) {
    case k::kActRelu: return {"relu", IntRule::Reject, true};
    case k::kActRelu6: return {"relu6", IntRule::Reject, true};
    case k::kActLeakyRelu: return {"leaky_relu_cpu", IntRule::Reject, true};
    case k::kActElu: return {"elu_cpu", IntRule::Reject, false};
    case k::kActGelu: return {"GeluKernelImpl", IntRule::Reject, false};
    case k::kActGeluTanh: return {"GeluKernelImpl", IntRule::Reject, false};
    case k::kActSilu: return {"silu_cpu", IntRule::Reject, false};
    case k::kActMish: return {"mish_cpu", IntRule::Reject, false};
    case k::kActSoftplus: return {"softplus_cpu", IntRule::Reject, false};
    case k::kActSoftsign: return {"softsign", IntRule::IntToFloat, true};
    case k::kActHardtanh: return {"hardtanh", IntRule::Reject, true};
    case k::kActHardsigmoid: return {"hardsigmoid_cpu", IntRule::Reject, true};
    case k::kActHardswish: return {"hardswish_cpu", IntRule::Reject, true};
    case k::kActSigmoid: return {"sigmoid", IntRule::ToFloat, false};
    case k::kActLogSigmoid: return {"log_sigmoid_cpu", IntRule::Reject, false};
    case k::kActTanh: return {"tanh", IntRule::ToFloat, false};
    case k::kActExpm1: return {"expm1", IntRule::ToFloat, false};
    case k::kActLog1p: return {"log1p", IntRule::ToFloat, false};
    case k::kActLog2: return {"log2", IntRule::ToFloat, false};
    case k::kActSin: return {"sin", IntRule::ToFloat, false};
    case k::kActCos: return {"cos", IntRule::ToFloat, false};
    case k::kActErf: return {"erf", IntRule::ToFloat, false};
    default: return {"activation", IntRule::Reject, false};
  }
}

// Computes op(a) into `out` when given (same shape; any dtype the result
// casts to), else into a new tensor.
Tensor act_into(int op, const Tensor& a, Tensor* out, const k::ActParams& p = {}) {
  const ActInfo info = info_of(op);
  if (autograd::should_record({&a})) {
    if (out == &a) return autograd::inplace(*out, [&](const Tensor& old) { return act_into(op, old, nullptr, p); });
    if (out) autograd::refuse_out(info.kernel);
    return autograd::activation(op, a, p, [&] { return act_into(op, a, nullptr, p); });
  }
  if (out) out->bump_version();
  detail::check_defined(a, info.kernel);
  DType dt = a.dtype();
  if (!is_floating(dt)) {
    if (info.ints == IntRule::Reject) detail::not_implemented(info.kernel, dt);
    if (info.ints == IntRule::IntToFloat && dt == DType::Bool) detail::not_implemented("abs_cpu", dt);
    dt = kDefaultFloat;
  }
  const auto fn = detail::active_kernels().reduce.act[op][static_cast<int>(dt)];
  if (!fn) detail::not_implemented(info.kernel, dt);
  Tensor result;
  if (out) {
    detail::check_defined(*out, info.kernel);
    if (out->shape() != a.shape())
      throw Error("output with shape " + shape_str(out->shape()) + " doesn't match the broadcast shape " +
                  shape_str(a.shape()));
    if (!is_floating(out->dtype()))
      throw Error(std::string("result type ") + detail::torch_type_name(dt) +
                  " can't be cast to the desired output type " + detail::torch_type_name(out->dtype()));
    result = out->dtype() == dt ? *out : TensorAccess::alloc(a.shape(), dt);
  } else {
    result = TensorAccess::alloc(a.shape(), dt);
  }
  const Tensor in = a.to(dt);
  const int flags = detail::stream_output(result) ? k::kStreamStores : 0;
  detail::LoopOptions opt;
  opt.grain = info.cheap ? detail::kGrainCheap : detail::kGrainTranscendental;
  detail::for_each_run({result, in}, opt, [&](const detail::Run& r) {
    fn(r.ptr[1], r.ptr[0], r.n, flags, p);
    return 0;
  });
  if (out && !result.shares_storage_with(*out)) out->copy_(result);
  return out ? *out : result;
}

// relu, relu6 and hardtanh on integers: clamp, keeping the dtype.
bool int_clamp(const Tensor& a, const char* what) {
  detail::check_defined(a, what);
  if (a.dtype() == DType::Bool) throw Error(std::string("Boolean inputs not supported for ") + what);
  return is_integral(a.dtype());
}

k::ActParams params(double a, double b = 0.0, double c = 0.0) {
  k::ActParams p;
  p.p[0] = a;
  p.p[1] = b;
  p.p[2] = c;
  return p;
}

int gelu_op(const std::string& approximate) {
  if (approximate == "none") return k::kActGelu;
  if (approximate == "tanh") return k::kActGeluTanh;
  throw Error("approximate argument must be either none or tanh.");
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

#define NO_PARAMS k::ActParams{}
#define RT_DEFINE_ACT_BY_HAND(name, op, prm)
#define RT_DEFINE_ACT_FROM_TABLE(name, op, prm)                                                 \
  Tensor name(const Tensor& a) { return act_into(op, a, nullptr, prm); }                       \
  Tensor& name##_(Tensor& self) { act_into(op, self, &self, prm); return self; }               \
  Tensor& name##_out(Tensor& out, const Tensor& a) { act_into(op, a, &out, prm); return out; }
#define RT_ACTIVATION(name, kernel, params, defined, method) RT_DEFINE_ACT_##defined(name, k::kernel, params)
#include "rusttorch/op_table.def"
#undef RT_DEFINE_ACT_BY_HAND
#undef RT_DEFINE_ACT_FROM_TABLE
#undef NO_PARAMS

// ---- relu family: integer inputs keep their dtype ----
Tensor relu(const Tensor& a) {
  if (int_clamp(a, "relu")) return clamp(a, Operand(0), std::nullopt);
  return act_into(k::kActRelu, a, nullptr);
}
Tensor& relu_(Tensor& self) {
  if (int_clamp(self, "relu")) return clamp_(self, Operand(0), std::nullopt);
  act_into(k::kActRelu, self, &self);
  return self;
}
Tensor& relu_out(Tensor& out, const Tensor& a) {
  if (int_clamp(a, "relu")) return clamp_out(out, a, Operand(0), std::nullopt);
  act_into(k::kActRelu, a, &out);
  return out;
}
Tensor relu6(const Tensor& a) { return hardtanh(a, 0.0, 6.0); }
Tensor& relu6_(Tensor& self) { return hardtanh_(self, 0.0, 6.0); }
Tensor& relu6_out(Tensor& out, const Tensor& a) {
  if (int_clamp(a, "relu6")) return clamp_out(out, a, Operand(0), Operand(6));
  act_into(k::kActRelu6, a, &out);
  return out;
}
Tensor hardtanh(const Tensor& a, double min_val, double max_val) {
  if (int_clamp(a, "hardtanh"))
    return clamp(a, Operand(static_cast<int64_t>(min_val)), Operand(static_cast<int64_t>(max_val)));
  if (min_val == 0.0 && max_val == 6.0) return act_into(k::kActRelu6, a, nullptr);
  return act_into(k::kActHardtanh, a, nullptr, params(min_val, max_val));
}
Tensor& hardtanh_(Tensor& self, double min_val, double max_val) {
  if (int_clamp(self, "hardtanh"))
    return clamp_(self, Operand(static_cast<int64_t>(min_val)), Operand(static_cast<int64_t>(max_val)));
  act_into(k::kActHardtanh, self, &self, params(min_val, max_val));
  return self;
}

Tensor leaky_relu(const Tensor& a, double slope) { return act_into(k::kActLeakyRelu, a, nullptr, params(slope)); }
Tensor& leaky_relu_(Tensor& self, double slope) {
  act_into(k::kActLeakyRelu, self, &self, params(slope));
  return self;
}
Tensor elu(const Tensor& a, double alpha) { return act_into(k::kActElu, a, nullptr, params(alpha, 1.0, 1.0)); }
Tensor& elu_(Tensor& self, double alpha) {
  act_into(k::kActElu, self, &self, params(alpha, 1.0, 1.0));
  return self;
}
Tensor celu(const Tensor& a, double alpha) {
  if (alpha == 0.0) throw Error("ZeroDivisionError");
  return act_into(k::kActElu, a, nullptr, params(alpha, 1.0, 1.0 / alpha));
}
Tensor& celu_(Tensor& self, double alpha) {
  if (alpha == 0.0) throw Error("ZeroDivisionError");
  act_into(k::kActElu, self, &self, params(alpha, 1.0, 1.0 / alpha));
  return self;
}
Tensor softplus(const Tensor& a, double beta, double threshold) {
  return act_into(k::kActSoftplus, a, nullptr, params(beta, threshold));
}
Tensor gelu(const Tensor& a, const std::string& approximate) { return act_into(gelu_op(approximate), a, nullptr); }
Tensor& gelu_(Tensor& self, const std::string& approximate) {
  act_into(gelu_op(approximate), self, &self);
  return self;
}

// ---- softmax ----
namespace {
Tensor softmax_impl(const Tensor& a, int64_t dim, std::optional<DType> dtype, bool log) {
  if (autograd::should_record({&a})) {
    const Tensor in = dtype ? a.to(*dtype) : a;  // the conversion is recorded too
    return autograd::softmax(in, in.ndim() == 0 ? 0 : wrap_dim(dim, in.ndim()), log,
                             [&] { return softmax_impl(in, dim, std::nullopt, log); });
  }
  const char* name = log ? "log_softmax" : "softmax";
  detail::check_defined(a, name);
  const int64_t d = wrap_dim(dim, std::max<int64_t>(a.ndim(), 1));  // torch checks the dim before the dtype
  const DType dt = dtype ? *dtype : a.dtype();
  const auto fn = detail::active_kernels().reduce.softmax[static_cast<int>(dt)];
  if (!is_floating(dt) || !fn) detail::not_implemented(log ? "log_softmax_lastdim_kernel_impl" : "softmax_kernel_impl", dt);
  const Tensor in = (dtype ? a.to(*dtype) : a).contiguous();
  Tensor out = TensorAccess::alloc(in.shape(), dt);
  if (in.numel() == 0) return out;
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t i = 0; i < in.ndim(); ++i) {
    if (i < d) outer *= in.size(i);
    else if (i == d) len = in.size(i);
    else inner *= in.size(i);
  }
  const int64_t es = static_cast<int64_t>(in.itemsize());
  const char* x = static_cast<const char*>(in.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  // Tiles of whole lanes: rows (inner == 1), or (outer, block of inner lanes).
  constexpr int64_t kLaneBlock = 256;
  const int64_t blocks = inner == 1 ? 1 : (inner + kLaneBlock - 1) / kLaneBlock;
  const int64_t tasks = outer * blocks;
  const int64_t per_task = len * std::min(inner, kLaneBlock);
  const int64_t grain = std::max<int64_t>(1, detail::kGrainTranscendental / std::max<int64_t>(per_task, 1));
  const int flags = detail::stream_output(out) ? k::kStreamStores : 0;
  detail::parallel_for(tasks, grain, [&](int64_t b, int64_t e) {
    if (inner == 1) {
      k::SoftmaxArgs args{x + b * len * es, o + b * len * es, e - b, len, 1, len, 1, log ? 1 : 0, flags};
      fn(args);
      return;
    }
    for (int64_t t = b; t < e; ++t) {
      const int64_t oi = t / blocks, i0 = (t % blocks) * kLaneBlock;
      const int64_t off = (oi * len * inner + i0) * es;
      k::SoftmaxArgs args{x + off, o + off, 1, len, std::min(kLaneBlock, inner - i0), len * inner, inner, log ? 1 : 0, 0};
      fn(args);
    }
  });
  return out;
}
}  // namespace

Tensor softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype) { return softmax_impl(a, dim, dtype, false); }
Tensor log_softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype) { return softmax_impl(a, dim, dtype, true); }

// ---- fused backward kernels (autograd) ----
namespace autograd {

Tensor fused_activation_backward(int op, const Tensor& x, const Tensor& y, const Tensor& g, const k::ActParams& p) {
  const DType dt = y.dtype();
  if (!is_floating(dt) || x.dtype() != dt) return Tensor();
  const auto fn = detail::active_kernels().reduce.act_backward[op][static_cast<int>(dt)];
  if (!fn) return Tensor();
  const Tensor gg = g.to(dt);
  Tensor out = TensorAccess::alloc(y.shape(), dt);
  detail::LoopOptions opt;
  opt.grain = detail::kGrainTranscendental;
  detail::for_each_run({out, x, y, gg}, opt, [&](const detail::Run& r) {
    fn(r.ptr[1], r.ptr[2], r.ptr[3], r.ptr[0], r.n, p);
    return 0;
  });
  return out;
}

Tensor fused_softmax_backward(const Tensor& y, const Tensor& g, int64_t dim, bool log) {
  const DType dt = y.dtype();
  if (!is_floating(dt) || y.ndim() == 0 || dim != y.ndim() - 1 || !y.is_contiguous()) return Tensor();
  const auto fn = detail::active_kernels().reduce.softmax_backward[static_cast<int>(dt)];
  if (!fn) return Tensor();
  const Tensor gg = g.to(dt).contiguous();
  Tensor out = TensorAccess::alloc(y.shape(), dt);
  const int64_t len = y.size(-1);
  if (out.numel() == 0 || len == 0) return out;
  const int64_t rows = y.numel() / len;
  const int64_t es = static_cast<int64_t>(y.itemsize());
  const char* yp = static_cast<const char*>(y.data_ptr());
  const char* gp = static_cast<const char*>(gg.data_ptr());
  char* op = static_cast<char*>(out.data_ptr());
  const int64_t grain = std::max<int64_t>(1, detail::kGrainTranscendental / len);
  detail::parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    const int64_t off = b * len * es;
    fn(k::SoftmaxBackwardArgs{yp + off, gp + off, op + off, e - b, len, log ? 1 : 0});
  });
  return out;
}

}  // namespace autograd

}  // namespace rusttorch
