// Storage allocation: 64-byte aligned blocks; large blocks are recycled.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace rusttorch::detail {

// A new block of at least `nbytes` (contents undefined), freed when the last
// owner drops it. Throws rusttorch::Error when memory cannot be had. *version
// is the storage's version counter (autograd), kept in the same control block
// so that it costs no allocation of its own and lives as long as the storage.
std::shared_ptr<void> allocate(std::size_t nbytes, std::atomic<uint32_t>** version = nullptr);
// Storage over external memory kept alive by `owner`, with a version counter.
std::shared_ptr<void> adopt(std::shared_ptr<void> owner, void* data, std::atomic<uint32_t>** version);

// Large blocks currently parked in the cache, and a way to return them to the OS.
std::size_t cached_bytes();
void empty_cache();

}  // namespace rusttorch::detail
