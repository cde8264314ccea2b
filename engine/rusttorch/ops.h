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

// The binary and unary ops, declared from the op table (rusttorch/op_table.def):
//   Tensor name(a, b); Tensor& name_(self, b); Tensor& name_out(out, a, b)
// add and sub take alpha (a + alpha * b, a - alpha * b); div does true
// division (integers give float) unless a rounding mode is given;
// remainder has the divisor's sign (Python %), fmod the dividend's (C fmod);
// maximum and minimum propagate NaN; comparisons and logical ops give bool;
// bitwise ops take integers and bool only; exp, log, sqrt and rsqrt of
// integers give float32, as torch.
#define RT_DECLARE_BINARY_NONE(name)                                  \
  Tensor name(const Operand& a, const Operand& b);                    \
  Tensor& name##_(Tensor& self, const Operand& b);                    \
  Tensor& name##_out(Tensor& out, const Operand& a, const Operand& b);
#define RT_DECLARE_BINARY_ALPHA(name)                                                 \
  Tensor name(const Operand& a, const Operand& b, Scalar alpha = 1);                  \
  Tensor& name##_(Tensor& self, const Operand& b, Scalar alpha = 1);                  \
  Tensor& name##_out(Tensor& out, const Operand& a, const Operand& b, Scalar alpha = 1);
#define RT_DECLARE_BINARY_ROUNDING(name)                                                                  \
  Tensor name(const Operand& a, const Operand& b, RoundingMode mode = RoundingMode::None);                \
  Tensor& name##_(Tensor& self, const Operand& b, RoundingMode mode = RoundingMode::None);                \
  Tensor& name##_out(Tensor& out, const Operand& a, const Operand& b, RoundingMode mode = RoundingMode::None);
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) RT_DECLARE_BINARY_##extra(name)
#define RT_UNARY(name, kernel, node, d_self) \
  Tensor name(const Tensor& a);              \
  Tensor& name##_(Tensor& self);             \
  Tensor& name##_out(Tensor& out, const Tensor& a);
#include "rusttorch/op_table.def"
#undef RT_DECLARE_BINARY_NONE
#undef RT_DECLARE_BINARY_ALPHA
#undef RT_DECLARE_BINARY_ROUNDING

// The seed's scalar forms.
Tensor add_scalar(const Tensor& a, Scalar s);
Tensor mul_scalar(const Tensor& a, Scalar s);

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
