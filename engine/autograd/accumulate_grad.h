// The node at a leaf: adds the gradient that reaches it into the leaf's .grad.
#pragma once
#include "rusttorch/autograd.h"

namespace rusttorch::autograd {

class AccumulateGrad : public Node {
 public:
  AccumulateGrad(std::shared_ptr<AutogradMeta> meta, const Shape& shape, DType dtype);
  std::string name() const override { return "torch::autograd::AccumulateGrad"; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  const std::shared_ptr<AutogradMeta>& meta() const { return meta_; }

 private:
  std::shared_ptr<AutogradMeta> meta_;
};

}  // namespace rusttorch::autograd
