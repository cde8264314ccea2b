#include "rusttorch/dtype.h"

namespace rusttorch {

std::size_t itemsize(DType t) {
  switch (t) {
    case DType::Bool: return 1;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

// With only these five types the lattice is a chain: the larger enum wins.
DType promote_types(DType a, DType b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

}  // namespace rusttorch
