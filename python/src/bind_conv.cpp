// Convolution and pooling (rusttorch/conv.h, pool.h) for rusttorch.nn.functional,
// which gives conv1d/2d/3d, conv_transpose1d/2d/3d, unfold, fold and the
// pooling functions torch's signatures.
#include <rusttorch/conv.h>
#include <rusttorch/pool.h>

#include <optional>
#include <string>

#include "casters.h"

namespace rtpy {
namespace {

namespace r = rusttorch;

std::vector<int64_t> ints(const IntList& l) { return std::vector<int64_t>(l.v.begin(), l.v.end()); }

}  // namespace

void bind_conv(py::module_& m) {
  m.def("_convolution", [](const Tensor& input, const Tensor& weight, std::optional<Tensor> bias, int64_t dims,
                           IntList stride, py::handle padding, IntList dilation, bool transposed,
                           IntList output_padding, int64_t groups) {
    r::ConvOptions o;
    o.stride = ints(stride);
    o.dilation = ints(dilation);
    o.output_padding = ints(output_padding);
    o.transposed = transposed;
    o.groups = groups;
    if (py::isinstance<py::str>(padding)) {
      const std::string s = py::cast<std::string>(padding);
      if (s == "same") {
        o.padding_same = true;
      } else if (s == "valid") {
        o.padding = {0};
      } else {
        throw r::Error("Invalid padding string: '" + s + "'");
      }
    } else {
      if (PyFloat_Check(padding.ptr()))
        throw r::TypeError("conv(): argument 'padding' must be tuple of ints or str, not float");
      o.padding = ints(py::cast<IntList>(padding));
    }
    const Tensor x = input, w = weight, b = bias ? *bias : Tensor();
    return without_gil(Cost::Product, x.numel() + w.numel(), [&] { return r::convolution(x, w, b, dims, o); });
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("dims"), py::arg("stride"), py::arg("padding"),
     py::arg("dilation"), py::arg("transposed"), py::arg("output_padding"), py::arg("groups"));

  m.def("_unfold", [](const Tensor& input, IntList kernel_size, IntList dilation, IntList padding, IntList stride) {
    return on_copy_without_gil(Cost::Memory, input, [&](const Tensor& x) {
      return r::unfold_blocks(x, ints(kernel_size), ints(dilation), ints(padding), ints(stride));
    });
  }, py::arg("input"), py::arg("kernel_size"), py::arg("dilation"), py::arg("padding"), py::arg("stride"));

  m.def("_fold", [](const Tensor& input, IntList output_size, IntList kernel_size, IntList dilation, IntList padding,
                    IntList stride) {
    return on_copy_without_gil(Cost::Memory, input, [&](const Tensor& x) {
      return r::fold_blocks(x, ints(output_size), ints(kernel_size), ints(dilation), ints(padding), ints(stride));
    });
  }, py::arg("input"), py::arg("output_size"), py::arg("kernel_size"), py::arg("dilation"), py::arg("padding"),
     py::arg("stride"));

  m.def("_max_pool2d", [](const Tensor& input, IntList kernel_size, std::optional<IntList> stride, IntList padding,
                          IntList dilation, bool ceil_mode) {
    r::PoolOptions o;
    o.kernel_size = ints(kernel_size);
    if (stride) o.stride = ints(*stride);
    o.padding = ints(padding);
    o.dilation = ints(dilation);
    o.ceil_mode = ceil_mode;
    const r::ValuesIndices vi =
        on_copy_without_gil(Cost::Memory, input, [&](const Tensor& x) { return r::max_pool2d_with_indices(x, o); });
    return py::make_tuple(py::reinterpret_steal<py::object>(wrap(vi.values)),
                          py::reinterpret_steal<py::object>(wrap(vi.indices)));
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
     py::arg("ceil_mode"));

  m.def("_avg_pool2d", [](const Tensor& input, IntList kernel_size, std::optional<IntList> stride, IntList padding,
                          bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override) {
    r::PoolOptions o;
    o.kernel_size = ints(kernel_size);
    if (stride) o.stride = ints(*stride);
    o.padding = ints(padding);
    o.ceil_mode = ceil_mode;
    o.count_include_pad = count_include_pad;
    if (divisor_override) {
      if (*divisor_override == 0) throw r::Error("divisor must be not zero");
      o.divisor_override = *divisor_override;
    }
    return on_copy_without_gil(Cost::Memory, input, [&](const Tensor& x) { return r::avg_pool2d(x, o); });
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
     py::arg("count_include_pad"), py::arg("divisor_override"));
}

}  // namespace rtpy
