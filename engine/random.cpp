// Counter-based random numbers: element i of a draw is a pure function of
// (seed, counter offset + i), so rand/randn give the same values on any
// number of threads and any ISA.
#include "rusttorch/random.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <vector>
#include <limits>
#include <mutex>

#include "parallel.h"
#include "rusttorch/tensor.h"
#include "tensor_access.h"

namespace rusttorch {
namespace {

std::mutex g_gen_mu;  // guards counter reservation on shared generators

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint64_t bits_at(uint64_t seed, uint64_t counter) { return splitmix64(splitmix64(seed) ^ splitmix64(counter + 0x632be59bd9b4e019ULL)); }
inline double uniform01(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }  // [0, 1)

uint64_t reserve(Generator* gen, uint64_t n, uint64_t* seed) {
  Generator& g = gen ? *gen : default_generator();
  std::lock_guard<std::mutex> lock(g_gen_mu);
  *seed = g.initial_seed();
  return g.advance(n);
}

template <class T, class F>
void fill_with(Tensor& t, const F& value_at) {
  T* p = static_cast<T*>(t.data_ptr());
  detail::parallel_for(t.numel(), detail::kGrainTranscendental, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) p[i] = value_at(static_cast<uint64_t>(i));
  });
}

void check_float(DType dtype, const char* op) {
  if (!is_floating(dtype))
    throw Error(std::string("\"") + op + "\" not implemented for '" + (dtype == DType::Bool ? "Bool" : dtype == DType::Int32 ? "Int" : "Long") + "'");
}

}  // namespace

Generator& default_generator() {
  static Generator g;
  return g;
}
void manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(g_gen_mu);
  default_generator().manual_seed(seed);
}

Tensor Tensor::rand(const Shape& shape, DType dtype, Generator* gen) {
  check_float(dtype, "check_uniform_bounds");
  Tensor t = TensorAccess::alloc(shape, dtype);
  uint64_t seed = 0;
  const uint64_t base = reserve(gen, static_cast<uint64_t>(t.numel()), &seed);
  if (dtype == DType::Float32)
    fill_with<float>(t, [&](uint64_t i) {  // 24 random bits: exactly representable, never 1.0
      return static_cast<float>(bits_at(seed, base + i) >> 40) * 0x1.0p-24f;
    });
  else
    fill_with<double>(t, [&](uint64_t i) { return uniform01(bits_at(seed, base + i)); });
  return t;
}

Tensor Tensor::randn(const Shape& shape, DType dtype, Generator* gen) {
  check_float(dtype, "normal_kernel_cpu");
  Tensor t = TensorAccess::alloc(shape, dtype);
  uint64_t seed = 0;
  const uint64_t base = reserve(gen, 2 * static_cast<uint64_t>(t.numel()), &seed);
  // Box-Muller on two independent uniforms per element.
  auto normal = [&](uint64_t i) {
    const double u1 = 1.0 - uniform01(bits_at(seed, base + 2 * i));  // (0, 1]
    const double u2 = uniform01(bits_at(seed, base + 2 * i + 1));
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  if (dtype == DType::Float32) fill_with<float>(t, [&](uint64_t i) { return static_cast<float>(normal(i)); });
  else fill_with<double>(t, normal);
  return t;
}

Tensor Tensor::randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen) {
  if (high <= low)
    throw Error("random_ expects 'from' to be less than 'to', but got from=" + std::to_string(low) +
                " >= to=" + std::to_string(high));
  Tensor t = TensorAccess::alloc(shape, dtype);
  uint64_t seed = 0;
  const uint64_t base = reserve(gen, static_cast<uint64_t>(t.numel()), &seed);
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  // Multiply-shift keeps the bias below 2^-64 * range: negligible.
  auto value = [&](uint64_t i) {
    const unsigned __int128 m = static_cast<unsigned __int128>(bits_at(seed, base + i)) * range;
    return static_cast<int64_t>(static_cast<uint64_t>(low) + static_cast<uint64_t>(m >> 64));
  };
  switch (dtype) {
    case DType::Int64: fill_with<int64_t>(t, value); break;
    case DType::Int32: fill_with<int32_t>(t, [&](uint64_t i) { return static_cast<int32_t>(value(i)); }); break;
    case DType::Float32: fill_with<float>(t, [&](uint64_t i) { return static_cast<float>(value(i)); }); break;
    case DType::Float64: fill_with<double>(t, [&](uint64_t i) { return static_cast<double>(value(i)); }); break;
    case DType::Bool: fill_with<uint8_t>(t, [&](uint64_t i) { return static_cast<uint8_t>(value(i) != 0); }); break;
  }
  return t;
}

Tensor randperm(int64_t n, DType dtype, Generator* gen) {
  if (n < 0) throw Error("Trying to create tensor with negative dimension " + std::to_string(n) + ": [" + std::to_string(n) + "]");
  if (dtype == DType::Bool) throw Error("\"randperm\" not implemented for 'Bool'");
  if ((dtype == DType::Float32 && n > (int64_t{1} << 24)) || (dtype == DType::Int32 && n > INT32_MAX))
    throw Error("n cannot be greater than the largest integer the dtype holds exactly, but got n=" + std::to_string(n));
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
  uint64_t seed = 0;
  const uint64_t base = reserve(gen, static_cast<uint64_t>(n), &seed);
  for (int64_t i = n - 1; i > 0; --i) {  // swap i with a uniform j in [0, i]
    const unsigned __int128 m = static_cast<unsigned __int128>(bits_at(seed, base + static_cast<uint64_t>(i))) *
                                static_cast<uint64_t>(i + 1);
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(m >> 64)]);
  }
  Tensor t = TensorAccess::alloc(Shape{n}, dtype);
  switch (dtype) {
    case DType::Int64: std::copy(perm.begin(), perm.end(), static_cast<int64_t*>(t.data_ptr())); break;
    case DType::Int32: std::transform(perm.begin(), perm.end(), static_cast<int32_t*>(t.data_ptr()), [](int64_t v) { return static_cast<int32_t>(v); }); break;
    case DType::Float32: std::transform(perm.begin(), perm.end(), static_cast<float*>(t.data_ptr()), [](int64_t v) { return static_cast<float>(v); }); break;
    case DType::Float64: std::transform(perm.begin(), perm.end(), static_cast<double*>(t.data_ptr()), [](int64_t v) { return static_cast<double>(v); }); break;
    case DType::Bool: break;
  }
  return t;
}

Tensor rand_like(const Tensor& t, Generator* gen) { return Tensor::rand(t.shape(), t.dtype(), gen); }
Tensor randn_like(const Tensor& t, Generator* gen) { return Tensor::randn(t.shape(), t.dtype(), gen); }

}  // namespace rusttorch
