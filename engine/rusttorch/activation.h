// Activations, elementwise math and softmax with torch's names and defaults.
//
// float32 accuracy (vectorized kernels, every ISA): within 4 ULP of a float64
// reference over the whole float range, measured per function in
// tests/test_activation.cpp; exact at +-0, +-inf, NaN and denormals, with
// torch's values there: NaN where torch's formula gives NaN (gelu, silu,
// mish, hardswish at -inf; softsign at +-inf), not the limit.
// bool and integer inputs: relu, relu6 and hardtanh keep the integer dtype
// (relu rejects bool, as torch); the math functions (sigmoid, tanh, softsign,
// expm1, log1p, log2, sin, cos, erf) compute in float32 (softsign rejects
// bool, as torch); the others raise TypeError ("... not implemented for
// 'Long'"), as torch does.
#pragma once
#include <optional>
#include <string>

#include "rusttorch/tensor.h"

namespace rusttorch {

// The activations without parameters, from the op table (rusttorch/op_table.def).
#define RT_ACTIVATION(name, kernel, params, defined, method) \
  Tensor name(const Tensor& a);                              \
  Tensor& name##_(Tensor& self);                             \
  Tensor& name##_out(Tensor& out, const Tensor& a);
#include "rusttorch/op_table.def"

Tensor leaky_relu(const Tensor& a, double negative_slope = 0.01);
Tensor& leaky_relu_(Tensor& self, double negative_slope = 0.01);
Tensor elu(const Tensor& a, double alpha = 1.0);
Tensor& elu_(Tensor& self, double alpha = 1.0);
Tensor celu(const Tensor& a, double alpha = 1.0);
Tensor& celu_(Tensor& self, double alpha = 1.0);
Tensor softplus(const Tensor& a, double beta = 1.0, double threshold = 20.0);
Tensor hardtanh(const Tensor& a, double min_val = -1.0, double max_val = 1.0);
Tensor& hardtanh_(Tensor& self, double min_val = -1.0, double max_val = 1.0);

// approximate: "none" (the erf form) or "tanh"; anything else is an error.
Tensor gelu(const Tensor& a, const std::string& approximate = "none");
Tensor& gelu_(Tensor& self, const std::string& approximate = "none");

// softmax and log_softmax along any dim; dtype converts the input first.
// One pass for the max, one that writes exp(x - max) and sums it (in double),
// one that scales the cache-resident result; vectorized across the inner
// dims when dim is not the last one.
Tensor softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);

}  // namespace rusttorch
