// The sort kernels (kernels/sort_abi.h) on every ISA this CPU has, against
// a reference written without order keys (std::stable_sort with torch's
// comparison: NaN largest, -0.0 == +0.0) and against the scalar ISA's output
// word for word; and the front-end's sort of one long row, split across
// threads, giving the same bits for any thread count.
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "dispatch.h"
#include "test_support.h"

namespace k = rusttorch::kernels;
using rusttorch::Tensor;

namespace {

template <class T>
bool torch_less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return false;
    if (b != b) return true;
  }
  return a < b;
}

template <class T> constexpr int dtype_of();
template <> constexpr int dtype_of<uint8_t>() { return k::kBool; }
template <> constexpr int dtype_of<int32_t>() { return k::kInt32; }
template <> constexpr int dtype_of<int64_t>() { return k::kInt64; }
template <> constexpr int dtype_of<float>() { return k::kFloat32; }
template <> constexpr int dtype_of<double>() { return k::kFloat64; }

// Random values with ties, and for floats NaN, +-0.0 and +-inf among them.
template <class T>
std::vector<T> row_data(int64_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) {
    if constexpr (std::is_same_v<T, uint8_t>) {
      x = static_cast<T>(gen() & 1);
    } else if constexpr (std::is_floating_point_v<T>) {
      switch (gen() % 16) {
        case 0: x = std::numeric_limits<T>::quiet_NaN(); break;
        case 1: x = -std::numeric_limits<T>::quiet_NaN(); break;
        case 2: x = T(-0.0); break;
        case 3: x = T(0.0); break;
        case 4: x = std::numeric_limits<T>::infinity(); break;
        case 5: x = -std::numeric_limits<T>::infinity(); break;
        case 6: x = T(1.5); break;  // ties
        default: x = static_cast<T>(std::ldexp(static_cast<double>(gen() % 2000001) - 1e6, -int(gen() % 30)));
      }
    } else {
      x = static_cast<T>(static_cast<int64_t>(gen() % 201) - 100) * (gen() % 3 == 0 ? T(1) : T(1000003));
    }
  }
  return v;
}

template <class T>
std::vector<int64_t> reference_order(const std::vector<T>& x, bool descending) {
  std::vector<int64_t> idx(x.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
    return descending ? torch_less(x[b], x[a]) : torch_less(x[a], x[b]);
  });
  return idx;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
void sort_with_std(uint64_t* keys, int64_t n) {
  if (k::composite_words(dtype_of<T>()) == 1) {
    std::sort(keys, keys + n);
  } else {
    std::vector<std::pair<uint64_t, uint64_t>> p(static_cast<std::size_t>(n));  // (hi, lo)
    for (int64_t i = 0; i < n; ++i) p[i] = {keys[2 * i + 1], keys[2 * i]};
    std::sort(p.begin(), p.end());
    for (int64_t i = 0; i < n; ++i) keys[2 * i] = p[i].second, keys[2 * i + 1] = p[i].first;
  }
}

struct RowOutputs {
  std::vector<uint64_t> packed, heap;
  std::vector<int64_t> order, selected, starts, found;
  std::vector<uint8_t> values;  // bytes of the unpacked values
};

template <class T>
RowOutputs check_row(const k::SortKernels& kt, int64_t n, int64_t stride, bool desc, uint64_t seed) {
  const int d = dtype_of<T>();
  const int w = k::composite_words(d);
  const std::vector<T> data = row_data<T>(n * stride, seed);
  std::vector<T> row(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) row[i] = data[i * stride];
  const std::vector<int64_t> want = reference_order(row, desc);
  RowOutputs out;

  out.packed.resize(static_cast<std::size_t>(std::max<int64_t>(n, 1) * w));
  kt.pack[d](data.data(), stride, n, desc, 0, out.packed.data());
  std::vector<uint64_t> keys = out.packed;
  sort_with_std<T>(keys.data(), n);
  std::vector<T> values(static_cast<std::size_t>(n));
  out.order.resize(static_cast<std::size_t>(n));
  kt.unpack[d](keys.data(), n, desc, data.data(), stride, values.data(), out.order.data(), 1);
  CHECK(out.order == want);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad += !same_bits(values[i], row[want[i]]);
  CHECK(bad == 0);
  out.values.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out.values.data(), values.data(), out.values.size());

  // select, for a few ranks: the index of the k-th of the stable order.
  std::vector<uint64_t> scratch(static_cast<std::size_t>((n + 1) * w));
  for (int64_t r : {int64_t{0}, n / 3, n / 2, n - 1}) {
    if (n == 0) break;
    const int64_t at = kt.select[d](data.data(), stride, n, r, desc, scratch.data());
    CHECK(at == want[r]);
    out.selected.push_back(at);
    // collect: the composites up to that one are the first r + 1 of the order.
    uint64_t bound[2];
    kt.pack[d](data.data() + at * stride, stride, 1, desc, at, bound);
    const int64_t m = kt.collect[d](data.data(), stride, n, desc, bound, scratch.data());
    CHECK(m == r + 1);
    sort_with_std<T>(scratch.data(), m);
    std::vector<int64_t> got(static_cast<std::size_t>(m));
    kt.unpack[d](scratch.data(), m, desc, data.data(), stride, nullptr, got.data(), 1);
    CHECK(std::equal(got.begin(), got.end(), want.begin()));
  }

  // smallest: the k first of the order.
  for (int64_t kk : {int64_t{1}, int64_t{5}, std::min<int64_t>(n, 40)}) {
    if (kk > n || kk == 0) continue;
    std::vector<uint64_t> best(static_cast<std::size_t>(kk * w));
    kt.smallest[d](data.data(), stride, n, kk, desc, best.data());
    sort_with_std<T>(best.data(), kk);
    std::vector<int64_t> got(static_cast<std::size_t>(kk));
    kt.unpack[d](best.data(), kk, desc, data.data(), stride, nullptr, got.data(), 1);
    CHECK(std::equal(got.begin(), got.end(), want.begin()));
    out.heap.insert(out.heap.end(), best.begin(), best.end());
  }

  // search: insertion points into the ascending row, against std::lower/upper_bound
  // (without NaNs: with them torch's search is its own algorithm, which the
  // Python tests compare with torch).
  if (!desc) {
    std::vector<T> sorted(row.size());
    for (int64_t i = 0; i < n; ++i) sorted[i] = row[want[i]];
    std::vector<T> queries = row_data<T>(257, seed + 1);
    queries.erase(std::remove_if(queries.begin(), queries.end(), [](T q) { return q != q; }), queries.end());
    std::vector<T> finite = sorted;
    finite.erase(std::remove_if(finite.begin(), finite.end(), [](T q) { return q != q; }), finite.end());
    for (int right = 0; right < 2; ++right) {
      std::vector<int64_t> got(queries.size());
      const int64_t nf = static_cast<int64_t>(finite.size());
      kt.search[d](finite.data(), 1, nf, queries.data(), 1, static_cast<int64_t>(queries.size()), right, got.data(), 1,
                   0);
      int64_t wrong = 0;
      for (std::size_t j = 0; j < queries.size(); ++j) {
        const auto it = right ? std::upper_bound(finite.begin(), finite.end(), queries[j], torch_less<T>)
                              : std::lower_bound(finite.begin(), finite.end(), queries[j], torch_less<T>);
        wrong += got[j] != it - finite.begin();
      }
      CHECK(wrong == 0);
      out.found.insert(out.found.end(), got.begin(), got.end());
    }
    // run starts of the sorted row: where a value differs from the one before (NaN != NaN).
    out.starts.resize(static_cast<std::size_t>(n + 1));
    const int64_t m = kt.run_starts[d](sorted.data(), n, out.starts.data());
    out.starts.resize(static_cast<std::size_t>(m));
    std::vector<int64_t> want_starts;
    for (int64_t i = 0; i < n; ++i)
      if (i == 0 || !(sorted[i] == sorted[i - 1])) want_starts.push_back(i);
    CHECK(out.starts == want_starts);
  }
  return out;
}

template <class T>
void check_dtype(const char* name, std::vector<std::vector<RowOutputs>>& per_isa, std::size_t isa_index) {
  INFO("dtype = " << name);
  const k::SortKernels& kt = rusttorch::detail::active_kernels().sort;
  std::vector<RowOutputs> outs;
  uint64_t seed = 11;
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{7}, int64_t{16}, int64_t{33}, int64_t{1000}, int64_t{4099}}) {
    for (int64_t stride : {int64_t{1}, int64_t{3}}) {
      for (bool desc : {false, true}) {
        INFO("n = " << n << ", stride = " << stride << ", descending = " << desc);
        outs.push_back(check_row<T>(kt, n, stride, desc, seed++));
      }
    }
  }
  if (per_isa.size() <= isa_index) per_isa.resize(isa_index + 1);
  per_isa[isa_index].insert(per_isa[isa_index].end(), outs.begin(), outs.end());
}

}  // namespace

TEST_CASE("sort kernels: composite keys give torch's stable order; select, heap, collect, search and runs agree") {
  std::vector<std::vector<RowOutputs>> per_isa;
  std::vector<std::string> isas;
  rt_test::for_each_isa([&](const std::string& isa) {
    const std::size_t i = isas.size();
    isas.push_back(isa);
    check_dtype<uint8_t>("bool", per_isa, i);
    check_dtype<int32_t>("int32", per_isa, i);
    check_dtype<int64_t>("int64", per_isa, i);
    check_dtype<float>("float32", per_isa, i);
    check_dtype<double>("float64", per_isa, i);
  });
  // Every ISA's kernels write what the scalar ones write, word for word.
  for (std::size_t i = 1; i < per_isa.size(); ++i) {
    INFO("isa = " << isas[i] << " against " << isas[0]);
    REQUIRE(per_isa[i].size() == per_isa[0].size());
    for (std::size_t r = 0; r < per_isa[0].size(); ++r) {
      CHECK(per_isa[i][r].packed == per_isa[0][r].packed);
      CHECK(per_isa[i][r].values == per_isa[0][r].values);
      CHECK(per_isa[i][r].heap == per_isa[0][r].heap);
      CHECK(per_isa[i][r].found == per_isa[0][r].found);
    }
  }
  MESSAGE("sort kernels checked on: " << [&] {
    std::string s;
    for (const auto& n : isas) s += (s.empty() ? "" : ", ") + n;
    return s;
  }());
}

TEST_CASE("one long row sorts to the same bits on 1, 2 and 3 threads, and Highway follows the ISA") {
  const int64_t n = rt_test::quick() ? 150000 : 600000;
  const std::vector<float> f = row_data<float>(n, 5);
  const std::vector<double> g = row_data<double>(n, 6);
  rt_test::for_each_isa([&](const std::string& isa) {
    const std::string target = rusttorch::sort_target_name();
    if (isa == "scalar") CHECK(target == "EMU128");
    if (isa == "sse42") CHECK((target == "SSE4" || target == "SSSE3"));
    if (isa == "avx2") CHECK(target == "AVX2");
    if (isa == "avx512") CHECK(target == "AVX3");
    if (isa == "neon") CHECK(target == "NEON");
    std::vector<std::vector<int64_t>> idx;
    for (int threads : {1, 2, 3}) {
      rt_test::ThreadGuard tg;
      rusttorch::set_num_threads(threads);
      for (bool desc : {false, true}) {
        const auto a = rusttorch::sort(Tensor::from_vec(f, {n}), 0, desc);
        const auto b = rusttorch::sort(Tensor::from_vec(g, {n}), 0, desc);
        idx.push_back(a.indices.to_vec<int64_t>());
        idx.push_back(b.indices.to_vec<int64_t>());
      }
    }
    CHECK(idx[0] == reference_order(f, false));
    CHECK(idx[2] == reference_order(f, true));
    CHECK(idx[1] == reference_order(g, false));
    for (std::size_t i = 4; i < idx.size(); ++i) CHECK(idx[i] == idx[i % 4]);
  });
}
