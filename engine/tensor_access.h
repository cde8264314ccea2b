// Front-end-internal construction of tensors from parts.
#pragma once
#include "rusttorch/tensor.h"

namespace rusttorch {

class TensorAccess {
 public:
  // A new contiguous tensor over fresh storage.
  static Tensor alloc(const Shape& shape, DType dtype);
  // A view sharing `base`'s storage.
  static Tensor view_of(const Tensor& base, Shape shape, Shape strides, int64_t offset);
  // A view of `base` reinterpreted with a different dtype of the same size (internal).
  static Tensor make(std::shared_ptr<void> storage, std::atomic<uint32_t>* version, int64_t storage_nbytes,
                     Shape shape, Shape strides, int64_t offset, DType dtype);
};

}  // namespace rusttorch
