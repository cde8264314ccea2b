// ISA registry and the RUSTTORCH_ISA override. tests/meson.build runs this
// program several times with RUSTTORCH_ISA set to each name (and to a bogus
// one); RT_EXPECT_ISA tells which outcome that run must see.
#include <algorithm>
#include <cstdlib>

#include "test_support.h"

using namespace rusttorch;

namespace {
bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

TEST_CASE("the environment override is honoured, or refused with a clear error") {
  const char* env = std::getenv("RUSTTORCH_ISA");
  const std::vector<std::string> avail = available_cpu_capabilities();
  if (!env || !*env) {
    CHECK(get_cpu_capability() == avail.back());  // the best the CPU has
    // tools/run_emulated_tests.sh names the best ISA of the emulated CPU
    if (const char* best = std::getenv("RT_EXPECT_BEST")) CHECK(avail.back() == std::string(best));
    return;
  }
  const std::string want = env;
  const std::vector<std::string> known = {"scalar", "sse42", "avx2", "avx512", "neon"};
  if (contains(avail, want)) {
    CHECK(get_cpu_capability() == want);
    // and the forced kernels really run: an op works and the table is that ISA's
    CHECK(add(Tensor::ones({100}), 1).to_vec<float>() == std::vector<float>(100, 2.0f));
    CHECK(get_cpu_capability() == want);
  } else if (!contains(known, want)) {
    CHECK_THROWS_WITH_AS(get_cpu_capability(), doctest::Contains(("unknown ISA '" + want + "'").c_str()), Error);
    CHECK_THROWS_WITH_AS(add(Tensor::ones({3}), 1), doctest::Contains("RUSTTORCH_ISA"), Error);
  } else {
    CHECK_THROWS_WITH_AS(get_cpu_capability(), doctest::Contains(("'" + want + "' is not").c_str()), Error);
  }
}

TEST_CASE("registry lists and run-time switching") {
  if (std::getenv("RUSTTORCH_ISA")) return;  // the override runs above only
  const auto compiled = compiled_cpu_capabilities();
  const auto avail = available_cpu_capabilities();
  CHECK(avail.front() == "scalar");
  CHECK(contains(compiled, "scalar"));
  for (const auto& a : avail) CHECK(contains(compiled, a));
  // The build compiled exactly the folders meson was asked for (-Disas).
  std::vector<std::string> expected;
  std::string list = RT_COMPILED_ISAS;
  for (std::size_t p = 0; p != std::string::npos;) {
    const std::size_t q = list.find(',', p);
    expected.push_back(list.substr(p, q == std::string::npos ? q : q - p));
    p = q == std::string::npos ? q : q + 1;
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> got = compiled;
  std::sort(got.begin(), got.end());
  CHECK(got == expected);
#if defined(__x86_64__)
  CHECK_THROWS_WITH_AS(set_cpu_capability("neon"), doctest::Contains("not compiled into this build"), Error);
#elif defined(__aarch64__)
  CHECK_THROWS_WITH_AS(set_cpu_capability("avx2"), doctest::Contains("not compiled into this build"), Error);
#endif
  CHECK_THROWS_WITH_AS(set_cpu_capability("avx9000"), doctest::Contains("unknown ISA 'avx9000'"), Error);
  rt_test::IsaGuard guard;
  for (const auto& isa : compiled) {
    if (contains(avail, isa)) {
      set_cpu_capability(isa);
      CHECK(get_cpu_capability() == isa);
    } else {
      CHECK_THROWS_WITH_AS(set_cpu_capability(isa), doctest::Contains("not supported by this CPU"), Error);
    }
  }
}

TEST_CASE("thread count control") {
  if (std::getenv("RUSTTORCH_ISA")) return;
  const int before = get_num_threads();
  CHECK(before >= 1);
  set_num_threads(1);
  CHECK(get_num_threads() == 1);
  const auto one = exp(Tensor::randn({300001}, DType::Float32, nullptr)).to_vec<float>();
  set_num_threads(3);
  CHECK(get_num_threads() == 3);
  CHECK_THROWS_AS(set_num_threads(0), Error);
  set_num_threads(before);
  CHECK(one.size() == 300001);
}

TEST_CASE("elementwise results do not depend on the thread count") {
  if (std::getenv("RUSTTORCH_ISA")) return;
  const int before = get_num_threads();
  Generator g(3);
  const Tensor a = Tensor::randn({1000003}, DType::Float32, &g), b = Tensor::randn({1000003}, DType::Float32, &g);
  std::vector<float> ref;
  for (int t : {1, 2, 7}) {
    set_num_threads(t);
    const auto r = add(exp(a), mul(a, b)).to_vec<float>();
    if (ref.empty()) ref = r;
    else CHECK(rt_test::same_values(r, ref));
  }
  set_num_threads(before);
}
