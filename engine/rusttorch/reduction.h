// reduction operations (filled in by its issue).
#pragma once
#include "rusttorch/tensor.h"

namespace rusttorch {}  // namespace rusttorch
