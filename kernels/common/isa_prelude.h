// Standard headers every ISA kernel file uses. Included before the ISA
// namespace opens; inline code from here is made local to each ISA object.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernel_abi.h"
