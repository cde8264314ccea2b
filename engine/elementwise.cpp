// Elementwise op entry points: type promotion, broadcasting, validation,
// output allocation, then the active ISA's kernel through for_each_run.
#include <atomic>
#include <cmath>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/ops.h"
#include "tensor_access.h"
#include "tensor_iterator.h"

namespace rusttorch {
namespace k = kernels;
namespace {

using detail::stream_output;
using detail::torch_type_name;

[[noreturn]] void not_implemented(const char* op, DType t) {
  throw TypeError(std::string("\"") + op + "_cpu\" not implemented for '" + torch_type_name(t) + "'");
}

// torch's canCast: no float -> integer, no number -> bool.
bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

void check_defined(const Operand& o, const char* op) {
  if (!o.is_scalar() && !o.tensor().defined()) throw Error(std::string(op) + ": tensor is undefined");
}

// Category and "undefined" for torch's three-tier result_type.
struct TypeState {
  std::optional<DType> dim, zero, wrapped;
};
void update(TypeState& s, const Operand& o) {
  auto merge = [](std::optional<DType>& slot, DType t) { slot = slot ? promote_types(*slot, t) : t; };
  if (o.is_scalar()) merge(s.wrapped, o.scalar().default_dtype());
  else if (o.tensor().ndim() == 0) merge(s.zero, o.tensor().dtype());
  else merge(s.dim, o.tensor().dtype());
}
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (higher && is_floating(*higher)) return higher;
  if (higher && lower && (*higher == DType::Bool || is_floating(*lower))) return promote_types(*higher, *lower);
  return higher ? higher : lower;
}
DType resolve(const TypeState& s) { return *combine(s.dim, combine(s.zero, s.wrapped)); }

Tensor as_tensor(const Operand& o, DType dtype) {
  if (o.is_scalar()) return Tensor::scalar_tensor(o.scalar(), dtype);
  return o.tensor().to(dtype);
}
const Shape& shape_of(const Operand& o) {
  static const Shape kScalarShape;
  return o.is_scalar() ? kScalarShape : o.tensor().shape();
}

// Where the result goes: `out` when given (checked, possibly via a temporary
// of the computed dtype), else a fresh tensor.
struct Destination {
  Tensor result;   // what the kernel writes
  Tensor* out;     // the caller's tensor, or null
  bool via_temp = false;
};
Destination prepare_out(Tensor* out, const Shape& shape, DType dtype, bool in_place) {
  Destination d{Tensor(), out};
  if (!out) {
    d.result = TensorAccess::alloc(shape, dtype);
    return d;
  }
  if (!out->defined()) throw Error("out: tensor is undefined");
  out->bump_version();
  if (out->shape() != shape) {
    if (in_place)
      throw Error("output with shape " + shape_str(out->shape()) + " doesn't match the broadcast shape " +
                  shape_str(shape));
    if (out->numel() != 0 && checked_numel(shape) != out->numel())
      throw Error("out: expected an output of shape " + shape_str(shape) + " but got " + shape_str(out->shape()) +
                  " (rusttorch does not resize non-empty out= tensors)");
    *out = out->numel() == 0 ? TensorAccess::alloc(shape, out->dtype()) : out->view(shape);
  }
  if (!can_cast(dtype, out->dtype()))
    throw Error(std::string("result type ") + torch_type_name(dtype) + " can't be cast to the desired output type " +
                torch_type_name(out->dtype()));
  if (out->dtype() == dtype) {
    d.result = *out;
  } else {
    d.result = TensorAccess::alloc(shape, dtype);
    d.via_temp = true;
  }
  return d;
}
// An output that reads itself through a different view (x += x.t()) would
// read elements it already overwrote: such calls compute into a temporary.
void avoid_partial_overlap(Destination& d, std::initializer_list<const Tensor*> inputs) {
  if (!d.out || d.via_temp) return;
  for (const Tensor* in : inputs) {
    if (!d.result.shares_storage_with(*in)) continue;
    if (in->data_ptr() == d.result.data_ptr() && in->strides() == d.result.strides()) continue;
    d.result = TensorAccess::alloc(d.result.shape(), d.result.dtype());
    d.via_temp = true;
    return;
  }
}

Tensor finish(Destination& d) {
  if (d.via_temp) d.out->copy_(d.result);
  return d.out ? *d.out : d.result;
}

int64_t grain_of_binary(int op) {
  switch (op) {
    case k::kDivTrunc: case k::kDivFloor: case k::kRemainder: case k::kFmod: case k::kPow:
      return detail::kGrainTranscendental;
    default:
      return detail::kGrainCheap;
  }
}

void check_status(int status) {
  if (status == k::kErrDivByZero) throw Error("ZeroDivisionError");
}

// The op's torch name (the kernel op's row of the op table), for messages;
// the rounding divisions by torch's kernel names.
const char* binary_name(int op) {
  if (op == k::kDivFloor) return "div_floor";
  if (op == k::kDivTrunc) return "div_trunc";
  switch (op) {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) \
  case k::kernel:                                                          \
    return #name;
#include "rusttorch/op_table.def"
  }
  return "binary op";
}

Tensor binary_into(int op, const Operand& a, const Operand& b, Tensor* out, bool in_place, Scalar alpha = 1) {
  const char* name = binary_name(op);
  if (autograd::should_record({autograd::tensor_ptr(a), autograd::tensor_ptr(b)})) {
    if (in_place)
      return autograd::inplace(*out, [&](const Tensor& old) { return binary_into(op, old, b, nullptr, false, alpha); });
    if (out) autograd::refuse_out(name);
    return autograd::binary(op, a, b, alpha, [&] { return binary_into(op, a, b, nullptr, false, alpha); });
  }
  check_defined(a, name);
  check_defined(b, name);
  if (a.is_scalar() && b.is_scalar()) throw TypeError(std::string(name) + ": at least one operand must be a tensor");
  const DType common = result_type(a, b);
  DType compute = common;
  if (op == k::kDiv && !is_floating(common)) compute = kDefaultFloat;  // true division
  if (op == k::kSub && common == DType::Bool)
    throw Error("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                "`logical_xor()` operator instead.");
  if ((op == k::kAdd || op == k::kSub) && !is_floating(compute) && alpha.is_floating())
    throw Error("For integral input tensors, argument alpha must not be a floating point number.");
  if (op == k::kPow && b.is_scalar() && is_integral(compute) && !b.scalar().is_floating() && b.scalar().to_int() < 0)
    throw Error("Integers to negative integer powers are not allowed.");
  const auto fn = detail::active_kernels().binary[op][static_cast<int>(compute)];
  if (!fn) not_implemented(name, compute);
  const DType out_dtype = k::binary_writes_bool(op) ? DType::Bool : compute;

  const Shape shape = broadcast_shapes(shape_of(a), shape_of(b));
  Destination dest = prepare_out(out, shape, out_dtype, in_place);
  const Tensor ta = as_tensor(a, compute).expand(shape), tb = as_tensor(b, compute).expand(shape);
  avoid_partial_overlap(dest, {&ta, &tb});

  k::OpParams params;
  params.f[0] = alpha.to_double();
  params.i[0] = alpha.to_int();
  const int stream = stream_output(dest.result) ? k::kStreamStores : 0;
  detail::LoopOptions opt;
  opt.grain = grain_of_binary(op);
  opt.scalar_ok[1] = opt.scalar_ok[2] = true;
  const int status = detail::for_each_run({dest.result, ta, tb}, opt, [&](const detail::Run& r) {
    const int layout = r.scalar[1] ? k::kScalarVec : r.scalar[2] ? k::kVecScalar : k::kVecVec;
    return fn(r.ptr[1], r.ptr[2], r.ptr[0], r.n, layout | stream, &params);
  });
  check_status(status);
  return finish(dest);
}

const char* unary_name(int op) {
  switch (op) {
#define RT_UNARY(name, kernel, node, d_self) \
  case k::kernel:                            \
    return #name;
#include "rusttorch/op_table.def"
    case k::kClamp: return "clamp";
  }
  return "unary op";
}

Tensor unary_into(int op, const Tensor& a, Tensor* out, bool in_place, const k::OpParams& params = {},
                   DType compute_hint = DType::Bool) {
  const char* name = unary_name(op);
  if (autograd::should_record({&a})) {
    if (in_place)
      return autograd::inplace(*out, [&](const Tensor& old) {
        return unary_into(op, old, nullptr, false, params, compute_hint);
      });
    if (out) autograd::refuse_out(name);
    return autograd::unary(op, a, params, [&] { return unary_into(op, a, nullptr, false, params, compute_hint); });
  }
  if (!a.defined()) throw Error(std::string(name) + ": tensor is undefined");
  DType compute = promote_types(a.dtype(), compute_hint);
  const bool float_only = op == k::kExp || op == k::kLog || op == k::kSqrt || op == k::kRsqrt;
  if (float_only && !is_floating(compute)) compute = kDefaultFloat;
  if (op == k::kNeg && compute == DType::Bool)
    throw Error("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
                "use the `~` or `logical_not()` operator instead.");
  const auto fn = detail::active_kernels().unary[op][static_cast<int>(compute)];
  if (!fn) not_implemented(name, compute);
  const DType out_dtype = k::unary_writes_bool(op) ? DType::Bool : compute;
  // torch casts the results of the float functions and logical_not into an
  // out= of another dtype, but not those of these (its unary_op, not unary_float_op).
  const bool exact_out = op == k::kNeg || op == k::kAbs || op == k::kSign || op == k::kBitNot || op == k::kClamp;
  if (exact_out && out && !in_place && out->defined() && out->dtype() != out_dtype)
    throw Error(std::string("Found dtype ") + torch_type_name(out->dtype()) + " but expected " +
                torch_type_name(out_dtype));
  Destination dest = prepare_out(out, a.shape(), out_dtype, in_place);
  const Tensor ta = a.to(compute);
  avoid_partial_overlap(dest, {&ta});
  const int stream = stream_output(dest.result) ? k::kStreamStores : 0;
  detail::LoopOptions opt;
  opt.grain = float_only ? detail::kGrainTranscendental : detail::kGrainCheap;
  detail::for_each_run({dest.result, ta}, opt, [&](const detail::Run& r) {
    return fn(r.ptr[1], r.ptr[0], r.n, stream, &params);
  });
  return finish(dest);
}

}  // namespace

DType result_type(const Operand& a, const Operand& b) {
  TypeState s;
  update(s, a);
  update(s, b);
  return resolve(s);
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error("The size of tensor a (" + std::to_string(da) + ") must match the size of tensor b (" +
                  std::to_string(db) + ") at non-singleton dimension " + std::to_string(i));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// ---- binary and unary ops, from the op table ----
namespace {
int div_op(RoundingMode m) { return m == RoundingMode::Trunc ? k::kDivTrunc : m == RoundingMode::Floor ? k::kDivFloor : k::kDiv; }
}  // namespace

#define RT_DEFINE_BINARY_NONE(name, op)                                                                         \
  Tensor name(const Operand& a, const Operand& b) { return binary_into(op, a, b, nullptr, false); }              \
  Tensor& name##_(Tensor& self, const Operand& b) { binary_into(op, self, b, &self, true); return self; }       \
  Tensor& name##_out(Tensor& out, const Operand& a, const Operand& b) { binary_into(op, a, b, &out, false); return out; }
#define RT_DEFINE_BINARY_ALPHA(name, op)                                                                        \
  Tensor name(const Operand& a, const Operand& b, Scalar alpha) { return binary_into(op, a, b, nullptr, false, alpha); } \
  Tensor& name##_(Tensor& self, const Operand& b, Scalar alpha) { binary_into(op, self, b, &self, true, alpha); return self; } \
  Tensor& name##_out(Tensor& out, const Operand& a, const Operand& b, Scalar alpha) {                          \
    binary_into(op, a, b, &out, false, alpha);                                                                  \
    return out;                                                                                                 \
  }
#define RT_DEFINE_BINARY_ROUNDING(name, op)                                                                     \
  Tensor name(const Operand& a, const Operand& b, RoundingMode m) { return binary_into(div_op(m), a, b, nullptr, false); } \
  Tensor& name##_(Tensor& self, const Operand& b, RoundingMode m) { binary_into(div_op(m), self, b, &self, true); return self; } \
  Tensor& name##_out(Tensor& out, const Operand& a, const Operand& b, RoundingMode m) {                        \
    binary_into(div_op(m), a, b, &out, false);                                                                  \
    return out;                                                                                                 \
  }
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) RT_DEFINE_BINARY_##extra(name, k::kernel)
#define RT_UNARY(name, kernel, node, d_self)                                                                    \
  Tensor name(const Tensor& a) { return unary_into(k::kernel, a, nullptr, false); }                            \
  Tensor& name##_(Tensor& self) { unary_into(k::kernel, self, &self, true); return self; }                    \
  Tensor& name##_out(Tensor& out, const Tensor& a) { unary_into(k::kernel, a, &out, false); return out; }
#include "rusttorch/op_table.def"
#undef RT_DEFINE_BINARY_NONE
#undef RT_DEFINE_BINARY_ALPHA
#undef RT_DEFINE_BINARY_ROUNDING

Tensor add_scalar(const Tensor& a, Scalar s) { return add(a, s); }
Tensor mul_scalar(const Tensor& a, Scalar s) { return mul(a, s); }

// ---- clamp ----
namespace {
// Scalar bounds only: one pass through the clamp kernel.
Tensor clamp_into(const Tensor& a, const std::optional<Operand>& lo, const std::optional<Operand>& hi, Tensor* out,
                   bool in_place) {
  if (!lo && !hi) throw Error("torch.clamp: At least one of 'min' or 'max' must not be None");
  TypeState s;
  update(s, a);
  if (lo) update(s, *lo);
  if (hi) update(s, *hi);
  const DType compute = resolve(s);
  if (compute == DType::Bool) not_implemented("clamp", compute);
  k::OpParams p;
  if (lo) p.has_lo = 1, p.f[0] = lo->scalar().to_double(), p.i[0] = lo->scalar().to_int();
  if (hi) p.has_hi = 1, p.f[1] = hi->scalar().to_double(), p.i[1] = hi->scalar().to_int();
  return unary_into(k::kClamp, a, out, in_place, p, compute);
}
}  // namespace

Tensor clamp(const Tensor& a, const std::optional<Operand>& lo, const std::optional<Operand>& hi) {
  if ((!lo || lo->is_scalar()) && (!hi || hi->is_scalar())) return clamp_into(a, lo, hi, nullptr, false);
  Tensor result = a;  // tensor bounds: maximum then minimum, NaN propagating
  if (lo) result = maximum(result, *lo);
  if (hi) result = minimum(result, *hi);
  return result;
}
Tensor& clamp_(Tensor& self, const std::optional<Operand>& lo, const std::optional<Operand>& hi) {
  return clamp_out(self, self, lo, hi);
}
Tensor& clamp_out(Tensor& out, const Tensor& a, const std::optional<Operand>& lo, const std::optional<Operand>& hi) {
  if ((!lo || lo->is_scalar()) && (!hi || hi->is_scalar())) {
    clamp_into(a, lo, hi, &out, &out == &a);
    return out;
  }
  return out.copy_(clamp(a, lo, hi));
}

// ---- where ----
Tensor where(const Tensor& cond, const Operand& a, const Operand& b) {
  if (!cond.defined()) throw Error("where: condition is undefined");
  if (autograd::should_record({autograd::tensor_ptr(a), autograd::tensor_ptr(b)}))
    return autograd::where(cond, a, b, [&] { return where(cond, a, b); });
  check_defined(a, "where");
  check_defined(b, "where");
  if (cond.dtype() != DType::Bool)
    throw Error(std::string("where expected condition to be a boolean tensor, but got a tensor with dtype ") +
                torch_type_name(cond.dtype()));
  const DType dtype = (a.is_scalar() && b.is_scalar()) ? promote_types(a.scalar().default_dtype(), b.scalar().default_dtype())
                                                        : result_type(a, b);
  const Shape shape = broadcast_shapes(cond.shape(), broadcast_shapes(shape_of(a), shape_of(b)));
  Tensor out = TensorAccess::alloc(shape, dtype);
  const Tensor tc = cond.expand(shape), ta = as_tensor(a, dtype).expand(shape), tb = as_tensor(b, dtype).expand(shape);
  const auto fn = detail::active_kernels().where[static_cast<int>(dtype)];
  detail::LoopOptions opt;
  opt.scalar_ok[1] = opt.scalar_ok[2] = opt.scalar_ok[3] = true;
  opt.one_scalar_at_most = false;
  detail::for_each_run({out, tc, ta, tb}, opt, [&](const detail::Run& r) {
    const int flags = (r.scalar[2] ? 1 : 0) | (r.scalar[3] ? 2 : 0) | (r.scalar[1] ? 4 : 0);
    fn(reinterpret_cast<const uint8_t*>(r.ptr[1]), r.ptr[2], r.ptr[3], r.ptr[0], r.n, flags);
    return 0;
  });
  return out;
}

}  // namespace rusttorch
