// A Python-number-like value: remembers whether it was a bool, an integer or a
// float, because torch's type promotion treats the three differently.
#pragma once
#include <cstdint>
#include <type_traits>

#include "rusttorch/dtype.h"

namespace rusttorch {

class Scalar {
 public:
  enum class Kind { Bool, Int, Float };
  // (i_ of a double that no int64 holds, inf or nan: INT64_MIN, as x86's
  // conversion gives, instead of undefined behaviour.)
  Scalar(double v) : kind_(Kind::Float), d_(v), i_(v >= -0x1p63 && v < 0x1p63 ? static_cast<int64_t>(v) : INT64_MIN) {}  // NOLINT
  Scalar(float v) : Scalar(static_cast<double>(v)) {}                          // NOLINT
  Scalar(bool v) : kind_(Kind::Bool), d_(v), i_(v) {}                          // NOLINT
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  Scalar(I v) : kind_(Kind::Int), d_(static_cast<double>(v)), i_(static_cast<int64_t>(v)) {}  // NOLINT

  Kind kind() const { return kind_; }
  bool is_floating() const { return kind_ == Kind::Float; }
  double to_double() const { return d_; }
  int64_t to_int() const { return i_; }
  bool to_bool() const { return kind_ == Kind::Float ? d_ != 0.0 : i_ != 0; }
  // The dtype torch gives a tensor made from this value alone.
  DType default_dtype() const {
    return kind_ == Kind::Float ? kDefaultFloat : kind_ == Kind::Int ? kDefaultInt : DType::Bool;
  }

 private:
  Kind kind_;
  double d_;
  int64_t i_;
};

}  // namespace rusttorch
