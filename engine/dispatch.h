// The kernel table of the active ISA, resolved once (see kernel_registry.cpp).
#pragma once
#include "kernel_abi.h"

namespace rusttorch::detail {

// Throws when RUSTTORCH_ISA names an unknown or unsupported ISA.
const kernels::KernelTable& active_kernels();

}  // namespace rusttorch::detail
