// Reduction and scan entry points: dim and dtype rules, empty inputs, the
// (outer, len, inner) plan, the deterministic parallel split, and the
// finishing arithmetic (mean, var, norm, ...) on the small accumulator tensor.
//
// The split of the reduced dim depends on the shape only, never on the
// thread count: rows longer than kRowChunk are cut into kRowChunk pieces,
// and a column reduction with few output lanes is cut into row blocks of a
// size computed from the shape. Partial results are combined pairwise in a
// fixed order (chunk c with chunk c + step, step = 1, 2, 4, ...).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "parallel.h"
#include "op_util.h"
#include "rusttorch/ops.h"
#include "rusttorch/reduction.h"
#include "tensor_access.h"

namespace rusttorch {
namespace k = kernels;
namespace {

constexpr int64_t kRowChunk = int64_t{1} << 16;     // elements per piece of a long row
constexpr int64_t kColChunkElems = int64_t{1} << 16; // elements per row block of a narrow column reduction
constexpr int64_t kColTile = 512;                    // lanes per task of a wide column reduction

// ---------------------------------------------------------------- dims
struct Reduced {
  std::vector<bool> mask;  // per dim of the input (a 0-d input counts as 1-d)
  bool all = false;        // dim=None or ()
};

Reduced reduced_dims(const Tensor& a, const DimList& dims) {
  const int64_t nd = a.ndim();
  Reduced r;
  r.mask.assign(static_cast<std::size_t>(nd), false);
  if (dims.all()) {
    r.all = true;
    std::fill(r.mask.begin(), r.mask.end(), true);
    return r;
  }
  for (int64_t d : dims.dims()) {
    const int64_t w = wrap_dim(d, std::max<int64_t>(nd, 1));
    if (nd == 0) continue;
    if (r.mask[static_cast<std::size_t>(w)])
      throw Error("dim " + std::to_string(w) + " appears multiple times in the list of dims");
    r.mask[static_cast<std::size_t>(w)] = true;
  }
  return r;
}

Shape out_shape_of(const Tensor& a, const Reduced& r, bool keepdim) {
  Shape s;
  for (int64_t d = 0; d < a.ndim(); ++d) {
    if (!r.mask[static_cast<std::size_t>(d)]) s.push_back(a.size(d));
    else if (keepdim) s.push_back(1);
  }
  return s;
}

int64_t reduced_numel(const Tensor& a, const Reduced& r) {
  int64_t n = 1;
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (r.mask[static_cast<std::size_t>(d)]) n *= a.size(d);
  return n;
}

// An error naming the empty reduced dim, for ops without an identity.
[[noreturn]] void empty_error(const char* name, const Tensor& a, const Reduced& r, bool index_error) {
  if (r.all) {
    const std::string msg = std::string(name) +
                            "(): Expected reduction dim to be specified for input.numel() == 0." +
                            (index_error ? "" : " Specify the reduction dim with the 'dim' argument.");
    if (index_error) throw IndexError(msg);
    throw Error(msg);
  }
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (r.mask[static_cast<std::size_t>(d)] && a.size(d) == 0)
      throw IndexError(std::string(name) + "(): Expected reduction dim " + std::to_string(d) +
                       " to have non-zero size.");
  throw IndexError(std::string(name) + "(): Expected reduction dim to have non-zero size.");
}

// ---------------------------------------------------------------- plan
// The input as a contiguous (outer, len, inner) block; out_shape is the
// result's shape (its elements are in (outer, inner) order).
struct Plan {
  Tensor x;
  int64_t outer = 1, len = 1, inner = 1;
  Shape out_shape;
};

Plan make_plan(const Tensor& a, const Reduced& r, bool keepdim) {
  Plan p;
  p.out_shape = out_shape_of(a, r, keepdim);
  struct Group {
    bool red;
    int64_t size;
  };
  std::vector<Group> groups;
  for (int64_t d = 0; d < a.ndim(); ++d) {
    const int64_t s = a.size(d);
    if (s == 1) continue;
    const bool red = r.mask[static_cast<std::size_t>(d)];
    if (!groups.empty() && groups.back().red == red) groups.back().size *= s;
    else groups.push_back({red, s});
  }
  int reduced_groups = 0;
  for (const auto& g : groups) reduced_groups += g.red ? 1 : 0;
  if (reduced_groups <= 1) {
    p.x = a.contiguous();
    bool seen = false;
    for (const auto& g : groups) {
      if (g.red) { p.len = g.size; seen = true; }
      else if (!seen) p.outer *= g.size;
      else p.inner *= g.size;
    }
    return p;
  }
  // Several reduced groups: move the kept dims first (in order) and copy.
  Shape perm;
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (!r.mask[static_cast<std::size_t>(d)]) perm.push_back(d);
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (r.mask[static_cast<std::size_t>(d)]) perm.push_back(d);
  p.x = a.permute(perm).contiguous();
  for (int64_t d = 0; d < a.ndim(); ++d) {
    if (r.mask[static_cast<std::size_t>(d)]) p.len *= a.size(d);
    else p.outer *= a.size(d);
  }
  return p;
}

// ---------------------------------------------------------------- accumulators
DType acc_dtype(int op, DType dt) {
  switch (op) {
    case k::kRedSum: case k::kRedProd:
      return is_floating(dt) ? DType::Float64 : DType::Int64;
    case k::kRedSumAbs: case k::kRedSumSq: case k::kRedCountNonzero: case k::kRedSumSqDev: case k::kRedSumExp:
      return DType::Float64;
    case k::kRedAll: case k::kRedAny:
      return DType::Bool;
    default:
      return dt;
  }
}

template <class T> bool isnan_s(T v) { if constexpr (std::is_floating_point_v<T>) return v != v; else return false; }

// dst[i] = f(dst[i], src[i]).
template <class T, class F>
void zip_into(T* dst, const T* src, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f(dst[i], src[i]);
}

// dst[i] = combine(dst[i], src[i]); src comes after dst along the reduced dim.
// The op is chosen once per call, not per element: each case is one loop the
// compiler can vectorize (a switch inside the loop kept the sums scalar).
template <class T>
void combine_typed(int op, T* dst, const T* src, int64_t* di, const int64_t* si, int64_t n) {
  switch (op) {
    case k::kRedProd:
      if constexpr (std::is_same_v<T, int64_t>)
        zip_into(dst, src, n, [](T a, T b) { return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b)); });
      else zip_into(dst, src, n, [](T a, T b) { return static_cast<T>(a * b); });
      return;
    case k::kRedMax: case k::kRedMaxAbs:
      zip_into(dst, src, n, [](T a, T b) { return isnan_s(a) ? a : isnan_s(b) ? b : (b > a ? b : a); });
      return;
    case k::kRedMin: case k::kRedMinAbs:
      zip_into(dst, src, n, [](T a, T b) { return isnan_s(a) ? a : isnan_s(b) ? b : (b < a ? b : a); });
      return;
    case k::kRedArgMax: case k::kRedArgMin: {
      const bool is_max = op == k::kRedArgMax;
      for (int64_t i = 0; i < n; ++i) {
        const T a = dst[i], b = src[i];
        if (!isnan_s(a) && (isnan_s(b) || (is_max ? b > a : b < a))) { dst[i] = b; di[i] = si[i]; }
      }
      return;
    }
    case k::kRedAll: zip_into(dst, src, n, [](T a, T b) { return static_cast<T>(a && b); }); return;
    case k::kRedAny: zip_into(dst, src, n, [](T a, T b) { return static_cast<T>(a || b); }); return;
    default:  // sums
      if constexpr (std::is_same_v<T, int64_t>)
        zip_into(dst, src, n, [](T a, T b) { return static_cast<T>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b)); });
      else zip_into(dst, src, n, [](T a, T b) { return static_cast<T>(a + b); });
      return;
  }
}
void combine(int op, DType acc, void* dst, const void* src, int64_t* di, const int64_t* si, int64_t n) {
  switch (acc) {
    case DType::Bool: combine_typed(op, static_cast<uint8_t*>(dst), static_cast<const uint8_t*>(src), di, si, n); break;
    case DType::Int32: combine_typed(op, static_cast<int32_t*>(dst), static_cast<const int32_t*>(src), di, si, n); break;
    case DType::Int64: combine_typed(op, static_cast<int64_t*>(dst), static_cast<const int64_t*>(src), di, si, n); break;
    case DType::Float32: combine_typed(op, static_cast<float*>(dst), static_cast<const float*>(src), di, si, n); break;
    case DType::Float64: combine_typed(op, static_cast<double*>(dst), static_cast<const double*>(src), di, si, n); break;
  }
}

// nch partial blocks of `lanes` accumulators each, block c at parts + c * lanes:
// combined pairwise into block 0.
void combine_tree(int op, DType acc, char* parts, int64_t* idx, int64_t nch, int64_t lanes) {
  const int64_t as = static_cast<int64_t>(itemsize(acc));
  for (int64_t step = 1; step < nch; step *= 2)
    for (int64_t c = 0; c + step < nch; c += 2 * step)
      combine(op, acc, parts + c * lanes * as, parts + (c + step) * lanes * as, idx ? idx + c * lanes : nullptr,
              idx ? idx + (c + step) * lanes : nullptr, lanes);
}

// ---------------------------------------------------------------- driver
struct RawResult {
  Tensor acc;    // out_shape, acc dtype
  Tensor index;  // out_shape, int64 (arg ops)
};

// Runs reduction `op` of plan p (len >= 1); center: outer*inner doubles or null.
RawResult run_reduce(int op, const Plan& p, const double* center) {
  const DType dt = p.x.dtype();
  const auto fn = detail::active_kernels().reduce.reduce[op][static_cast<int>(dt)];
  if (!fn) throw Error("reduction not supported for dtype " + std::string(dtype_name(dt)));
  const DType adt = acc_dtype(op, dt);
  const bool arg = op == k::kRedArgMax || op == k::kRedArgMin;
  RawResult res;
  res.acc = TensorAccess::alloc(p.out_shape, adt);
  if (arg) res.index = TensorAccess::alloc(p.out_shape, DType::Int64);
  const int64_t O = p.outer, R = p.len, I = p.inner, lanes = O * I;
  const int64_t es = static_cast<int64_t>(itemsize(dt)), as = static_cast<int64_t>(itemsize(adt));
  const char* x = static_cast<const char*>(p.x.data_ptr());
  char* acc = static_cast<char*>(res.acc.data_ptr());
  int64_t* idx = arg ? res.index.data<int64_t>() : nullptr;

  auto call = [&](const char* xp, int64_t outer, int64_t len, int64_t inner, char* ap, int64_t* ip,
                  const double* cp) {
    k::ReduceArgs args{xp, outer, len, inner, R * I, I, ap, ip, cp};
    fn(args);
  };

  if (I == 1 && R > kRowChunk) {
    // Long rows: fixed pieces, then a pairwise combination per row.
    const int64_t nch = (R + kRowChunk - 1) / kRowChunk;
    std::vector<char> parts(static_cast<std::size_t>(nch * O * as));
    std::vector<int64_t> pidx(arg ? static_cast<std::size_t>(nch * O) : 0);
    detail::parallel_for(O * nch, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / nch, c = t % nch, r0 = c * kRowChunk;
        const int64_t slot = c * O + o;  // chunk-major: block c holds every row's piece c
        call(x + (o * R + r0) * es, 1, std::min(kRowChunk, R - r0), 1, parts.data() + slot * as,
             arg ? pidx.data() + slot : nullptr, center ? center + o : nullptr);
        if (arg) pidx[static_cast<std::size_t>(slot)] += r0;
      }
    });
    combine_tree(op, adt, parts.data(), arg ? pidx.data() : nullptr, nch, O);
    std::memcpy(acc, parts.data(), static_cast<std::size_t>(O * as));
    if (arg) std::memcpy(idx, pidx.data(), static_cast<std::size_t>(O) * sizeof(int64_t));
  } else if (I == 1) {
    const int64_t grain = std::max<int64_t>(1, detail::kGrainCheap / std::max<int64_t>(R, 1));
    detail::parallel_for(O, grain, [&](int64_t b, int64_t e) {
      call(x + b * R * es, e - b, R, 1, acc + b * as, arg ? idx + b : nullptr, center ? center + b : nullptr);
    });
  } else if (lanes < 4096 && R > 64 && lanes * R > 2 * kColChunkElems) {
    // Few output lanes, many rows: fixed row blocks (whole groups of the
    // kernel's 8 rows), then a pairwise combination.
    const int64_t rows = (std::max<int64_t>(64, (kColChunkElems + lanes - 1) / lanes) + 7) / 8 * 8;
    const int64_t nch = (R + rows - 1) / rows;
    std::vector<char> parts(static_cast<std::size_t>(nch * lanes * as));
    std::vector<int64_t> pidx(arg ? static_cast<std::size_t>(nch * lanes) : 0);
    detail::parallel_for(nch, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t r0 = c * rows;
        int64_t* ip = arg ? pidx.data() + c * lanes : nullptr;
        call(x + r0 * I * es, O, std::min(rows, R - r0), I, parts.data() + c * lanes * as, ip, center);
        if (arg) for (int64_t i = 0; i < lanes; ++i) ip[i] += r0;
      }
    });
    combine_tree(op, adt, parts.data(), arg ? pidx.data() : nullptr, nch, lanes);
    std::memcpy(acc, parts.data(), static_cast<std::size_t>(lanes * as));
    if (arg) std::memcpy(idx, pidx.data(), static_cast<std::size_t>(lanes) * sizeof(int64_t));
  } else if (I <= kColTile) {
    const int64_t grain = std::max<int64_t>(1, detail::kGrainCheap / std::max<int64_t>(R * I, 1));
    detail::parallel_for(O, grain, [&](int64_t b, int64_t e) {
      call(x + b * R * I * es, e - b, R, I, acc + b * I * as, arg ? idx + b * I : nullptr,
           center ? center + b * I : nullptr);
    });
  } else {
    // Wide columns: tasks of (outer index, tile of kColTile lanes), whole len each.
    const int64_t tiles = (I + kColTile - 1) / kColTile;
    const int64_t grain = std::max<int64_t>(1, detail::kGrainCheap / std::max<int64_t>(R * kColTile, 1));
    detail::parallel_for(O * tiles, grain, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / tiles, i0 = (t % tiles) * kColTile, off = o * I + i0;
        call(x + (o * R * I + i0) * es, 1, R, std::min(kColTile, I - i0), acc + off * as, arg ? idx + off : nullptr,
             center ? center + off : nullptr);
      }
    });
  }
  return res;
}

// ---------------------------------------------------------------- helpers
Tensor full_of(const Shape& shape, double v, DType dt) { return Tensor::full(shape, Scalar(v), dt); }

DType sum_dtype(DType in) { return is_floating(in) ? in : DType::Int64; }

// The kernel input for a sum-like op with a requested dtype. Float32 inputs
// stay as they are for a float64 result only where the kernel widens every
// element to double (prod); the float32 sum adds in float first, so a
// float64 sum or mean converts the input, as torch does.
Tensor convert_for(const Tensor& a, DType want, int op) {
  if (a.dtype() == want) return a;
  if (op != k::kRedSum && a.dtype() == DType::Float32 && want == DType::Float64) return a;
  return a.to(want);
}

void check_float(const Tensor& a, const char* msg) {
  if (!is_floating(a.dtype())) throw Error(std::string(msg) + detail::torch_type_name(a.dtype()));
}

// Sum-like reduction with a float64 (or int64) accumulator, finished to `out`.
Tensor reduce_to(int op, const Tensor& a, const Reduced& r, bool keepdim, DType out, const double* center = nullptr,
                 double empty_value = 0.0) {
  const Shape shape = out_shape_of(a, r, keepdim);
  if (reduced_numel(a, r) == 0 || checked_numel(shape) == 0) return full_of(shape, empty_value, out);
  const Plan p = make_plan(a, r, keepdim);
  return run_reduce(op, p, center).acc.to(out);
}

Tensor sum_impl(const Tensor& a, const DimList& dim, bool keepdim, std::optional<DType> dtype) {
  detail::check_defined(a, "sum");
  const DType out = dtype ? *dtype : sum_dtype(a.dtype());
  const Tensor x = convert_for(a, out, k::kRedSum);
  return reduce_to(k::kRedSum, x, reduced_dims(x, dim), keepdim, out);
}

DType mean_dtype(const Tensor& a, std::optional<DType> dtype, const char* name) {
  if (dtype) {
    if (!is_floating(*dtype))
      throw Error(std::string(name) + "(): could not infer output dtype. Optional dtype must be either a floating "
                  "point or complex dtype. Got: " + detail::torch_type_name(*dtype));
    return *dtype;
  }
  if (!is_floating(a.dtype()))
    throw Error(std::string(name) + "(): could not infer output dtype. Input dtype must be either a floating point "
                "or complex dtype. Got: " + detail::torch_type_name(a.dtype()));
  return a.dtype();
}

Tensor mean_impl(const Tensor& a, const DimList& dim, bool keepdim, std::optional<DType> dtype) {
  detail::check_defined(a, "mean");
  const DType out = mean_dtype(a, dtype, "mean");
  const Tensor x = convert_for(a, out, k::kRedSum);
  const Reduced r = reduced_dims(x, dim);
  const int64_t n = reduced_numel(x, r);
  const Shape shape = out_shape_of(x, r, keepdim);
  if (n == 0 || checked_numel(shape) == 0) return full_of(shape, std::numeric_limits<double>::quiet_NaN(), out);
  const Tensor s = run_reduce(k::kRedSum, make_plan(x, r, keepdim), nullptr).acc;
  return div(s, static_cast<double>(n)).to(out);
}

// max/min/amax/amin values (input dtype); NaN propagates.
Tensor extreme(const Tensor& a, const Reduced& r, bool keepdim, bool is_max, const char* name, bool index_error) {
  const Shape shape = out_shape_of(a, r, keepdim);
  if (reduced_numel(a, r) == 0) {
    if (checked_numel(shape) == 0 && !r.all) return TensorAccess::alloc(shape, a.dtype());
    empty_error(name, a, r, index_error);
  }
  if (checked_numel(shape) == 0) return TensorAccess::alloc(shape, a.dtype());
  return run_reduce(is_max ? k::kRedMax : k::kRedMin, make_plan(a, r, keepdim), nullptr).acc;
}

ValuesIndices arg_extreme(const Tensor& a, const Reduced& r, bool keepdim, bool is_max, const char* name) {
  const Shape shape = out_shape_of(a, r, keepdim);
  if (reduced_numel(a, r) == 0) {
    if (checked_numel(shape) == 0 && !r.all)
      return {TensorAccess::alloc(shape, a.dtype()), TensorAccess::alloc(shape, DType::Int64)};
    empty_error(name, a, r, true);
  }
  if (checked_numel(shape) == 0) return {TensorAccess::alloc(shape, a.dtype()), TensorAccess::alloc(shape, DType::Int64)};
  RawResult res = run_reduce(is_max ? k::kRedArgMax : k::kRedArgMin, make_plan(a, r, keepdim), nullptr);
  return {res.acc, res.index};
}

// Reduced mask for a single dim (0-d inputs accept 0 and -1).
Reduced one_dim(const Tensor& a, int64_t dim) { return reduced_dims(a, DimList(dim)); }

// The reduced dims, ascending, for the derivatives.
std::vector<int64_t> dims_of(const Tensor& a, const DimList& dim) {
  const Reduced r = reduced_dims(a, dim);
  std::vector<int64_t> d;
  for (std::size_t i = 0; i < r.mask.size(); ++i)
    if (r.mask[i]) d.push_back(static_cast<int64_t>(i));
  return d;
}
using autograd::Reduction;

}  // namespace

// ---------------------------------------------------------------- seed names
double sum(const Tensor& a) { return sum_impl(a, std::nullopt, false, std::nullopt).to(DType::Float64).item().to_double(); }
double mean(const Tensor& a) {
  return mean_impl(a, std::nullopt, false, std::nullopt).to(DType::Float64).item().to_double();
}
Tensor sum_dim(const Tensor& a, int64_t dim, bool keepdim) { return sum(a, dim, keepdim, std::nullopt); }
Tensor mean_dim(const Tensor& a, int64_t dim, bool keepdim) { return mean(a, dim, keepdim, std::nullopt); }
Tensor max(const Tensor& a) { return amax(a, std::nullopt, false); }
Tensor min(const Tensor& a) { return amin(a, std::nullopt, false); }

// ---------------------------------------------------------------- torch names
Tensor sum(const Tensor& a, DimList dim, bool keepdim, std::optional<DType> dtype) {
  if (autograd::should_record({&a}))
    return autograd::reduction(Reduction::Sum, a, dims_of(a, dim), keepdim, [&] { return sum_impl(a, dim, keepdim, dtype); });
  return sum_impl(a, dim, keepdim, dtype);
}
Tensor mean(const Tensor& a, DimList dim, bool keepdim, std::optional<DType> dtype) {
  if (autograd::should_record({&a}))
    return autograd::reduction(Reduction::Mean, a, dims_of(a, dim), keepdim, [&] { return mean_impl(a, dim, keepdim, dtype); });
  return mean_impl(a, dim, keepdim, dtype);
}

namespace {
Tensor prod_impl(const Tensor& a, const DimList& dim, bool keepdim, std::optional<DType> dtype) {
  detail::check_defined(a, "prod");
  const DType out = dtype ? *dtype : sum_dtype(a.dtype());
  const Tensor x = convert_for(a, out, k::kRedProd);
  return reduce_to(k::kRedProd, x, reduced_dims(x, dim), keepdim, out, nullptr, 1.0);
}
}  // namespace
Tensor prod(const Tensor& a, std::optional<DType> dtype) {
  if (autograd::should_record({&a}))
    return autograd::reduction(Reduction::Prod, a, dims_of(a, std::nullopt), false,
                               [&] { return prod_impl(a, std::nullopt, false, dtype); });
  return prod_impl(a, std::nullopt, false, dtype);
}
Tensor prod(const Tensor& a, int64_t dim, bool keepdim, std::optional<DType> dtype) {
  if (autograd::should_record({&a}))
    return autograd::reduction(Reduction::Prod, a, dims_of(a, dim), keepdim, [&] { return prod_impl(a, dim, keepdim, dtype); });
  return prod_impl(a, dim, keepdim, dtype);
}

ValuesIndices max(const Tensor& a, int64_t dim, bool keepdim) {
  detail::check_defined(a, "max");
  if (autograd::should_record({&a})) {
    ValuesIndices r;
    autograd::max_min_dim(a, a.ndim() == 0 ? 0 : wrap_dim(dim, a.ndim()), keepdim, true, r,
                          [&] { return arg_extreme(a, one_dim(a, dim), keepdim, true, "max"); });
    return r;
  }
  return arg_extreme(a, one_dim(a, dim), keepdim, true, "max");
}
ValuesIndices min(const Tensor& a, int64_t dim, bool keepdim) {
  detail::check_defined(a, "min");
  if (autograd::should_record({&a})) {
    ValuesIndices r;
    autograd::max_min_dim(a, a.ndim() == 0 ? 0 : wrap_dim(dim, a.ndim()), keepdim, false, r,
                          [&] { return arg_extreme(a, one_dim(a, dim), keepdim, false, "min"); });
    return r;
  }
  return arg_extreme(a, one_dim(a, dim), keepdim, false, "min");
}
Tensor amax(const Tensor& a, DimList dim, bool keepdim) {
  detail::check_defined(a, "amax");
  if (autograd::should_record({&a}))
    return autograd::reduction(Reduction::AMax, a, dims_of(a, dim), keepdim,
                               [&] { return extreme(a, reduced_dims(a, dim), keepdim, true, "amax", false); });
  return extreme(a, reduced_dims(a, dim), keepdim, true, "amax", false);
}
Tensor amin(const Tensor& a, DimList dim, bool keepdim) {
  detail::check_defined(a, "amin");
  if (autograd::should_record({&a}))
    return autograd::reduction(Reduction::AMin, a, dims_of(a, dim), keepdim,
                               [&] { return extreme(a, reduced_dims(a, dim), keepdim, false, "amin", false); });
  return extreme(a, reduced_dims(a, dim), keepdim, false, "amin", false);
}

namespace {
Tensor arg_impl(const Tensor& a, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  detail::check_defined(a, name);
  if (a.dtype() == DType::Bool) throw Error(std::string(name) + "(): does not support bool input");
  if (dim) return arg_extreme(a, one_dim(a, *dim), keepdim, is_max, name).indices;
  // Over the flattened tensor; keepdim keeps every dim as 1.
  const Tensor flat = a.reshape({a.numel()});
  Tensor idx = arg_extreme(flat, reduced_dims(flat, std::nullopt), false, is_max, name).indices;
  if (keepdim) idx = idx.reshape(Shape(static_cast<std::size_t>(a.ndim()), 1));
  return idx;
}
}  // namespace
Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return arg_impl(a, dim, keepdim, true); }
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim) { return arg_impl(a, dim, keepdim, false); }

// ---------------------------------------------------------------- var / std
namespace {
Tensor var_impl(const Tensor& a, const DimList& dim, double correction, bool keepdim, bool take_sqrt) {
  detail::check_defined(a, take_sqrt ? "std" : "var");
  if (!is_floating(a.dtype())) throw Error("std and var only support floating point and complex dtypes");
  const Reduced r = reduced_dims(a, dim);
  const int64_t n = reduced_numel(a, r);
  const Shape shape = out_shape_of(a, r, keepdim);
  if (n == 0 || checked_numel(shape) == 0) return full_of(shape, std::numeric_limits<double>::quiet_NaN(), a.dtype());
  const Plan p = make_plan(a, r, keepdim);
  const Tensor mean = div(run_reduce(k::kRedSum, p, nullptr).acc, static_cast<double>(n));  // float64, contiguous
  const Tensor m2 = run_reduce(k::kRedSumSqDev, p, mean.data<double>()).acc;
  const double denom = std::max(0.0, static_cast<double>(n) - correction);
  Tensor v = div(m2, denom);
  if (take_sqrt) v = sqrt(v);
  return v.to(a.dtype());
}
}  // namespace
Tensor var(const Tensor& a, DimList dim, double correction, bool keepdim) {
  if (autograd::should_record({&a}))
    return autograd::var_std(a, dims_of(a, dim), correction, keepdim, false,
                             [&] { return var_impl(a, dim, correction, keepdim, false); });
  return var_impl(a, dim, correction, keepdim, false);
}
Tensor std(const Tensor& a, DimList dim, double correction, bool keepdim) {
  if (autograd::should_record({&a}))
    return autograd::var_std(a, dims_of(a, dim), correction, keepdim, true,
                             [&] { return var_impl(a, dim, correction, keepdim, true); });
  return var_impl(a, dim, correction, keepdim, true);
}

// ---------------------------------------------------------------- norm, logsumexp
Tensor norm(const Tensor& a, double p, DimList dim, bool keepdim) {
  detail::check_defined(a, "norm");
  if (autograd::should_record({&a}))
    return autograd::norm(a, p, dims_of(a, dim), keepdim, [&] { return norm(a.detach(), p, dim, keepdim); });
  check_float(a, "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ");
  const Reduced r = reduced_dims(a, dim);
  const DType out = a.dtype();
  if (std::isinf(p)) {
    const Shape shape = out_shape_of(a, r, keepdim);
    if (reduced_numel(a, r) == 0 && checked_numel(shape) != 0) {
      if (r.all) throw Error("linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
                             "does not have an identity");
      for (int64_t d = 0; d < a.ndim(); ++d)
        if (r.mask[static_cast<std::size_t>(d)] && a.size(d) == 0)
          throw Error("linalg.vector_norm cannot compute the inf norm on the dimension " + std::to_string(d) +
                      "because this dimension is empty and the operation does not have an identity");
    }
    if (checked_numel(shape) == 0) return TensorAccess::alloc(shape, out);
    return run_reduce(p > 0 ? k::kRedMaxAbs : k::kRedMinAbs, make_plan(a, r, keepdim), nullptr).acc;
  }
  if (p == 2.0) return sqrt(reduce_to(k::kRedSumSq, a, r, keepdim, DType::Float64)).to(out);
  if (p == 1.0) return reduce_to(k::kRedSumAbs, a, r, keepdim, out);
  if (p == 0.0) return reduce_to(k::kRedCountNonzero, a, r, keepdim, out);
  // Any other p: (sum |x|^p)^(1/p), in float64.
  const Tensor powered = pow(abs(a.to(DType::Float64)), p);
  return pow(reduce_to(k::kRedSum, powered, r, keepdim, DType::Float64), 1.0 / p).to(out);
}

Tensor logsumexp(const Tensor& a, DimList dim, bool keepdim) {
  detail::check_defined(a, "logsumexp");
  if (autograd::should_record({&a}))
    return autograd::reduction(Reduction::LogSumExp, a, dims_of(a, dim), keepdim,
                               [&] { return logsumexp(a.detach(), dim, keepdim); });
  const Tensor x = is_floating(a.dtype()) ? a : a.to(kDefaultFloat);
  const Reduced r = reduced_dims(x, dim);
  const Shape shape = out_shape_of(x, r, keepdim);
  if (reduced_numel(x, r) == 0 || checked_numel(shape) == 0)
    return full_of(shape, -std::numeric_limits<double>::infinity(), x.dtype());
  const Plan p = make_plan(x, r, keepdim);
  // center = max, or 0 where the max is infinite (as torch); NaN stays NaN.
  Tensor m = run_reduce(k::kRedMax, p, nullptr).acc.to(DType::Float64);
  double* mc = m.data<double>();
  for (int64_t i = 0; i < m.numel(); ++i)
    if (std::isinf(mc[i])) mc[i] = 0.0;
  const Tensor s = run_reduce(k::kRedSumExp, p, mc).acc;
  return add(log(s), m).to(x.dtype());
}

// ---------------------------------------------------------------- all, any
namespace {
Tensor logical_impl(const Tensor& a, const DimList& dim, bool keepdim, bool all_op) {
  detail::check_defined(a, all_op ? "all" : "any");
  const Reduced r = reduced_dims(a, dim);
  const Shape shape = out_shape_of(a, r, keepdim);
  if (reduced_numel(a, r) == 0 || checked_numel(shape) == 0)
    return Tensor::full(shape, Scalar(all_op), DType::Bool);
  return run_reduce(all_op ? k::kRedAll : k::kRedAny, make_plan(a, r, keepdim), nullptr).acc;
}
}  // namespace
Tensor all(const Tensor& a, DimList dim, bool keepdim) { return logical_impl(a, dim, keepdim, true); }
Tensor any(const Tensor& a, DimList dim, bool keepdim) { return logical_impl(a, dim, keepdim, false); }

// ---------------------------------------------------------------- scans
namespace {
Tensor scan_impl(const Tensor& a, int64_t dim, std::optional<DType> dtype, bool prod) {
  detail::check_defined(a, prod ? "cumprod" : "cumsum");
  const Tensor x = (dtype ? a.to(*dtype) : a).contiguous();
  const DType dt = x.dtype();
  const DType out_dt = dtype ? *dtype : sum_dtype(dt);
  const DType kernel_out = sum_dtype(dt);  // what the kernel writes
  const int64_t nd = std::max<int64_t>(x.ndim(), 1);
  const int64_t d = wrap_dim(dim, nd);
  Tensor out = TensorAccess::alloc(x.shape(), kernel_out);
  if (x.numel() > 0) {
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t i = 0; i < x.ndim(); ++i) {
      if (i < d) outer *= x.size(i);
      else if (i == d) len = x.size(i);
      else inner *= x.size(i);
    }
    const auto fn = detail::active_kernels().reduce.scan[prod ? k::kScanProd : k::kScanSum][static_cast<int>(dt)];
    const int64_t es = static_cast<int64_t>(x.itemsize()), os = static_cast<int64_t>(out.itemsize());
    const char* xp = static_cast<const char*>(x.data_ptr());
    char* op = static_cast<char*>(out.data_ptr());
    const int64_t tiles = inner == 1 ? 1 : (inner + kColTile - 1) / kColTile;
    const int64_t per = len * std::min(inner, kColTile);
    detail::parallel_for(outer * tiles, std::max<int64_t>(1, detail::kGrainCheap / std::max<int64_t>(per, 1)),
                         [&](int64_t b, int64_t e) {
      if (inner == 1) {
        k::ScanArgs args{xp + b * len * es, op + b * len * os, e - b, len, 1, len, 1};
        fn(args);
        return;
      }
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / tiles, i0 = (t % tiles) * kColTile, off = o * len * inner + i0;
        k::ScanArgs args{xp + off * es, op + off * os, 1, len, std::min(kColTile, inner - i0), len * inner, inner};
        fn(args);
      }
    });
  }
  return out.to(out_dt);
}
}  // namespace
Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  if (autograd::should_record({&a}))
    return autograd::scan(a, wrap_dim(dim, std::max<int64_t>(a.ndim(), 1)), false, [&] { return scan_impl(a, dim, dtype, false); });
  return scan_impl(a, dim, dtype, false);
}
Tensor cumprod(const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  if (autograd::should_record({&a}))
    return autograd::scan(a, wrap_dim(dim, std::max<int64_t>(a.ndim(), 1)), true, [&] { return scan_impl(a, dim, dtype, true); });
  return scan_impl(a, dim, dtype, true);
}

}  // namespace rusttorch
