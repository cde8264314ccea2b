// sort, argsort, msort, topk, kthvalue, sort_values, unique_consecutive,
// searchsorted, bucketize: checks, outputs and the row loop. A "row" is the
// 1-D slice along the sorted dim of the contiguous input, `len` elements
// `inner` apart; rows run in parallel tiles, and one long row is split
// across the threads by the sample sort of engine/vqsort.cpp. The kernels
// (kernels/sort_abi.h) turn rows into distinct composite keys, so every
// result is the stable one and the same for any thread count.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "kernel_abi.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/sort.h"
#include "vqsort.h"

namespace rusttorch {

namespace detail {
const kernels::KernelTable& active_kernels();
}

namespace {

namespace k = kernels;

int dt(const Tensor& t) { return static_cast<int>(t.dtype()); }

// The contiguous input seen as (outer, len, inner).
struct Rows {
  Tensor x;
  Shape shape;  // a's shape, (1) for a 0-d tensor
  int64_t dim = 0, outer = 1, len = 1, inner = 1;
  int64_t count() const { return outer * inner; }
  int64_t offset(int64_t r) const { return (r / inner) * len * inner + r % inner; }  // of row r's first element
};

Rows rows_of(const Tensor& a, int64_t dim) {
  Rows R;
  R.dim = wrap_dim(dim, a.ndim());
  R.x = a.contiguous();
  R.shape = a.ndim() == 0 ? Shape{1} : a.shape();
  for (int64_t d = 0; d < R.dim; ++d) R.outer *= R.shape[static_cast<std::size_t>(d)];
  R.len = R.shape[static_cast<std::size_t>(R.dim)];
  for (std::size_t d = static_cast<std::size_t>(R.dim) + 1; d < R.shape.size(); ++d) R.inner *= R.shape[d];
  if (R.len >= (int64_t{1} << 32))
    throw Error("sort: a dim of 2^32 elements or more is not supported (got " + std::to_string(R.len) + ")");
  return R;
}

const char* elem(const Tensor& t, int64_t i) {
  return static_cast<const char*>(t.data_ptr()) + i * static_cast<int64_t>(t.itemsize());
}
char* elem_mut(const Tensor& t, int64_t i) {
  return static_cast<char*>(t.data_ptr()) + i * static_cast<int64_t>(t.itemsize());
}

// f(row, scratch) for every row, in parallel tiles; scratch holds `words`
// uint64 per tile. A tile gets at least ~64k elements of work.
template <class F>
void for_rows(const Rows& R, int64_t words, const F& f) {
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(R.len, 1));
  detail::parallel_for(R.count(), grain, [&](int64_t b, int64_t e) {
    std::vector<uint64_t> scratch(static_cast<std::size_t>(std::max<int64_t>(words, 1)));
    for (int64_t r = b; r < e; ++r) f(r, scratch.data());
  });
}

// Sorts every row of R into values/indices laid out as R.x.
void sort_rows(const Rows& R, bool descending, const Tensor& values, const Tensor& indices) {
  const auto& kt = detail::active_kernels().sort;
  const int d = dt(R.x);
  const int words = k::composite_words(d);
  const auto pack = kt.pack[d];
  const auto unpack = kt.unpack[d];
  int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
  void* val = values.defined() ? values.data_ptr() : nullptr;
  const int64_t es = static_cast<int64_t>(R.x.itemsize());
  if (R.count() == 1) {  // one row: packed and unpacked in parallel pieces, sorted across the threads
    const Tensor scratch = Tensor::empty({R.len * words}, DType::Int64);  // recycled: no page faults
    uint64_t* keys = static_cast<uint64_t*>(scratch.data_ptr());
    const int64_t n = R.len, s = R.inner;
    detail::parallel_for(n, detail::kGrainCheap, [&](int64_t b, int64_t e) {
      pack(elem(R.x, b * s), s, e - b, descending, b, keys + b * words);
    });
    detail::sort_composites(keys, n, words, true);
    detail::parallel_for(n, detail::kGrainCheap, [&](int64_t b, int64_t e) {
      unpack(keys + b * words, e - b, descending, R.x.data_ptr(), s,
             val ? static_cast<char*>(val) + b * s * es : nullptr, idx + b * s, s);
    });
    return;
  }
  for_rows(R, R.len * words, [&](int64_t r, uint64_t* keys) {
    const int64_t off = R.offset(r);
    pack(elem(R.x, off), R.inner, R.len, descending, 0, keys);
    detail::sort_composites(keys, R.len, words, false);
    unpack(keys, R.len, descending, elem(R.x, off), R.inner, val ? static_cast<char*>(val) + off * es : nullptr, idx + off,
           R.inner);
  });
}

ValuesIndices sort_impl(const Tensor& a, int64_t dim, bool descending, bool with_values) {
  Rows R = rows_of(a, dim);
  ValuesIndices r;
  if (with_values) r.values = Tensor::empty(a.shape(), a.dtype());
  r.indices = Tensor::empty(a.shape(), DType::Int64);
  if (a.numel() > 0) sort_rows(R, descending, r.values, r.indices);
  return r;
}

ValuesIndices topk_impl(const Tensor& a, int64_t kk, int64_t dim, bool largest, bool sorted) {
  if (a.dtype() == DType::Bool) throw Error("topk does not support bool dtypes on CPU");
  Rows R = rows_of(a, dim);
  if (kk < 0 || kk > R.len) throw Error("selected index k out of range");
  Shape out_shape = a.shape();
  if (a.ndim() > 0) out_shape[static_cast<std::size_t>(R.dim)] = kk;
  ValuesIndices r{Tensor::empty(out_shape, a.dtype()), Tensor::empty(out_shape, DType::Int64)};
  if (a.ndim() == 0) {  // torch: the value itself for k = 0 and 1 (a 0-d result cannot hold none)
    r.values.copy_(a);
    r.indices.fill_(0);
    return r;
  }
  if (kk == 0 || r.values.numel() == 0) return r;
  const auto& kt = detail::active_kernels().sort;
  const int d = dt(a);
  const int words = k::composite_words(d);
  const int64_t es = static_cast<int64_t>(a.itemsize());
  // Few of many: one pass keeping a heap of the k best. Else: select the
  // k-th, collect the k not after it.
  const bool heap = kk <= 256 && kk * 8 <= R.len;
  char* val = static_cast<char*>(r.values.data_ptr());
  int64_t* idx = static_cast<int64_t*>(r.indices.data_ptr());
  for_rows(R, (heap ? kk : R.len + 1) * words, [&](int64_t row, uint64_t* scratch) {
    const char* x = elem(R.x, R.offset(row));
    const int64_t out_off = (row / R.inner) * kk * R.inner + row % R.inner;
    uint64_t* best = scratch;
    if (heap) {
      kt.smallest[d](x, R.inner, R.len, kk, largest, best);
    } else {
      const int64_t at = kt.select[d](x, R.inner, R.len, kk - 1, largest, scratch);
      uint64_t bound[2];
      kt.pack[d](x + at * R.inner * es, R.inner, 1, largest, at, bound);
      kt.collect[d](x, R.inner, R.len, largest, bound, scratch);
    }
    if (sorted || heap) detail::sort_composites(best, kk, words, false);
    kt.unpack[d](best, kk, largest, x, R.inner, val + out_off * es, idx + out_off, R.inner);
  });
  return r;
}

ValuesIndices kthvalue_impl(const Tensor& a, int64_t kk, int64_t dim, bool keepdim) {
  if (a.dtype() == DType::Bool) detail::not_implemented("kthvalue_cpu", a.dtype());
  Rows R = rows_of(a, dim);
  if (a.ndim() > 0 && R.len == 0)
    throw IndexError("kthvalue(): Expected reduction dim " + std::to_string(R.dim) + " to have non-zero size.");
  if (kk < 1 || kk > R.len)
    throw Error("kthvalue(): selected number k out of range for dimension " + std::to_string(R.dim));
  Shape out_shape = a.shape();
  if (a.ndim() > 0) {
    if (keepdim) {
      out_shape[static_cast<std::size_t>(R.dim)] = 1;
    } else {
      out_shape.erase(out_shape.begin() + R.dim);
    }
  }
  ValuesIndices r{Tensor::empty(out_shape, a.dtype()), Tensor::empty(out_shape, DType::Int64)};
  const auto& kt = detail::active_kernels().sort;
  const int d = dt(a);
  const int words = k::composite_words(d);
  const int64_t es = static_cast<int64_t>(a.itemsize());
  int64_t* idx = static_cast<int64_t*>(r.indices.data_ptr());
  for_rows(R, R.len * words, [&](int64_t row, uint64_t* scratch) {
    const char* x = elem(R.x, R.offset(row));
    const int64_t at = kt.select[d](x, R.inner, R.len, kk - 1, 0, scratch);
    idx[row] = at;
    std::memcpy(elem_mut(r.values, row), x + at * R.inner * es, static_cast<std::size_t>(es));
  });
  return r;
}

}  // namespace

ValuesIndices sort(const Tensor& a, int64_t dim, bool descending, bool /*stable: every sort is*/) {
  detail::check_defined(a, "sort");
  if (autograd::should_record({&a}) && is_floating(a.dtype())) {
    ValuesIndices r;
    autograd::indexed_values("SortBackward0", a, dim, true, r, [&] { return sort_impl(a, dim, descending, true); });
    return r;
  }
  return sort_impl(a, dim, descending, true);
}

Tensor argsort(const Tensor& a, int64_t dim, bool descending, bool /*stable*/) {
  detail::check_defined(a, "argsort");
  return sort_impl(a, dim, descending, false).indices;
}

Tensor msort(const Tensor& a) { return sort(a, 0).values; }

const char* sort_target_name() { return detail::sort_target(); }

ValuesIndices topk(const Tensor& a, int64_t kk, int64_t dim, bool largest, bool sorted) {
  detail::check_defined(a, "topk");
  if (autograd::should_record({&a}) && is_floating(a.dtype())) {
    ValuesIndices r;
    autograd::indexed_values("TopkBackward0", a, dim, true, r, [&] { return topk_impl(a, kk, dim, largest, sorted); });
    return r;
  }
  return topk_impl(a, kk, dim, largest, sorted);
}

ValuesIndices kthvalue(const Tensor& a, int64_t kk, int64_t dim, bool keepdim) {
  detail::check_defined(a, "kthvalue");
  if (autograd::should_record({&a}) && is_floating(a.dtype())) {
    ValuesIndices r;
    autograd::indexed_values("KthvalueBackward0", a, dim, keepdim, r, [&] { return kthvalue_impl(a, kk, dim, keepdim); });
    return r;
  }
  return kthvalue_impl(a, kk, dim, keepdim);
}

Tensor sort_values(const Tensor& a, bool descending) {
  detail::check_defined(a, "sort_values");
  const Tensor x = a.contiguous().reshape({a.numel()});
  const int64_t n = a.numel();
  Tensor out = Tensor::empty({n}, a.dtype());
  if (n == 0) return out;
  const auto& kt = detail::active_kernels().sort;
  const int d = dt(a);
  if (k::composite_words(d) == 1) {
    // 32-bit keys sort fastest as composites: Highway's 32-bit sort is several
    // times slower than its 64-bit one on AVX-512 (Zen 4, measured).
    sort_rows(rows_of(x, 0), descending, out, Tensor::empty({n}, DType::Int64));
    return out;
  }
  const Tensor keys = Tensor::empty({n}, DType::Int64);
  uint64_t* kp = static_cast<uint64_t*>(keys.data_ptr());
  detail::parallel_for(n, detail::kGrainCheap, [&](int64_t b, int64_t e) { kt.keys[d](elem(x, b), e - b, kp + b); });
  if (descending) {
    detail::sort_keys64(kp, n, true);
  } else {
    detail::sort_composites(kp, n, 1, true);  // distinct or not, the multiset comes out sorted
  }
  detail::parallel_for(n, detail::kGrainCheap, [&](int64_t b, int64_t e) { kt.from_keys[d](kp + b, e - b, elem_mut(out, b)); });
  return out;
}

// dst[j] = src[at[j]] for j < m, elements of `es` bytes.
static void gather_elements(const void* src, const int64_t* at, int64_t m, std::size_t es, void* dst) {
  detail::with_element_bits(es, [&](auto tag) {
    using E = decltype(tag);
    const E* s = static_cast<const E*>(src);
    E* d = static_cast<E*>(dst);
    for (int64_t j = 0; j < m; ++j) d[j] = s[at[j]];
  });
}

UniqueResult unique_consecutive(const Tensor& a, bool return_inverse, bool return_counts) {
  detail::check_defined(a, "unique_consecutive");
  const Tensor x = a.contiguous();
  const int64_t n = a.numel();
  const Tensor starts_t = Tensor::empty({n + 1}, DType::Int64);  // recycled: no page faults
  int64_t* starts = static_cast<int64_t*>(starts_t.data_ptr());
  const int64_t m = detail::active_kernels().sort.run_starts[dt(a)](x.data_ptr(), n, starts);
  starts[m] = n;
  UniqueResult r;
  r.values = Tensor::empty({m}, a.dtype());
  gather_elements(x.data_ptr(), starts, m, a.itemsize(), r.values.data_ptr());
  r.inverse = Tensor::empty(return_inverse ? a.shape() : Shape{0}, DType::Int64);
  if (return_inverse) {
    int64_t* inv = static_cast<int64_t*>(r.inverse.data_ptr());
    for (int64_t j = 0; j < m; ++j) std::fill(inv + starts[j], inv + starts[j + 1], j);
  }
  r.counts = Tensor::empty({return_counts ? m : 0}, DType::Int64);
  if (return_counts) {
    int64_t* c = static_cast<int64_t*>(r.counts.data_ptr());
    for (int64_t j = 0; j < m; ++j) c[j] = starts[j + 1] - starts[j];
  }
  return r;
}

namespace {

// unique of integers whose range is at most about the element count: one
// counting pass over a table of the range (no sort), the table's occupied
// bins are the sorted values, and turned into ranks they give the inverse.
template <class T>
bool unique_by_counting(const Tensor& x, bool return_inverse, bool return_counts, UniqueResult& r) {
  const int64_t n = x.numel();
  const T* p = static_cast<const T*>(x.data_ptr());
  T lo = p[0], hi = p[0];
  for (int64_t i = 1; i < n; ++i) {
    lo = std::min(lo, p[i]);
    hi = std::max(hi, p[i]);
  }
  const double range = static_cast<double>(hi) - static_cast<double>(lo) + 1;
  if (range > 2.0 * static_cast<double>(n) || n >= (int64_t{1} << 31)) return false;
  const int64_t bins = static_cast<int64_t>(range);
  Tensor table = Tensor::zeros({bins}, DType::Int32);  // int32 counts and ranks: half the table's traffic
  int32_t* cnt = static_cast<int32_t*>(table.data_ptr());
  for (int64_t i = 0; i < n; ++i) ++cnt[static_cast<int64_t>(p[i]) - static_cast<int64_t>(lo)];
  int64_t m = 0;
  for (int64_t b = 0; b < bins; ++b) m += cnt[b] != 0;
  r.values = Tensor::empty({m}, x.dtype());
  r.counts = Tensor::empty({return_counts ? m : 0}, DType::Int64);
  T* v = static_cast<T*>(r.values.data_ptr());
  int64_t* c = static_cast<int64_t*>(r.counts.data_ptr());
  int32_t j = 0;
  for (int64_t b = 0; b < bins; ++b) {
    if (!cnt[b]) continue;
    v[j] = static_cast<T>(static_cast<int64_t>(lo) + b);
    if (return_counts) c[j] = cnt[b];
    cnt[b] = j++;  // now the bin's rank
  }
  r.inverse = Tensor::empty(return_inverse ? x.shape() : Shape{0}, DType::Int64);
  if (return_inverse) {
    int64_t* inv = static_cast<int64_t*>(r.inverse.data_ptr());
    for (int64_t i = 0; i < n; ++i) inv[i] = cnt[static_cast<int64_t>(p[i]) - static_cast<int64_t>(lo)];
  }
  return true;
}

}  // namespace

UniqueResult unique(const Tensor& a, bool return_inverse, bool return_counts) {
  detail::check_defined(a, "unique");
  const Tensor x = a.contiguous();
  const int64_t n = a.numel();
  UniqueResult r;
  if (n > 0 && a.dtype() == DType::Int64 && unique_by_counting<int64_t>(x, return_inverse, return_counts, r)) return r;
  if (n > 0 && a.dtype() == DType::Int32 && unique_by_counting<int32_t>(x, return_inverse, return_counts, r)) return r;
  if (!return_inverse) return unique_consecutive(sort_values(x, false), false, return_counts);
  // The inverse needs each element's place: sort with indices, then undo the permutation.
  const ValuesIndices vi = sort_impl(x.reshape({n}), 0, false, true);
  r = unique_consecutive(vi.values, true, return_counts);
  Tensor inverse = Tensor::empty(a.shape(), DType::Int64);
  const int64_t* perm = static_cast<const int64_t*>(vi.indices.data_ptr());
  const int64_t* run = static_cast<const int64_t*>(r.inverse.data_ptr());
  int64_t* inv = static_cast<int64_t*>(inverse.data_ptr());
  for (int64_t i = 0; i < n; ++i) inv[perm[i]] = run[i];
  r.inverse = inverse;
  return r;
}

Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool out_int32, bool right, const Tensor* sorter) {
  detail::check_defined(sorted, "searchsorted");
  detail::check_defined(values, "searchsorted");
  if (sorted.ndim() == 0)
    throw Error("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension");
  auto shape_str = [](const Shape& s) {
    std::string o = "[";
    for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
    return o + "]";
  };
  if (sorted.ndim() > 1) {
    bool ok = values.ndim() == sorted.ndim();
    for (int64_t d = 0; ok && d + 1 < sorted.ndim(); ++d)
      ok = sorted.shape()[static_cast<std::size_t>(d)] == values.shape()[static_cast<std::size_t>(d)];
    if (!ok)
      throw Error(
          "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
          "tensor and input value tensor must match, but we got boundaries tensor " +
          shape_str(sorted.shape()) + " and input value tensor " + shape_str(values.shape()));
  }
  const DType common = promote_types(sorted.dtype(), values.dtype());
  if (common == DType::Bool) detail::not_implemented("searchsorted_out_cpu", common);
  Tensor seq = sorted.to(common).contiguous();
  const int64_t n = sorted.shape().back();
  const int64_t seqs = n == 0 ? 0 : sorted.numel() / n;
  if (sorter) {
    if (sorter->dtype() != DType::Int64)
      throw Error(std::string("torch.searchsorted(): sorter must be a tensor of long dtype but got dtype ") +
                  detail::torch_type_name(sorter->dtype()));
    if (sorter->shape() != sorted.shape())
      throw Error("torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor " +
                  shape_str(sorted.shape()) + "and got sorter tensor " + shape_str(sorter->shape()));
    const Tensor s = sorter->contiguous();
    const int64_t* p = static_cast<int64_t*>(s.data_ptr());
    std::vector<uint8_t> seen(static_cast<std::size_t>(n));
    for (int64_t r = 0; r < seqs; ++r) {
      std::fill(seen.begin(), seen.end(), 0);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v = p[r * n + i];
        if (v < 0 || v >= n) throw Error("torch.searchsorted(): sorter index out of range");
        if (seen[static_cast<std::size_t>(v)]++)
          throw Error("torch.searchsorted(): sorter is not a permutation of its row's indices (index " +
                      std::to_string(v) + " appears twice)");
      }
    }
    seq = gather(seq, -1, s);
  }
  const Tensor v = values.to(common).contiguous();
  Tensor out = Tensor::empty(values.shape(), out_int32 ? DType::Int32 : DType::Int64);
  const int64_t m = v.numel();
  if (m == 0) return out;
  const auto search = detail::active_kernels().sort.search[static_cast<int>(common)];
  const int64_t per_row = sorted.ndim() == 1 ? m : values.shape().back();
  const int64_t oes = out_int32 ? 4 : 8;
  detail::parallel_for(m, 4096, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e;) {
      const int64_t row = j / std::max<int64_t>(per_row, 1);
      const int64_t row_end = std::min(e, (row + 1) * per_row);
      const int64_t srow = sorted.ndim() == 1 ? 0 : row;
      search(elem(seq, srow * n), 1, n, elem(v, j), 1, row_end - j, right, static_cast<char*>(out.data_ptr()) + j * oes,
             1, out_int32);
      j = row_end;
    }
  });
  return out;
}

Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool out_int32, bool right) {
  detail::check_defined(boundaries, "bucketize");
  if (boundaries.ndim() != 1)
    throw Error("boundaries tensor must be 1 dimension, but got dim(" + std::to_string(boundaries.ndim()) + ")");
  return searchsorted(boundaries, input, out_int32, right, nullptr);
}

}  // namespace rusttorch
