#include "tensor_iterator.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "dispatch.h"
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

// Which operands a run reads or writes in place, which as a scalar (stride 0),
// which through a buffer.
enum Mode { kDirect, kScalar, kBuffered };
void pick_modes(const Plan& p, const LoopOptions& opt, Mode* mode) {
  const int nd = static_cast<int>(p.shape.size());
  const int64_t inner = p.shape[nd - 1];
  int scalars = 0;
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
}

// Runs [begin, end) of the flattened index space.
int run_tile(const Plan& p, const Mode* mode, const std::function<int(const Run&)>& body, int64_t begin,
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
  bool need_buffer = false;
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

// ---------------------------------------------------------------- 2-D blocks
// An operand that steps by one element along another dim than the inner one
// (x.t(), a permuted view) costs a cache line per element when read run by
// run, and at power-of-two row strides those lines share one cache set:
// x.t().contiguous() of 1024^2 float32 took 10 ms (torch 2 ms). Such operands
// move through blocks of kBlockRows x kBlockCols instead: each line they
// touch is read (or written) whole, once, and the kernel still sees
// contiguous runs, of kBlockCols elements, one per block row.
constexpr int64_t kBlockRows = 128, kBlockCols = 64;

// The dim (not the inner one) along which a buffered operand steps by one
// element, inputs first; -1 if none. Only for inner strides of 32 bytes and
// more: below that a run gathers several elements per line, and blocks of
// few rows cost more in kernel calls than they save ((2^20, 2).t() + 1:
// 2.0 ms gathered, 5.7 ms in blocks).
int blocked_dim(const Plan& p, const Mode* mode) {
  const int nd = static_cast<int>(p.shape.size());
  if (nd < 2 || p.shape[nd - 1] < 2) return -1;
  for (int j = 1; j <= p.nops; ++j) {
    const int k = j % p.nops;  // 1, 2, ..., then the output
    if (mode[k] != kBuffered || p.stride[k][nd - 1] < 32) continue;
    for (int d = nd - 2; d >= 0; --d)
      if (p.stride[k][d] == p.esize[k] && p.shape[d] >= 2) return d;
  }
  return -1;
}

void move_dim(Plan& p, int from, int to) {
  auto move = [&](std::vector<int64_t>& v) {
    const int64_t x = v[from];
    v.erase(v.begin() + from);
    v.insert(v.begin() + to, x);
  };
  move(p.shape);
  for (int k = 0; k < p.nops; ++k) move(p.stride[k]);
}

// The ISA's transpose kernel for an element size.
kernels::TransposeFn transpose_for(int64_t esize) {
  const int k = esize == 1 ? 0 : esize == 2 ? 1 : esize == 4 ? 2 : 3;
  return active_kernels().transpose[k];
}

// Work units [ub, ue): unit u is block row u % nblk of outer index u / nblk
// (the plan's dims but the last two).
int run_blocks(const Plan& p, const Mode* mode, const std::function<int(const Run&)>& body, int64_t ub, int64_t ue) {
  const int nd = static_cast<int>(p.shape.size());
  const int64_t rows_all = p.shape[nd - 2], inner = p.shape[nd - 1];
  const int64_t nblk = (rows_all + kBlockRows - 1) / kBlockRows;
  constexpr int64_t kBufBytes = kBlockRows * kBlockCols * 8;
  thread_local std::vector<char> storage;  // kept per thread: these are too large for the stack to be fresh each call
  storage.resize(static_cast<std::size_t>(kMaxOperands * kBufBytes + 64));
  char* buf[kMaxOperands];
  for (int k = 0; k < kMaxOperands; ++k)
    buf[k] = storage.data() + (64 - reinterpret_cast<std::uintptr_t>(storage.data()) % 64) % 64 + k * kBufBytes;
  int status = 0;
  for (int64_t u = ub; u < ue; ++u) {
    int64_t outer = u / nblk, off[kMaxOperands] = {};
    for (int d = nd - 3; d >= 0; --d) {
      const int64_t i = outer % p.shape[d];
      outer /= p.shape[d];
      for (int k = 0; k < p.nops; ++k) off[k] += i * p.stride[k][d];
    }
    const int64_t r0 = (u % nblk) * kBlockRows, rows = std::min(kBlockRows, rows_all - r0);
    for (int64_t c0 = 0; c0 < inner; c0 += kBlockCols) {
      const int64_t cols = std::min(kBlockCols, inner - c0);
      char* at[kMaxOperands];
      for (int k = 0; k < p.nops; ++k) {
        const int64_t rs = p.stride[k][nd - 2], cs = p.stride[k][nd - 1], es = p.esize[k];
        at[k] = p.base[k] + off[k] + r0 * rs + c0 * cs;
        if (k == 0 || mode[k] != kBuffered) continue;
        if (rs == es) transpose_for(es)(at[k], cs / es, buf[k], cols, rows, cols);
        else
          for (int64_t r = 0; r < rows; ++r) gather(buf[k] + r * cols * es, at[k] + r * rs, cs, es, cols);
      }
      for (int64_t r = 0; r < rows; ++r) {
        Run run;
        run.n = cols;
        for (int k = 0; k < p.nops; ++k) {
          run.scalar[k] = mode[k] == kScalar;
          run.ptr[k] = mode[k] == kBuffered ? buf[k] + r * cols * p.esize[k] : at[k] + r * p.stride[k][nd - 2];
        }
        const int s = body(run);
        if (s && !status) status = s;
      }
      if (mode[0] == kBuffered) {
        const int64_t rs = p.stride[0][nd - 2], cs = p.stride[0][nd - 1], es = p.esize[0];
        if (rs == es) transpose_for(es)(buf[0], cols, at[0], cs / es, cols, rows);
        else
          for (int64_t r = 0; r < rows; ++r) scatter(at[0] + r * rs, buf[0] + r * cols * es, cs, es, cols);
      }
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
  Plan plan = make_plan(operands);
  std::atomic<int> status{0};
  auto keep = [&status](int s) {
    int expected = 0;
    if (s) status.compare_exchange_strong(expected, s);
  };
  Mode mode[kMaxOperands];
  pick_modes(plan, opt, mode);
  if (const int d = blocked_dim(plan, mode); d >= 0) {
    const int nd = static_cast<int>(plan.shape.size());
    move_dim(plan, d, nd - 2);  // the inner dim stays: the modes hold
    const int64_t rows = plan.shape[nd - 2], inner = plan.shape[nd - 1];
    const int64_t units = n / (rows * inner) * ((rows + kBlockRows - 1) / kBlockRows);
    const int64_t grain = std::max<int64_t>(1, opt.grain / (kBlockRows * inner));
    parallel_for(units, grain, [&](int64_t b, int64_t e) { keep(run_blocks(plan, mode, body, b, e)); });
    return status.load();
  }
  parallel_for(n, opt.grain, [&](int64_t b, int64_t e) {
    keep(run_tile(plan, mode, body, b, e));
  });
  return status.load();
}

}  // namespace rusttorch::detail
