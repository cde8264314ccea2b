// Copies and conversions: copy_, fill_, contiguous, clone, to.
#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "parallel.h"
#include "rusttorch/ops.h"
#include "rusttorch/tensor.h"
#include "tensor_access.h"
#include "tensor_iterator.h"

namespace rusttorch {

Tensor& Tensor::copy_(const Tensor& src) {
  if (!defined() || !src.defined()) throw Error("copy_: tensor is undefined");
  if (autograd::should_record({this, &src})) {
    const Shape shape = shape_;
    const DType dtype = dtype_;
    return autograd::inplace(*this, [&](const Tensor&) {
      return autograd::copy_like("CopyBackwards", src, [&] { return src.to(dtype).expand(shape).contiguous(); });
    });
  }
  bump_version();
  Tensor s = src;
  if (s.shape() != shape_) {
    try {
      s = src.expand(shape_);
    } catch (const Error&) {
      throw Error("The size of tensor a (" + std::to_string(ndim() ? shape_.back() : 1) +
                  ") must match the size of tensor b (" + std::to_string(src.ndim() ? src.shape().back() : 1) +
                  ") at non-singleton dimension " + std::to_string(std::max<int64_t>(ndim() - 1, 0)));
    }
  }
  // A copy from storage that overlaps ours (x.copy_(x.t())) goes through a temporary.
  if (src.shares_storage_with(*this) && !(src.data_ptr() == data_ptr() && src.strides() == strides_ && src.dtype() == dtype_))
    s = s.clone();
  const auto cast = detail::active_kernels().cast[static_cast<int>(s.dtype())][static_cast<int>(dtype_)];
  detail::LoopOptions opt;
  detail::for_each_run({*this, s}, opt, [cast](const detail::Run& r) {
    cast(r.ptr[1], r.ptr[0], r.n);
    return 0;
  });
  return *this;
}

Tensor& Tensor::fill_(Scalar value) {
  if (!defined()) throw Error("fill_: tensor is undefined");
  return copy_(Tensor::full(Shape{}, value, dtype_));  // checked: the value must fit
}

Tensor Tensor::clone() const {
  if (!defined()) throw Error("clone: tensor is undefined");
  if (autograd::should_record({this})) return autograd::copy_like("CloneBackward0", *this, [this] { return clone(); });
  Tensor out = TensorAccess::alloc(shape_, dtype_);
  out.copy_(*this);
  return out;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::to(DType dtype) const {
  if (!defined()) throw Error("to: tensor is undefined");
  if (dtype == dtype_) return *this;
  if (autograd::should_record({this}))
    return autograd::copy_like("ToCopyBackward0", *this, [this, dtype] { return to(dtype); });
  Tensor out = TensorAccess::alloc(shape_, dtype);
  out.copy_(*this);
  return out;
}

}  // namespace rusttorch
