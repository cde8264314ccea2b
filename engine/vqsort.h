// Highway's VQSort for the front-end (engine/vqsort.cpp): Highway's own
// dispatch is steered to the target that matches the active ISA, so that
// RUSTTORCH_ISA=avx2 sorts with Highway's AVX2 code.
#pragma once
#include <cstdint>

namespace rusttorch::detail {

// Ascending sorts of composite keys (kernels/sort_abi.h): `words` 1 for
// uint64, 2 for {lo, hi} 128-bit pairs. With may_split, large arrays are
// split across the threads by a sample sort (callers already inside a
// parallel tile pass false); composites are distinct, so the result is the
// same for any thread count.
void sort_composites(uint64_t* keys, int64_t n, int words, bool may_split);
// Ascending or descending sort of plain uint64 keys, on one thread.
void sort_keys64(uint64_t* keys, int64_t n, bool descending);
// Highway's name of the target its sorts run on now ("AVX3", "AVX2", "SSE4", "EMU128", "NEON", ...).
const char* sort_target();

}  // namespace rusttorch::detail
