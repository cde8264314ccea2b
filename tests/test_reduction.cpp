// Reductions and scans on every ISA this CPU has (forced through
// set_cpu_capability), against float64 / int64 references computed here, over
// row shapes (reduce the contiguous dim), column shapes (reduce an outer dim),
// middle dims, sets of dims, keepdim, non-contiguous inputs, sizes around the
// vector widths and the chunk boundaries (2^16 elements per row piece).
//
// Tolerances: float32 sums add 8 elements at a time in float (pairwise) and
// the partial sums in double, so they are checked to 1 ULP plus
// 3 * 2^-24 * sum|x| (at most three float roundings per element); the other
// float32 reductions (sum of squares, of |x|, of exp, var's deviations) widen
// every element to double: 1 ULP of the correctly rounded value. float64 to a
// relative 1e-13 of a long double reference (pairwise summation); max, min,
// argmax, all, any and integer results are exact. Determinism: same bits for
// 1, 2 and 7 threads.
#include <algorithm>
#include <functional>
#include <numeric>

#include "test_support.h"

using namespace rusttorch;
using rt_test::for_each_isa;

namespace {

using rt_test::quick;

using rt_test::ThreadGuard;

// Reference reduction over the dims in `mask` of a row-major tensor with
// `shape`: calls fold(acc, value) for each element in row-major order and
// returns one acc per output element (in row-major order of the kept dims).
template <class Acc, class V>
std::vector<Acc> ref_reduce(const std::vector<V>& data, const Shape& shape, const std::vector<bool>& mask, Acc init,
                            const std::function<Acc(Acc, V)>& fold) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  int64_t out_n = 1;
  for (int64_t d = 0; d < nd; ++d)
    if (!mask[d]) out_n *= shape[d];
  std::vector<Acc> out(static_cast<std::size_t>(out_n), init);
  std::vector<int64_t> idx(nd, 0);
  for (std::size_t flat = 0; flat < data.size(); ++flat) {
    int64_t o = 0;
    for (int64_t d = 0; d < nd; ++d)
      if (!mask[d]) o = o * shape[d] + idx[d];
    out[o] = fold(out[o], data[flat]);
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

std::vector<bool> mask_of(int64_t nd, const std::vector<int64_t>& dims) {
  std::vector<bool> m(nd, dims.empty());
  for (int64_t d : dims) m[(d + nd) % nd] = true;
  return m;
}

// Shapes and dim sets that hit the row path, the column path (narrow and
// wide), middle dims, several groups (the permuted copy) and chunked rows.
struct Case {
  Shape shape;
  std::vector<int64_t> dims;
};
std::vector<Case> cases() {
  std::vector<Case> c = {
      {{1}, {0}},       {{7}, {0}},          {{33}, {}},           {{1025}, {0}},       {{5, 17}, {1}},
      {{5, 17}, {0}},   {{17, 5}, {0, 1}},   {{3, 4, 5}, {1}},     {{3, 4, 5}, {0, 2}}, {{3, 4, 5}, {-1, 0}},
      {{2, 3, 4, 5}, {1, 3}}, {{64, 300}, {0}}, {{300, 64}, {1}}, {{9, 1000, 3}, {1}}, {{2, 1, 3}, {1}},
      {{4097, 3}, {0}}, {{3, 70000}, {1}},  {{131073}, {0}},      {{1, 5, 1}, {1}},    {{600, 520}, {0}},
  };
  if (!quick()) c.push_back({{200003}, {0}});
  return c;
}

template <class T>
Tensor make(const Shape& shape, uint64_t seed, double lo = -10, double hi = 10) {
  return Tensor::from_vec(rt_test::random_vec<T>(checked_numel(shape), seed, lo, hi), shape);
}

// ULP distance of got (T) from the double reference rounded to T.
template <class T>
int64_t ulp_to(T got, double want) { return rt_test::ulp_distance(got, static_cast<T>(want)); }

}  // namespace

TEST_CASE_TEMPLATE("sum, mean, prod, var, std, norm, logsumexp against float64 on every ISA", T, float, double) {
  for (const auto& c : cases()) {
    const Tensor a = make<T>(c.shape, 7 + c.shape.size());
    const auto data = a.to_vec<double>();
    const auto mask = mask_of(static_cast<int64_t>(c.shape.size()), c.dims);
    using LD = long double;
    auto sum_ref = ref_reduce<LD, double>(data, c.shape, mask, 0.0L, [](LD s, double v) { return s + v; });
    auto abs_ref = ref_reduce<LD, double>(data, c.shape, mask, 0.0L, [](LD s, double v) { return s + std::fabs(v); });
    auto sq_ref = ref_reduce<LD, double>(data, c.shape, mask, 0.0L, [](LD s, double v) { return s + LD(v) * v; });
    auto max_ref = ref_reduce<double, double>(data, c.shape, mask, -INFINITY, [](double s, double v) { return std::max(s, v); });
    int64_t n = 1;
    for (std::size_t d = 0; d < c.shape.size(); ++d)
      if (mask[d]) n *= c.shape[d];
    std::vector<LD> mean_ref(sum_ref.size()), var_ref(sum_ref.size()), lse_ref(sum_ref.size());
    for (std::size_t i = 0; i < sum_ref.size(); ++i) mean_ref[i] = sum_ref[i] / n;
    {
      // second pass for var and logsumexp
      std::vector<LD> m2(sum_ref.size(), 0), se(sum_ref.size(), 0);
      const int64_t nd = static_cast<int64_t>(c.shape.size());
      std::vector<int64_t> idx(nd, 0);
      for (std::size_t flat = 0; flat < data.size(); ++flat) {
        int64_t o = 0;
        for (int64_t d = 0; d < nd; ++d)
          if (!mask[d]) o = o * c.shape[d] + idx[d];
        const LD dv = data[flat] - mean_ref[o];
        m2[o] += dv * dv;
        se[o] += std::exp(LD(data[flat]) - LD(max_ref[o]));
        for (int64_t d = nd - 1; d >= 0; --d) {
          if (++idx[d] < c.shape[d]) break;
          idx[d] = 0;
        }
      }
      for (std::size_t i = 0; i < m2.size(); ++i) {
        var_ref[i] = n > 1 ? m2[i] / (n - 1) : NAN;
        lse_ref[i] = std::log(se[i]) + max_ref[i];
      }
    }
    const DimList dims(c.dims);
    // float32: the double accumulation rounded once -> 1 ULP; float64: pairwise -> relative 1e-13.
    auto check = [&](const char* what, const Tensor& got_t, const std::vector<LD>& want, double rel64,
                     double abs_scale = 0.0) {
      const auto got = got_t.to_vec<T>();
      REQUIRE(got.size() == want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        const double w = static_cast<double>(want[i]);
        // float sums: the float partials' rounding, 3 * 2^-24 * sum|x| (scaled like the result)
        const double partial = abs_scale * 3 * 0x1p-24 * static_cast<double>(abs_ref[i]);
        bool ok;
        if constexpr (std::is_same_v<T, float>)
          ok = ulp_to<float>(got[i], w) <= 1 || std::fabs(got[i] - w) <= std::fabs(w) * 0x1p-23 + partial;
        else ok = std::fabs(got[i] - w) <= rel64 * std::max(1.0, std::fabs(w)) || (std::isnan(w) && std::isnan(got[i]));
        if (!ok) {
          FAIL_CHECK(std::string(what) << " " << std::string(dtype_name(dtype_of<T>())) << " shape=" << shape_str(c.shape) << " out " << i
                          << ": got " << got[i] << " want " << w);
          return;
        }
      }
    };
    for_each_isa([&](const std::string&) {
      check("sum", sum(a, dims), sum_ref, 1e-13, 1.0);
      check("mean", mean(a, dims), mean_ref, 1e-13, 1.0 / static_cast<double>(n));
      check("var", var(a, dims), var_ref, 1e-11);
      std::vector<LD> std_ref(var_ref.size());
      for (std::size_t i = 0; i < var_ref.size(); ++i) std_ref[i] = std::sqrt(var_ref[i]);
      check("std", rusttorch::std(a, dims), std_ref, 1e-11);
      std::vector<LD> n2(sq_ref.size());
      for (std::size_t i = 0; i < sq_ref.size(); ++i) n2[i] = std::sqrt(sq_ref[i]);
      check("norm2", norm(a, 2, dims), n2, 1e-13);
      check("norm1", norm(a, 1, dims), abs_ref, 1e-13);
      check("logsumexp", logsumexp(a, dims), lse_ref, 1e-13);
      // keepdim keeps every reduced dim as 1
      const Tensor kd = sum(a, dims, true);
      REQUIRE(kd.ndim() == static_cast<int64_t>(c.shape.size()));
      for (std::size_t d = 0; d < c.shape.size(); ++d) CHECK(kd.size(d) == (mask[d] ? 1 : c.shape[d]));
    });
  }
}

TEST_CASE_TEMPLATE("max, min, amax, amin, argmax, argmin are exact and NaN-propagating on every ISA", T, float, double,
                   int32_t, int64_t) {
  for (const auto& c : cases()) {
    Tensor a = make<T>(c.shape, 11 + c.shape.size(), -1000, 1000);
    if constexpr (std::is_floating_point_v<T>) {
      // a NaN in a few lanes (not the first element)
      auto v = a.to_vec<T>();
      if (v.size() > 40) v[v.size() / 3] = NAN, v[v.size() - 2] = NAN;
      a = Tensor::from_vec(v, c.shape);
    }
    const auto data = a.to_vec<T>();
    const auto mask = mask_of(static_cast<int64_t>(c.shape.size()), c.dims);
    auto pick = [](bool mx) {
      return std::function<T(T, T)>([mx](T s, T v) {
        if (s != s) return s;
        if (v != v) return v;
        return mx ? std::max(s, v) : std::min(s, v);
      });
    };
    const T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    const auto want_max = ref_reduce<T, T>(data, c.shape, mask, lo, pick(true));
    const auto want_min = ref_reduce<T, T>(data, c.shape, mask, hi, pick(false));
    for_each_isa([&](const std::string&) {
      CHECK(rt_test::same_values(amax(a, DimList(c.dims)).to_vec<T>(), want_max));
      CHECK(rt_test::same_values(amin(a, DimList(c.dims)).to_vec<T>(), want_min));
    });
    if (c.dims.size() == 1) {
      const int64_t d = c.dims[0];
      const int64_t nd = static_cast<int64_t>(c.shape.size());
      // reference argmax: first index of the max along d, NaN wins
      const auto idx_want = [&](bool mx) {
        std::vector<int64_t> out;
        const int64_t dd = (d + nd) % nd;
        int64_t outer = 1, inner = 1;
        for (int64_t k = 0; k < dd; ++k) outer *= c.shape[k];
        for (int64_t k = dd + 1; k < nd; ++k) inner *= c.shape[k];
        const int64_t len = c.shape[dd];
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t i = 0; i < inner; ++i) {
            int64_t best = 0;
            for (int64_t r = 1; r < len; ++r) {
              const T b = data[(o * len + best) * inner + i], v = data[(o * len + r) * inner + i];
              if (b != b) break;
              if (v != v || (mx ? v > b : v < b)) best = r;
            }
            out.push_back(best);
          }
        return out;
      };
      const auto am = idx_want(true), an = idx_want(false);
      for_each_isa([&](const std::string&) {
        const ValuesIndices mx = max(a, d), mn = min(a, d);
        CHECK(rt_test::same_values(mx.values.to_vec<T>(), want_max));
        CHECK(mx.indices.to_vec<int64_t>() == am);
        CHECK(mn.indices.to_vec<int64_t>() == an);
        CHECK(argmax(a, d).to_vec<int64_t>() == am);
        CHECK(argmin(a, d).to_vec<int64_t>() == an);
      });
    }
  }
}

// The row max/min runs plain vector max/min beside a sum that turns NaN when
// an element is NaN (or when +inf and -inf meet), which sends the row to an
// exact loop: NaN anywhere in a row (the 4-vector body, the 1-vector rest,
// the scalar tail), and rows with both infinities but no NaN.
TEST_CASE_TEMPLATE("row max/min: NaN at every kind of position, and both infinities", T, float, double) {
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  for_each_isa([&](const std::string& isa) {
    for (const int64_t n : {1, 9, 33, 64, 100, 1000}) {
      std::vector<int64_t> spots = {0, n / 2, n - 1};
      if (n > 40) spots.push_back(n - 9);
      for (const int64_t at : spots) {
        auto v = rt_test::random_vec<T>(n, static_cast<uint64_t>(n * 7 + at), -100, 100);
        v[static_cast<std::size_t>(at)] = nan;
        const Tensor t = Tensor::from_vec(v, {1, n});
        INFO("isa=" << isa << " n=" << n << " NaN at " << at);
        CHECK(std::isnan(amax(t, DimList{1}).template to_vec<T>()[0]));
        CHECK(std::isnan(amin(t, DimList{1}).template to_vec<T>()[0]));
        CHECK(argmax(t, 1).template to_vec<int64_t>()[0] == at);
        CHECK(argmin(t, 1).template to_vec<int64_t>()[0] == at);
      }
      if (n < 2) continue;
      auto v = rt_test::random_vec<T>(n, static_cast<uint64_t>(n), -100, 100);
      v[static_cast<std::size_t>(n / 3)] = inf;
      v[static_cast<std::size_t>(n - 1)] = -inf;
      const Tensor t = Tensor::from_vec(v, {1, n});
      INFO("isa=" << isa << " n=" << n << " +inf and -inf");
      CHECK(amax(t, DimList{1}).template to_vec<T>()[0] == inf);
      CHECK(amin(t, DimList{1}).template to_vec<T>()[0] == -inf);
      CHECK(argmax(t, 1).template to_vec<int64_t>()[0] == n / 3);
      CHECK(argmin(t, 1).template to_vec<int64_t>()[0] == n - 1);
      CHECK(norm(t, INFINITY, 1).template to_vec<T>()[0] == inf);
    }
  });
}

TEST_CASE("a float32 sum of 10^7 random values is within 1e-6 of the float64 sum") {
  const int64_t n = quick() ? 1000000 : 10000000;
  for (double lo : {0.0, -1.0}) {
    const auto v = rt_test::random_vec<float>(n, 2024, lo, 1.0);
    long double ref = 0;
    for (float x : v) ref += x;
    const Tensor a = Tensor::from_vec(v);
    for_each_isa([&](const std::string&) {
      const double got = sum(a);
      CHECK(std::fabs(got - static_cast<double>(ref)) <= 1e-6 * std::fabs(static_cast<double>(ref)));
      const float got32 = sum(a, std::nullopt).item().to_double();
      CHECK(std::fabs(got32 - static_cast<double>(ref)) <= 1e-6 * std::fabs(static_cast<double>(ref)));
    });
  }
}

TEST_CASE("every reduction gives the same bits with 1, 2 and 7 threads") {
  ThreadGuard tg;
  struct Shape3 {
    Shape shape;
    int64_t dim;
  };
  // long rows (chunked), many rows, narrow columns (row blocks), wide columns
  const std::vector<Shape3> shapes = {{{1 << 20}, 0}, {{512, 700}, 1}, {{300000, 3}, 0}, {{700, 700}, 0},
                                      {{40, 3000, 5}, 1}};
  for (const auto& s : shapes) {
    const Tensor a = make<float>(s.shape, 99, -5, 5);
    const Tensor b = make<double>(s.shape, 98, -5, 5);
    using Fn = std::function<Tensor(const Tensor&)>;
    const std::vector<std::pair<const char*, Fn>> fns = {
        {"sum", [&](const Tensor& t) { return sum(t, s.dim); }},
        {"sum all", [&](const Tensor& t) { return sum(t, std::nullopt); }},
        {"mean", [&](const Tensor& t) { return mean(t, s.dim); }},
        {"prod", [&](const Tensor& t) { return prod(mul(t, 0.2), s.dim); }},
        {"var", [&](const Tensor& t) { return var(t, s.dim); }},
        {"norm", [&](const Tensor& t) { return norm(t, 2, s.dim); }},
        {"norm3", [&](const Tensor& t) { return norm(t, 3, s.dim); }},
        {"logsumexp", [&](const Tensor& t) { return logsumexp(t, s.dim); }},
        {"amax", [&](const Tensor& t) { return amax(t, s.dim); }},
        {"argmin", [&](const Tensor& t) { return argmin(t, s.dim).to(DType::Float64); }},
        {"cumsum", [&](const Tensor& t) { return cumsum(t, s.dim); }},
        {"sum of squares", [&](const Tensor& t) { return sum(mul(t, t), std::nullopt); }},
    };
    for (const auto& [name, fn] : fns) {
      for_each_isa([&](const std::string& isa) {
        for (const Tensor* t : {&a, &b}) {
          set_num_threads(1);
          const auto one = fn(*t).to_vec<double>();
          for (int threads : {2, 7}) {
            set_num_threads(threads);
            const auto many = fn(*t).to_vec<double>();
            if (!rt_test::same_values(one, many))
              FAIL_CHECK(std::string(name) << " differs with " << threads << " threads: isa=" << isa << " shape="
                              << shape_str(s.shape) << " dtype=" << dtype_name(t->dtype()));
          }
        }
      });
    }
  }
}

// Rows shorter than two cascade blocks are reduced two at a time, side by
// side (kernels/common/reduce_impl.inc, rows2_float): each must get the bits
// it gets alone.
TEST_CASE("a row reduced beside another gives the bits it gets alone") {
  for_each_isa([](const std::string& isa) {
    for (const int64_t n : {1, 7, 64, 71, 500, 512, 513, 1000, 1023}) {
      const Tensor a = make<float>({3, n}, static_cast<uint64_t>(n), -5, 5);
      const Tensor b = make<double>({3, n}, static_cast<uint64_t>(n) + 1, -5, 5);
      for (const Tensor* t : {&a, &b}) {
        using Fn = std::function<Tensor(const Tensor&)>;
        const std::vector<std::pair<const char*, Fn>> fns = {
            {"sum", [](const Tensor& x) { return sum(x, 1); }},
            {"mean", [](const Tensor& x) { return mean(x, 1); }},
            {"prod", [](const Tensor& x) { return prod(mul(x, 0.3), 1); }},
            {"var", [](const Tensor& x) { return var(x, 1); }},
            {"norm", [](const Tensor& x) { return norm(x, 2, 1); }},
            {"logsumexp", [](const Tensor& x) { return logsumexp(x, 1); }},
        };
        for (const auto& [name, fn] : fns) {
          const auto together = fn(*t).to_vec<double>();
          for (int64_t r = 0; r < 3; ++r) {
            const auto alone = fn(t->slice(0, r, r + 1).contiguous()).to_vec<double>();
            CHECK_MESSAGE(rt_test::same_values(alone, {together[static_cast<std::size_t>(r)]}),
                          name << " row " << r << " of " << n << ", isa=" << isa << " dtype=" << dtype_name(t->dtype()));
          }
        }
      }
    }
  });
}

TEST_CASE("integer and bool reductions: int64 results, wrapping, dtype=") {
  const Tensor ai = Tensor::from_vec(std::vector<int32_t>{2147483647, 1, -5, 7}, {2, 2});
  const Tensor ab = Tensor::from_vec(std::vector<bool>{true, false, true, true});
  for_each_isa([&](const std::string&) {
    CHECK(sum(ai, std::nullopt).dtype() == DType::Int64);
    CHECK(sum(ai, std::nullopt).item().to_int() == 2147483650LL);
    CHECK(sum(ai, 0).to_vec<int64_t>() == std::vector<int64_t>{2147483642LL, 8});
    CHECK(sum(ai, 1, false, DType::Int32).dtype() == DType::Int32);
    CHECK(sum(ab, std::nullopt).item().to_int() == 3);
    CHECK(sum(ab, std::nullopt).dtype() == DType::Int64);
    CHECK(prod(ab).item().to_int() == 0);
    CHECK(prod(ab).dtype() == DType::Int64);
    CHECK(prod(ai, 1).to_vec<int64_t>() == std::vector<int64_t>{2147483647LL, -35});
    CHECK(sum(ai) == doctest::Approx(2147483650.0));
    CHECK(mean(ai, std::nullopt, false, DType::Float64).item().to_double() == doctest::Approx(2147483650.0 / 4));
    CHECK_THROWS_WITH_AS(mean(ai, std::nullopt), doctest::Contains("mean(): could not infer output dtype"), Error);
    CHECK_THROWS_AS(mean(ai), Error);
    CHECK_THROWS_WITH_AS(var(ai), "std and var only support floating point and complex dtypes", Error);
    CHECK_THROWS_AS(norm(ai), Error);
    CHECK(max(ab).item().to_bool());
    CHECK(amax(ab, 0).dtype() == DType::Bool);
    CHECK_THROWS_WITH_AS(argmax(ab), "argmax(): does not support bool input", Error);
    CHECK(all(ab).item().to_bool() == false);
    CHECK(any(ab).item().to_bool() == true);
    CHECK(all(ai, 1).to_vec<bool>() == std::vector<bool>{true, true});
    CHECK(logsumexp(ai, 0).dtype() == DType::Float32);
    // sum of a float tensor to an integer dtype converts first (truncation)
    CHECK(sum(Tensor::from_vec(std::vector<float>{1.7f, 2.9f}), std::nullopt, false, DType::Int64).item().to_int() == 3);
  });
}

TEST_CASE("cumsum and cumprod on every ISA and dim") {
  const Shape shape{4, 37, 5};
  const Tensor a = make<float>(shape, 3, -1.5, 1.5);
  const Tensor ai = make<int32_t>(shape, 4, -3, 3);
  const auto av = a.to_vec<double>();
  const auto iv = ai.to_vec<int64_t>();
  for (int64_t d = 0; d < 3; ++d) {
    int64_t outer = 1, inner = 1;
    for (int64_t k = 0; k < d; ++k) outer *= shape[k];
    for (int64_t k = d + 1; k < 3; ++k) inner *= shape[k];
    const int64_t len = shape[d];
    std::vector<double> cs(av.size()), cp(av.size());
    std::vector<int64_t> ics(iv.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double s = 0, p = 1;
        int64_t is = 0;
        for (int64_t r = 0; r < len; ++r) {
          const int64_t at = (o * len + r) * inner + i;
          s += av[at];
          p *= av[at];
          is += iv[at];
          cs[at] = s, cp[at] = p, ics[at] = is;
        }
      }
    for_each_isa([&](const std::string&) {
      const auto got = cumsum(a, d).to_vec<float>();
      const auto gotp = cumprod(a, d).to_vec<float>();
      for (std::size_t k = 0; k < got.size(); ++k) {
        REQUIRE(ulp_to<float>(got[k], cs[k]) <= 1);
        REQUIRE(ulp_to<float>(gotp[k], cp[k]) <= 1);
      }
      CHECK(cumsum(ai, d).dtype() == DType::Int64);
      CHECK(cumsum(ai, d).to_vec<int64_t>() == ics);
      CHECK(cumsum(ai, d, DType::Float64).dtype() == DType::Float64);
      CHECK(cumsum(a, d - 3).to_vec<float>() == got);
    });
  }
  CHECK(cumsum(Tensor::from_vec(std::vector<bool>{true, true, false}), 0).to_vec<int64_t>() ==
        std::vector<int64_t>{1, 2, 2});
  CHECK(cumsum(Tensor::scalar_tensor(3.0), 0).item().to_double() == 3.0);
  CHECK(cumsum(Tensor::empty({0}), 0).numel() == 0);
  CHECK_THROWS_AS(cumsum(a, 3), IndexError);
}

TEST_CASE("empty tensors and empty dims") {
  const Tensor e = Tensor::empty({0});
  const Tensor e03 = Tensor::empty({0, 3});
  for_each_isa([&](const std::string&) {
    CHECK(sum(e) == 0.0);
    CHECK(sum(e, std::nullopt).item().to_double() == 0.0);
    CHECK(sum(e03, 0).to_vec<float>() == std::vector<float>{0, 0, 0});
    CHECK(sum(e03, 1).numel() == 0);
    CHECK(prod(e).item().to_double() == 1.0);
    CHECK(std::isnan(mean(e)));
    CHECK(std::isnan(var(e).item().to_double()));
    CHECK(std::isnan(rusttorch::std(e03, 0).to_vec<float>()[2]));
    CHECK(norm(e).item().to_double() == 0.0);
    CHECK(logsumexp(e, 0).item().to_double() == -INFINITY);
    CHECK(all(e).item().to_bool() == true);
    CHECK(any(e).item().to_bool() == false);
    CHECK_THROWS_WITH_AS(max(e), doctest::Contains("max(): Expected reduction dim to be specified for input.numel() == 0"), Error);
    CHECK_THROWS_WITH_AS(min(e), doctest::Contains("min(): Expected reduction dim to be specified"), Error);
    CHECK_THROWS_WITH_AS(max(e03, 0), "max(): Expected reduction dim 0 to have non-zero size.", IndexError);
    CHECK_THROWS_WITH_AS(amax(e03, 0), "amax(): Expected reduction dim 0 to have non-zero size.", IndexError);
    CHECK_THROWS_WITH_AS(argmax(e03, 0), "argmax(): Expected reduction dim 0 to have non-zero size.", IndexError);
    CHECK_THROWS_WITH_AS(argmax(e), "argmax(): Expected reduction dim to be specified for input.numel() == 0.", IndexError);
    CHECK_THROWS_AS(norm(e, INFINITY), Error);
    const ValuesIndices m = max(e03, 1);
    CHECK(m.values.shape() == Shape{0});
    CHECK(m.indices.dtype() == DType::Int64);
    CHECK(argmax(e03, 1).numel() == 0);
  });
}

TEST_CASE("dims: out of range, repeated, negative, 0-d inputs, keepdim") {
  const Tensor a = Tensor::arange(0.0, 24.0, 1.0).reshape({2, 3, 4});
  CHECK_THROWS_WITH_AS(sum(a, 3), "Dimension out of range (expected to be in range of [-3, 2], but got 3)", IndexError);
  CHECK_THROWS_AS(sum(a, -4), IndexError);
  CHECK_THROWS_AS(mean(a, {0, 5}), IndexError);
  CHECK_THROWS_AS(max(a, 3), IndexError);
  CHECK_THROWS_AS(argmax(a, -4), IndexError);
  CHECK_THROWS_AS(amax(a, 7), IndexError);
  CHECK_THROWS_AS(var(a, 3), IndexError);
  CHECK_THROWS_AS(logsumexp(a, 3), IndexError);
  CHECK_THROWS_AS(cumprod(a, 3), IndexError);
  CHECK_THROWS_WITH_AS(sum(a, {0, -3}), "dim 0 appears multiple times in the list of dims", Error);
  CHECK(sum(a, {0, -1}).to_vec<float>() == std::vector<float>{60, 92, 124});
  CHECK(sum(a, std::vector<int64_t>{}, true).shape() == Shape{1, 1, 1});
  CHECK(amax(a, std::nullopt, true).shape() == Shape{1, 1, 1});
  CHECK(argmax(a, std::nullopt, true).shape() == Shape{1, 1, 1});
  CHECK(argmax(a).item().to_int() == 23);
  const Tensor s = Tensor::scalar_tensor(3.5);
  CHECK(sum(s, 0).item().to_double() == 3.5);
  CHECK(sum(s, -1).ndim() == 0);
  CHECK_THROWS_AS(sum(s, 1), IndexError);
  CHECK(max(s, 0).indices.item().to_int() == 0);
  CHECK(sum_dim(a, 1).shape() == Shape{2, 4});
  CHECK(mean_dim(a, 2, true).shape() == Shape{2, 3, 1});
  CHECK(mean_dim(a, 2).to_vec<float>() == std::vector<float>{1.5, 5.5, 9.5, 13.5, 17.5, 21.5});
  CHECK(sum(a) == 276.0);
  CHECK(mean(a) == 11.5);
  CHECK(max(a).item().to_double() == 23.0);
  CHECK(min(a).item().to_double() == 0.0);
  CHECK(max(a).ndim() == 0);
}

TEST_CASE("non-contiguous inputs") {
  const Tensor base = make<float>({30, 40}, 5);
  const Tensor t = base.t();                 // permuted
  const Tensor sl = base.slice(1, 1, 40, 3);  // strided
  for_each_isa([&](const std::string&) {
    CHECK(rt_test::same_values(sum(t, 0).to_vec<float>(), sum(t.contiguous(), 0).to_vec<float>()));
    CHECK(rt_test::same_values(amax(t, 1).to_vec<float>(), amax(t.contiguous(), 1).to_vec<float>()));
    CHECK(rt_test::same_values(var(sl, 1).to_vec<float>(), var(sl.contiguous(), 1).to_vec<float>()));
    CHECK(rt_test::same_values(cumsum(sl, 0).to_vec<float>(), cumsum(sl.contiguous(), 0).to_vec<float>()));
    CHECK(argmax(t, 0).to_vec<int64_t>() == argmax(t.contiguous(), 0).to_vec<int64_t>());
  });
}

TEST_CASE("special values: inf and NaN") {
  const float inf = INFINITY, nan = NAN;
  const Tensor a = Tensor::from_vec(std::vector<float>{1, inf, -inf, 2});
  const Tensor b = Tensor::from_vec(std::vector<float>{-inf, -inf});
  const Tensor c = Tensor::from_vec(std::vector<float>{1, nan, 3, 5});
  for_each_isa([&](const std::string&) {
    CHECK(std::isnan(sum(a)));
    CHECK(max(a).item().to_double() == inf);
    CHECK(min(a).item().to_double() == -inf);
    CHECK(logsumexp(a, 0).item().to_double() == inf);
    CHECK(logsumexp(b, 0).item().to_double() == -inf);
    CHECK(std::isnan(logsumexp(c, 0).item().to_double()));
    CHECK(std::isnan(max(c).item().to_double()));
    CHECK(std::isnan(min(c).item().to_double()));
    CHECK(argmax(c).item().to_int() == 1);
    CHECK(argmin(c).item().to_int() == 1);
    CHECK(max(c, 0).indices.item().to_int() == 1);
    CHECK(norm(a, INFINITY).item().to_double() == inf);
    CHECK(norm(c, 0).item().to_double() == 4.0);
    CHECK(norm(Tensor::from_vec(std::vector<float>{3, 0, -4}), -INFINITY).item().to_double() == 0.0);
    CHECK(norm(Tensor::from_vec(std::vector<float>{3, 4}), 3).item().to_double() == doctest::Approx(std::cbrt(91.0)));
    CHECK(std::isnan(var(c).item().to_double()));
    CHECK(std::isinf(rusttorch::std(Tensor::from_vec(std::vector<float>{1, 2}), std::nullopt, 7).item().to_double()));
    CHECK(std::isnan(var(Tensor::from_vec(std::vector<float>{1})).item().to_double()));
    CHECK(var(Tensor::from_vec(std::vector<float>{1, 2, 3, 4}), std::nullopt, 0).item().to_double() == 1.25);
    // a float32 sum that overflows float but not the double accumulator
    CHECK(std::isinf(sum(Tensor::from_vec(std::vector<float>{3e38f, 3e38f}), std::nullopt).item().to_double()));
    CHECK(sum(Tensor::from_vec(std::vector<float>{3e38f, 3e38f, -3e38f}), std::nullopt).item().to_double() ==
          doctest::Approx(3e38));
  });
}
