// Sorting and selection kernels (sort keys, select, search) for avx2: the
// shared implementation compiled with this folder's flags.
#include <algorithm>
#include <cstring>
#include <utility>

#include "common/isa_prelude.h"

namespace rusttorch::kernels::avx2 {
#include "common/sort_impl.inc"

void fill_sort(KernelTable& t) { sort::fill(t.sort); }
}  // namespace rusttorch::kernels::avx2
