// Engine-internal pieces of autograd: saved tensors, the generic node that
// runs a derivative formula, and the recording helper the ops call.
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "rusttorch/autograd.h"

namespace rusttorch::autograd {

// A tensor kept for backward with the version of its storage at that time.
// Inputs are kept as they are (with their own graph, for double backward);
// outputs of the recording node are kept without their autograd data, to
// avoid a node -> tensor -> node cycle, and get the node back when unpacked.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, bool is_output);
  // Throws torch's errors for a freed graph and for a tensor modified in place.
  Tensor unpack(const std::shared_ptr<Node>& owner) const;
  void release();
  bool defined() const { return data_.defined(); }
  Tensor take();  // for destruction without recursion

 private:
  Tensor data_;
  bool is_output_ = false;
  bool released_ = false;
  uint32_t version_ = 0;
  uint32_t output_nr_ = 0;
  std::weak_ptr<Node> producer_;  // the node that made the tensor, named in the error message
};

class FunctionNode;

// What a derivative formula sees: the incoming gradients, the saved tensors,
// and which inputs want a gradient.
struct GradContext {
  FunctionNode& node;
  std::vector<Tensor>& grads;
  const Tensor& grad(std::size_t i = 0) const { return grads[i]; }
  Tensor saved(std::size_t i) const;
  bool needs(std::size_t input) const;
};

using Formula = std::function<std::vector<Tensor>(GradContext&)>;

// A node whose backward is a formula (engine/autograd/derivatives.cpp).
class FunctionNode : public Node, public std::enable_shared_from_this<FunctionNode> {
 public:
  FunctionNode(const char* name, Formula f) : name_(name), formula_(std::move(f)) {}
  ~FunctionNode() override;
  std::string name() const override { return name_; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  void release_variables() override;
  // Saves a tensor; returns its index for GradContext::saved.
  std::size_t save(const Tensor& t, bool is_output = false);
  Tensor unpack(std::size_t i) { return saved_.at(i).unpack(shared_from_this()); }

 private:
  const char* name_;
  Formula formula_;
  std::vector<SavedTensor> saved_;
};

// True when grad mode is on and one of the tensors (null entries skipped)
// requires grad: the only cost an op pays when no input requires grad.
inline bool should_record(std::initializer_list<const Tensor*> inputs) {
  bool any = false;
  for (const Tensor* t : inputs) any |= t && t->has_autograd();
  if (!any) return false;
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t && t->requires_grad()) return true;
  return false;
}

// Records `name` with the given inputs (null: a scalar or a non-differentiable
// argument, which gets no gradient) as the grad_fn of `outputs`, which must be
// new tensors. Returns the node so that the op can save tensors on it.
std::shared_ptr<FunctionNode> record(const char* name, std::initializer_list<const Tensor*> inputs,
                                     std::initializer_list<Tensor*> outputs, Formula f);
std::shared_ptr<FunctionNode> record(const char* name, const std::vector<const Tensor*>& inputs,
                                     const std::vector<Tensor*>& outputs, Formula f);

// Reduces a gradient of a broadcast result back to `shape` (sums over the
// broadcast dims).
Tensor sum_to(const Tensor& grad, const Shape& shape);

// The elements a view reaches, as a view of any contiguous tensor laid out
// as its base: shape, strides and offset from the base's first element.
struct ViewRegion {
  Shape shape, strides;
  int64_t offset = 0;
  Tensor of(const Tensor& t) const;  // (untracked)
};

// Writes `value` into `region` of `base`, which must be contiguous: base takes
// a new history (torch's CopySlices): zero gradient at the written elements
// for its old value, the gradient there for the value.
void copy_slices(Tensor& base, const ViewRegion& region, const Tensor& value);

// Destroys a long chain of nodes without recursion (called by destructors).
void bury(std::vector<Edge>&& edges, std::vector<Tensor>&& tensors);

}  // namespace rusttorch::autograd
