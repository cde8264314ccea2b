// Umbrella header for C++ users: #include <rusttorch/rusttorch.h>
#pragma once
#include "rusttorch/activation.h"
#include "rusttorch/autograd.h"
#include "rusttorch/backend.h"
#include "rusttorch/dtype.h"
#include "rusttorch/error.h"
#include "rusttorch/linalg.h"
#include "rusttorch/ops.h"
#include "rusttorch/optim.h"
#include "rusttorch/random.h"
#include "rusttorch/reduction.h"
#include "rusttorch/scalar.h"
#include "rusttorch/tensor.h"
