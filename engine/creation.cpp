// Factory functions: empty, zeros, ones, full, arange, linspace, eye, *_like.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "parallel.h"
#include "rusttorch/tensor.h"
#include "tensor_access.h"

namespace rusttorch {
namespace {

// Writes every element through `value_at(i)`, in parallel tiles (first touch
// by the threads that will use the pages).
template <class F>
void fill_index(Tensor& t, const F& value_at) {
  auto run = [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    detail::parallel_for(t.numel(), detail::kGrainCheap, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = static_cast<T>(value_at(i));
    });
  };
  switch (t.dtype()) {
    case DType::Bool: run(static_cast<uint8_t*>(t.data_ptr())); break;
    case DType::Int32: run(static_cast<int32_t*>(t.data_ptr())); break;
    case DType::Int64: run(static_cast<int64_t*>(t.data_ptr())); break;
    case DType::Float32: run(static_cast<float*>(t.data_ptr())); break;
    case DType::Float64: run(static_cast<double*>(t.data_ptr())); break;
  }
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) { return TensorAccess::alloc(shape, dtype); }

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = TensorAccess::alloc(shape, dtype);
  char* p = static_cast<char*>(t.data_ptr());
  const int64_t isz = static_cast<int64_t>(t.itemsize());
  detail::parallel_for(t.numel(), detail::kGrainCheap * 4, [&](int64_t b, int64_t e) {
    std::memset(p + b * isz, 0, static_cast<std::size_t>((e - b) * isz));
  });
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, Scalar(1), dtype); }

namespace {

// torch's checked conversion of a fill value (full, fill_, assignment of a
// number): it must fit the dtype; inf and nan fit only the floats. Bounds are
// compared in double, as torch does (so 2^63 passes for int64).
void check_fill_value(Scalar v, DType dtype) {
  const char* type = dtype == DType::Int32 ? "int" : dtype == DType::Int64 ? "int64_t" : "float";
  bool fits = true;
  if (dtype == DType::Float32) {
    const double x = v.to_double();
    fits = !std::isfinite(x) || std::fabs(x) <= static_cast<double>(std::numeric_limits<float>::max());
  } else if (dtype == DType::Int32 || dtype == DType::Int64) {
    const double lo = dtype == DType::Int32 ? -2147483648.0 : -9223372036854775808.0;
    const double hi = dtype == DType::Int32 ? 2147483647.0 : 9223372036854775807.0;
    if (v.kind() == Scalar::Kind::Float) {
      fits = v.to_double() >= lo && v.to_double() <= hi;  // false for nan
    } else if (v.kind() == Scalar::Kind::Int) {
      fits = dtype == DType::Int64 || (v.to_int() >= INT32_MIN && v.to_int() <= INT32_MAX);
    }
  }
  if (!fits) throw Error(std::string("value cannot be converted to type ") + type + " without overflow");
}

Tensor filled(const Shape& shape, Scalar value, DType dtype) {
  Tensor t = TensorAccess::alloc(shape, dtype);
  if (is_floating(dtype)) {
    const double v = value.to_double();
    fill_index(t, [v](int64_t) { return v; });
  } else if (dtype == DType::Bool) {
    const bool v = value.to_bool();
    fill_index(t, [v](int64_t) { return v; });
  } else {
    const int64_t v = value.to_int();
    fill_index(t, [v](int64_t) { return v; });
  }
  return t;
}

}  // namespace

Tensor Tensor::full(const Shape& shape, Scalar value, DType dtype) {
  check_fill_value(value, dtype);
  return filled(shape, value, dtype);
}

Tensor Tensor::full(const Shape& shape, Scalar value) { return full(shape, value, value.default_dtype()); }

// Unchecked, as torch wraps a number operand of an op into the op's dtype
// (int32 tensor + 2**40 wraps).
Tensor Tensor::scalar_tensor(Scalar value, DType dtype) { return filled(Shape{}, value, dtype); }

Tensor Tensor::arange(Scalar end) { return arange(Scalar(0), end, Scalar(1)); }

Tensor Tensor::arange(Scalar start, Scalar end, Scalar step) {
  const bool floating = start.is_floating() || end.is_floating() || step.is_floating();
  return arange(start, end, step, floating ? kDefaultFloat : DType::Int64);
}

Tensor Tensor::arange(Scalar start, Scalar end, Scalar step, DType dtype) {
  const double s = start.to_double(), e = end.to_double(), st = step.to_double();
  if (!std::isfinite(s) || !std::isfinite(e)) throw Error("unsupported range: " + std::to_string(s) + " -> " + std::to_string(e));
  if (st == 0) throw Error("step must be nonzero");
  if ((st > 0 && e < s) || (st < 0 && e > s)) throw Error("upper bound and larger bound inconsistent with step sign");
  const double len = std::ceil((e - s) / st);
  if (len > 9.0e18) throw Error("numel: integer multiplication overflow");
  Tensor t = TensorAccess::alloc({static_cast<int64_t>(len)}, dtype);
  if (is_floating(dtype)) fill_index(t, [s, st](int64_t i) { return s + static_cast<double>(i) * st; });
  else {
    const int64_t s0 = start.to_int(), st0 = step.to_int();
    fill_index(t, [s0, st0](int64_t i) { return s0 + i * st0; });
  }
  return t;
}

Tensor Tensor::linspace(double start, double end, int64_t steps, DType dtype) {
  if (steps < 0) throw Error("number of steps must be non-negative");
  Tensor t = TensorAccess::alloc({steps}, dtype);
  if (steps == 1) return t.fill_(start);
  const double step = (end - start) / static_cast<double>(steps - 1);
  const int64_t half = steps / 2;  // torch fills from both ends for symmetry
  fill_index(t, [=](int64_t i) {
    return i < half ? start + step * static_cast<double>(i) : end - step * static_cast<double>(steps - 1 - i);
  });
  return t;
}

Tensor Tensor::eye(int64_t n, int64_t m, DType dtype) {
  if (n < 0) throw Error("n must be greater or equal to 0, got " + std::to_string(n));
  if (m < 0) m = n;
  Tensor t = zeros({n, m}, dtype);
  const Tensor one = scalar_tensor(Scalar(1), dtype);
  Tensor diag = t.as_strided({std::min(n, m)}, {m + 1}, 0);
  diag.copy_(one);
  return t;
}

Tensor empty_like(const Tensor& t) { return Tensor::empty(t.shape(), t.dtype()); }
Tensor zeros_like(const Tensor& t) { return Tensor::zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return Tensor::ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, Scalar value) { return Tensor::full(t.shape(), value, t.dtype()); }

}  // namespace rusttorch
