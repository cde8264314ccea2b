// Autograd from Python: grad_fn objects, backward / autograd.grad, grad
// mode, tensor hooks and custom Functions (rusttorch.autograd.Function).
// The backward pass runs without the GIL; Python hooks and Function
// backwards take it back while they run.
#include <sstream>

#include "autograd/function.h"
#include "casters.h"

namespace rtpy {
namespace {

namespace ag = rusttorch::autograd;

std::vector<Tensor> tensors_or_none(py::handle seq, const char* what) {
  std::vector<Tensor> r;
  if (seq.is_none()) return r;
  if (is_tensor(seq.ptr())) return {tensor_of(seq.ptr())};
  for (py::handle o : py::iter(seq)) {
    if (o.is_none()) r.emplace_back();
    else if (is_tensor(o.ptr())) r.push_back(tensor_of(o.ptr()));
    else throw py::type_error(std::string(what) + " must be Tensors or None, not " + Py_TYPE(o.ptr())->tp_name);
  }
  return r;
}

// Runs a Python callable from inside the backward pass.
Tensor call_hook(const py::object& fn, const Tensor& grad) {
  py::gil_scoped_acquire gil;
  py::object r = fn(py::reinterpret_steal<py::object>(wrap(grad)));
  if (r.is_none()) return Tensor();
  if (!is_tensor(r.ptr())) throw py::type_error("a tensor hook must return a Tensor or None");
  return tensor_of(r.ptr());
}

// The node of a rusttorch.autograd.Function: its backward is a Python call.
class PyFunctionNode : public ag::Node {
 public:
  PyFunctionNode(std::string name, py::object backward, py::object release)
      : name_(std::move(name)), backward_(std::move(backward)), release_(std::move(release)) {}
  ~PyFunctionNode() override {
    py::gil_scoped_acquire gil;
    backward_ = py::object();
    release_ = py::object();
  }
  std::string name() const override { return name_; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    py::gil_scoped_acquire gil;
    py::tuple args(grads.size());
    for (std::size_t i = 0; i < grads.size(); ++i)
      args[i] = py::reinterpret_steal<py::object>(wrap(grads[i]));
    py::object r = backward_(*args);
    std::vector<Tensor> out;
    if (!py::isinstance<py::tuple>(r)) r = py::make_tuple(r);
    for (py::handle o : r) {
      if (o.is_none()) out.emplace_back();
      else if (is_tensor(o.ptr())) out.push_back(tensor_of(o.ptr()));
      else throw py::type_error("backward of " + name_ + " must return Tensors or None");
    }
    if (out.size() != next_.size())
      throw rusttorch::Error("function " + name_ + " returned an incorrect number of gradients (expected " +
                             std::to_string(next_.size()) + ", got " + std::to_string(out.size()) + ")");
    return out;
  }
  void release_variables() override {
    py::gil_scoped_acquire gil;
    if (release_) release_();
  }

 private:
  std::string name_;
  py::object backward_, release_;
};

struct HookHandle {
  py::object tensor;  // the Python tensor (kept to remove the hook)
  int64_t id;
  void remove() {
    if (!tensor) return;
    tensor_of(tensor.ptr()).remove_hook(id);
    tensor = py::object();
  }
};

}  // namespace

void bind_autograd(py::module_& m) {
  py::class_<ag::Node, std::shared_ptr<ag::Node>>(m, "Node", "A node of the backward graph (a tensor's grad_fn).")
      .def("name", &ag::Node::name)
      .def_property_readonly("next_functions", [](const ag::Node& n) {
        py::tuple t(n.next_edges().size());
        for (std::size_t i = 0; i < n.next_edges().size(); ++i) {
          const ag::Edge& e = n.next_edges()[i];
          t[i] = py::make_tuple(e.fn ? py::cast(e.fn) : py::none(), e.input_nr);
        }
        return t;
      })
      .def("__repr__", [](const ag::Node& n) {
        std::ostringstream s;
        s << "<" << n.name() << " object at " << static_cast<const void*>(&n) << ">";
        return s.str();
      });

  py::class_<HookHandle>(m, "RemovableHandle").def("remove", &HookHandle::remove);

  m.def("is_grad_enabled", &ag::is_grad_enabled);
  m.def("_set_grad_enabled", &ag::set_grad_enabled, py::arg("mode"));

  // autograd.backward and Tensor.backward: one call of the engine, without the GIL.
  const auto backward = [](py::handle tensors, py::handle grads, std::optional<bool> retain, bool create,
                           py::handle inputs) {
    const std::vector<Tensor> ts = tensors_or_none(tensors, "tensors");
    const std::vector<Tensor> gs = tensors_or_none(grads, "grad_tensors");
    const std::vector<Tensor> in = tensors_or_none(inputs, "inputs");
    without_gil([&] { ag::backward(ts, gs, retain, create, in); });
  };
  m.def("_backward", backward, py::arg("tensors"), py::arg("grad_tensors") = py::none(), py::arg("retain_graph") = py::none(),
     py::arg("create_graph") = false, py::arg("inputs") = py::none());

  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grads, std::optional<bool> retain, bool create,
                    bool allow_unused) {
    const std::vector<Tensor> outs = tensors_or_none(outputs, "outputs");
    const std::vector<Tensor> in = tensors_or_none(inputs, "inputs");
    const std::vector<Tensor> gs = tensors_or_none(grads, "grad_outputs");
    const std::vector<Tensor> r = without_gil([&] { return ag::grad(outs, in, gs, retain, create, allow_unused); });
    py::tuple t(r.size());
    for (std::size_t i = 0; i < r.size(); ++i)
      t[i] = r[i].defined() ? py::reinterpret_steal<py::object>(wrap(r[i])) : py::none();
    return t;
  }, py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs") = py::none(), py::arg("retain_graph") = py::none(),
     py::arg("create_graph") = false, py::arg("allow_unused") = false);

  // A custom Function's node: records `outputs` as made from `inputs` (None: not a tensor).
  // Tensor._make_subclass as torch's: an instance of cls (a Python subclass
  // of Tensor, e.g. nn.Parameter) holding a detached alias of data.
  m.def("_make_subclass", [](py::handle cls, const Tensor& data, bool require_grad) {
        if (!PyType_Check(cls.ptr()) || !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls.ptr()), TensorType))
          throw py::type_error("_make_subclass(): cls must be a subclass of Tensor");
        auto* tp = reinterpret_cast<PyTypeObject*>(cls.ptr());
        PyObject* o = tp->tp_alloc(tp, 0);
        if (!o) throw python_error();
        new (&reinterpret_cast<PyTensor*>(o)->t) Tensor(data.detach());
        if (require_grad) tensor_of(o).requires_grad_(true);
        return py::reinterpret_steal<py::object>(o);
      }, py::arg("cls"), py::arg("data"), py::arg("require_grad") = false);
  m.def("_record_function", [](const std::string& name, py::object backward, py::object release, py::handle inputs,
                               py::handle outputs) {
    auto node = std::make_shared<PyFunctionNode>(name, std::move(backward), std::move(release));
    for (py::handle o : py::iter(inputs))
      node->mutable_next_edges().push_back(is_tensor(o.ptr()) ? ag::gradient_edge(tensor_of(o.ptr())) : ag::Edge{});
    uint32_t nr = 0;
    for (py::handle o : py::iter(outputs)) {
      Tensor& t = tensor_of(o.ptr());
      node->mutable_outputs().push_back({t.shape(), t.dtype()});
      auto meta = std::make_shared<ag::AutogradMeta>();
      meta->grad_fn = node;
      meta->output_nr = nr++;
      t.set_autograd_meta(std::move(meta));
    }
  });

  def_method("requires_grad_", [](py::handle self, bool r) {
    tensor_of(self.ptr()).requires_grad_(r);
    return py::reinterpret_borrow<py::object>(self);
  }, py::arg("requires_grad") = true);
  def_method("detach", [](const Tensor& t) { return t.detach(); });
  def_method("detach_", [](py::handle self) {
    tensor_of(self.ptr()).detach_();
    return py::reinterpret_borrow<py::object>(self);
  });
  def_method("retain_grad", [](Tensor& t) { t.retain_grad(); });
  {  // grad_fn: a property of the Tensor type
    py::handle cls(reinterpret_cast<PyObject*>(TensorType));
    py::object prop = py::module_::import("builtins").attr("property");
    py::cpp_function getter([](py::handle self) -> py::object {
      auto fn = tensor_of(self.ptr()).grad_fn();
      return fn ? py::cast(fn) : py::none();
    });
    py::setattr(cls, "grad_fn", prop(getter));
  }
  def_method("register_hook", [](py::handle self, py::object hook) {
    if (!PyCallable_Check(hook.ptr())) throw py::type_error("register_hook expects a callable");
    const int64_t id = tensor_of(self.ptr()).register_hook([hook](const Tensor& g) { return call_hook(hook, g); });
    return HookHandle{py::reinterpret_borrow<py::object>(self), id};
  }, py::arg("hook"));
  def_method("backward", [backward](py::handle self, py::handle gradient, std::optional<bool> retain, bool create,
                                    py::handle inputs) { backward(self, gradient, retain, create, inputs); },
             py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
     py::arg("inputs") = py::none());
}

}  // namespace rtpy
