// Seedable random source for rand/randn/randint (Philox-free, counter-based
// SplitMix64 streams: each element's value depends only on the seed and its
// index, so results do not depend on the thread count).
#pragma once
#include <cstdint>

namespace rusttorch {

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) : seed_(seed) {}
  void manual_seed(uint64_t seed) { seed_ = seed; offset_ = 0; }
  uint64_t initial_seed() const { return seed_; }
  // (seed, offset) is the whole state: get_state/set_state round-trip it.
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed; offset_ = offset; }
  // Reserves `n` consecutive counters and returns the first.
  uint64_t advance(uint64_t n) { uint64_t o = offset_; offset_ += n; return o; }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

Generator& default_generator();
void manual_seed(uint64_t seed);  // seeds the default generator

class Tensor;
enum class DType : int;
// A uniformly random permutation of 0..n-1 (Fisher-Yates over n counters of
// the generator: the same permutation for a seed on any thread count).
Tensor randperm(int64_t n, DType dtype, Generator* gen = nullptr);

}  // namespace rusttorch
