// Front-end helpers shared by the op files (elementwise, reductions, activations, matmul).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "rusttorch/dtype.h"
#include "rusttorch/error.h"
#include "rusttorch/tensor.h"

namespace rusttorch::detail {

// As torch prints scalar types in errors ("Float", "Long", ...).
inline const char* torch_type_name(DType t) {
  switch (t) {
    case DType::Bool: return "Bool";
    case DType::Int32: return "Int";
    case DType::Int64: return "Long";
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
  }
  return "?";
}

// As torch names C++ element types in some errors ("expected m1 and m2 to
// have the same dtype, but got: float != double", "Expected out tensor to have dtype float").
inline const char* torch_cpp_type_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::Int32: return "int";
    case DType::Int64: return "long int";
    case DType::Float32: return "float";
    case DType::Float64: return "double";
  }
  return "?";
}

[[noreturn]] inline void not_implemented(const char* kernel, DType t) {
  throw TypeError(std::string("\"") + kernel + "\" not implemented for '" + torch_type_name(t) + "'");
}

inline void check_defined(const Tensor& a, const char* op) {
  if (!a.defined()) throw Error(std::string(op) + ": tensor is undefined");
}

// Past the last-level cache an output is evicted before anyone reads it:
// streaming stores skip the read-for-ownership of each line.
inline bool stream_output(const Tensor& out) {
  return out.numel() * static_cast<int64_t>(out.itemsize()) >= (int64_t{8} << 20);
}

// f(E{}) with E the unsigned integer of an element's size (1, 4 or 8 bytes:
// every dtype): copies, gathers and permutations move bits, not values.
template <class F>
void with_element_bits(std::size_t itemsize, const F& f) {
  if (itemsize == 1) {
    f(uint8_t{});
  } else if (itemsize == 4) {
    f(uint32_t{});
  } else {
    f(uint64_t{});
  }
}

// a * b + c for window sizes (dilation * (kernel - 1) + 1, size + 2 * pad):
// torch-like error instead of a signed overflow for absurd parameters.
inline int64_t window_arith(int64_t a, int64_t b, int64_t c, const char* what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r))
    throw Error(std::string(what) + ": integer overflow in the window size (parameters too large)");
  return r;
}

}  // namespace rusttorch::detail
