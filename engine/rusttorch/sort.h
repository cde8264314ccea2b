// Sorting, selection and searching (engine/sort.cpp), and the index ops
// they need (engine/index_ops.cpp), as torch names them. Every dtype sorts;
// NaN is the largest value (first when descending), -0.0 equals +0.0, and
// every sort is stable (ties keep their order), so results are the same for
// any thread count.
#pragma once
#include <cstdint>
#include <optional>

#include "rusttorch/reduction.h"
#include "rusttorch/tensor.h"

namespace rusttorch {

ValuesIndices sort(const Tensor& a, int64_t dim = -1, bool descending = false, bool stable = false);
Tensor argsort(const Tensor& a, int64_t dim = -1, bool descending = false, bool stable = false);
Tensor msort(const Tensor& a);  // sort(a, 0).values
// The k largest (smallest) along dim; sorted or in an unspecified order.
ValuesIndices topk(const Tensor& a, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);
// The k-th smallest (k from 1) along dim.
ValuesIndices kthvalue(const Tensor& a, int64_t k, int64_t dim = -1, bool keepdim = false);
// The flattened values in order, without indices (Highway's key sort).
Tensor sort_values(const Tensor& a, bool descending = false);
// Highway's name of the target the sorts run on (follows the active ISA).
const char* sort_target_name();

// unique_consecutive over the flattened tensor (dim=None): the values, and
// when asked the inverse (shaped as a) and the counts.
struct UniqueResult {
  Tensor values, inverse, counts;
};
UniqueResult unique_consecutive(const Tensor& a, bool return_inverse = false, bool return_counts = false);
// unique(sorted=True) over the flattened tensor (dim=None): integers of a
// range up to twice their count by counting, the rest by sorting.
UniqueResult unique(const Tensor& a, bool return_inverse = false, bool return_counts = false);

// Insertion points of `values` into the innermost dim of `sorted` (1-D, or
// with the leading dims of values); `sorter` (int64, shaped as sorted)
// orders an unsorted sequence. int64 results, or int32 with out_int32.
Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32 = false, bool right = false,
                    const Tensor* sorter = nullptr);
Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool out_int32 = false, bool right = false);

// out[i][j][k] = a[index[i][j][k]][j][k] (for dim 0), as torch.gather.
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index);
// a copy of a with src[i][j][k] added at a[index[i][j][k]][j][k] (dim 0).
Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src);

}  // namespace rusttorch
