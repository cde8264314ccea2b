// Views: new shape/strides/offset over the same storage, never a copy
// (reshape copies only when no strides can express the new shape, as torch).
#include <algorithm>
#include <limits>
#include <optional>

#include "rusttorch/tensor.h"
#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "tensor_access.h"

namespace rusttorch {
namespace {

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw Error(std::string(op) + ": tensor is undefined");
}

// Resolves one -1 in `shape` against numel, as torch's infer_size.
Shape infer_size(const Shape& shape, int64_t numel) {
  Shape out = shape;
  int64_t known = 1;
  std::optional<std::size_t> infer;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer) throw Error("only one dimension can be inferred");
      infer = i;
    } else if (shape[i] < 0) {
      throw Error("invalid shape dimension " + std::to_string(shape[i]));
    } else {
      known *= shape[i];
    }
  }
  const bool ok = infer ? (known != 0 && numel % known == 0) : known == numel;
  if (!ok) throw Error("shape '" + shape_str(shape) + "' is invalid for input of size " + std::to_string(numel));
  if (infer) out[*infer] = numel / known;
  return out;
}

// ATen's computeStride: strides for viewing (old shape, old strides) as new
// shape without moving data, or nothing when impossible.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& new_shape,
                                  int64_t numel) {
  Shape new_strides(new_shape.size());
  if (old_shape.empty()) {
    std::fill(new_strides.begin(), new_strides.end(), 1);
    return new_strides;
  }
  if (numel == 0) {
    if (old_shape == new_shape) return old_strides;
    return contiguous_strides(new_shape);
  }
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(old_shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_shape[tensor_d];
    if (tensor_d == 0 ||
        (old_shape[tensor_d - 1] != 1 && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  check_defined(*this, "view");
  if (autograd::should_record({this}))
    return autograd::view_like("ViewBackward0", *this, [&] { return view(shape); },
                               [in = shape_](const Tensor& g) { return g.reshape(in); });
  Shape s = infer_size(shape, numel_);
  auto st = view_strides(shape_, strides_, s, numel_);
  if (!st)
    throw Error(
        "view size is not compatible with input tensor's size and stride (at least one dimension spans across two "
        "contiguous subspaces). Use .reshape(...) instead.");
  return TensorAccess::view_of(*this, std::move(s), std::move(*st), offset_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  check_defined(*this, "reshape");
  if (autograd::should_record({this}))
    return autograd::view_like("ViewBackward0", *this, [&] { return reshape(shape); },
                               [in = shape_](const Tensor& g) { return g.reshape(in); });
  Shape s = infer_size(shape, numel_);
  if (auto st = view_strides(shape_, strides_, s, numel_)) return TensorAccess::view_of(*this, s, *st, offset_);
  return clone().view(s);
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  check_defined(*this, "transpose");
  if (autograd::should_record({this}))
    return autograd::view_like("TransposeBackward0", *this, [&] { return transpose(d0, d1); },
                               [d0, d1](const Tensor& g) { return g.transpose(d0, d1); });
  if (ndim() == 0) {  // torch allows transpose(0, 0) and (-1, -1) on 0-d
    wrap_dim(d0, 0);
    wrap_dim(d1, 0);
    return *this;
  }
  d0 = wrap_dim(d0, ndim());
  d1 = wrap_dim(d1, ndim());
  Shape s = shape_, st = strides_;
  std::swap(s[d0], s[d1]);
  std::swap(st[d0], st[d1]);
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_);
}

Tensor Tensor::t() const {
  if (ndim() > 2) throw Error("t() expects a tensor with <= 2 dimensions, but self is " + std::to_string(ndim()) + "D");
  return ndim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::permute(const Shape& dims) const {
  check_defined(*this, "permute");
  if (autograd::should_record({this}))
    return autograd::view_like("PermuteBackward0", *this, [&] { return permute(dims); },
                               [dims, nd = ndim()](const Tensor& g) {
                                 Shape inverse(dims.size());  // dims were checked by the forward call
                                 for (std::size_t i = 0; i < dims.size(); ++i)
                                   inverse[static_cast<std::size_t>(wrap_dim(dims[i], nd))] = static_cast<int64_t>(i);
                                 return g.permute(inverse);
                               });
  if (static_cast<int64_t>(dims.size()) != ndim())
    throw Error("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                "desired ordering of dimensions i.e. input.dim() = " +
                std::to_string(ndim()) + " is not equal to len(dims) = " + std::to_string(dims.size()));
  Shape s(dims.size()), st(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], ndim());
    if (seen[d]) throw Error("permute(): duplicate dims are not allowed.");
    seen[d] = true;
    s[i] = shape_[d];
    st[i] = strides_[d];
  }
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_);
}

Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  check_defined(*this, "slice");
  if (autograd::should_record({this}))
    return autograd::embedding_view("SliceBackward0", *this, [&] { return slice(dim, start, end, step); },
                                    [=](const Tensor& t) { return t.slice(dim, start, end, step); });
  if (ndim() == 0) throw IndexError("slice() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, ndim());
  if (step <= 0) throw ValueError("slice step must be positive");
  const int64_t n = shape_[dim];
  if (start < 0) start = std::max<int64_t>(start + n, 0);
  if (end < 0) end = std::max<int64_t>(end + n, 0);
  start = std::min(start, n);
  end = std::min(std::max(end, start), n);
  Shape s = shape_, st = strides_;
  s[dim] = (end - start + step - 1) / step;
  st[dim] = strides_[dim] * step;
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_ + start * strides_[dim]);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  check_defined(*this, "select");
  if (autograd::should_record({this}))
    return autograd::embedding_view("SelectBackward0", *this, [&] { return select(dim, index); },
                                    [=](const Tensor& t) { return t.select(dim, index); });
  if (ndim() == 0) throw IndexError("select() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, ndim());
  const int64_t n = shape_[dim];
  if (index < -n || index >= n)
    throw IndexError("index " + std::to_string(index) + " is out of bounds for dimension " + std::to_string(dim) +
                     " with size " + std::to_string(n));
  if (index < 0) index += n;
  Shape s = shape_, st = strides_;
  s.erase(s.begin() + dim);
  st.erase(st.begin() + dim);
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_ + index * strides_[dim]);
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  check_defined(*this, "narrow");
  if (ndim() == 0) throw Error("narrow() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, ndim());
  const int64_t n = shape_[dim];
  if (start < -n || start > n)
    throw IndexError("start out of range (expected to be in range of [" + std::to_string(-n) + ", " +
                     std::to_string(n) + "], but got " + std::to_string(start) + ")");
  if (start < 0) start += n;
  if (length < 0) throw Error("narrow(): length must be non-negative.");
  if (start > n - length)
    throw Error("start (" + std::to_string(start) + ") + length (" + std::to_string(length) +
                ") exceeds dimension size (" + std::to_string(n) + ").");
  return slice(dim, start, start + length, 1);
}

Tensor Tensor::expand(const Shape& shape) const {
  check_defined(*this, "expand");
  if (autograd::should_record({this}))
    return autograd::view_like("ExpandBackward0", *this, [&] { return expand(shape); },
                               [in = shape_](const Tensor& g) { return autograd::sum_to(g, in); });
  const int64_t nd = static_cast<int64_t>(shape.size());
  if (nd < ndim())
    throw Error("expand(torch.FloatTensor{" + shape_str(shape_) + "}, size=" + shape_str(shape) +
                "): the number of sizes provided (" + std::to_string(nd) +
                ") must be greater or equal to the number of dimensions in the tensor (" + std::to_string(ndim()) +
                ")");
  Shape s(nd), st(nd);
  for (int64_t i = nd - 1; i >= 0; --i) {
    const int64_t j = i - (nd - ndim());  // matching dim of self, or negative when new
    const int64_t want = shape[i];
    if (j < 0) {
      if (want < 0) throw Error("The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension " + std::to_string(i));
      s[i] = want;
      st[i] = 0;
      continue;
    }
    const int64_t have = shape_[j];
    if (want == -1 || want == have) {
      s[i] = have;
      st[i] = strides_[j];
    } else if (have == 1) {
      if (want < 0) throw Error("expand: negative size " + std::to_string(want));
      s[i] = want;
      st[i] = 0;
    } else {
      throw Error("The expanded size of the tensor (" + std::to_string(want) + ") must match the existing size (" +
                  std::to_string(have) + ") at non-singleton dimension " + std::to_string(i) +
                  ".  Target sizes: " + shape_str(shape) + ".  Tensor sizes: " + shape_str(shape_));
    }
  }
  checked_numel(s);
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_);
}

Tensor Tensor::squeeze() const {
  check_defined(*this, "squeeze");
  if (autograd::should_record({this}))
    return autograd::view_like("SqueezeBackward0", *this, [&] { return squeeze(); },
                               [in = shape_](const Tensor& g) { return g.reshape(in); });
  Shape s, st;
  for (int64_t i = 0; i < ndim(); ++i)
    if (shape_[i] != 1) {
      s.push_back(shape_[i]);
      st.push_back(strides_[i]);
    }
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_);
}

Tensor Tensor::squeeze(int64_t dim) const {
  check_defined(*this, "squeeze");
  if (autograd::should_record({this}))
    return autograd::view_like("SqueezeBackward1", *this, [&] { return squeeze(dim); },
                               [in = shape_](const Tensor& g) { return g.reshape(in); });
  dim = wrap_dim(dim, ndim());
  if (ndim() == 0 || shape_[dim] != 1) return *this;
  Shape s = shape_, st = strides_;
  s.erase(s.begin() + dim);
  st.erase(st.begin() + dim);
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_);
}

Tensor Tensor::unsqueeze(int64_t dim) const {
  check_defined(*this, "unsqueeze");
  if (autograd::should_record({this}))
    return autograd::view_like("UnsqueezeBackward0", *this, [&] { return unsqueeze(dim); },
                               [in = shape_](const Tensor& g) { return g.reshape(in); });
  dim = wrap_dim(dim, ndim() + 1);
  Shape s = shape_, st = strides_;
  const int64_t new_stride = dim < ndim() ? shape_[dim] * strides_[dim] : 1;
  s.insert(s.begin() + dim, 1);
  st.insert(st.begin() + dim, new_stride);
  return TensorAccess::view_of(*this, std::move(s), std::move(st), offset_);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  check_defined(*this, "flatten");
  if (ndim() == 0) return reshape({1});
  start_dim = wrap_dim(start_dim, ndim());
  end_dim = wrap_dim(end_dim, ndim());
  if (start_dim > end_dim) throw Error("flatten() has invalid args: start_dim cannot come after end_dim");
  if (start_dim == end_dim) return *this;
  Shape s(shape_.begin(), shape_.begin() + start_dim);
  int64_t n = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) n *= shape_[i];
  s.push_back(n);
  s.insert(s.end(), shape_.begin() + end_dim + 1, shape_.end());
  return reshape(s);
}

Tensor Tensor::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  check_defined(*this, "as_strided");
  if (autograd::should_record({this}))
    throw Error("rusttorch: as_strided of a tensor that requires grad is not differentiable yet");
  if (shape.size() != strides.size())
    throw Error("mismatch in length of strides and shape");
  const int64_t n = checked_numel(shape);
  int64_t hi = offset;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (strides[i] < 0) throw Error("as_strided: Negative strides are not supported at the moment, got strides: " + shape_str(strides));
    if (shape[i] > 0) hi += (shape[i] - 1) * strides[i];
  }
  if (offset < 0) throw Error("Tensor: invalid storage offset " + std::to_string(offset));
  if (n > 0 && (hi + 1) * static_cast<int64_t>(itemsize()) > storage_nbytes_)
    throw Error("setStorage: sizes " + shape_str(shape) + ", strides " + shape_str(strides) +
                " and storage offset " + std::to_string(offset) + " reach outside the storage of " +
                std::to_string(storage_nbytes_) + " bytes");
  return TensorAccess::view_of(*this, shape, strides, offset);
}

}  // namespace rusttorch
