// Sorting and selection kernels (sort keys, select, search) for scalar: the
// shared implementation compiled with this folder's flags.
#include <algorithm>
#include <cstring>
#include <utility>

#include "common/isa_prelude.h"

namespace rusttorch::kernels::scalar {
#include "common/sort_impl.inc"

void fill_sort(KernelTable& t) { sort::fill(t.sort); }
}  // namespace rusttorch::kernels::scalar
