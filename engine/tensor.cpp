// Tensor basics: shape bookkeeping, checks, element access.
#include <limits>
#include <sstream>

#include "allocator.h"
#include "rusttorch/tensor.h"
#include "tensor_access.h"

namespace rusttorch {

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

int64_t checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("Trying to create tensor with negative dimension " + std::to_string(d) + ": " + shape_str(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw Error("numel: integer multiplication overflow for shape " + shape_str(shape));
    n *= d;
  }
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    st[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  const int64_t n = std::max<int64_t>(ndim, 1);  // 0-d tensors accept dim 0 and -1, as torch
  if (dim < -n || dim >= n)
    throw IndexError("Dimension out of range (expected to be in range of [" + std::to_string(-n) + ", " +
                     std::to_string(n - 1) + "], but got " + std::to_string(dim) + ")");
  return dim < 0 ? dim + n : dim;
}

Tensor TensorAccess::make(std::shared_ptr<void> storage, std::atomic<uint32_t>* version, int64_t storage_nbytes,
                          Shape shape, Shape strides, int64_t offset, DType dtype) {
  Tensor t;
  t.numel_ = checked_numel(shape);
  t.storage_ = std::move(storage);
  t.version_ = version;
  t.storage_nbytes_ = storage_nbytes;
  t.shape_ = std::move(shape);
  t.strides_ = std::move(strides);
  t.offset_ = offset;
  t.dtype_ = dtype;
  return t;
}

Tensor TensorAccess::alloc(const Shape& shape, DType dtype) {
  const int64_t n = checked_numel(shape);
  const int64_t isz = static_cast<int64_t>(itemsize(dtype));
  if (n > std::numeric_limits<int64_t>::max() / isz)
    throw Error("numel: integer multiplication overflow for shape " + shape_str(shape));
  const int64_t bytes = n * isz;
  std::atomic<uint32_t>* version = nullptr;
  std::shared_ptr<void> storage = detail::allocate(static_cast<std::size_t>(bytes), &version);
  return make(std::move(storage), version, bytes, shape, contiguous_strides(shape), 0, dtype);
}

Tensor TensorAccess::view_of(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  return make(base.storage_, base.version_, base.storage_nbytes_, std::move(shape), std::move(strides), offset,
              base.dtype_);
}

int64_t Tensor::size(int64_t dim) const {
  if (ndim() == 0) throw IndexError("dimension specified as " + std::to_string(dim) + " but tensor has no dimensions");
  return shape_[wrap_dim(dim, ndim())];
}

int64_t Tensor::stride(int64_t dim) const {
  if (ndim() == 0) throw IndexError("dimension specified as " + std::to_string(dim) + " but tensor has no dimensions");
  return strides_[wrap_dim(dim, ndim())];
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (std::size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (shape_[i] == 0) return true;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

void Tensor::check_dtype_of(DType want) const {
  if (!defined()) throw Error("data(): tensor is undefined");
  if (want != dtype_)
    throw TypeError(std::string("expected scalar type ") + dtype_name(want) + " but found " + dtype_name(dtype_));
}

Tensor Tensor::from_blob(void* data, const Shape& shape, const Shape& strides, DType dtype, std::shared_ptr<void> owner,
                         int64_t storage_bytes) {
  if (shape.size() != strides.size()) throw ValueError("from_blob: shape and strides differ in length");
  const int64_t n = checked_numel(shape);
  int64_t lo = 0, hi = 0;  // element extent reached by the view
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) continue;
    const int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? lo : hi) += span;
  }
  const int64_t isz = static_cast<int64_t>(rusttorch::itemsize(dtype));
  if (n > 0 && (lo < 0 || (hi + 1) * isz > storage_bytes))
    throw ValueError("from_blob: the view reaches outside the given memory");
  // Storage starts at `data`: keep `owner` alive through the aliasing constructor.
  std::atomic<uint32_t>* version = nullptr;
  std::shared_ptr<void> storage = detail::adopt(std::move(owner), data, &version);
  return TensorAccess::make(std::move(storage), version, storage_bytes, shape, strides, 0, dtype);
}

namespace {
template <class T>
Scalar scalar_of(const void* p) {
  if constexpr (std::is_same_v<T, bool>) return Scalar(*static_cast<const uint8_t*>(p) != 0);
  else return Scalar(*static_cast<const T*>(p));
}
}  // namespace

Scalar Tensor::item() const {
  if (!defined()) throw Error("item(): tensor is undefined");
  if (numel_ != 1)
    throw Error("a Tensor with " + std::to_string(numel_) + " elements cannot be converted to Scalar");
  const void* p = data_ptr();
  switch (dtype_) {
    case DType::Bool: return scalar_of<bool>(p);
    case DType::Int32: return scalar_of<int32_t>(p);
    case DType::Int64: return scalar_of<int64_t>(p);
    case DType::Float32: return scalar_of<float>(p);
    case DType::Float64: return scalar_of<double>(p);
  }
  return Scalar(0);
}

template <class T>
std::vector<T> Tensor::to_vec() const {
  if (!defined()) throw Error("to_vec(): tensor is undefined");
  constexpr DType want = dtype_of<T>();
  Tensor c = to(want).contiguous();
  std::vector<T> out(static_cast<std::size_t>(numel_));
  if constexpr (std::is_same_v<T, bool>) {
    const uint8_t* p = static_cast<const uint8_t*>(c.data_ptr());
    for (int64_t i = 0; i < numel_; ++i) out[static_cast<std::size_t>(i)] = p[i] != 0;
  } else {
    const T* p = static_cast<const T*>(c.data_ptr());
    std::copy(p, p + numel_, out.begin());
  }
  return out;
}

template <class T>
Tensor Tensor::from_vec(const std::vector<T>& data, const Shape& shape) {
  const int64_t n = checked_numel(shape);
  if (n != static_cast<int64_t>(data.size()))
    throw Error("shape " + shape_str(shape) + " is invalid for input of size " + std::to_string(data.size()));
  Tensor t = TensorAccess::alloc(shape, dtype_of<T>());
  if constexpr (std::is_same_v<T, bool>) {
    uint8_t* p = static_cast<uint8_t*>(t.data_ptr());
    for (int64_t i = 0; i < n; ++i) p[i] = data[static_cast<std::size_t>(i)] ? 1 : 0;
  } else {
    std::copy(data.begin(), data.end(), static_cast<T*>(t.data_ptr()));
  }
  return t;
}

#define RT_INSTANTIATE(T)                                                                 \
  template std::vector<T> Tensor::to_vec<T>() const;                                      \
  template Tensor Tensor::from_vec<T>(const std::vector<T>& data, const Shape& shape);
RT_INSTANTIATE(bool)
RT_INSTANTIATE(int32_t)
RT_INSTANTIATE(int64_t)
RT_INSTANTIATE(float)
RT_INSTANTIATE(double)
#undef RT_INSTANTIATE

}  // namespace rusttorch
