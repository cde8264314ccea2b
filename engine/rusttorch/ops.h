// Elementwise operations with PyTorch broadcasting and type promotion.
// Each op has a functional form, an in-place form (name_) and an out form (name_out).
#pragma once
#include <optional>
#include <type_traits>

#include "rusttorch/scalar.h"
#include "rusttorch/tensor.h"

namespace rusttorch {

// Either a tensor or a Python-number-like scalar, so `add(t, 2.0)`, `add(2, t)`
// and `add(t, u)` share one declaration.
class Operand {
 public:
  Operand(const Tensor& t) : tensor_(t) {}  // NOLINT
  Operand(Scalar s) : scalar_(s) {}         // NOLINT
  template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  Operand(T v) : scalar_(Scalar(v)) {}      // NOLINT
  bool is_scalar() const { return scalar_.has_value(); }
  const Tensor& tensor() const { return tensor_; }
  const Scalar& scalar() const { return *scalar_; }

 private:
  Tensor tensor_;
  std::optional<Scalar> scalar_;
};

enum class RoundingMode { None, Trunc, Floor };

#define RUSTTORCH_BINARY_OP(name)                                     \
  Tensor name(const Operand& a, const Operand& b);                    \
  Tensor& name##_(Tensor& self, const Operand& b);                    \
  Tensor& name##_out(Tensor& out, const Operand& a, const Operand& b);

// a + alpha * b and a - alpha * b
Tensor add(const Operand& a, const Operand& b, Scalar alpha = 1);
Tensor& add_(Tensor& self, const Operand& b, Scalar alpha = 1);
Tensor& add_out(Tensor& out, const Operand& a, const Operand& b, Scalar alpha = 1);
Tensor sub(const Operand& a, const Operand& b, Scalar alpha = 1);
Tensor& sub_(Tensor& self, const Operand& b, Scalar alpha = 1);
Tensor& sub_out(Tensor& out, const Operand& a, const Operand& b, Scalar alpha = 1);
// True division (integers give float) unless a rounding mode is given.
Tensor div(const Operand& a, const Operand& b, RoundingMode mode = RoundingMode::None);
Tensor& div_(Tensor& self, const Operand& b, RoundingMode mode = RoundingMode::None);
Tensor& div_out(Tensor& out, const Operand& a, const Operand& b, RoundingMode mode = RoundingMode::None);
RUSTTORCH_BINARY_OP(mul)
RUSTTORCH_BINARY_OP(floor_divide)
RUSTTORCH_BINARY_OP(remainder)   // result has the divisor's sign (Python %)
RUSTTORCH_BINARY_OP(fmod)        // result has the dividend's sign (C fmod)
RUSTTORCH_BINARY_OP(pow)
RUSTTORCH_BINARY_OP(maximum)     // NaN propagates
RUSTTORCH_BINARY_OP(minimum)
RUSTTORCH_BINARY_OP(eq)          // comparisons give bool
RUSTTORCH_BINARY_OP(ne)
RUSTTORCH_BINARY_OP(lt)
RUSTTORCH_BINARY_OP(le)
RUSTTORCH_BINARY_OP(gt)
RUSTTORCH_BINARY_OP(ge)
RUSTTORCH_BINARY_OP(logical_and)
RUSTTORCH_BINARY_OP(logical_or)
RUSTTORCH_BINARY_OP(logical_xor)
RUSTTORCH_BINARY_OP(bitwise_and) // integers and bool only
RUSTTORCH_BINARY_OP(bitwise_or)
RUSTTORCH_BINARY_OP(bitwise_xor)
#undef RUSTTORCH_BINARY_OP

// The seed's scalar forms.
Tensor add_scalar(const Tensor& a, Scalar s);
Tensor mul_scalar(const Tensor& a, Scalar s);

#define RUSTTORCH_UNARY_OP(name)                    \
  Tensor name(const Tensor& a);                     \
  Tensor& name##_(Tensor& self);                    \
  Tensor& name##_out(Tensor& out, const Tensor& a);

RUSTTORCH_UNARY_OP(neg)
RUSTTORCH_UNARY_OP(abs)
RUSTTORCH_UNARY_OP(sign)
RUSTTORCH_UNARY_OP(exp)          // integer inputs give float32, as torch
RUSTTORCH_UNARY_OP(log)
RUSTTORCH_UNARY_OP(sqrt)
RUSTTORCH_UNARY_OP(rsqrt)
RUSTTORCH_UNARY_OP(logical_not)  // gives bool
RUSTTORCH_UNARY_OP(bitwise_not)  // integers and bool only
#undef RUSTTORCH_UNARY_OP

// clamp with scalar or tensor bounds; at least one bound is required.
Tensor clamp(const Tensor& a, const std::optional<Operand>& min, const std::optional<Operand>& max);
Tensor& clamp_(Tensor& self, const std::optional<Operand>& min, const std::optional<Operand>& max);
Tensor& clamp_out(Tensor& out, const Tensor& a, const std::optional<Operand>& min,
                  const std::optional<Operand>& max);

// cond ? a : b, broadcasting all three; cond must be bool.
Tensor where(const Tensor& cond, const Operand& a, const Operand& b);

// torch.result_type for two operands (tensors of any rank, or scalars).
DType result_type(const Operand& a, const Operand& b);
// torch.broadcast_shapes; throws torch's message on a mismatch.
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace rusttorch
