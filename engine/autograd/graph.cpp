// The graph: nodes, saved tensors, leaf accumulators, grad mode, and the
// autograd side of Tensor.
#include <algorithm>

#include "autograd/accumulate_grad.h"
#include "autograd/function.h"
#include "rusttorch/ops.h"
#include "rusttorch/reduction.h"

namespace rusttorch::autograd {
namespace {

std::atomic<uint64_t> next_sequence_nr{0};
thread_local bool grad_enabled = true;

// Nodes and tensors waiting to be destroyed by the outermost bury() call.
struct Graveyard {
  std::vector<std::shared_ptr<Node>> nodes;
  std::vector<Tensor> tensors;
  bool draining = false;
};
Graveyard& graveyard() {
  thread_local Graveyard g;
  return g;
}

std::string tensor_type_str(const Tensor& t) {
  static const char* names[] = {"torch.BoolTensor", "torch.IntTensor", "torch.LongTensor", "torch.FloatTensor",
                                "torch.DoubleTensor"};
  return std::string("[") + names[static_cast<int>(t.dtype())] + " " + shape_str(t.shape()) + "]";
}

}  // namespace

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

void bury(std::vector<Edge>&& edges, std::vector<Tensor>&& tensors) {
  Graveyard& g = graveyard();
  for (Edge& e : edges)
    if (e.fn) g.nodes.push_back(std::move(e.fn));
  for (Tensor& t : tensors)
    if (t.defined()) g.tensors.push_back(std::move(t));
  if (g.draining) return;
  g.draining = true;
  while (!g.nodes.empty() || !g.tensors.empty()) {
    if (!g.tensors.empty()) {
      Tensor t = std::move(g.tensors.back());
      g.tensors.pop_back();
    } else {
      std::shared_ptr<Node> n = std::move(g.nodes.back());
      g.nodes.pop_back();
    }
  }
  g.draining = false;
}

Node::Node() : seq_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}
Node::~Node() { bury(std::move(next_), {}); }

void Node::add_hooked_output(uint32_t output_nr, const std::shared_ptr<AutogradMeta>& meta) {
  for (auto& [nr, m] : hooked_)
    if (nr == output_nr && m.lock() == meta) return;
  hooked_.emplace_back(output_nr, meta);
}

// ---- saved tensors ----
SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output), version_(t.version()) {
  if (t.has_autograd()) producer_ = t.autograd_meta()->grad_fn;
  output_nr_ = t.output_nr();
  data_ = is_output ? t.detach() : t;
}

Tensor SavedTensor::unpack(const std::shared_ptr<Node>& owner) const {
  if (released_)
    throw Error(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have "
        "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
        "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if "
        "you need to access saved tensors after calling backward.");
  if (!data_.defined()) return data_;
  if (data_.version() != version_) {
    const std::shared_ptr<Node> producer = is_output_ ? owner : producer_.lock();
    throw Error("one of the variables needed for gradient computation has been modified by an inplace operation: " +
                tensor_type_str(data_) +
                (producer ? ", which is output " + std::to_string(output_nr_) + " of " + producer->name() + "," : "") +
                " is at version " + std::to_string(data_.version()) + "; expected version " +
                std::to_string(version_) +
                " instead. Hint: the backtrace further above shows the operation that failed to compute its "
                "gradient.");
  }
  if (!is_output_) return data_;
  Tensor t = data_;  // the output again, with its grad_fn (for double backward)
  auto meta = std::make_shared<AutogradMeta>();
  meta->grad_fn = owner;
  meta->output_nr = output_nr_;
  t.set_autograd_meta(std::move(meta));
  return t;
}

void SavedTensor::release() {
  released_ = true;
  Tensor dead = std::move(data_);
  data_ = Tensor();
  bury({}, {std::move(dead)});
}

Tensor SavedTensor::take() {
  Tensor t = std::move(data_);
  data_ = Tensor();
  return t;
}

// ---- formula nodes ----
Tensor GradContext::saved(std::size_t i) const { return node.unpack(i); }
bool GradContext::needs(std::size_t input) const { return node.next_edges().at(input).valid(); }

FunctionNode::~FunctionNode() {
  std::vector<Tensor> ts;
  ts.reserve(saved_.size());
  for (SavedTensor& s : saved_) ts.push_back(s.take());
  bury(std::move(next_), std::move(ts));
}

std::vector<Tensor> FunctionNode::apply(std::vector<Tensor>&& grads) {
  GradContext ctx{*this, grads};
  return formula_(ctx);
}

void FunctionNode::release_variables() {
  for (SavedTensor& s : saved_) s.release();
}

std::size_t FunctionNode::save(const Tensor& t, bool is_output) {
  saved_.emplace_back(t, is_output);
  return saved_.size() - 1;
}

Edge gradient_edge(const Tensor& t) {
  const auto& meta = t.autograd_meta();
  if (!meta) return {};
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  if (!meta->requires_grad) return {};
  std::shared_ptr<Node> acc = meta->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(meta, t.shape(), t.dtype());
    meta->grad_accumulator = acc;
  }
  return {acc, 0};
}

std::shared_ptr<FunctionNode> record(const char* name, const std::vector<const Tensor*>& inputs,
                                     const std::vector<Tensor*>& outputs, Formula f) {
  auto node = std::make_shared<FunctionNode>(name, std::move(f));
  auto& next = node->mutable_next_edges();
  next.reserve(inputs.size());
  for (const Tensor* t : inputs) next.push_back(t ? gradient_edge(*t) : Edge{});
  auto& infos = node->mutable_outputs();
  uint32_t nr = 0;
  for (Tensor* out : outputs) {
    infos.push_back({out->shape(), out->dtype()});
    auto meta = std::make_shared<AutogradMeta>();
    meta->grad_fn = node;
    meta->output_nr = nr++;
    out->set_autograd_meta(std::move(meta));
  }
  return node;
}

std::shared_ptr<FunctionNode> record(const char* name, std::initializer_list<const Tensor*> inputs,
                                     std::initializer_list<Tensor*> outputs, Formula f) {
  return record(name, std::vector<const Tensor*>(inputs), std::vector<Tensor*>(outputs), std::move(f));
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.ndim() - static_cast<int64_t>(shape.size());
  if (lead < 0) throw Error("sum_to: gradient of shape " + shape_str(grad.shape()) + " for an input of shape " +
                            shape_str(shape));
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < grad.ndim(); ++i) {
    if (i < lead) {
      dims.push_back(i);
      continue;
    }
    const int64_t want = shape[static_cast<std::size_t>(i - lead)];
    if (want == 1 && grad.shape()[static_cast<std::size_t>(i)] != 1) dims.push_back(i);
    else if (want != grad.shape()[static_cast<std::size_t>(i)])
      throw Error("sum_to: gradient of shape " + shape_str(grad.shape()) + " for an input of shape " +
                  shape_str(shape));
  }
  Tensor r = dims.empty() ? grad : sum(grad, DimList(dims), true);
  return r.reshape(shape);
}

// ---- leaf accumulation ----
AccumulateGrad::AccumulateGrad(std::shared_ptr<AutogradMeta> meta, const Shape& shape, DType dtype)
    : meta_(std::move(meta)) {
  outputs_.push_back({shape, dtype});
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
  Tensor g = std::move(grads[0]);
  grads[0] = Tensor();
  for (auto& [id, hook] : meta_->hooks) {
    Tensor r = hook(g);
    if (r.defined()) g = std::move(r);
  }
  Tensor& acc = meta_->grad;
  if (is_grad_enabled()) {  // create_graph: the accumulated gradient keeps its graph
    acc = acc.defined() ? add(acc, g) : (g.has_autograd() ? g : g.clone());
    return {};
  }
  if (!acc.defined()) {
    // Steal a fresh contiguous gradient nobody else holds; copy anything else
    // (an expanded or shared gradient must not become .grad).
    const bool own = g.storage().use_count() == 1 && g.is_contiguous() && g.storage_offset() == 0 && !g.has_autograd();
    acc = own ? std::move(g) : g.detach().clone();
  } else if (acc.has_autograd() && acc.requires_grad()) {
    acc = add(acc.detach(), g);  // a grad that carries a graph is replaced, as torch
  } else {
    add_(acc, g);
  }
  return {};
}

}  // namespace rusttorch::autograd

// ---- the autograd side of Tensor ----
namespace rusttorch {
using autograd::AutogradMeta;

namespace {
const Tensor& undefined_tensor() {
  static const Tensor* t = new Tensor();
  return *t;
}
}  // namespace

AutogradMeta& Tensor::mutable_autograd_meta() {
  if (!autograd_) autograd_ = std::make_shared<AutogradMeta>();
  return *autograd_;
}
void Tensor::set_autograd_meta(std::shared_ptr<autograd::AutogradMeta> meta) { autograd_ = std::move(meta); }

bool Tensor::requires_grad() const { return autograd_ && (autograd_->requires_grad || autograd_->grad_fn); }

Tensor& Tensor::requires_grad_(bool requires_grad) {
  if (!defined()) throw Error("requires_grad_: tensor is undefined");
  if (autograd_ && autograd_->grad_fn) {
    if (!requires_grad)
      throw Error(
          "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a "
          "subgraph that doesn't require differentiation use var_no_grad = var.detach().");
    return *this;
  }
  if (requires_grad && !is_floating(dtype_))
    throw Error("only Tensors of floating point dtype can require gradients");
  if (!requires_grad && !autograd_) return *this;
  mutable_autograd_meta().requires_grad = requires_grad;
  return *this;
}

const Tensor& Tensor::grad() const { return autograd_ ? autograd_->grad : undefined_tensor(); }

void Tensor::set_grad(const Tensor& grad) {
  if (grad.defined()) {
    if (grad.dtype() != dtype_) throw Error("assigned grad has data of a different type");
    if (grad.shape() != shape_) throw Error("assigned grad has data of a different size");
  } else if (!autograd_) {
    return;
  }
  mutable_autograd_meta().grad = grad;
}

std::shared_ptr<autograd::Node> Tensor::grad_fn() const { return autograd_ ? autograd_->grad_fn : nullptr; }
bool Tensor::is_leaf() const { return !autograd_ || !autograd_->grad_fn; }
uint32_t Tensor::output_nr() const { return autograd_ ? autograd_->output_nr : 0; }

Tensor Tensor::detach() const {
  Tensor t = *this;
  t.autograd_.reset();
  return t;
}

Tensor& Tensor::detach_() {
  if (autograd_) {
    if (autograd_->is_view) throw Error("Can't detach views in-place. Use detach() instead.");
    autograd_->grad_fn.reset();
    autograd_->requires_grad = false;
    autograd_->output_nr = 0;
  }
  return *this;
}

void Tensor::retain_grad() {
  if (!requires_grad()) throw Error("can't retain_grad on Tensor that has requires_grad=False");
  if (is_leaf()) return;  // leaves keep their grad anyway
  autograd_->retains_grad = true;
  autograd_->grad_fn->add_hooked_output(autograd_->output_nr, autograd_);
}

bool Tensor::retains_grad() const { return autograd_ && autograd_->retains_grad && autograd_->grad_fn; }

int64_t Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) {
  if (!requires_grad()) throw Error("cannot register a hook on a tensor that doesn't require gradient");
  const int64_t id = autograd_->next_hook_id++;
  autograd_->hooks.emplace_back(id, std::move(hook));
  if (autograd_->grad_fn) autograd_->grad_fn->add_hooked_output(autograd_->output_nr, autograd_);
  return id;
}

void Tensor::remove_hook(int64_t id) {
  if (!autograd_) return;
  auto& h = autograd_->hooks;
  h.erase(std::remove_if(h.begin(), h.end(), [id](const auto& p) { return p.first == id; }), h.end());
}

void Tensor::backward() const { autograd::backward({*this}); }
void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}
void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      const std::vector<Tensor>& inputs) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph, inputs);
}

}  // namespace rusttorch
