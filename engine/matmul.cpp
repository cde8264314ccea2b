// Matrix-product entry points (rusttorch/linalg.h): torch's shape rules and
// error messages, output allocation, then the GEMM driver (gemm_driver.cpp),
// which reads every operand through its strides.
#include <string>
#include <vector>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "gemm_driver.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/linalg.h"
#include "rusttorch/ops.h"
#include "tensor_access.h"

namespace rusttorch {
namespace {

// as torch's "expected scalar type ..." messages
const char* type_name(DType t) { return detail::torch_type_name(t); }
const char* cpp_name(DType t) { return detail::torch_cpp_type_name(t); }  // "expected m1 and m2 ..."

std::string dims_str(int64_t a, int64_t b) { return std::to_string(a) + "x" + std::to_string(b); }

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw Error(std::string(op) + ": tensor is undefined");
}
void check_not_bool(DType t, const char* kernel) {
  if (t == DType::Bool) throw TypeError(std::string("\"") + kernel + "\" not implemented for 'Bool'");
}
void check_same_m1_m2(const Tensor& m1, const Tensor& m2) {
  if (m1.dtype() != m2.dtype())
    throw Error(std::string("expected m1 and m2 to have the same dtype, but got: ") + cpp_name(m1.dtype()) +
                " != " + cpp_name(m2.dtype()));
}
void check_self_mat2(const Tensor& self, const Tensor& mat2) {
  if (self.dtype() != mat2.dtype())
    throw Error(std::string("self and mat2 must have the same dtype, but got ") + type_name(self.dtype()) + " and " +
                type_name(mat2.dtype()));
}

// Dims [0, nd - 1) of t (all but the last) as one dimension: its stride, when
// the layout allows it (size-1 dims never matter; stride 0 broadcasts merge).
bool merged_row_stride(const Tensor& t, int64_t& stride) {
  const int64_t nd = t.ndim();
  bool have = false;
  int64_t span = 1;
  stride = 0;
  for (int64_t d = nd - 2; d >= 0; --d) {
    const int64_t size = t.size(d), st = t.stride(d);
    if (size == 1) continue;
    if (!have) {
      stride = st;
      span = size;
      have = true;
    } else {
      if (st != stride * span) return false;
      span *= size;
    }
  }
  return true;
}

template <class T>
T scalar_as(Scalar s) {
  if constexpr (std::is_floating_point_v<T>) return static_cast<T>(s.to_double());
  else return static_cast<T>(s.to_int());
}

// beta * x + alpha * a @ b over equal batch dims: a (..., m, k), b (..., k, n)
// (expanded views), x undefined or expanded to (..., m, n).
template <class T>
void run_product(const Tensor& a, const Tensor& b, const Tensor& x, Scalar alpha, Scalar beta, Tensor& out) {
  const int64_t nd = a.ndim();
  const Shape &as = a.shape(), &ast = a.strides(), &bs = b.shape(), &bst = b.strides();
  detail::GemmCall<T> g;
  g.m = as[nd - 2];
  g.k = as[nd - 1];
  g.n = bs[nd - 1];
  g.a = static_cast<const T*>(a.data_ptr());
  g.rsa = ast[nd - 2];
  g.csa = ast[nd - 1];
  g.b = static_cast<const T*>(b.data_ptr());
  g.rsb = bst[nd - 2];
  g.csb = bst[nd - 1];
  g.c = static_cast<T*>(out.data_ptr());
  g.rsc = g.n;
  g.csc = 1;
  g.alpha = scalar_as<T>(alpha);
  g.beta = x.defined() ? scalar_as<T>(beta) : T(0);
  const bool use_x = g.beta != T(0);
  if (use_x) {
    g.x = static_cast<const T*>(x.data_ptr());
    g.rsx = x.stride(nd - 2);
    g.csx = x.stride(nd - 1);
  }
  const auto& kt = detail::active_kernels();

  int64_t batch = 1;
  for (int64_t d = 0; d < nd - 2; ++d) batch *= a.size(d);
  if (batch == 1) {
    detail::gemm(kt, g, detail::max_threads());
    return;
  }
  // B shared by every product (a weight): one product with the batch folded into M.
  bool b_shared = true;
  for (int64_t d = 0; d < nd - 2; ++d) b_shared = b_shared && (b.stride(d) == 0 || b.size(d) == 1);
  int64_t rsa = 0, rsx = 0;
  if (b_shared && merged_row_stride(a, rsa) && (!use_x || merged_row_stride(x, rsx))) {
    g.rsa = rsa;
    if (use_x) g.rsx = rsx;
    g.m *= batch;
    detail::gemm(kt, g, detail::max_threads());
    return;
  }
  std::vector<int64_t> oa(batch), ob(batch), oc(batch), ox(use_x ? batch : 0);
  std::vector<int64_t> idx(nd - 2, 0);
  int64_t pa = 0, pb = 0, px = 0;
  for (int64_t i = 0; i < batch; ++i) {
    oa[i] = pa;
    ob[i] = pb;
    oc[i] = i * g.m * g.n;
    if (use_x) ox[i] = px;
    for (int64_t d = nd - 3; d >= 0; --d) {  // odometer over the batch dims
      pa += a.stride(d);
      pb += b.stride(d);
      if (use_x) px += x.stride(d);
      if (++idx[d] < a.size(d)) break;
      pa -= a.stride(d) * a.size(d);
      pb -= b.stride(d) * b.size(d);
      if (use_x) px -= x.stride(d) * x.size(d);
      idx[d] = 0;
    }
  }
  detail::gemm_batched(kt, g, batch, oa.data(), ob.data(), oc.data(), use_x ? ox.data() : nullptr);
}

// The shared core: a (..., m, k) and b (..., k, n) with the same batch dims.
Tensor product(const Tensor& a, const Tensor& b, const Tensor& x, Scalar alpha, Scalar beta) {
  const int64_t nd = a.ndim();
  Shape shape(a.shape());
  shape[nd - 1] = b.shape()[nd - 1];
  const Tensor xe = x.defined() ? x.expand(shape) : Tensor();
  Tensor out = TensorAccess::alloc(shape, a.dtype());
  if (out.numel() == 0) return out;
  switch (a.dtype()) {
    case DType::Float32: run_product<float>(a, b, xe, alpha, beta, out); break;
    case DType::Float64: run_product<double>(a, b, xe, alpha, beta, out); break;
    case DType::Int32: run_product<int32_t>(a, b, xe, alpha, beta, out); break;
    case DType::Int64: run_product<int64_t>(a, b, xe, alpha, beta, out); break;
    case DType::Bool: throw TypeError("\"addmm_impl_cpu_\" not implemented for 'Bool'");
  }
  return out;
}

// mm's checks: matrices, shapes, then dtypes (torch's order).
void check_mm(const Tensor& m1, const Tensor& m2) {
  if (m1.ndim() != 2) throw Error("self must be a matrix");
  if (m2.ndim() != 2) throw Error("mat2 must be a matrix");
  if (m1.size(1) != m2.size(0))
    throw Error("mat1 and mat2 shapes cannot be multiplied (" + dims_str(m1.size(0), m1.size(1)) + " and " +
                dims_str(m2.size(0), m2.size(1)) + ")");
  check_same_m1_m2(m1, m2);
}

void check_bmm(const Tensor& b1, const Tensor& b2, const Shape& batch, int64_t k) {
  if (b2.size(-2) != k) {
    int64_t nb = 1;
    for (int64_t s : batch) nb *= s;
    throw Error("Expected size for first two dimensions of batch2 tensor to be: [" + std::to_string(nb) + ", " +
                std::to_string(k) + "] but got: [" + std::to_string(nb) + ", " + std::to_string(b2.size(-2)) + "].");
  }
  if (b1.dtype() != b2.dtype())
    throw Error(std::string("expected scalar type ") + type_name(b1.dtype()) + " but found " + type_name(b2.dtype()));
}

// torch.matmul of two tensors, at least one with 3 or more dims: broadcast batch dims.
Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  const Tensor a2 = a.ndim() == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = b.ndim() == 1 ? b.unsqueeze(1) : b;
  const Shape ba(a2.shape().begin(), a2.shape().end() - 2), bb(b2.shape().begin(), b2.shape().end() - 2);
  const Shape batch = broadcast_shapes(ba, bb);
  const int64_t m = a2.size(-2), kk = a2.size(-1), n = b2.size(-1);
  check_bmm(a2, b2, batch, kk);
  check_not_bool(a.dtype(), "bmm");
  Shape sa = batch, sb = batch;
  sa.push_back(m);
  sa.push_back(kk);
  sb.push_back(b2.size(-2));
  sb.push_back(n);
  Tensor out = product(a2.expand(sa), b2.expand(sb), Tensor(), 1, 0);
  if (a.ndim() == 1) out = out.squeeze(-2);
  if (b.ndim() == 1) out = out.squeeze(-1);
  return out;
}

}  // namespace

Tensor dot(const Tensor& a, const Tensor& b) {
  check_defined(a, "dot");
  check_defined(b, "dot");
  if (a.ndim() != 1 || b.ndim() != 1)
    throw Error("1D tensors expected, but got " + std::to_string(a.ndim()) + "D and " + std::to_string(b.ndim()) +
                "D tensors");
  if (a.dtype() != b.dtype())
    throw Error(std::string("dot : expected both vectors to have same dtype, but found ") + type_name(a.dtype()) +
                " and " + type_name(b.dtype()));
  if (a.numel() != b.numel())
    throw Error("inconsistent tensor size, expected tensor [" + std::to_string(a.numel()) + "] and src [" +
                std::to_string(b.numel()) + "] to have the same number of elements, but got " +
                std::to_string(a.numel()) + " and " + std::to_string(b.numel()) + " elements respectively");
  check_not_bool(a.dtype(), "dot");
  if (autograd::should_record({&a, &b}))
    return autograd::product(autograd::Product::Dot, a, b, [&] { return dot(a, b); });
  return product(a.unsqueeze(0), b.unsqueeze(1), Tensor(), 1, 0).view({});
}

Tensor mv(const Tensor& mat, const Tensor& vec) {
  check_defined(mat, "mv");
  check_defined(vec, "mv");
  if (mat.ndim() != 2 || vec.ndim() != 1)
    throw Error("vector + matrix @ vector expected, got 1, " + std::to_string(mat.ndim()) + ", " +
                std::to_string(vec.ndim()));
  if (mat.size(1) != vec.size(0))
    throw Error("size mismatch, got input (" + std::to_string(mat.size(0)) + "), mat (" +
                dims_str(mat.size(0), mat.size(1)) + "), vec (" + std::to_string(vec.size(0)) + ")");
  if (mat.dtype() != vec.dtype())
    throw Error(std::string("addmv input tensors must have the same dtype, but got ") + type_name(vec.dtype()) + ", " +
                type_name(mat.dtype()) + ", and " + type_name(vec.dtype()));
  check_not_bool(mat.dtype(), "addmv_impl_cpu");
  if (autograd::should_record({&mat, &vec}))
    return autograd::product(autograd::Product::Mv, mat, vec, [&] { return mv(mat, vec); });
  return product(mat, vec.unsqueeze(1), Tensor(), 1, 0).view({mat.size(0)});
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_defined(a, "mm");
  check_defined(b, "mm");
  check_mm(a, b);
  check_not_bool(a.dtype(), "addmm_impl_cpu_");
  if (autograd::should_record({&a, &b})) return autograd::product(autograd::Product::Mm, a, b, [&] { return mm(a, b); });
  return product(a, b, Tensor(), 1, 0);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_defined(a, "bmm");
  check_defined(b, "bmm");
  if (a.ndim() != 3) throw Error("batch1 must be a 3D tensor");
  if (b.ndim() != 3) throw Error("batch2 must be a 3D tensor");
  if (b.size(0) != a.size(0) || b.size(1) != a.size(2))
    throw Error("Expected size for first two dimensions of batch2 tensor to be: [" + std::to_string(a.size(0)) +
                ", " + std::to_string(a.size(2)) + "] but got: [" + std::to_string(b.size(0)) + ", " +
                std::to_string(b.size(1)) + "].");
  if (a.dtype() != b.dtype())
    throw Error(std::string("expected scalar type ") + type_name(a.dtype()) + " but found " + type_name(b.dtype()));
  check_not_bool(a.dtype(), "bmm");
  if (autograd::should_record({&a, &b})) return autograd::product(autograd::Product::Bmm, a, b, [&] { return bmm(a, b); });
  return product(a, b, Tensor(), 1, 0);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_defined(a, "matmul");
  check_defined(b, "matmul");
  const int64_t da = a.ndim(), db = b.ndim();
  if (da == 0 || db == 0)
    throw Error("both arguments to matmul need to be at least 1D, but they are " + std::to_string(da) + "D and " +
                std::to_string(db) + "D");
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mv(a, b);
  if (da == 1 && db == 2) return mm(a.unsqueeze(0), b).squeeze(0);
  if (da == 2 && db == 2) return mm(a, b);
  if (da >= 3 && db <= 2) {
    // torch folds the batch into the rows: its checks and messages are mm's / mv's.
    int64_t rows = 1;
    for (int64_t d = 0; d < da - 1; ++d) rows *= a.size(d);
    const int64_t kk = a.size(-1);
    if (db == 1) {
      if (b.size(0) != kk)
        throw Error("size mismatch, got input (" + std::to_string(rows) + "), mat (" + dims_str(rows, kk) +
                    "), vec (" + std::to_string(b.size(0)) + ")");
      if (a.dtype() != b.dtype())
        throw Error(std::string("addmv input tensors must have the same dtype, but got ") + type_name(b.dtype()) +
                    ", " + type_name(a.dtype()) + ", and " + type_name(b.dtype()));
      check_not_bool(a.dtype(), "addmv_impl_cpu");
    } else {
      if (b.size(0) != kk)
        throw Error("mat1 and mat2 shapes cannot be multiplied (" + dims_str(rows, kk) + " and " +
                    dims_str(b.size(0), b.size(1)) + ")");
      check_same_m1_m2(a, b);
      check_not_bool(a.dtype(), "addmm_impl_cpu_");
    }
  }
  if (autograd::should_record({&a, &b})) return autograd::matmul(a, b);
  return batched_matmul(a, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_defined(a, "outer");
  check_defined(b, "outer");
  if (a.ndim() != 1) throw Error("outer: Expected 1-D argument self, but got " + std::to_string(a.ndim()) + "-D");
  if (b.ndim() != 1) throw Error("outer: Expected 1-D argument vec2, but got " + std::to_string(b.ndim()) + "-D");
  // As torch: an elementwise product of a column and a row (type promotion, bool included).
  return mul(a.unsqueeze(1), b.unsqueeze(0));
}

Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, Scalar beta, Scalar alpha) {
  check_defined(input, "addmm");
  check_defined(m1, "addmm");
  check_defined(m2, "addmm");
  check_self_mat2(input, m2);
  check_mm(m1, m2);
  check_not_bool(m1.dtype(), "addmm_impl_cpu_");
  if (autograd::should_record({&input, &m1, &m2}))
    return autograd::addmm_like(false, input, m1, m2, beta, alpha, [&] { return addmm(input, m1, m2, beta, alpha); });
  return product(m1, m2, input, alpha, beta);
}

Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
  check_defined(input, "baddbmm");
  check_defined(b1, "baddbmm");
  check_defined(b2, "baddbmm");
  if (b1.ndim() != 3) throw Error("batch1 must be a 3D tensor");
  if (b2.ndim() != 3) throw Error("batch2 must be a 3D tensor");
  if (b2.size(0) != b1.size(0) || b2.size(1) != b1.size(2))
    throw Error("Expected size for first two dimensions of batch2 tensor to be: [" + std::to_string(b1.size(0)) +
                ", " + std::to_string(b1.size(2)) + "] but got: [" + std::to_string(b2.size(0)) + ", " +
                std::to_string(b2.size(1)) + "].");
  input.expand({b1.size(0), b1.size(1), b2.size(2)});  // torch's message on a shape mismatch
  if (input.dtype() != b1.dtype() || b1.dtype() != b2.dtype())
    throw Error(std::string("Input dtypes must be the same, got: input ") + cpp_name(input.dtype()) +
                ", batch1: " + cpp_name(b1.dtype()) + ", batch2: " + cpp_name(b2.dtype()));
  check_not_bool(b1.dtype(), "baddbmm_cpu");
  if (autograd::should_record({&input, &b1, &b2}))
    return autograd::addmm_like(true, input, b1, b2, beta, alpha, [&] { return baddbmm(input, b1, b2, beta, alpha); });
  return product(b1, b2, input, alpha, beta);
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias) {
  check_defined(x, "linear");
  check_defined(w, "linear");
  if (x.ndim() == 0 || w.ndim() == 0)
    throw Error("both arguments to linear need to be at least 1D, but they are " + std::to_string(x.ndim()) +
                "D and " + std::to_string(w.ndim()) + "D");
  if (w.ndim() > 2)
    throw Error("t() expects a tensor with <= 2 dimensions, but self is " + std::to_string(w.ndim()) + "D");
  if (w.ndim() == 1) {  // x @ w: a vector result; the bias is added after
    Tensor out = matmul(x, w);
    if (!bias.defined()) return out;
    if (bias.dtype() != out.dtype()) check_self_mat2(bias, w);
    return add(out, bias);
  }
  // x (..., k) as rows (M x k) when its layout allows, against w^T (k x n).
  const Tensor wt = w.t();
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < x.ndim(); ++d) rows *= x.size(d);
  const int64_t kk = x.size(-1), n = w.size(0);
  if (kk != wt.size(0))
    throw Error("mat1 and mat2 shapes cannot be multiplied (" + dims_str(rows, kk) + " and " +
                dims_str(wt.size(0), n) + ")");
  if (bias.defined()) {
    bias.expand({rows, n});  // torch's message on a shape mismatch
    check_self_mat2(bias, wt);
  }
  check_same_m1_m2(x, w);
  check_not_bool(x.dtype(), "addmm_impl_cpu_");
  if (autograd::should_record({&x, &w, &bias})) return autograd::linear(x, w, bias, [&] { return linear(x, w, bias); });
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  out_shape.push_back(n);
  if (x.ndim() == 1) return product(x.unsqueeze(0), wt, bias, 1, 1).view(out_shape);
  int64_t rs = 0;
  if (x.ndim() == 2 || merged_row_stride(x, rs)) {
    const Tensor x2 = x.ndim() == 2 ? x : x.as_strided({rows, kk}, {rs, x.stride(-1)}, x.storage_offset());
    return product(x2, wt, bias.defined() ? bias.expand({rows, n}) : bias, 1, 1).view(out_shape);
  }
  // Layout that cannot be folded: one product per batch entry, w shared.
  Shape sw(x.shape().begin(), x.shape().end() - 2);
  sw.push_back(kk);
  sw.push_back(n);
  return product(x, wt.expand(sw), bias, 1, 1);
}

}  // namespace rusttorch
