// Helpers shared by the C++ tests: run a body once per ISA this CPU has,
// random data, ULP distances and float64 references.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "rusttorch/rusttorch.h"

namespace rt_test {

// Restores the ISA that was active when it was made.
struct IsaGuard {
  std::string saved = rusttorch::get_cpu_capability();
  ~IsaGuard() { rusttorch::set_cpu_capability(saved); }
};

// Restores the thread count when it goes out of scope.
struct ThreadGuard {
  int saved = rusttorch::get_num_threads();
  ~ThreadGuard() { rusttorch::set_num_threads(saved); }
};

// RUSTTORCH_TEST_QUICK set (emulated CPUs, sanitizers): the largest sizes are
// trimmed, every case still runs on every ISA.
inline bool quick() { return std::getenv("RUSTTORCH_TEST_QUICK") != nullptr; }

// Calls body(isa) with each available ISA forced active (scalar first), as a
// doctest subcase per ISA so a failure names the ISA.
template <class F>
void for_each_isa(const F& body) {
  IsaGuard guard;
  for (const std::string& isa : rusttorch::available_cpu_capabilities()) {
    rusttorch::set_cpu_capability(isa);
    REQUIRE(rusttorch::get_cpu_capability() == isa);
    INFO("isa = " << isa);
    body(isa);
  }
}

// Sizes that hit empty, single, around every vector width, tile boundaries
// (grain 4096 and 32768, the gather buffer of 1024) and over 10^6.
inline std::vector<int64_t> edge_sizes() {
  return {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1023, 1024, 1025,
          4095, 4096, 4097, 32767, 32768, 32769, 65537, 1000003};
}

template <class T>
std::vector<T> random_vec(int64_t n, uint64_t seed, double lo = -10.0, double hi = 10.0) {
  std::mt19937_64 gen(seed);
  std::vector<T> v(static_cast<std::size_t>(n));
  if constexpr (std::is_floating_point_v<T>) {
    std::uniform_real_distribution<double> d(lo, hi);
    for (auto& x : v) x = static_cast<T>(d(gen));
  } else if constexpr (std::is_same_v<T, bool>) {
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = (gen() & 1) != 0;
  } else {
    std::uniform_int_distribution<int64_t> d(static_cast<int64_t>(lo), static_cast<int64_t>(hi));
    for (auto& x : v) x = static_cast<T>(d(gen));
  }
  return v;
}

// Distance in units in the last place (0 for equal values, NaN == NaN).
inline int64_t ulp_distance(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<int64_t>::max();
  if (a == b) return 0;
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  if (ia < 0) ia = std::numeric_limits<int32_t>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<int32_t>::min() - ib;
  return std::llabs(static_cast<int64_t>(ia) - static_cast<int64_t>(ib));
}
inline int64_t ulp_distance(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<int64_t>::max();
  if (a == b) return 0;
  int64_t ia, ib;
  std::memcpy(&ia, &a, 8);
  std::memcpy(&ib, &b, 8);
  if (ia < 0) ia = std::numeric_limits<int64_t>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<int64_t>::min() - ib;
  const uint64_t d = ia > ib ? static_cast<uint64_t>(ia) - static_cast<uint64_t>(ib) : static_cast<uint64_t>(ib) - static_cast<uint64_t>(ia);
  return d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(d);
}

// Bit-exact equality of two element vectors (NaNs compare equal).
template <class T>
bool same_values(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      if (ulp_distance(a[i], b[i]) != 0) return false;
    } else {
      if (a[i] != b[i]) return false;
    }
  }
  return true;
}

}  // namespace rt_test
