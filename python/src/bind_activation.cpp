// Activations, elementwise math and softmax (rusttorch/activation.h): module
// functions (rusttorch.relu, ...; rusttorch.nn.functional wraps them with
// torch's signatures), Tensor methods where torch has them, in-place forms.
#include <rusttorch/activation.h>

#include <algorithm>

#include "casters.h"

namespace rtpy {
namespace {

// Transcendental kernels: the GIL is worth releasing earlier than for add.
template <class F>
Tensor released(const Tensor& a, F&& f) {
  return on_copy_without_gil(Cost::Math, a, f);
}

template <class F>
py::object inplace(py::handle self, F&& f) {
  modify_without_gil(Cost::Math, self.ptr(), f);
  return py::reinterpret_borrow<py::object>(self);
}

using Fn = Tensor (*)(const Tensor&);
using FnIn = Tensor& (*)(Tensor&);
using FnOut = Tensor& (*)(Tensor&, const Tensor&);

struct Unary {
  const char* name;
  Fn f;
  FnIn fi;
  FnOut fo;
  bool method;  // torch.Tensor has it as a method
};

}  // namespace

void bind_activation(py::module_& m) {
  namespace r = rusttorch;
  const Unary unary[] = {
#define RT_ACTIVATION(name, kernel, params, defined, method) {#name, &r::name, &r::name##_, &r::name##_out, method},
#include "rusttorch/op_table.def"
  };
  for (const Unary& u : unary) {
    const Fn f = u.f;
    const FnIn fi = u.fi;
    const FnOut fo = u.fo;
    m.def(u.name, [f, fo](const Tensor& a, py::handle out) -> py::object {
          if (out.is_none()) return py::reinterpret_steal<py::object>(wrap(released(a, f)));
          if (!is_tensor(out.ptr())) throw py::type_error("argument 'out' must be Tensor");
          Tensor o = tensor_of(out.ptr());
          const Tensor x = a;
          if (o.numel() == 0 && o.shape() != x.shape()) o = Tensor::empty(x.shape(), o.dtype());  // torch resizes an empty out
          without_gil(Cost::Math, x.numel(), [&] { fo(o, x); });
          tensor_of(out.ptr()) = o;
          return py::reinterpret_borrow<py::object>(out);
        }, py::arg("input"), py::kw_only(), py::arg("out") = py::none());
    m.def((std::string(u.name) + "_").c_str(), [fi](py::handle self) {
      if (!is_tensor(self.ptr())) throw py::type_error("expected a Tensor");
      return inplace(self, [fi](Tensor& s) { fi(s); });
    }, py::arg("input"));
    if (u.method) {
      def_method(u.name, [f](const Tensor& a) { return released(a, f); });
      def_method((std::string(u.name) + "_").c_str(), [fi](py::handle self) {
        return inplace(self, [fi](Tensor& s) { fi(s); });
      });
    }
  }

  m.def("leaky_relu", [](const Tensor& a, double s) { return released(a, [s](const Tensor& x) { return r::leaky_relu(x, s); }); },
        py::arg("input"), py::arg("negative_slope") = 0.01);
  m.def("leaky_relu_", [](py::handle self, double s) { return inplace(self, [s](Tensor& x) { r::leaky_relu_(x, s); }); },
        py::arg("input"), py::arg("negative_slope") = 0.01);
  m.def("elu", [](const Tensor& a, double al) { return released(a, [al](const Tensor& x) { return r::elu(x, al); }); },
        py::arg("input"), py::arg("alpha") = 1.0);
  m.def("elu_", [](py::handle self, double al) { return inplace(self, [al](Tensor& x) { r::elu_(x, al); }); },
        py::arg("input"), py::arg("alpha") = 1.0);
  m.def("celu", [](const Tensor& a, double al) { return released(a, [al](const Tensor& x) { return r::celu(x, al); }); },
        py::arg("input"), py::arg("alpha") = 1.0);
  m.def("celu_", [](py::handle self, double al) { return inplace(self, [al](Tensor& x) { r::celu_(x, al); }); },
        py::arg("input"), py::arg("alpha") = 1.0);
  m.def("softplus", [](const Tensor& a, double beta, double th) {
        return released(a, [beta, th](const Tensor& x) { return r::softplus(x, beta, th); });
      }, py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  m.def("hardtanh", [](const Tensor& a, double lo, double hi) {
        return released(a, [lo, hi](const Tensor& x) { return r::hardtanh(x, lo, hi); });
      }, py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0);
  m.def("hardtanh_", [](py::handle self, double lo, double hi) {
        return inplace(self, [lo, hi](Tensor& x) { r::hardtanh_(x, lo, hi); });
      }, py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0);
  m.def("gelu", [](const Tensor& a, const std::string& ap) {
        return released(a, [&ap](const Tensor& x) { return r::gelu(x, ap); });
      }, py::arg("input"), py::kw_only(), py::arg("approximate") = "none");
  m.def("gelu_", [](py::handle self, const std::string& ap) {
        return inplace(self, [&ap](Tensor& x) { r::gelu_(x, ap); });
      }, py::arg("input"), py::kw_only(), py::arg("approximate") = "none");

  // torch returns an empty integer input as it is (no kernel runs); non-empty ones are refused.
  const auto empty_integral = [](const Tensor& a, int64_t dim, std::optional<DType> dtype) {
    if (dtype || a.numel() != 0 || rusttorch::is_floating(a.dtype())) return false;
    rusttorch::wrap_dim(dim, std::max<int64_t>(a.ndim(), 1));
    return true;
  };
  const auto softmax = [empty_integral](const Tensor& a, int64_t dim, std::optional<DType> dtype) {
    if (empty_integral(a, dim, dtype)) return Tensor::empty(a.shape(), a.dtype());
    return released(a, [dim, dtype](const Tensor& x) { return r::softmax(x, dim, dtype); });
  };
  const auto log_softmax = [empty_integral](const Tensor& a, int64_t dim, std::optional<DType> dtype) {
    if (empty_integral(a, dim, dtype)) return Tensor::empty(a.shape(), a.dtype());
    return released(a, [dim, dtype](const Tensor& x) { return r::log_softmax(x, dim, dtype); });
  };
  m.def("softmax", softmax, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("log_softmax", log_softmax, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  def_method("softmax", softmax, py::arg("dim"), py::arg("dtype") = py::none());
  def_method("log_softmax", log_softmax, py::arg("dim"), py::arg("dtype") = py::none());
}

}  // namespace rtpy
