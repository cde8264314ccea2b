// Matrix products with torch semantics, on rusttorch's own GEMM (per-ISA
// packing and microkernels, oneTBB tiles; engine/gemm_driver.cpp). float32 and
// float64 run the BLIS-style GEMM; int32 and int64 are exact with wrapping
// overflow; bool is rejected as torch does. Inputs may be any strided views
// (transposed, sliced, expanded): they are read through their strides, not
// copied. Results are new contiguous tensors of the inputs' dtype and do not
// depend on the number of threads.
#pragma once
#include "rusttorch/scalar.h"
#include "rusttorch/tensor.h"

namespace rusttorch {

// torch.matmul: 1-D . 1-D is dot, 2-D @ 1-D is mv, 1-D @ 2-D is a row vector
// times a matrix (the added dim removed), 2-D @ 2-D is mm, and with 3 or more
// dims the leading (batch) dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);          // (n x k) @ (k x m)
Tensor bmm(const Tensor& a, const Tensor& b);         // (b x n x k) @ (b x k x m), no broadcasting
Tensor mv(const Tensor& mat, const Tensor& vec);      // (n x k) @ (k)
Tensor dot(const Tensor& a, const Tensor& b);         // (n) . (n) -> 0-dim
Tensor outer(const Tensor& a, const Tensor& b);       // (n) x (m) -> (n x m), types promoted as torch.outer
// beta * input + alpha * (m1 @ m2); input broadcasts to the result; beta == 0
// ignores input entirely (NaN in it does not propagate), as torch.
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, Scalar beta = 1, Scalar alpha = 1);
// beta * input + alpha * bmm(b1, b2).
Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta = 1, Scalar alpha = 1);
// torch.nn.functional.linear: x @ w^T + bias, the bias added inside the GEMM's
// epilogue. x (..., k), w (n, k) or (k), bias (n) or anything broadcastable
// to the result, or an undefined Tensor for none.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias = Tensor());

}  // namespace rusttorch
