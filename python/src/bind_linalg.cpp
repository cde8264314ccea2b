// Matrix products (rusttorch/linalg.h): matmul (also the @ operator), mm, bmm,
// mv, dot, outer, addmm, baddbmm; linear is exposed to rusttorch.nn.functional.
#include <rusttorch/linalg.h>

#include "casters.h"

namespace rtpy {
namespace {

using BinaryLinalg = Tensor (*)(const Tensor&, const Tensor&);

// Products cost far more than their element count: the GIL goes early.
Tensor run2(BinaryLinalg f, const Tensor& a, const Tensor& b) {
  const Tensor x = a, y = b;
  return without_gil(Cost::Product, x.numel() + y.numel(), [&] { return f(x, y); });
}

}  // namespace

void bind_linalg(py::module_& m) {
  // The @ operator's engine call: ops_fast.cpp has released the GIL around it already.
  matmul_fn = &rusttorch::matmul;

  struct Def {
    const char* name;
    BinaryLinalg f;
    const char* other;
  };
  const Def defs[] = {{"matmul", &rusttorch::matmul, "other"}, {"mm", &rusttorch::mm, "mat2"},
                      {"bmm", &rusttorch::bmm, "mat2"},        {"mv", &rusttorch::mv, "vec"},
                      {"dot", &rusttorch::dot, "tensor"},      {"outer", &rusttorch::outer, "vec2"},
                      {"ger", &rusttorch::outer, "vec2"},      {"inner", nullptr, nullptr}};
  for (const Def& d : defs) {
    if (!d.f) continue;
    const BinaryLinalg f = d.f;
    m.def(d.name, [f](const Tensor& a, const Tensor& b, py::handle out) { return with_out(run2(f, a, b), out); },
          py::arg("input"), py::arg(d.other), py::kw_only(), py::arg("out") = py::none());
    def_method(d.name, [f](const Tensor& a, const Tensor& b) { return run2(f, a, b); }, py::arg(d.other));
  }

  const auto addmm = [](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
    const Tensor x = in, y = a, z = b;
    return without_gil(Cost::Product, y.numel() + z.numel(), [&] { return rusttorch::addmm(x, y, z, beta, alpha); });
  };
  m.def("addmm", [addmm](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
                         py::handle out) { return with_out(addmm(in, a, b, beta, alpha), out); },
        py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1,
        py::arg("out") = py::none());
  def_method("addmm", addmm, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1,
             py::arg("alpha") = 1);

  const auto baddbmm = [](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
    const Tensor x = in, y = a, z = b;
    return without_gil(Cost::Product, y.numel() + z.numel(), [&] { return rusttorch::baddbmm(x, y, z, beta, alpha); });
  };
  m.def("baddbmm", [baddbmm](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta,
                             const Scalar& alpha, py::handle out) { return with_out(baddbmm(in, a, b, beta, alpha), out); },
        py::arg("input"), py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1,
        py::arg("alpha") = 1, py::arg("out") = py::none());
  def_method("baddbmm", baddbmm, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1,
             py::arg("alpha") = 1);

  m.def(
      "_linear",
      [](const Tensor& x, const Tensor& w, std::optional<Tensor> bias) {
        const Tensor a = x, b = w, c = bias.value_or(Tensor());
        return without_gil(Cost::Product, a.numel() + b.numel(), [&] { return rusttorch::linear(a, b, c); });
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
}

}  // namespace rtpy
