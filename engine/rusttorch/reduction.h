// Reductions and scans with torch's names, dims and dtype rules.
//
// Determinism: every reduction gives the same bits for any set_num_threads
// value (the reduced dim is split into fixed, shape-determined blocks that are
// combined in a fixed pairwise order; inside a block, pairwise/cascade
// summation with double accumulators: float32 sums add 8 elements in float,
// then in double). torch does not promise this. A float32 sum of 10^7 random
// values is within 1e-6 (in practice ~1e-9) of the float64 sum.
//
// Two spellings of the full reduction of sum and mean:
//   double s = sum(a);                  the seed's helper: a double
//   Tensor t = sum(a, std::nullopt);    torch's sum(a): a 0-d tensor
// (C++ cannot overload on the return type, and the seed's name came first.)
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

#include "rusttorch/tensor.h"

namespace rusttorch {

// The `dim` argument of a reduction: one dim, a list of dims, or every dim
// (std::nullopt, as torch's dim=None). An empty list also means every dim, as
// torch's dim=() does for sum, mean, amax, amin and logsumexp.
class DimList {
 public:
  DimList(std::nullopt_t) {}                                                    // NOLINT
  DimList(int64_t d) : dims_{d}, all_(false) {}                                 // NOLINT
  DimList(int d) : dims_{d}, all_(false) {}                                     // NOLINT
  DimList(std::initializer_list<int64_t> d) : dims_(d), all_(d.size() == 0) {}  // NOLINT
  DimList(const std::vector<int64_t>& d) : dims_(d), all_(d.empty()) {}         // NOLINT
  bool all() const { return all_; }
  const std::vector<int64_t>& dims() const { return dims_; }

 private:
  std::vector<int64_t> dims_;
  bool all_ = true;
};

// torch.return_types.max / min: values and int64 indices.
struct ValuesIndices {
  Tensor values, indices;
};

// ---- the seed's names ----
double sum(const Tensor& a);   // every element, as a double
double mean(const Tensor& a);  // floating tensors only, as torch
Tensor sum_dim(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor mean_dim(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor max(const Tensor& a);   // 0-d; NaN propagates; error on an empty tensor
Tensor min(const Tensor& a);

// ---- torch's names ----
// bool and integer inputs sum to int64 unless dtype says otherwise; dtype
// converts the input first (float32 inputs are accumulated in double anyway).
Tensor sum(const Tensor& a, DimList dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
// Floating inputs (or a floating dtype) only.
Tensor mean(const Tensor& a, DimList dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& a, std::optional<DType> dtype = std::nullopt);
Tensor prod(const Tensor& a, int64_t dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt);

ValuesIndices max(const Tensor& a, int64_t dim, bool keepdim = false);  // first index of the max
ValuesIndices min(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& a, DimList dim = std::nullopt, bool keepdim = false);
Tensor amin(const Tensor& a, DimList dim = std::nullopt, bool keepdim = false);
// Index into the flattened tensor when dim is not given; NaN counts as the max (min).
Tensor argmax(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);

// Divides by max(0, N - correction), as torch (two passes: mean, then the
// sum of squared deviations, both deterministic).
Tensor var(const Tensor& a, DimList dim = std::nullopt, double correction = 1, bool keepdim = false);
Tensor std(const Tensor& a, DimList dim = std::nullopt, double correction = 1, bool keepdim = false);

// torch.norm / linalg.vector_norm: p = 2, 1, inf, -inf, 0 or any other real.
Tensor norm(const Tensor& a, double p = 2, DimList dim = std::nullopt, bool keepdim = false);
// log(sum(exp(a))) without overflow; integer inputs give float32.
Tensor logsumexp(const Tensor& a, DimList dim, bool keepdim = false);

Tensor all(const Tensor& a, DimList dim = std::nullopt, bool keepdim = false);  // bool result
Tensor any(const Tensor& a, DimList dim = std::nullopt, bool keepdim = false);

// Inclusive scans; bool and integer inputs give int64 unless dtype says otherwise.
Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor cumprod(const Tensor& a, int64_t dim, std::optional<DType> dtype = std::nullopt);

}  // namespace rusttorch
