// Reductions (rusttorch/reduction.h): bound here as they land in the engine.
#include "casters.h"

namespace rtpy {

void bind_reduction(py::module_&) {}

}  // namespace rtpy
