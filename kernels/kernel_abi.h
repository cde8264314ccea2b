// The only interface between the front-end and the per-ISA kernels: raw
// pointers, element counts and plain parameters. Kernels never allocate,
// never throw and never see a Tensor; they report errors through the return
// value. Every ISA object exports exactly one symbol, rusttorch_kernels_<isa>,
// returning its table (everything else is made local at link time, see
// tools/localize_isa_object.py).
#pragma once
#include <cstdint>

#include "conv_abi.h"
#include "gemm_abi.h"
#include "loss_abi.h"
#include "optim_abi.h"
#include "primitives_abi.h"
#include "reduce_abi.h"
#include "sort_abi.h"

namespace rusttorch::kernels {

// Same order and values as rusttorch::DType.
enum DTypeIndex : int { kBool = 0, kInt32 = 1, kInt64 = 2, kFloat32 = 3, kFloat64 = 4, kNumDTypes = 5 };

enum BinaryOp : int {
  kAdd, kSub, kMul, kDiv, kDivTrunc, kDivFloor, kRemainder, kFmod, kPow, kMaximum, kMinimum,
  // comparisons and logical ops write bool (uint8 0/1)
  kEq, kNe, kLt, kLe, kGt, kGe, kLogicalAnd, kLogicalOr, kLogicalXor,
  kBitAnd, kBitOr, kBitXor,
  kNumBinaryOps
};
inline constexpr bool binary_writes_bool(int op) { return op >= kEq && op <= kLogicalXor; }

enum UnaryOp : int {
  kNeg, kAbs, kSign, kExp, kLog, kSqrt, kRsqrt, kClamp,
  kLogicalNot,  // writes bool
  kBitNot,
  kNumUnaryOps
};
inline constexpr bool unary_writes_bool(int op) { return op == kLogicalNot; }

// Flags of a kernel call.
enum : int {
  kVecVec = 0,        // both inputs are runs of n elements
  kVecScalar = 1,     // b is one element, broadcast
  kScalarVec = 2,     // a is one element, broadcast
  kLayoutMask = 3,
  kStreamStores = 4,  // the output will not be read soon: bypass the cache
};

// Extra operands: alpha for add/sub, lo/hi for clamp. Both representations are
// filled so a kernel reads the one of its dtype.
struct OpParams {
  double f[2] = {1.0, 0.0};
  int64_t i[2] = {1, 0};
  int has_lo = 0, has_hi = 0;  // clamp bounds present
};

enum Status : int { kOk = 0, kErrDivByZero = 1 };

using BinaryFn = int (*)(const void* a, const void* b, void* out, int64_t n, int flags, const OpParams* p);
using UnaryFn = int (*)(const void* in, void* out, int64_t n, int flags, const OpParams* p);
using CastFn = void (*)(const void* in, void* out, int64_t n);
// cond is bool; flags bit 0: a is one element, bit 1: b is one element, bit 2: cond is one element.
using WhereFn = void (*)(const uint8_t* cond, const void* a, const void* b, void* out, int64_t n, int flags);
// out[i * ld_out + j] = in[j * ld_in + i] for i < rows, j < cols (leading dims in elements).
using TransposeFn = void (*)(const void* in, int64_t ld_in, void* out, int64_t ld_out, int64_t rows, int64_t cols);

// A null entry means the (op, dtype) pair is not supported; the front-end
// rejects such calls before it reaches the table.
struct KernelTable {
  const char* isa;
  BinaryFn binary[kNumBinaryOps][kNumDTypes];
  UnaryFn unary[kNumUnaryOps][kNumDTypes];
  CastFn cast[kNumDTypes][kNumDTypes];  // [from][to]
  WhereFn where[kNumDTypes];
  TransposeFn transpose[4];      // by element size: 1, 2, 4, 8 bytes
  ReduceKernels reduce;          // reductions, activations, softmax (reduce_abi.h)
  GemmKernels gemm;              // matmul microkernels and packing (gemm_abi.h)
  LossKernels loss;              // cross_entropy, nll_loss, binary_cross_entropy_with_logits (loss_abi.h)
  PrimitiveKernels primitives;   // fma, two_prod as the kernels compute them (primitives_abi.h)
  OptimKernels optim;            // fused optimizer updates (optim_abi.h)
  SortKernels sort;              // sort keys, select, search (sort_abi.h)
  ConvKernels conv;              // im2col, col2im (conv_abi.h)
};

}  // namespace rusttorch::kernels

// One entry point per compiled ISA (defined in kernels/<isa>/table.cpp).
extern "C" {
const rusttorch::kernels::KernelTable* rusttorch_kernels_scalar();
const rusttorch::kernels::KernelTable* rusttorch_kernels_sse42();
const rusttorch::kernels::KernelTable* rusttorch_kernels_avx2();
const rusttorch::kernels::KernelTable* rusttorch_kernels_avx512();
const rusttorch::kernels::KernelTable* rusttorch_kernels_neon();
}
