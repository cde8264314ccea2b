// Reverse-mode automatic differentiation, with torch's names and semantics.
//
//   Tensor w = Tensor::randn({3, 4}).requires_grad_();
//   Tensor loss = sum(mul(w, w), std::nullopt);
//   loss.backward();                      // w.grad() == 2 * w
//
// Ops record a Node (the grad_fn of their result) when grad mode is on and an
// input requires grad; backward() runs the graph from the outputs with a
// dependency-counted ready queue (engine/autograd/engine.cpp), never by
// recursion, so graphs of any depth work. Gradients reaching a node are summed
// in an order fixed by the graph, so .grad has the same bits for any thread
// count. Grad mode is thread-local.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rusttorch/tensor.h"

namespace rusttorch::autograd {

class Node;

// Where a gradient goes: input slot `input_nr` of node `fn`.
struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return static_cast<bool>(fn); }
};

// A tensor hook: gets the gradient, returns a replacement or an undefined
// Tensor to keep it.
using Hook = std::function<Tensor(const Tensor&)>;

// What autograd keeps per tensor (shared by every handle of the same tensor,
// not by its views).
struct AutogradMeta {
  bool requires_grad = false;           // leaves only; a tensor with a grad_fn always requires grad
  bool retains_grad = false;
  bool is_view = false;                 // made by a view op from a tensor that requires grad
  Tensor view_base;                     // then: the tensor it views (the first one that is not a view)
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<Node> grad_accumulator; // the leaf's AccumulateGrad, while some graph uses it
  std::vector<std::pair<int64_t, Hook>> hooks;
  int64_t next_hook_id = 0;
};

// A node of the backward graph: the derivative of one recorded op.
class Node {
 public:
  struct OutputInfo {  // shape and dtype of each forward output, for zero gradients
    Shape shape;
    DType dtype;
  };
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual std::string name() const = 0;
  // grads: one per forward output (defined; zeros where none arrived).
  // Returns one gradient per next edge (undefined: none).
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  // Frees what was saved for backward (after a backward without retain_graph).
  virtual void release_variables() {}

  const std::vector<Edge>& next_edges() const { return next_; }
  std::vector<Edge>& mutable_next_edges() { return next_; }
  const std::vector<OutputInfo>& outputs() const { return outputs_; }
  std::vector<OutputInfo>& mutable_outputs() { return outputs_; }
  uint64_t sequence_nr() const { return seq_; }
  // Tensors whose hooks or retain_grad see the gradient of one output.
  void add_hooked_output(uint32_t output_nr, const std::shared_ptr<AutogradMeta>& meta);
  const std::vector<std::pair<uint32_t, std::weak_ptr<AutogradMeta>>>& hooked_outputs() const { return hooked_; }

 protected:
  std::vector<Edge> next_;
  std::vector<OutputInfo> outputs_;

 private:
  uint64_t seq_;
  std::vector<std::pair<uint32_t, std::weak_ptr<AutogradMeta>>> hooked_;
};

// ---- grad mode (thread-local, on by default) ----
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};
struct NoGradGuard : GradModeGuard {
  NoGradGuard() : GradModeGuard(false) {}
};
struct EnableGradGuard : GradModeGuard {
  EnableGradGuard() : GradModeGuard(true) {}
};

// torch.autograd.backward: accumulates d(outputs)/d(leaf) into each leaf's
// grad (or only into `inputs`, when given). grad_outputs may be empty, or hold
// undefined entries, for scalar outputs (an implicit 1). retain_graph
// defaults to create_graph.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const std::vector<Tensor>& inputs = {});
// torch.autograd.grad: the gradients of outputs with respect to inputs,
// without touching any .grad. An input the outputs do not depend on is an
// error unless allow_unused (then its gradient is undefined).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

// The edge a gradient of `t` flows into: its grad_fn, or its leaf
// accumulator; invalid when t does not require grad.
Edge gradient_edge(const Tensor& t);

}  // namespace rusttorch::autograd

namespace rusttorch {
// As torch::NoGradGuard in C++.
using autograd::EnableGradGuard;
using autograd::NoGradGuard;
}  // namespace rusttorch
