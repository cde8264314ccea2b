// activation entry points (filled in by its issue).
#include "rusttorch/tensor.h"

namespace rusttorch {}  // namespace rusttorch
