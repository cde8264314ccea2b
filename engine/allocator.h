// Storage allocation: 64-byte aligned blocks; large blocks are recycled.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace rusttorch::detail {

// A new block of at least `nbytes` (contents undefined), freed when the last
// owner drops it. Throws rusttorch::Error when memory cannot be had.
std::shared_ptr<void> allocate(std::size_t nbytes);

// Large blocks currently parked in the cache, and a way to return them to the OS.
std::size_t cached_bytes();
void empty_cache();

}  // namespace rusttorch::detail
