// Losses (rusttorch/loss.h) for rusttorch.nn.functional: _C._cross_entropy,
// _C._nll_loss and _C._binary_cross_entropy_with_logits, torch 2.13's
// semantics and errors; the work runs without the GIL (gil.h).
#include <rusttorch/loss.h>

#include "casters.h"

namespace rtpy {

void bind_loss(py::module_& m) {
  // The kernels cost about a transcendental per input element.
  m.def(
      "_cross_entropy",
      [](const Tensor& input, const Tensor& target, std::optional<Tensor> weight, const std::string& reduction,
         int64_t ignore_index, double label_smoothing) {
        const Tensor x = input, t = target, w = weight.value_or(Tensor());
        return without_gil(Cost::Math, x.numel(), [&] {
          return rusttorch::cross_entropy(x, t, w, reduction, ignore_index, label_smoothing);
        });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
      py::arg("ignore_index") = -100, py::arg("label_smoothing") = 0.0);
  m.def(
      "_nll_loss",
      [](const Tensor& input, const Tensor& target, std::optional<Tensor> weight, const std::string& reduction,
         int64_t ignore_index) {
        const Tensor x = input, t = target, w = weight.value_or(Tensor());
        return without_gil(Cost::Memory, x.numel(),
                           [&] { return rusttorch::nll_loss(x, t, w, reduction, ignore_index); });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
      py::arg("ignore_index") = -100);
  m.def(
      "_binary_cross_entropy_with_logits",
      [](const Tensor& input, const Tensor& target, std::optional<Tensor> weight, std::optional<Tensor> pos_weight,
         const std::string& reduction) {
        const Tensor x = input, t = target, w = weight.value_or(Tensor()), pw = pos_weight.value_or(Tensor());
        return without_gil(Cost::Math, x.numel(), [&] {
          return rusttorch::binary_cross_entropy_with_logits(x, t, w, pw, reduction);
        });
      },
      py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("pos_weight") = py::none(),
      py::arg("reduction") = "mean");
}

}  // namespace rtpy
