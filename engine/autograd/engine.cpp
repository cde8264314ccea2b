// The backward pass: count each node's incoming edges over the graph reached
// from the outputs, add the gradients arriving at a node into its buffer, and
// run the node when its count reaches zero. The ready queue takes the most
// recently created node first (its sequence number), so the order in which
// gradients are summed is fixed by the graph alone: same bits for any thread
// count. Everything is iterative: graphs of any depth.
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/accumulate_grad.h"
#include "autograd/function.h"
#include "rusttorch/ops.h"

namespace rusttorch::autograd {
namespace {

struct ByNewest {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

// A gradient wanted by autograd.grad or backward(inputs=...): input slot
// `slot` of `node`, result `index`.
struct Capture {
  uint32_t slot;
  std::size_t index;
};

struct GraphTask {
  bool keep_graph = false;
  bool create_graph = false;
  bool accumulate = true;          // false for autograd.grad: leaves are captured, not accumulated
  bool prune = false;              // run only nodes on a path to a capture
  std::unordered_map<Node*, int> deps;
  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  std::unordered_map<Node*, std::vector<Capture>> captures;
  std::unordered_set<Node*> needed;
  std::vector<std::shared_ptr<Node>> keep_alive;
  std::vector<Tensor> results;
};

void add_into(std::vector<Tensor>& buffer, uint32_t slot, Tensor g) {
  if (buffer.size() <= slot) buffer.resize(slot + 1);
  Tensor& b = buffer[slot];
  if (!b.defined()) b = std::move(g);
  else b = add(b, g);
}

// Counts incoming edges of every node reached from the roots and, when
// pruning, marks the nodes from which a capture can be reached (post-order,
// with an explicit stack).
void discover(GraphTask& task, const std::vector<Edge>& roots) {
  struct Frame {
    Node* node;
    std::size_t next;
  };
  std::unordered_set<Node*> seen;
  std::vector<Frame> stack;
  for (const Edge& r : roots) {
    if (!r.valid() || !seen.insert(r.fn.get()).second) continue;
    task.keep_alive.push_back(r.fn);
    stack.push_back({r.fn.get(), 0});
    while (!stack.empty()) {
      Frame& f = stack.back();
      const auto& next = f.node->next_edges();
      if (f.next < next.size()) {
        const Edge& e = next[f.next++];
        if (!e.valid()) continue;
        ++task.deps[e.fn.get()];
        if (seen.insert(e.fn.get()).second) {
          task.keep_alive.push_back(e.fn);
          stack.push_back({e.fn.get(), 0});
        }
        continue;
      }
      if (task.prune) {
        bool need = task.captures.count(f.node) > 0;
        for (const Edge& e : next) need = need || (e.valid() && task.needed.count(e.fn.get()));
        if (need) task.needed.insert(f.node);
      }
      stack.pop_back();
    }
  }
}

// A gradient returned by a node, checked and fitted to what its edge expects
// (broadcast gradients summed back to the input's shape, the input's dtype).
Tensor fit(Tensor g, const Edge& e, const Node& producer, std::size_t i) {
  const Node::OutputInfo& want = e.fn->outputs().at(e.input_nr);
  if (g.shape() != want.shape) {
    try {
      g = sum_to(g, want.shape);
    } catch (const Error&) {
      throw Error("Function " + producer.name() + " returned an invalid gradient at index " + std::to_string(i) +
                  " - got " + shape_str(g.shape()) + " but expected shape compatible with " + shape_str(want.shape));
    }
  }
  if (g.dtype() != want.dtype) g = g.to(want.dtype);
  return g;
}

// Runs the tensor hooks and retain_grad of the node's outputs on its gradients.
void run_output_hooks(Node& node, std::vector<Tensor>& grads) {
  for (const auto& [nr, weak] : node.hooked_outputs()) {
    auto meta = weak.lock();
    if (!meta || nr >= grads.size() || !grads[nr].defined()) continue;
    for (auto& [id, hook] : meta->hooks) {
      Tensor r = hook(grads[nr]);
      if (r.defined()) grads[nr] = std::move(r);
    }
    if (meta->retains_grad) {
      const Tensor& g = grads[nr];
      if (!meta->grad.defined()) meta->grad = is_grad_enabled() ? g : g.detach().clone();
      else meta->grad = is_grad_enabled() ? add(meta->grad, g) : add(meta->grad, g.detach());
    }
  }
}

void execute(GraphTask& task, const std::vector<Edge>& roots, std::vector<Tensor>& root_grads) {
  discover(task, roots);
  std::priority_queue<Node*, std::vector<Node*>, ByNewest> ready;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (!roots[i].valid()) continue;
    add_into(task.buffers[roots[i].fn.get()], roots[i].input_nr, std::move(root_grads[i]));
  }
  {
    std::unordered_set<Node*> queued;
    for (const Edge& r : roots)
      if (r.valid() && task.deps[r.fn.get()] == 0 && queued.insert(r.fn.get()).second) ready.push(r.fn.get());
  }
  GradModeGuard mode(task.create_graph);
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> grads = std::move(task.buffers[node]);
    task.buffers.erase(node);
    grads.resize(node->outputs().size());
    run_output_hooks(*node, grads);

    auto cap = task.captures.find(node);
    if (cap != task.captures.end())
      for (const Capture& c : cap->second)
        if (c.slot < grads.size() && grads[c.slot].defined()) {
          Tensor& r = task.results[c.index];
          const Tensor g = task.create_graph ? grads[c.slot] : grads[c.slot].detach();
          r = r.defined() ? add(r, g) : g;
        }

    bool any = false;
    for (const Tensor& g : grads) any = any || g.defined();
    const bool is_leaf_node = dynamic_cast<AccumulateGrad*>(node) != nullptr;
    const bool run = any && (!task.prune || task.needed.count(node)) && (!is_leaf_node || task.accumulate);
    std::vector<Tensor> outs;
    if (run) {
      for (std::size_t i = 0; i < grads.size(); ++i)
        if (!grads[i].defined())
          grads[i] = Tensor::zeros(node->outputs()[i].shape, node->outputs()[i].dtype);
      outs = node->apply(std::move(grads));
      if (!task.keep_graph) node->release_variables();
    }
    const auto& next = node->next_edges();
    if (run && !is_leaf_node && outs.size() != next.size())
      throw Error("Function " + node->name() + " returned an incorrect number of gradients (expected " +
                  std::to_string(next.size()) + ", got " + std::to_string(outs.size()) + ")");
    for (std::size_t i = 0; i < next.size(); ++i) {
      const Edge& e = next[i];
      if (!e.valid()) continue;
      if (i < outs.size() && outs[i].defined())
        add_into(task.buffers[e.fn.get()], e.input_nr, fit(std::move(outs[i]), e, *node, i));
      if (--task.deps[e.fn.get()] == 0) ready.push(e.fn.get());
    }
  }
}

std::vector<Edge> root_edges(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                             std::vector<Tensor>& grads) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size())
    throw Error("grad requires one gradient per output: got " + std::to_string(grad_outputs.size()) +
                " gradients for " + std::to_string(outputs.size()) + " outputs");
  std::vector<Edge> roots;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    if (!out.defined()) throw Error("backward: output " + std::to_string(i) + " is undefined");
    if (!out.requires_grad())
      throw Error("element " + std::to_string(i) + " of tensors does not require grad and does not have a grad_fn");
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      if (out.numel() != 1) throw Error("grad can be implicitly created only for scalar outputs");
      if (!is_floating(out.dtype()))
        throw Error("grad can be implicitly created only for real scalar outputs but got " +
                    std::string(dtype_name(out.dtype())));
      g = Tensor::ones(out.shape(), out.dtype());
    } else if (g.shape() != out.shape()) {
      throw Error("Mismatch in shape: grad_output[" + std::to_string(i) + "] has a shape of " +
                  shape_str(g.shape()) + " and output[" + std::to_string(i) + "] has a shape of " +
                  shape_str(out.shape()) + ".");
    }
    roots.push_back(gradient_edge(out));
    grads.push_back(std::move(g));
  }
  return roots;
}

// The slot of the graph where the gradient of `t` arrives.
Edge capture_edge(const Tensor& t, std::size_t i) {
  if (!t.defined()) throw Error("grad: input " + std::to_string(i) + " is undefined");
  if (!t.requires_grad()) throw Error("One of the differentiated Tensors does not require grad");
  return gradient_edge(t);
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              std::optional<bool> retain_graph, bool create_graph, const std::vector<Tensor>& inputs) {
  GraphTask task;
  task.create_graph = create_graph;
  task.keep_graph = retain_graph.value_or(create_graph);
  std::vector<Tensor> grads;
  std::vector<Edge> roots = root_edges(outputs, grad_outputs, grads);
  std::vector<Tensor> targets;  // non-leaf inputs take the gradient into their own .grad
  if (!inputs.empty()) {
    task.prune = true;
    task.results.resize(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Edge e = capture_edge(inputs[i], i);
      if (!inputs[i].is_leaf()) task.captures[e.fn.get()].push_back({e.input_nr, i});
      else task.captures[e.fn.get()];  // its AccumulateGrad accumulates
      task.keep_alive.push_back(e.fn);
    }
  }
  execute(task, roots, grads);
  for (std::size_t i = 0; i < task.results.size(); ++i) {
    const Tensor& g = task.results[i];
    if (!g.defined()) continue;
    Tensor t = inputs[i];
    autograd::AutogradMeta& meta = t.mutable_autograd_meta();
    meta.grad = meta.grad.defined() ? add(meta.grad, g) : (create_graph ? g : g.clone());
  }
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused) {
  if (inputs.empty()) throw Error("grad requires non-empty inputs.");
  GraphTask task;
  task.create_graph = create_graph;
  task.keep_graph = retain_graph.value_or(create_graph);
  task.accumulate = false;
  task.prune = true;
  task.results.resize(inputs.size());
  std::vector<Tensor> grads;
  std::vector<Edge> roots = root_edges(outputs, grad_outputs, grads);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Edge e = capture_edge(inputs[i], i);
    task.captures[e.fn.get()].push_back({e.input_nr, i});
    task.keep_alive.push_back(e.fn);
  }
  execute(task, roots, grads);
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!task.results[i].defined() && !allow_unused)
      throw Error(
          "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if "
          "this is the desired behavior.");
  return task.results;
}

}  // namespace rusttorch::autograd
