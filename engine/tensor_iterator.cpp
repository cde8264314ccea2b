#include "tensor_iterator.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "parallel.h"
#include "rusttorch/error.h"

namespace rusttorch::detail {
namespace {

constexpr int64_t kBufElems = 1024;  // per operand per tile: 8 KiB at most, stays in L1

struct Plan {
  int nops = 0;
  std::vector<int64_t> shape;                    // coalesced, outer to inner
  std::vector<int64_t> stride[kMaxOperands];     // bytes
  char* base[kMaxOperands] = {};
  int64_t esize[kMaxOperands] = {};
};

Plan make_plan(const std::vector<Tensor>& ops) {
  Plan p;
  p.nops = static_cast<int>(ops.size());
  const Shape& shape = ops[0].shape();
  // Drop size-1 dims, then merge each dim into its inner neighbour when every
  // operand steps through both as one.
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
    if (shape[d] != 1) dims.push_back(d);
  for (int k = 0; k < p.nops; ++k) {
    p.base[k] = static_cast<char*>(ops[k].data_ptr());
    p.esize[k] = static_cast<int64_t>(ops[k].itemsize());
  }
  for (int64_t d : dims) {
    const bool can_merge = !p.shape.empty() && [&] {
      for (int k = 0; k < p.nops; ++k)
        if (p.stride[k].back() != ops[k].strides()[d] * p.esize[k] * shape[d]) return false;
      return true;
    }();
    if (can_merge) {
      p.shape.back() *= shape[d];
      for (int k = 0; k < p.nops; ++k) p.stride[k].back() = ops[k].strides()[d] * p.esize[k];
    } else {
      p.shape.push_back(shape[d]);
      for (int k = 0; k < p.nops; ++k) p.stride[k].push_back(ops[k].strides()[d] * p.esize[k]);
    }
  }
  if (p.shape.empty()) {  // 0-d or all-ones: one element
    p.shape.push_back(1);
    for (int k = 0; k < p.nops; ++k) p.stride[k].push_back(p.esize[k]);
  }
  return p;
}

void gather(char* dst, const char* src, int64_t stride, int64_t esize, int64_t n) {
  switch (esize) {  // fixed sizes let the compiler use plain moves
    case 1: for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride]; break;
    case 4: for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * 4, src + i * stride, 4); break;
    default: for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * 8, src + i * stride, 8); break;
  }
}
void scatter(char* dst, const char* src, int64_t stride, int64_t esize, int64_t n) {
  for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, src + i * esize, static_cast<std::size_t>(esize));
}

// Runs [begin, end) of the flattened index space.
int run_tile(const Plan& p, const LoopOptions& opt, const std::function<int(const Run&)>& body, int64_t begin,
             int64_t end) {
  const int nd = static_cast<int>(p.shape.size());
  const int64_t inner = p.shape[nd - 1];
  std::vector<int64_t> idx(nd);  // multi-index of `begin`
  {
    int64_t r = begin;
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = r % p.shape[d];
      r /= p.shape[d];
    }
  }
  // Which operands run contiguously, which as a scalar, which through a buffer.
  enum Mode { kDirect, kScalar, kBuffered };
  Mode mode[kMaxOperands];
  int scalars = 0;
  bool need_buffer = false;
  for (int k = 0; k < p.nops; ++k) {
    const int64_t s = p.stride[k][nd - 1];
    if (s == p.esize[k] || inner == 1) mode[k] = kDirect;
    else if (k > 0 && s == 0 && opt.scalar_ok[k]) mode[k] = kScalar, ++scalars;
    else mode[k] = kBuffered;
  }
  // Kernels take at most one scalar input (binary) and need one vector input.
  if (opt.one_scalar_at_most) {
    bool kept = false;
    for (int k = 1; k < p.nops; ++k)
      if (mode[k] == kScalar) {
        if (kept) mode[k] = kBuffered;
        kept = true;
      }
  }
  if (scalars > 0) {
    bool any_vector = false;
    for (int k = 1; k < p.nops; ++k) any_vector |= mode[k] != kScalar;
    for (int k = 1; k < p.nops && !any_vector; ++k)
      if (mode[k] == kScalar) { mode[k] = kBuffered; any_vector = true; }
  }
  for (int k = 0; k < p.nops; ++k) need_buffer |= mode[k] == kBuffered;
  alignas(64) char buf[kMaxOperands][kBufElems * 8];

  int status = 0;
  int64_t pos = begin;
  while (pos < end) {
    int64_t off[kMaxOperands];
    for (int k = 0; k < p.nops; ++k) {
      int64_t o = 0;
      for (int d = 0; d < nd; ++d) o += idx[d] * p.stride[k][d];
      off[k] = o;
    }
    int64_t len = std::min(inner - idx[nd - 1], end - pos);
    if (need_buffer) len = std::min(len, kBufElems);
    Run run;
    run.n = len;
    for (int k = 0; k < p.nops; ++k) {
      char* src = p.base[k] + off[k];
      run.scalar[k] = mode[k] == kScalar;
      if (mode[k] != kBuffered) {
        run.ptr[k] = src;
      } else {
        run.ptr[k] = buf[k];
        if (k > 0) gather(buf[k], src, p.stride[k][nd - 1], p.esize[k], len);
      }
    }
    const int s = body(run);
    if (s && !status) status = s;
    if (mode[0] == kBuffered) scatter(p.base[0] + off[0], buf[0], p.stride[0][nd - 1], p.esize[0], len);
    pos += len;
    idx[nd - 1] += len;
    for (int d = nd - 1; d > 0 && idx[d] == p.shape[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
  return status;
}

}  // namespace

int for_each_run(const std::vector<Tensor>& operands, const LoopOptions& opt, const std::function<int(const Run&)>& body) {
  if (operands.empty() || static_cast<int>(operands.size()) > kMaxOperands)
    throw Error("internal: elementwise loop needs 1 to 4 operands");
  const Tensor& out = operands[0];
  const int64_t n = out.numel();
  if (n == 0) return 0;
  for (int64_t d = 0; d < out.ndim(); ++d)
    if (out.strides()[d] == 0 && out.shape()[d] > 1)
      throw Error("unsupported operation: more than one element of the written-to tensor refers to a single memory "
                  "location. Please clone() the tensor before performing the operation.");
  const Plan plan = make_plan(operands);
  std::atomic<int> status{0};
  parallel_for(n, opt.grain, [&](int64_t b, int64_t e) {
    const int s = run_tile(plan, opt, body, b, e);
    int expected = 0;
    if (s) status.compare_exchange_strong(expected, s);
  });
  return status.load();
}

}  // namespace rusttorch::detail
