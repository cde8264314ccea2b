// Why a cache: a fresh 64 MiB output from malloc or oneTBB's scalable
// allocator costs a page fault per 4 KiB page on first write (measured here:
// ~2.6 GB/s for a memset of a fresh block, 10x slower than a reused one; the
// scalable allocator returned such blocks to the OS and re-faulted them even
// with TBBMALLOC_SET_HUGE_SIZE_THRESHOLD). So large blocks are mmap'ed with
// huge pages advised and parked in a size-classed cache on free, like
// PyTorch's GPU caching allocator. Small blocks go to oneTBB's scalable
// allocator (thread-local free lists, fast for the many tiny tensors).
#include "allocator.h"

#include <sys/mman.h>
#include <tbb/scalable_allocator.h>

#include <map>
#include <mutex>
#include <string>

#include "rusttorch/error.h"

namespace rusttorch::detail {
namespace {

constexpr std::size_t kLargeBlock = std::size_t{1} << 20;   // 1 MiB: below this, tbbmalloc
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kCacheLimit = std::size_t{4} << 30;   // parked bytes, at most

// Rounds up to one of 8 classes per power of two (at most 12.5% waste) so a
// freed block fits the next request of a similar size.
std::size_t size_class(std::size_t n) {
  std::size_t p = kLargeBlock;
  while (p * 2 <= n) p *= 2;
  std::size_t step = p / 8;
  return (n + step - 1) / step * step;
}

struct LargeCache {
  std::mutex mu;
  std::multimap<std::size_t, void*> free_blocks;
  std::size_t parked = 0;
};
LargeCache& cache() {
  static LargeCache* c = new LargeCache;  // never destroyed: tensors may outlive static destructors
  return *c;
}

void* map_large(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (bytes >= kHugePage) madvise(p, bytes, MADV_HUGEPAGE);  // advice only; failure is harmless
  return p;
}

void release_large(void* p, std::size_t bytes) {
  LargeCache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.parked + bytes <= kCacheLimit) {
      c.free_blocks.emplace(bytes, p);
      c.parked += bytes;
      return;
    }
  }
  munmap(p, bytes);
}

[[noreturn]] void out_of_memory(std::size_t nbytes) {
  throw Error("DefaultCPUAllocator: not enough memory: you tried to allocate " + std::to_string(nbytes) +
              " bytes.");
}

// The object a storage's control block owns: the memory and its version counter.
struct SmallBlock {
  void* p;
  std::atomic<uint32_t> version{0};
  explicit SmallBlock(void* q) : p(q) {}
  ~SmallBlock() { scalable_aligned_free(p); }
};
struct LargeBlock {
  void* p;
  std::size_t bytes;
  std::atomic<uint32_t> version{0};
  LargeBlock(void* q, std::size_t n) : p(q), bytes(n) {}
  ~LargeBlock() { release_large(p, bytes); }
};
struct ExternalBlock {
  std::shared_ptr<void> owner;
  std::atomic<uint32_t> version{0};
  explicit ExternalBlock(std::shared_ptr<void> o) : owner(std::move(o)) {}
};

// Aliases the block's memory, sharing the control block that owns the block.
template <class Block>
std::shared_ptr<void> storage_of(std::shared_ptr<Block> b, void* data, std::atomic<uint32_t>** version) {
  if (version) *version = &b->version;
  return std::shared_ptr<void>(std::move(b), data);
}

}  // namespace

std::shared_ptr<void> adopt(std::shared_ptr<void> owner, void* data, std::atomic<uint32_t>** version) {
  return storage_of(std::make_shared<ExternalBlock>(std::move(owner)), data, version);
}

std::shared_ptr<void> allocate(std::size_t nbytes, std::atomic<uint32_t>** version) {
  if (nbytes < kLargeBlock) {
    void* p = scalable_aligned_malloc(nbytes == 0 ? 64 : nbytes, 64);
    if (!p) out_of_memory(nbytes);
    std::shared_ptr<SmallBlock> b;
    try {
      b = std::make_shared<SmallBlock>(p);
    } catch (...) {
      scalable_aligned_free(p);
      throw;
    }
    return storage_of(std::move(b), p, version);
  }
  const std::size_t bytes = size_class(nbytes);
  void* p = nullptr;
  {
    LargeCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(bytes);
    if (it != c.free_blocks.end()) {
      p = it->second;
      c.parked -= bytes;
      c.free_blocks.erase(it);
    }
  }
  if (!p) p = map_large(bytes);
  if (!p) {  // maybe the cache holds what the OS lacks
    empty_cache();
    p = map_large(bytes);
  }
  if (!p) out_of_memory(nbytes);
  std::shared_ptr<LargeBlock> b;
  try {
    b = std::make_shared<LargeBlock>(p, bytes);
  } catch (...) {
    release_large(p, bytes);
    throw;
  }
  return storage_of(std::move(b), p, version);
}

std::size_t cached_bytes() {
  LargeCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.parked;
}

void empty_cache() {
  LargeCache& c = cache();
  std::multimap<std::size_t, void*> blocks;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    blocks.swap(c.free_blocks);
    c.parked = 0;
  }
  for (auto& [bytes, p] : blocks) munmap(p, bytes);
}

}  // namespace rusttorch::detail
