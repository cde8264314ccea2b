// Highway's VQSort, steered to the active ISA. We call Debian's prebuilt
// libhwy_contrib (hwy::Sorter) instead of compiling vqsort-inl.h into each
// ISA folder: g++ 12 compiles VQSort's sorting networks several times slower
// than the clang build Debian ships (1M uint64 on AVX-512: about 48-63 ms
// against 8-10 ms, measured), and hwy::DisableTargets makes its dispatch
// follow our one switch. Highway's AVX3_DL target is never enabled: it is not
// one of our ISAs, and on Zen 4 its sort ran about 40x slower than AVX3.
#include "vqsort.h"

#include <hwy/contrib/sort/vqsort.h>
#include <hwy/targets.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <utility>
#include <string>
#include <memory>
#include <vector>

#include "kernel_abi.h"
#include "parallel.h"
#include "rusttorch/backend.h"
#include "rusttorch/tensor.h"

namespace rusttorch::detail {

const kernels::KernelTable& active_kernels();

namespace {

// The Highway targets an ISA may use: its own and the ones below it.
int64_t allowed_targets(const char* isa) {
  const std::string s = isa;
  int64_t m = HWY_EMU128 | HWY_SCALAR;
#if HWY_ARCH_X86
  if (s == "sse42" || s == "avx2" || s == "avx512") m |= HWY_SSSE3 | HWY_SSE4;
  if (s == "avx2" || s == "avx512") m |= HWY_AVX2;
  if (s == "avx512") m |= HWY_AVX3;
#elif HWY_ARCH_ARM_A64
  if (s == "neon") m |= HWY_NEON;
#endif
  return m;
}

std::atomic<const kernels::KernelTable*> g_steered{nullptr};
std::mutex g_steer_mu;
// Highway's emulated 128-bit vectors (the scalar ISA) cannot sort 128-bit keys.
std::atomic<bool> g_native128{true};

// Called before every sort: re-steers Highway when the active ISA changed.
void steer() {
  const kernels::KernelTable* t = &active_kernels();
  if (g_steered.load(std::memory_order_acquire) == t) return;
  std::lock_guard<std::mutex> lock(g_steer_mu);
  if (g_steered.load() == t) return;
  hwy::DisableTargets(~allowed_targets(t->isa));
  const int64_t best = hwy::SupportedTargets() & -hwy::SupportedTargets();
  g_native128.store(best != HWY_EMU128 && best != HWY_SCALAR);
  g_steered.store(t, std::memory_order_release);
}

// One Sorter (its buffer) per thread, never destroyed: kept reachable from
// a global list, and no hwy::Sorter destructor is instantiated here (the
// library must export no Highway symbol: tools/check_isa_symbols.py).
const hwy::Sorter& sorter() {
  thread_local hwy::Sorter* s = nullptr;
  if (!s) {
    static std::mutex mu;
    static auto* all = new std::vector<void*>();  // (void*: no vector of a Highway type)
    s = new hwy::Sorter();
    std::lock_guard<std::mutex> lock(mu);
    all->push_back(s);
  }
  return *s;
}

// A 128-bit composite {lo, hi} as our own type: std::sort over it stays local.
struct Pair {
  uint64_t lo, hi;
};
void sort_pairs(uint64_t* k, int64_t n) {
  auto* p = reinterpret_cast<Pair*>(k);
  std::sort(p, p + n, [](const Pair& a, const Pair& b) { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); });
}

// VQSort pads a short array to its sorting network's size (128 keys on
// AVX-512): topk's few keys per row sort faster with std::sort.
constexpr int64_t kShortSort = 48;

void sort_one(uint64_t* k, int64_t n, int words) {
  if (n < 2) return;
  if (n <= kShortSort) {
    if (words == 1) {
      std::sort(k, k + n);
    } else {
      sort_pairs(k, n);
    }
    return;
  }
  if (words == 1) {
    sorter()(k, static_cast<size_t>(n), hwy::SortAscending());
  } else if (g_native128.load(std::memory_order_relaxed)) {
    sorter()(reinterpret_cast<hwy::uint128_t*>(k), static_cast<size_t>(n), hwy::SortAscending());
  } else {
    sort_pairs(k, n);
  }
}

// Below this many composites one thread sorts: the split costs a pass.
constexpr int64_t kParallelSortMin = int64_t{1} << 17;

template <int W>
inline bool less_w(const uint64_t* a, const uint64_t* b) {
  if constexpr (W == 1) {
    return a[0] < b[0];
  } else {
    return a[1] < b[1] || (a[1] == b[1] && a[0] < b[0]);
  }
}

// Merges out[p0, p1) of the merge of sorted a[0, na) and b[0, nb): the
// merge path's split at p0 by binary search, then a branch-free merge.
template <int W>
void merge_part(const uint64_t* a, int64_t na, const uint64_t* b, int64_t nb, uint64_t* out, int64_t p0, int64_t p1) {
  int64_t lo = std::max<int64_t>(0, p0 - nb), hi = std::min(p0, na);
  while (lo < hi) {  // the fewest of a such that the split is valid
    const int64_t i = (lo + hi) / 2, j = p0 - i;
    if (j > 0 && less_w<W>(a + i * W, b + (j - 1) * W)) {
      lo = i + 1;
    } else {
      hi = i;
    }
  }
  int64_t i = lo, j = p0 - lo;
  for (int64_t p = p0; p < p1; ++p) {
    const bool take_a = j >= nb || (i < na && less_w<W>(a + i * W, b + j * W));
    const uint64_t* src = take_a ? a + i * W : b + j * W;
    for (int w = 0; w < W; ++w) out[p * W + w] = src[w];
    i += take_a;
    j += !take_a;
  }
}

// Sorts `threads` chunks side by side, then merges them pairwise, each merge
// split across the threads along its merge path. Composites are distinct, so
// the result does not depend on where the chunks were cut.
template <int W>
void parallel_sort(uint64_t* k, int64_t n, int threads) {
  const int64_t chunks = threads;
  std::vector<int64_t> bound(static_cast<size_t>(chunks + 1));
  for (int64_t c = 0; c <= chunks; ++c) bound[static_cast<size_t>(c)] = n * c / chunks;
  tbb::parallel_for(int64_t{0}, chunks, [&](int64_t c) {
    sort_one(k + bound[static_cast<size_t>(c)] * W, bound[static_cast<size_t>(c + 1)] - bound[static_cast<size_t>(c)], W);
  });
  // Scratch from the recycling allocator: no page faults on repeated sorts.
  const Tensor scratch = Tensor::empty({n * W}, DType::Int64);
  uint64_t* src = k;
  uint64_t* dst = static_cast<uint64_t*>(scratch.data_ptr());
  for (int64_t width = 1; width < chunks; width *= 2) {
    for (int64_t c = 0; c < chunks; c += 2 * width) {
      const int64_t b0 = bound[static_cast<size_t>(c)];
      const int64_t b1 = bound[static_cast<size_t>(std::min(chunks, c + width))];
      const int64_t b2 = bound[static_cast<size_t>(std::min(chunks, c + 2 * width))];
      const int64_t len = b2 - b0;
      tbb::parallel_for(int64_t{0}, int64_t{threads}, [&](int64_t t) {
        merge_part<W>(src + b0 * W, b1 - b0, src + b1 * W, b2 - b1, dst + b0 * W, len * t / threads,
                      len * (t + 1) / threads);
      });
    }
    std::swap(src, dst);
  }
  if (src != k) {
    tbb::parallel_for(int64_t{0}, int64_t{threads}, [&](int64_t t) {
      const int64_t b = n * t / threads, e = n * (t + 1) / threads;
      std::memcpy(k + b * W, src + b * W, static_cast<size_t>((e - b) * W * 8));
    });
  }
}

}  // namespace

void sort_composites(uint64_t* keys, int64_t n, int words, bool may_split) {
  steer();
  const int threads = may_split && n >= kParallelSortMin ? max_threads() : 1;  // (max_threads takes a lock)
  if (threads > 1) {
    if (words == 1) {
      parallel_sort<1>(keys, n, threads);
    } else {
      parallel_sort<2>(keys, n, threads);
    }
  } else {
    sort_one(keys, n, words);
  }
}

void sort_keys64(uint64_t* keys, int64_t n, bool descending) {
  steer();
  if (n < 2) return;
  if (descending) {
    sorter()(keys, static_cast<size_t>(n), hwy::SortDescending());
  } else {
    sorter()(keys, static_cast<size_t>(n), hwy::SortAscending());
  }
}

const char* sort_target() {
  steer();
  const int64_t t = hwy::SupportedTargets();
  return hwy::TargetName(t & -t);  // the best one (the lowest bit)
}

}  // namespace rusttorch::detail
