// gather and scatter_add along a dim, as torch: checks, then one loop over
// the index's elements (gather in parallel pieces; scatter_add in index
// order, so sums are the same for any thread count).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/sort.h"

namespace rusttorch {
namespace {

// torch's checks of gather / scatter_add's index against self (and src).
void check_index(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src) {
  if (index.dtype() != DType::Int64 && index.dtype() != DType::Int32)
    throw Error(std::string(op) + "(): Expected dtype int32/int64 for index");
  const int64_t nd = std::max<int64_t>(self.ndim(), 1);
  const int64_t ind = std::max<int64_t>(index.ndim(), 1);
  if (index.numel() == 0) return;
  if (ind != nd) throw Error("Index tensor must have the same number of dimensions as input tensor");
  if (src && std::max<int64_t>(src->ndim(), 1) != nd)
    throw Error("Index tensor must have the same number of dimensions as src tensor");
  for (int64_t d = 0; d < index.ndim(); ++d) {
    const int64_t is = index.shape()[static_cast<std::size_t>(d)];
    if (d != dim && self.ndim() > 0 && is > self.shape()[static_cast<std::size_t>(d)])
      throw Error("Size does not match at dimension " + std::to_string(d) + " expected index " +
                  shape_str(index.shape()) + " to be no larger than self " + shape_str(self.shape()) +
                  " apart from dimension " + std::to_string(dim));
    if (src && src->ndim() > 0 && is > src->shape()[static_cast<std::size_t>(d)])
      throw Error("Size does not match at dimension " + std::to_string(d) + " expected index " +
                  shape_str(index.shape()) + " to be no larger than src " + shape_str(src->shape()));
  }
}

[[noreturn]] void out_of_bounds(int64_t v, int64_t dim, int64_t size) {
  throw Error("index " + std::to_string(v) + " is out of bounds for dimension " + std::to_string(dim) + " with size " +
              std::to_string(size));
}

// Walks the index's elements [b, e) in row-major order, calling
// f(position, self offset of the element the index names).
template <class F>
void walk(const Tensor& self, int64_t dim, const Tensor& index, int64_t b, int64_t e, const F& f) {
  const Shape ishape = index.ndim() == 0 ? Shape{1} : index.shape();
  const Shape sstr = self.ndim() == 0 ? Shape{1} : self.strides();
  const int64_t size = self.ndim() == 0 ? 1 : self.shape()[static_cast<std::size_t>(dim)];
  const std::size_t nd = ishape.size();
  std::vector<int64_t> coord(nd);
  int64_t rem = b;
  for (std::size_t d = nd; d-- > 0;) {
    coord[d] = rem % ishape[d];
    rem /= ishape[d];
  }
  const bool i64 = index.dtype() == DType::Int64;
  const char* ip = static_cast<const char*>(index.data_ptr());
  for (int64_t p = b; p < e; ++p) {
    int64_t v = i64 ? reinterpret_cast<const int64_t*>(ip)[p] : reinterpret_cast<const int32_t*>(ip)[p];
    if (v < 0 || v >= size) out_of_bounds(v, dim, size);
    int64_t off = 0;
    for (std::size_t d = 0; d < nd; ++d) off += (static_cast<int64_t>(d) == dim ? v : coord[d]) * sstr[d];
    f(p, off);
    for (std::size_t d = nd; d-- > 0;) {
      if (++coord[d] < ishape[d]) break;
      coord[d] = 0;
    }
  }
}

// The common shape: the index is as large as the input in every other dim,
// so out[o][i][j] = x[o][index[o][i][j]][j] over (outer, idx_len, inner).
template <class E, class I>
void gather_rows(const E* x, const I* idx, E* out, int64_t outer, int64_t len, int64_t size, int64_t inner,
                 int64_t dim) {
  const int64_t per_outer = len * inner;
  detail::parallel_for(outer, std::max<int64_t>(1, detail::kGrainCheap / std::max<int64_t>(per_outer, 1)),
                       [&](int64_t b, int64_t e) {
                         for (int64_t o = b; o < e; ++o) {
                           const E* xo = x + o * size * inner;
                           const I* io = idx + o * per_outer;
                           E* oo = out + o * per_outer;
                           for (int64_t i = 0; i < len; ++i) {
                             for (int64_t j = 0; j < inner; ++j) {
                               const int64_t v = io[i * inner + j];  // torch wraps no negative index here
                               if (v < 0 || v >= size) out_of_bounds(v, dim, size);
                               oo[i * inner + j] = xo[v * inner + j];
                             }
                           }
                         }
                       });
}

bool same_outside(const Tensor& a, const Tensor& index, int64_t dim) {
  if (a.ndim() == 0 || a.ndim() != index.ndim()) return false;
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (d != dim && a.shape()[static_cast<std::size_t>(d)] != index.shape()[static_cast<std::size_t>(d)]) return false;
  return true;
}

Tensor gather_impl(const Tensor& a, int64_t dim, const Tensor& index) {
  check_index("gather", a, dim, index, nullptr);
  const Tensor x = a.contiguous(), idx = index.contiguous();
  Tensor out = Tensor::empty(index.shape(), a.dtype());
  const std::size_t es = a.itemsize();
  if (idx.numel() > 0 && same_outside(a, index, dim)) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < dim; ++d) outer *= a.shape()[static_cast<std::size_t>(d)];
    for (int64_t d = dim + 1; d < a.ndim(); ++d) inner *= a.shape()[static_cast<std::size_t>(d)];
    const int64_t len = index.shape()[static_cast<std::size_t>(dim)], size = a.shape()[static_cast<std::size_t>(dim)];
    const auto run = [&](auto tag) {
      using E = decltype(tag);
      const E* xp = static_cast<const E*>(x.data_ptr());
      E* op = static_cast<E*>(out.data_ptr());
      if (idx.dtype() == DType::Int64) {
        gather_rows(xp, static_cast<const int64_t*>(idx.data_ptr()), op, outer, len, size, inner, dim);
      } else {
        gather_rows(xp, static_cast<const int32_t*>(idx.data_ptr()), op, outer, len, size, inner, dim);
      }
    };
    detail::with_element_bits(es, run);
    return out;
  }
  const char* src = static_cast<const char*>(x.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  detail::parallel_for(idx.numel(), detail::kGrainCheap, [&](int64_t b, int64_t e) {
    walk(x, dim, idx, b, e, [&](int64_t p, int64_t off) { std::memcpy(dst + p * es, src + off * es, es); });
  });
  return out;
}

template <class T>
void add_at(const Tensor& out, const Tensor& idx, const Tensor& s, int64_t dim) {
  T* o = static_cast<T*>(out.data_ptr());
  const T* v = static_cast<T*>(s.data_ptr());
  const Shape ishape = idx.ndim() == 0 ? Shape{1} : idx.shape();
  const Shape sstr = s.ndim() == 0 ? Shape{1} : s.strides();
  // src may be larger than the index: its element at the index's coordinates.
  walk(out, dim, idx, 0, idx.numel(), [&](int64_t p, int64_t off) {
    int64_t so = 0, rem = p;
    for (std::size_t d = ishape.size(); d-- > 0;) {
      so += (rem % ishape[d]) * sstr[d];
      rem /= ishape[d];
    }
    if constexpr (std::is_same_v<T, uint8_t>) {
      o[off] = static_cast<uint8_t>(o[off] || v[so]);
    } else {
      o[off] += v[so];
    }
  });
}

Tensor scatter_add_impl(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  check_index("scatter", a, dim, index, &src);
  if (src.dtype() != a.dtype()) throw Error("scatter(): Expected self.dtype to be equal to src.dtype");
  Tensor out = a.clone();
  if (index.numel() == 0) return out;
  const Tensor idx = index.contiguous(), s = src.contiguous();
  switch (a.dtype()) {
    case DType::Bool: add_at<uint8_t>(out, idx, s, dim); break;
    case DType::Int32: add_at<int32_t>(out, idx, s, dim); break;
    case DType::Int64: add_at<int64_t>(out, idx, s, dim); break;
    case DType::Float32: add_at<float>(out, idx, s, dim); break;
    case DType::Float64: add_at<double>(out, idx, s, dim); break;
  }
  return out;
}

}  // namespace

Tensor gather(const Tensor& a, int64_t dim, const Tensor& index) {
  detail::check_defined(a, "gather");
  detail::check_defined(index, "gather");
  const int64_t d = wrap_dim(dim, a.ndim());
  if (autograd::should_record({&a}))
    return autograd::gather(a, d, index, [&] { return gather_impl(a, d, index); });
  return gather_impl(a, d, index);
}

Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  detail::check_defined(a, "scatter_add");
  detail::check_defined(index, "scatter_add");
  detail::check_defined(src, "scatter_add");
  const int64_t d = wrap_dim(dim, a.ndim());
  if (autograd::should_record({&a, &src}))
    return autograd::scatter_add(a, d, index, src, [&] { return scatter_add_impl(a, d, index, src); });
  return scatter_add_impl(a, d, index, src);
}

}  // namespace rusttorch
