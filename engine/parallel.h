// Tiles over oneTBB. Serial below the grain (ATen's rule: threads only pay
// off past tens of thousands of elements of cheap work); never nests.
#pragma once
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <cstdint>

namespace rusttorch::detail {

// Grain sizes per op family, in elements.
inline constexpr int64_t kGrainCheap = 32768;      // add, copy, compare
inline constexpr int64_t kGrainTranscendental = 4096;  // exp, log, pow, division family

int max_threads();  // the set_num_threads bound

// Calls f(begin, end) over [0, n) in contiguous tiles of at least `grain`,
// one tile per thread (static partition: even, predictable, first-touch local).
template <class F>
void parallel_for(int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
  const int threads = max_threads();
  if (threads <= 1 || n <= grain) {
    f(int64_t{0}, n);
    return;
  }
  const int64_t tiles = std::min<int64_t>(threads, (n + grain - 1) / grain);
  const int64_t tile = (n + tiles - 1) / tiles;
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, tiles, 1),
      [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t t = r.begin(); t < r.end(); ++t) {
          const int64_t b = t * tile, e = std::min(n, b + tile);
          if (b < e) f(b, e);
        }
      },
      tbb::static_partitioner());
}

// Calls f(begin, end) over [0, n) in chunks of `chunk` elements (the last one
// shorter), for work that is uniform per element but spread over many
// tensors (the optimizers' flattened parameter lists): threads take chunks as
// they free up, so a thread slowed by other load holds none back. One call
// f(0, n) when a chunk covers n or one thread is allowed.
template <class F>
void parallel_chunks(int64_t n, int64_t chunk, const F& f) {
  if (n <= 0) return;
  const int64_t chunks = (n + chunk - 1) / chunk;
  if (chunks <= 1 || max_threads() <= 1) {
    f(int64_t{0}, n);
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, chunks, 1),
      [&](const tbb::blocked_range<int64_t>& r) {
        for (int64_t c = r.begin(); c < r.end(); ++c) f(c * chunk, std::min(n, (c + 1) * chunk));
      },
      tbb::simple_partitioner());
}

}  // namespace rusttorch::detail
