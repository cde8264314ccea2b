// Activations and softmax (rusttorch/activation.h): bound here as they land in the engine.
#include "casters.h"

namespace rtpy {

void bind_activation(py::module_&) {}

}  // namespace rtpy
