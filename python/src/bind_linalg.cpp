// Matrix products (rusttorch/linalg.h): matmul (also the @ operator), mm, bmm,
// mv, dot, outer, addmm, baddbmm; linear is exposed to rusttorch.nn.functional.
#include <rusttorch/linalg.h>

#include "casters.h"
#include "op_util.h"

namespace rtpy {
namespace {

using BinaryLinalg = Tensor (*)(const Tensor&, const Tensor&);

// Products cost far more than their element count: the GIL goes early.
Tensor run2(BinaryLinalg f, const Tensor& a, const Tensor& b) {
  const Tensor x = a, y = b;
  return without_gil(Cost::Product, x.numel() + y.numel(), [&] { return f(x, y); });
}

// torch writes no product into an out= of another dtype (outer, a
// broadcast multiply, excepted); its words depend on the kernel that refuses.
enum class OutRule { Gemm, Dot, Mv, Cast, Matmul };

py::object product_out(OutRule rule, const Tensor& a, const Tensor& b, Tensor r, py::handle out) {
  if (!out.is_none() && is_tensor(out.ptr()) && tensor_of(out.ptr()).dtype() != r.dtype()) {
    if (rule == OutRule::Matmul)  // torch.matmul picks dot, mv or a matrix product by the dims
      rule = a.ndim() == 1 && b.ndim() == 1 ? OutRule::Dot : a.ndim() == 2 && b.ndim() == 1 ? OutRule::Mv : OutRule::Gemm;
    const DType o = tensor_of(out.ptr()).dtype(), t = r.dtype();
    using rusttorch::detail::torch_type_name;
    switch (rule) {
      case OutRule::Gemm:
        throw rusttorch::Error(std::string("Expected out tensor to have dtype ") + rusttorch::detail::torch_cpp_type_name(t) + ", but got " +
                               rusttorch::detail::torch_cpp_type_name(o) + " instead");
      case OutRule::Dot:
        throw rusttorch::Error(std::string("result dtype ") + torch_type_name(o) + " does not match input dtype " +
                               torch_type_name(t));
      case OutRule::Mv:
        throw rusttorch::Error(std::string("addmv input tensors must have the same dtype, but got ") +
                               torch_type_name(o) + ", " + torch_type_name(t) + ", and " + torch_type_name(t));
      case OutRule::Cast:
      case OutRule::Matmul:
        break;
    }
  }
  return with_out(std::move(r), out);
}

}  // namespace

void bind_linalg(py::module_& m) {
  // The @ operator's engine call: ops_fast.cpp has released the GIL around it already.
  matmul_fn = &rusttorch::matmul;

  struct Def {
    const char* name;
    BinaryLinalg f;
    const char* other;
    OutRule rule;
  };
  const Def defs[] = {{"matmul", &rusttorch::matmul, "other", OutRule::Matmul},
                      {"mm", &rusttorch::mm, "mat2", OutRule::Gemm},
                      {"bmm", &rusttorch::bmm, "mat2", OutRule::Gemm},
                      {"mv", &rusttorch::mv, "vec", OutRule::Mv},
                      {"dot", &rusttorch::dot, "tensor", OutRule::Dot},
                      {"outer", &rusttorch::outer, "vec2", OutRule::Cast},
                      {"ger", &rusttorch::outer, "vec2", OutRule::Cast}};
  for (const Def& d : defs) {
    const BinaryLinalg f = d.f;
    const OutRule rule = d.rule;
    m.def(d.name, [f, rule](const Tensor& a, const Tensor& b, py::handle out) {
            return product_out(rule, a, b, run2(f, a, b), out);
          },
          py::arg("input"), py::arg(d.other), py::kw_only(), py::arg("out") = py::none());
    def_method(d.name, [f](const Tensor& a, const Tensor& b) { return run2(f, a, b); }, py::arg(d.other));
  }

  const auto addmm = [](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
    const Tensor x = in, y = a, z = b;
    return without_gil(Cost::Product, y.numel() + z.numel(), [&] { return rusttorch::addmm(x, y, z, beta, alpha); });
  };
  m.def("addmm", [addmm](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha,
                         py::handle out) { return product_out(OutRule::Gemm, a, b, addmm(in, a, b, beta, alpha), out); },
        py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1,
        py::arg("out") = py::none());
  def_method("addmm", addmm, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1,
             py::arg("alpha") = 1);

  const auto baddbmm = [](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
    const Tensor x = in, y = a, z = b;
    return without_gil(Cost::Product, y.numel() + z.numel(), [&] { return rusttorch::baddbmm(x, y, z, beta, alpha); });
  };
  m.def("baddbmm", [baddbmm](const Tensor& in, const Tensor& a, const Tensor& b, const Scalar& beta,
                             const Scalar& alpha, py::handle out) {
          return product_out(OutRule::Gemm, a, b, baddbmm(in, a, b, beta, alpha), out);
        },
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
