// Kernel ABI of sorting and selection (see kernel_abi.h for the rules: raw
// pointers, sizes and strides; kernels never allocate, never throw and never
// see a Tensor). The sort itself is Highway's VQSort, called by the front-end
// (engine/vqsort.cpp); these kernels turn a row into sortable keys and back,
// select, and search.
//
// Order keys. Every dtype maps to an unsigned key whose unsigned order is
// torch's order: bool, int32 and float32 to 32 bits, int64 and float64 to
// 64. Floats: -0.0 and +0.0 get one key (they compare equal in torch, so a
// stable sort keeps their order), every NaN the largest key (torch sorts NaN
// last ascending, first descending). Descending flips every key bit.
//
// Composite keys: the key in the high half, the element's index in the row
// in the low half, so every composite is distinct and the ascending order of
// composites is the stable order of the row: 32-bit keys make one uint64
// (key << 32 | index; rows of up to 2^32 elements), 64-bit keys one
// 128-bit pair stored {index, key} (Highway's uint128_t layout: lo, hi).
// Sorting composites therefore gives the same result for any algorithm and
// any thread count.
//
// A row is `n` elements at x[i * stride] (stride in elements).
#pragma once
#include <cstdint>

namespace rusttorch::kernels {

inline constexpr int kSortDTypes = 5;  // == kNumDTypes (kernel_abi.h)

// Words of one composite key: 1 (uint64) for 32-bit keys, 2 for 64-bit.
inline constexpr int composite_words(int dtype) { return (dtype == 2 || dtype == 4) ? 2 : 1; }

// out: n composites (n * composite_words words); the element x[0] has
// index `first` in its row.
using SortPackFn = void (*)(const void* x, int64_t stride, int64_t n, int descending, int64_t first, uint64_t* out);
// From n sorted composites (packed with `descending`): indices[i *
// out_stride] = the index, values[i * out_stride] = x[index * stride]
// (values may be null). Values are decoded from the keys, in order; only a
// zero or a NaN (whose sign or payload the key lost) is read back from x.
using SortUnpackFn = void (*)(const uint64_t* keys, int64_t n, int descending, const void* x, int64_t stride,
                              void* values, int64_t* indices, int64_t out_stride);
// Values-only sort: keys[i] = key(x[i]) (uint32 or uint64 per dtype, no
// index, not flipped), and back (NaN comes back as the default quiet NaN,
// -0.0 as +0.0: callers that need the exact values gather them by index).
using SortKeysFn = void (*)(const void* x, int64_t n, void* keys);
using SortFromKeysFn = void (*)(const void* keys, int64_t n, void* out);
// The index of the k-th (0-based) smallest composite of the row (ascending,
// or descending when `descending`): a radix select over the keys, 8 bits a
// pass; scratch holds n composites.
using SortSelectFn = int64_t (*)(const void* x, int64_t stride, int64_t n, int64_t k, int descending,
                                 uint64_t* scratch);
// The k smallest composites (pack order) of the row into best[0, k) as a
// max-heap, in one pass: for small k (the front-end sorts them after).
using SortSmallestFn = void (*)(const void* x, int64_t stride, int64_t n, int64_t k, int descending,
                                uint64_t* best);
// Composites of the row not greater than `bound` (the composite the select
// found) into out, in index order; returns how many (k + 1 for the k-th).
using SortCollectFn = int64_t (*)(const void* x, int64_t stride, int64_t n, int descending, const uint64_t* bound,
                                  uint64_t* out);
// For each of m values v[j * v_stride], the insertion point into the
// ascending row s[0, n) (s_stride apart): the first i with s[i] >= v
// (right: s[i] > v), by torch's own binary search (so NaNs land where
// torch puts them); out[j * o_stride], int64 or int32 (out_int32).
using SortSearchFn = void (*)(const void* s, int64_t s_stride, int64_t n, const void* v, int64_t v_stride, int64_t m,
                              int right, void* out, int64_t o_stride, int out_int32);
// Starts of the runs of equal neighbours in x[0, n) (torch's ==, so NaNs are
// each their own run): writes their indices, returns how many.
using SortRunStartsFn = int64_t (*)(const void* x, int64_t n, int64_t* starts);

struct SortKernels {
  SortPackFn pack[kSortDTypes];
  SortUnpackFn unpack[kSortDTypes];
  SortKeysFn keys[kSortDTypes];
  SortFromKeysFn from_keys[kSortDTypes];
  SortSelectFn select[kSortDTypes];
  SortSmallestFn smallest[kSortDTypes];
  SortCollectFn collect[kSortDTypes];
  SortSearchFn search[kSortDTypes];
  SortRunStartsFn run_starts[kSortDTypes];
};

}  // namespace rusttorch::kernels
