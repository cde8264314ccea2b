// Pooling entry points (rusttorch/pool.h): torch's checks and output sizes,
// then the per-ISA pooling kernels (kernels/conv_abi.h) over the planes in
// parallel pieces. max_pool2d's values are gathered by its indices when a
// gradient is wanted (gather's gradient is the scatter torch does);
// avg_pool2d is a convolution primitive (engine/conv.cpp) whose gradient is
// its adjoint kernel.
#include "rusttorch/pool.h"

#include <algorithm>
#include <string>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/sort.h"

namespace rusttorch {
namespace {

namespace k = kernels;

std::vector<int64_t> pair_of(const std::vector<int64_t>& v, const std::vector<int64_t>& fallback, const char* op,
                             const char* what) {
  const std::vector<int64_t>& u = v.empty() ? fallback : v;
  if (u.size() != 1 && u.size() != 2)
    throw Error(std::string(op) + ": " + what + " must either be omitted, a single int, or a tuple of two ints");
  return u.size() == 1 ? std::vector<int64_t>{u[0], u[0]} : u;
}

// torch's pooling_output_shape.
int64_t pooled_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil) {
  const int64_t num = detail::window_arith(2, pad, in, "pooling") - detail::window_arith(dilation, k - 1, 1, "pooling") +
                      (ceil ? stride - 1 : 0);
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil && (out - 1) * stride >= in + pad) --out;
  return out;
}

// The plane geometry of a pooling of (N, C, H, W), after torch's checks.
autograd::ConvProblem pool_problem(const Tensor& x, const PoolOptions& o, const char* op, bool with_dilation) {
  const std::string name(op);
  if (o.kernel_size.size() != 1 && o.kernel_size.size() != 2)
    throw Error(name + ": kernel_size must either be a single int, or a tuple of two ints");
  const auto ks = pair_of(o.kernel_size, {}, op, "kernel_size");
  const auto st = pair_of(o.stride, ks, op, "stride");
  const auto pd = pair_of(o.padding, {}, op, "padding");
  const auto dl = with_dilation ? pair_of(o.dilation, {}, op, "dilation") : std::vector<int64_t>{1, 1};
  if (st[0] == 0 || st[1] == 0) throw Error("stride should not be zero");
  if (ks[0] <= 0 || ks[1] <= 0)
    throw Error("kernel size should be greater than zero, but got kH: " + std::to_string(ks[0]) +
                " kW: " + std::to_string(ks[1]));
  if (st[0] < 0 || st[1] < 0)
    throw Error("stride should be greater than zero, but got dH: " + std::to_string(st[0]) +
                " dW: " + std::to_string(st[1]));
  if (dl[0] <= 0 || dl[1] <= 0)
    throw Error("dilation should be greater than zero, but got dilationH: " + std::to_string(dl[0]) +
                " dilationW: " + std::to_string(dl[1]));
  for (int d = 0; d < 2; ++d)
    if (pd[static_cast<std::size_t>(d)] < 0 || pd[static_cast<std::size_t>(d)] > ks[static_cast<std::size_t>(d)] / 2)
      throw Error("pad should be at most half of effective kernel size, but got pad=" +
                  std::to_string(pd[static_cast<std::size_t>(d)]) + ", kernel_size=" +
                  std::to_string(ks[static_cast<std::size_t>(d)]) + " and dilation=" +
                  std::to_string(dl[static_cast<std::size_t>(d)]));
  if (x.size(1) == 0 || x.size(2) == 0 || x.size(3) == 0)
    throw Error("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:" +
                shape_str(x.shape()));
  autograd::ConvProblem p{};
  p.batch = x.size(0);
  p.g.channels = x.size(1);
  p.g.in[0] = p.g.out[0] = p.g.kernel[0] = p.g.stride[0] = p.g.dilation[0] = 1;
  for (int d = 0; d < 2; ++d) {
    const auto u = static_cast<std::size_t>(d);
    p.g.in[d + 1] = x.size(d + 2);
    p.g.kernel[d + 1] = ks[u];
    p.g.stride[d + 1] = st[u];
    p.g.pad[d + 1] = pd[u];
    p.g.dilation[d + 1] = dl[u];
    p.g.out[d + 1] = pooled_size(x.size(d + 2), ks[u], pd[u], st[u], dl[u], o.ceil_mode);
  }
  if (p.g.out[1] < 1 || p.g.out[2] < 1)
    throw Error("Given input size: (" + std::to_string(x.size(1)) + "x" + std::to_string(x.size(2)) + "x" +
                std::to_string(x.size(3)) + "). Calculated output size: (" + std::to_string(x.size(1)) + "x" +
                std::to_string(p.g.out[1]) + "x" + std::to_string(p.g.out[2]) + "). Output size is too small");
  return p;
}

Tensor batched(const Tensor& input, const char* op) {
  detail::check_defined(input, op);
  if (input.ndim() != 3 && input.ndim() != 4)
    throw Error("non-empty 3D or 4D (batch mode) tensor expected for input");
  return input.ndim() == 3 ? input.unsqueeze(0) : input;
}

}  // namespace

ValuesIndices max_pool2d_with_indices(const Tensor& input, const PoolOptions& o) {
  const Tensor x = batched(input, "max_pool2d");
  if (x.dtype() == DType::Bool) detail::not_implemented("max_pool2d", x.dtype());
  const autograd::ConvProblem p = pool_problem(x, o, "max_pool2d", true);
  const int64_t oh = p.g.out[1], ow = p.g.out[2];
  ValuesIndices r{Tensor::empty({p.batch, p.g.channels, oh, ow}, x.dtype()),
                  Tensor::empty({p.batch, p.g.channels, oh, ow}, DType::Int64)};
  const Tensor xc = x.contiguous();
  const auto& kt = detail::active_kernels();
  const auto fn = kt.conv.max_pool[static_cast<int>(x.dtype())];
  const int64_t planes = p.batch * p.g.channels, in_plane = x.size(2) * x.size(3), out_plane = oh * ow;
  const std::size_t item = x.itemsize();
  const char* src = static_cast<const char*>(xc.data_ptr());
  char* dst = static_cast<char*>(r.values.data_ptr());
  int64_t* idx = r.indices.data<int64_t>();
  const int64_t grain = std::max<int64_t>(1, detail::kGrainCheap / std::max<int64_t>(1, in_plane));
  detail::parallel_for(planes, grain, [&](int64_t b, int64_t e) {
    k::ConvGeometry g = p.g;
    g.channels = e - b;
    fn(src + static_cast<std::size_t>(b * in_plane) * item, &g, dst + static_cast<std::size_t>(b * out_plane) * item,
       idx + b * out_plane);
  });
  if (autograd::should_record({&x})) {
    // The values again, as a gather by the indices: its gradient is the scatter of max_pool2d's.
    const Shape flat{p.batch, p.g.channels, in_plane}, flat_out{p.batch, p.g.channels, out_plane};
    r.values = gather(x.reshape(flat), 2, r.indices.reshape(flat_out)).reshape(r.values.shape());
  }
  if (input.ndim() == 3) {
    r.values = r.values.squeeze(0);
    r.indices = r.indices.squeeze(0);
  }
  return r;
}

Tensor avg_pool2d(const Tensor& input, const PoolOptions& o) {
  const Tensor x = batched(input, "avg_pool2d");
  if (x.dtype() != DType::Float32 && x.dtype() != DType::Float64) detail::not_implemented("avg_pool2d", x.dtype());
  autograd::ConvProblem p = pool_problem(x, o, "avg_pool2d", false);
  p.pool.divisor = o.divisor_override;
  p.pool.count_include_pad = o.count_include_pad ? 1 : 0;
  const Tensor x5 = x.reshape({x.size(0), x.size(1), 1, x.size(2), x.size(3)});
  Tensor r = autograd::conv_primitive(autograd::ConvPrim::AvgPool, x5, Tensor(), Tensor(), p);
  r = r.reshape({x.size(0), x.size(1), p.g.out[1], p.g.out[2]});
  return input.ndim() == 3 ? r.squeeze(0) : r;
}

}  // namespace rusttorch
