// Element types and PyTorch's type-promotion lattice.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace rusttorch {

// Ordered by promotion category: bool < integers < floating point.
// The numeric values are also the kernel-table indices (kernels/kernel_abi.h).
enum class DType : int { Bool = 0, Int32 = 1, Int64 = 2, Float32 = 3, Float64 = 4 };
inline constexpr int kNumDTypes = 5;

std::size_t itemsize(DType t);
const char* dtype_name(DType t);  // "float32", ... (torch's spelling without "torch.")
inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_integral(DType t, bool include_bool = false) {
  return t == DType::Int32 || t == DType::Int64 || (include_bool && t == DType::Bool);
}

// torch.promote_types: the smallest type both convert to without losing category.
DType promote_types(DType a, DType b);

// The default dtypes, as torch.get_default_dtype() and Python int literals give.
inline constexpr DType kDefaultFloat = DType::Float32;
inline constexpr DType kDefaultInt = DType::Int64;

}  // namespace rusttorch
