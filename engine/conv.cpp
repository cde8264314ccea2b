// Convolution entry points (rusttorch/conv.h): torch's checks and shapes,
// then five primitives over 5-D contiguous operands, each made of the
// im2col / col2im kernels (kernels/conv_abi.h) and the GEMM driver:
//   forward      y  = W * im2col(x) (+ bias)              per (image, group, column tile)
//   input grad   gx = col2im(W^T * gy)                    per (image, group), tiles in order
//   weight grad  gW = sum over images of gy * im2col(x)^T per (image chunk, group), chunks summed in order
//   unfold / fold    im2col / col2im of whole images       (F.unfold, F.fold)
// A pointwise convolution (kernel 1, stride 1, no padding) reads x as the
// column matrix itself. Column tiles have a fixed width (a column tile of
// about 512 KiB), so results never depend on the thread count. Each
// primitive's gradients are the others (engine/autograd/derivatives.cpp).
#include "rusttorch/conv.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "dispatch.h"
#include "gemm_driver.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/ops.h"

namespace rusttorch {
namespace {

namespace k = kernels;
using autograd::ConvPrim;
using autograd::ConvProblem;

std::string list_str(const std::vector<int64_t>& v, const char* sep = ", ") {
  std::string o;
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? sep : "") + std::to_string(v[i]);
  return o;
}

// torch's int-or-tuple expansion of a convolution parameter.
std::vector<int64_t> expand_param(const std::vector<int64_t>& v, int64_t dims, const char* name) {
  if (v.size() == 1) return std::vector<int64_t>(static_cast<std::size_t>(dims), v[0]);
  if (static_cast<int64_t>(v.size()) != dims)
    throw Error(std::string("expected ") + name + " to be a single integer value or a list of " +
                std::to_string(dims) + " values to match the convolution dimensions, but got " + name + "=[" +
                list_str(v) + "]");
  return v;
}

int64_t volume(const int64_t* v) { return v[0] * v[1] * v[2]; }

struct Sizes {
  int64_t in_vol, out_vol, kvol, rows, tile;
};

Sizes sizes_of(const ConvProblem& p, std::size_t itemsize) {
  Sizes s{};
  s.in_vol = volume(p.g.in);
  s.out_vol = volume(p.g.out);
  s.kvol = volume(p.g.kernel);
  s.rows = p.g.channels * s.kvol;
  // A column tile of about 512 KiB (it stays in L2 between im2col and the GEMM).
  const int64_t t = (int64_t{512} << 10) / std::max<int64_t>(1, s.rows * static_cast<int64_t>(itemsize));
  s.tile = std::clamp<int64_t>(t / 16 * 16, 16, std::max<int64_t>(s.out_vol, 1));
  return s;
}

template <class T>
constexpr int dtype_index() {
  if constexpr (std::is_same_v<T, float>) return k::kFloat32;
  if constexpr (std::is_same_v<T, double>) return k::kFloat64;
  if constexpr (std::is_same_v<T, int32_t>) return k::kInt32;
  return k::kInt64;
}

bool pointwise(const ConvProblem& p) {
  for (int d = 0; d < 3; ++d)
    if (p.g.kernel[d] != 1 || p.g.stride[d] != 1 || p.g.pad[d] != 0 || p.g.in[d] != p.g.out[d]) return false;
  return true;
}

// Runs task(i, gemm_threads) for i in [0, n): in parallel tasks when there
// are enough of them, else one after another with the GEMM itself parallel.
template <class F>
void run_tasks(int64_t n, const F& task) {
  const int threads = detail::max_threads();
  if (n >= threads) {
    detail::parallel_for(n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) task(i, 1);
    });
  } else {
    for (int64_t i = 0; i < n; ++i) task(i, threads);
  }
}

template <class T>
void forward(const ConvProblem& p, const T* x, const T* w, const T* bias, T* y) {
  const auto& kt = detail::active_kernels();
  const Sizes s = sizes_of(p, sizeof(T));
  const int64_t cin = p.g.channels * p.groups, cout = p.cout_g * p.groups;
  const int64_t tiles = (s.out_vol + s.tile - 1) / s.tile;
  const bool direct = pointwise(p);
  const auto im2col = kt.conv.im2col[sizeof(T) == 4 ? 0 : 1];
  run_tasks(p.batch * p.groups * tiles, [&](int64_t i, int threads) {
    const int64_t n = i / (p.groups * tiles), gi = (i / tiles) % p.groups, j0 = (i % tiles) * s.tile;
    const int64_t nc = std::min(s.tile, s.out_vol - j0);
    const T* xi = x + (n * cin + gi * p.g.channels) * s.in_vol;
    std::vector<T> col;
    detail::GemmCall<T> c;
    c.m = p.cout_g;
    c.n = nc;
    c.k = s.rows;
    c.a = w + gi * p.cout_g * s.rows;
    c.rsa = s.rows;
    c.csa = 1;
    if (direct) {
      c.b = xi + j0;
      c.rsb = s.in_vol;
    } else {
      col.resize(static_cast<std::size_t>(s.rows * nc));
      im2col(xi, &p.g, j0, nc, col.data());
      c.b = col.data();
      c.rsb = nc;
    }
    c.csb = 1;
    c.c = y + (n * cout + gi * p.cout_g) * s.out_vol + j0;
    c.rsc = s.out_vol;
    c.csc = 1;
    if (bias) {
      c.beta = T(1);
      c.x = bias + gi * p.cout_g;
      c.rsx = 1;
      c.csx = 0;
    }
    detail::gemm(kt, c, threads);
  });
}

template <class T>
void input_grad(const ConvProblem& p, const T* gy, const T* w, const T* bias, T* gx) {
  const auto& kt = detail::active_kernels();
  const Sizes s = sizes_of(p, sizeof(T));
  const int64_t cin = p.g.channels * p.groups, cout = p.cout_g * p.groups;
  const bool direct = pointwise(p);
  const auto col2im = kt.conv.col2im[dtype_index<T>()];
  run_tasks(p.batch * p.groups, [&](int64_t i, int threads) {
    const int64_t n = i / p.groups, gi = i % p.groups;
    T* gxi = gx + (n * cin + gi * p.g.channels) * s.in_vol;
    std::vector<T> col;
    if (!direct) {
      std::fill(gxi, gxi + p.g.channels * s.in_vol, T(0));
      col.resize(static_cast<std::size_t>(s.rows * std::min(s.tile, s.out_vol)));
    }
    for (int64_t j0 = 0; j0 < s.out_vol; j0 += s.tile) {
      const int64_t nc = std::min(s.tile, s.out_vol - j0);
      detail::GemmCall<T> c;
      c.m = s.rows;
      c.n = nc;
      c.k = p.cout_g;
      c.a = w + gi * p.cout_g * s.rows;
      c.rsa = 1;
      c.csa = s.rows;
      c.b = gy + (n * cout + gi * p.cout_g) * s.out_vol + j0;
      c.rsb = s.out_vol;
      c.csb = 1;
      c.c = direct ? gxi + j0 : col.data();
      c.rsc = direct ? s.in_vol : nc;
      c.csc = 1;
      detail::gemm(kt, c, threads);
      if (!direct) col2im(col.data(), &p.g, j0, nc, gxi);
    }
    if (bias)
      for (int64_t ch = 0; ch < p.g.channels; ++ch) {
        const T b = bias[gi * p.g.channels + ch];
        T* plane = gxi + ch * s.in_vol;
        for (int64_t e = 0; e < s.in_vol; ++e) plane[e] += b;
      }
  });
}

template <class T>
void weight_grad(const ConvProblem& p, const T* x, const T* gy, T* gw) {
  const auto& kt = detail::active_kernels();
  const Sizes s = sizes_of(p, sizeof(T));
  const int64_t cin = p.g.channels * p.groups, cout = p.cout_g * p.groups;
  const bool direct = pointwise(p);
  const auto im2col = kt.conv.im2col[sizeof(T) == 4 ? 0 : 1];
  // Images in a fixed number of chunks (a function of the batch only), each
  // summed into its own partial; the partials are then added in order.
  const int64_t chunks = std::min<int64_t>(p.batch, 8);
  const int64_t wsize = cout * s.rows;
  std::vector<T> partial(static_cast<std::size_t>(std::max<int64_t>(chunks - 1, 0) * wsize));
  run_tasks(chunks * p.groups, [&](int64_t i, int threads) {
    const int64_t ch = i / p.groups, gi = i % p.groups;
    T* out = (ch == 0 ? gw : partial.data() + (ch - 1) * wsize) + gi * p.cout_g * s.rows;
    std::vector<T> col;
    if (!direct) col.resize(static_cast<std::size_t>(s.rows * std::min(s.tile, s.out_vol)));
    bool first = true;
    for (int64_t n = ch * p.batch / chunks; n < (ch + 1) * p.batch / chunks; ++n) {
      const T* xi = x + (n * cin + gi * p.g.channels) * s.in_vol;
      for (int64_t j0 = 0; j0 < s.out_vol; j0 += s.tile) {
        const int64_t nc = std::min(s.tile, s.out_vol - j0);
        detail::GemmCall<T> c;
        c.m = p.cout_g;
        c.n = s.rows;
        c.k = nc;
        c.a = gy + (n * cout + gi * p.cout_g) * s.out_vol + j0;
        c.rsa = s.out_vol;
        c.csa = 1;
        if (direct) {
          c.b = xi + j0;
          c.csb = s.in_vol;
        } else {
          im2col(xi, &p.g, j0, nc, col.data());
          c.b = col.data();
          c.csb = nc;
        }
        c.rsb = 1;
        c.c = out;
        c.rsc = s.rows;
        c.csc = 1;
        if (!first) {
          c.beta = T(1);
          c.x = out;
          c.rsx = s.rows;
          c.csx = 1;
        }
        first = false;
        detail::gemm(kt, c, threads);
      }
    }
    if (first) std::fill(out, out + p.cout_g * s.rows, T(0));  // no columns
  });
  if (chunks == 0) std::fill(gw, gw + wsize, T(0));
  for (int64_t ch = 1; ch < chunks; ++ch) {
    const T* src = partial.data() + (ch - 1) * wsize;
    for (int64_t e = 0; e < wsize; ++e) gw[e] += src[e];
  }
}

// unfold: (N, C, 1, H, W) -> (N, C * kvol, L); fold the adjoint.
template <class T>
void blocks(const ConvProblem& p, bool to_columns, const T* in, T* out) {
  const auto& kt = detail::active_kernels();
  const Sizes s = sizes_of(p, sizeof(T));
  const int64_t image = p.g.channels * s.in_vol, columns = s.rows * s.out_vol;
  const auto im2col = kt.conv.im2col[sizeof(T) == 4 ? 0 : 1];
  const auto col2im = kt.conv.col2im[dtype_index<T>()];
  detail::parallel_for(p.batch, 1, [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      if (to_columns) {
        im2col(in + n * image, &p.g, 0, s.out_vol, out + n * columns);
      } else {
        std::fill(out + n * image, out + (n + 1) * image, T(0));
        col2im(in + n * columns, &p.g, 0, s.out_vol, out + n * image);
      }
    }
  });
}

// avg_pool2d over the batch's planes in parallel pieces (each plane is one
// kernel call's work, so the split never changes a result).
template <class T>
void avg_pool(const ConvProblem& p, bool forward, const T* in, T* out) {
  const auto& kt = detail::active_kernels();
  const int64_t planes = p.batch * p.g.channels, in_plane = volume(p.g.in), out_plane = volume(p.g.out);
  const int slot = std::is_same_v<T, float> ? 0 : 1;
  const int64_t grain = std::max<int64_t>(1, detail::kGrainCheap / std::max<int64_t>(1, in_plane));
  detail::parallel_for(planes, grain, [&](int64_t b, int64_t e) {
    k::ConvGeometry g = p.g;
    g.channels = e - b;
    if (forward) {
      kt.conv.avg_pool[slot](in + b * in_plane, &g, &p.pool, out + b * out_plane);
    } else {
      std::fill(out + b * in_plane, out + e * in_plane, T(0));
      kt.conv.avg_pool_adjoint[slot](in + b * out_plane, &g, &p.pool, out + b * in_plane);
    }
  });
}

template <class F>
void with_conv_type(DType t, const F& f) {
  switch (t) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::Int32: return f(int32_t{});
    case DType::Int64: return f(int64_t{});
    default: detail::not_implemented("slow_conv2d_cpu", t);
  }
}

Shape result_shape(ConvPrim kind, const ConvProblem& p) {
  const int64_t cin = p.g.channels * p.groups, cout = p.cout_g * p.groups;
  const auto& g = p.g;
  switch (kind) {
    case ConvPrim::Forward: return {p.batch, cout, g.out[0], g.out[1], g.out[2]};
    case ConvPrim::InputGrad:
    case ConvPrim::Fold: return {p.batch, cin, g.in[0], g.in[1], g.in[2]};
    case ConvPrim::WeightGrad: return {cout, g.channels, g.kernel[0], g.kernel[1], g.kernel[2]};
    case ConvPrim::Unfold: return {p.batch, g.channels * volume(g.kernel), volume(g.out)};
    case ConvPrim::AvgPool: return {p.batch, g.channels, g.out[0], g.out[1], g.out[2]};
    case ConvPrim::AvgPoolAdjoint: return {p.batch, g.channels, g.in[0], g.in[1], g.in[2]};
  }
  return {};
}

Tensor compute(ConvPrim kind, const Tensor& a, const Tensor& b, const Tensor& bias, const ConvProblem& p) {
  Tensor r = Tensor::empty(result_shape(kind, p), a.dtype());
  if (r.numel() == 0) return r;
  with_conv_type(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.defined() ? b.data<T>() : nullptr;
    const T* pbias = bias.defined() ? bias.data<T>() : nullptr;
    T* pr = r.data<T>();
    switch (kind) {
      case ConvPrim::Forward: return forward(p, pa, pb, pbias, pr);
      case ConvPrim::InputGrad: return input_grad(p, pa, pb, pbias, pr);
      case ConvPrim::WeightGrad: return weight_grad(p, pa, pb, pr);
      case ConvPrim::Unfold: return blocks(p, true, pa, pr);
      case ConvPrim::Fold: return blocks(p, false, pa, pr);
      case ConvPrim::AvgPool:
      case ConvPrim::AvgPoolAdjoint:
        if constexpr (std::is_floating_point_v<T>) return avg_pool(p, kind == ConvPrim::AvgPool, pa, pr);
        detail::not_implemented("avg_pool2d", a.dtype());
    }
  });
  return r;
}

}  // namespace

namespace autograd {
Tensor conv_primitive(ConvPrim kind, const Tensor& a, const Tensor& b, const Tensor& bias, const ConvProblem& p) {
  auto run = [&] {
    return compute(kind, a.contiguous(), b.defined() ? b.contiguous() : b, bias.defined() ? bias.contiguous() : bias,
                   p);
  };
  if (!should_record({&a, b.defined() ? &b : nullptr, bias.defined() ? &bias : nullptr})) return run();
  return convolution(kind, a, b, bias, p, run);
}
}  // namespace autograd

namespace {

// torch's checks of a convolution's operands (ConvUtils.h, Convolution.cpp).
void check_operands(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t dims,
                    const ConvOptions& o) {
  detail::check_defined(input, "convolution");
  detail::check_defined(weight, "convolution");
  if (weight.ndim() != dims + 2) {
    if (weight.ndim() < 3) throw Error("weight should have at least three dimensions");
    expand_param(o.stride, weight.ndim() - 2, "stride");  // torch's own first complaint
    throw Error("Expected " + std::to_string(weight.ndim()) + "-dimensional input for " +
                std::to_string(weight.ndim()) + "-dimensional weight " + shape_str(weight.shape()) + ", but got " +
                std::to_string(input.ndim()) + "-dimensional input of size " + shape_str(input.shape()) + " instead");
  }
  if (input.dtype() != weight.dtype())
    throw Error(std::string("expected scalar type ") + detail::torch_type_name(input.dtype()) + " but found " +
                detail::torch_type_name(weight.dtype()));
  if (bias.defined() && bias.dtype() != input.dtype())
    throw Error(std::string("Input type (") + detail::torch_cpp_type_name(input.dtype()) + ") and bias type (" +
                detail::torch_cpp_type_name(bias.dtype()) + ") should be the same");
  if (input.dtype() == DType::Bool) detail::not_implemented("slow_conv2d_cpu", input.dtype());
}

}  // namespace

Tensor convolution(const Tensor& input_, const Tensor& weight, const Tensor& bias, int64_t dims,
                   const ConvOptions& o) {
  if (dims < 1 || dims > 3) throw Error("convolution: dims must be 1, 2 or 3");
  detail::check_defined(input_, "convolution");
  const std::string name = std::string(o.transposed ? "conv_transpose" : "conv") + std::to_string(dims) + "d";
  if (input_.ndim() != dims + 1 && input_.ndim() != dims + 2)
    throw Error("Expected " + std::to_string(dims + 1) + "D (unbatched) or " + std::to_string(dims + 2) +
                "D (batched) input to " + name + ", but got input of size: " + shape_str(input_.shape()));
  check_operands(input_, weight, bias, dims, o);
  const bool unbatched = input_.ndim() == dims + 1;
  const Tensor input = unbatched ? input_.unsqueeze(0) : input_;
  const auto stride = expand_param(o.stride, dims, "stride");
  const auto dilation = expand_param(o.dilation, dims, "dilation");
  auto padding = o.padding_same ? std::vector<int64_t>(static_cast<std::size_t>(dims), 0)
                                : expand_param(o.padding, dims, "padding");
  const auto out_pad = o.transposed ? expand_param(o.output_padding, dims, "output_padding")
                                    : std::vector<int64_t>(static_cast<std::size_t>(dims), 0);
  for (int64_t v : stride)
    if (v <= 0) throw Error("non-positive stride is not supported");
  for (int64_t v : padding)
    if (v < 0) throw Error("negative padding is not supported");
  for (int64_t v : dilation)
    if (v <= 0) throw Error("dilation should be greater than zero, but got [" + list_str(dilation) + "]");
  for (int64_t v : out_pad)
    if (v < 0) throw Error("negative output_padding is not supported");
  if (o.groups <= 0) throw Error("non-positive groups is not supported");
  if (o.padding_same)
    for (int64_t v : stride)
      if (v != 1) throw Error("padding='same' is not supported for strided convolutions");

  const int64_t groups = o.groups, channels = input.size(1);
  const Shape& ws = weight.shape();
  // In conv terms: x the large side (the input, or a transpose's output).
  int64_t cin, cout;
  if (!o.transposed) {
    if (ws[0] < groups || ws[0] % groups != 0) {
      if (ws[0] < 1 || ws[0] < groups)
        throw Error("Given groups=" + std::to_string(groups) + ", expected weight to be at least " +
                    std::to_string(groups) + " at dimension 0, but got weight of size " + shape_str(ws) + " instead");
      throw Error("Given groups=" + std::to_string(groups) + ", expected weight to be divisible by " +
                  std::to_string(groups) + " at dimension 0, but got weight of size [" + shape_str(ws) + "] instead");
    }
    if (channels != ws[1] * groups)
      throw Error("Given groups=" + std::to_string(groups) + ", weight of size " + shape_str(ws) + ", expected input" +
                  shape_str(input.shape()) + " to have " + std::to_string(ws[1] * groups) +
                  " channels, but got " + std::to_string(channels) + " channels instead");
    cin = channels;
    cout = ws[0];
  } else {
    if (ws[0] % groups != 0)
      throw Error("Given groups=" + std::to_string(groups) + ", expected weight to be divisible by " +
                  std::to_string(groups) + " at dimension 0, but got weight of size [" + shape_str(ws) + "] instead");
    if (channels != ws[0])
      throw Error("Given transposed=1, weight of size " + shape_str(ws) + ", expected input" +
                  shape_str(input.shape()) + " to have " + std::to_string(ws[0]) + " channels, but got " +
                  std::to_string(channels) + " channels instead");
    cout = ws[0];
    cin = ws[1] * groups;
    for (int64_t d = 0; d < dims; ++d)
      if (out_pad[static_cast<std::size_t>(d)] >= stride[static_cast<std::size_t>(d)] &&
          out_pad[static_cast<std::size_t>(d)] >= dilation[static_cast<std::size_t>(d)])
        throw Error("output padding must be smaller than either stride or dilation, but got output_padding=[" +
                    list_str(out_pad) + "] stride=[" + list_str(stride) + "] dilation=[" + list_str(dilation) + "]");
  }
  const int64_t bias_size = o.transposed ? cin : cout;
  if (bias.defined() && (bias.ndim() != 1 || bias.size(0) != bias_size))
    throw Error(std::string("Given ") + (o.transposed ? "transposed=1, " : "") + "weight of size " + shape_str(ws) +
                ", expected bias to be 1-dimensional with " + std::to_string(bias_size) +
                " elements, but got bias of size " + shape_str(bias.shape()) + " instead");

  ConvProblem p{};
  p.batch = input.size(0);
  p.groups = groups;
  p.cout_g = cout / groups;
  p.g.channels = cin / groups;
  Shape spatial_out;
  for (int d = 0; d < 3; ++d) {
    const int64_t s = d - (3 - dims);  // the spatial dim, or < 0 for a leading size-1 dim
    auto& g = p.g;
    if (s < 0) {
      g.in[d] = g.out[d] = g.kernel[d] = g.stride[d] = g.dilation[d] = 1;
      g.pad[d] = 0;
      continue;
    }
    const auto u = static_cast<std::size_t>(s);
    g.kernel[d] = ws[u + 2];
    g.stride[d] = stride[u];
    g.dilation[d] = dilation[u];
    const int64_t span = detail::window_arith(dilation[u], ws[u + 2] - 1, 1, name.c_str());
    const int64_t size = input.size(s + 2);
    detail::window_arith(2, padding[u], size, name.c_str());
    if (o.padding_same) padding[u] = (span - 1) / 2;
    g.pad[d] = padding[u];
    if (!o.transposed) {
      g.in[d] = size;
      g.out[d] = o.padding_same ? size : (size + 2 * padding[u] - span) / stride[u] + 1;
      if (size + (o.padding_same ? span - 1 : 2 * padding[u]) < span) {
        std::vector<int64_t> padded, kernel;
        for (int64_t e = 0; e < dims; ++e) {
          padded.push_back(input.size(e + 2) + 2 * padding[static_cast<std::size_t>(e)]);
          kernel.push_back(dilation[static_cast<std::size_t>(e)] * (ws[static_cast<std::size_t>(e) + 2] - 1) + 1);
        }
        throw Error("Calculated padded input size per channel: (" + list_str(padded, " x ") + "). Kernel size: (" +
                    list_str(kernel, " x ") + "). Kernel size can't be greater than actual input size");
      }
    } else {
      g.out[d] = size;
      g.in[d] = detail::window_arith(size - 1, stride[u], span + out_pad[u] - 2 * padding[u], name.c_str());
      if (g.in[d] <= 0)
        throw Error("Given input size per channel: (" + std::to_string(size) +
                    "). Calculated output size per channel: (" + std::to_string(g.in[d]) + "). Output size is too small");
    }
    spatial_out.push_back(o.transposed ? g.in[d] : g.out[d]);
  }
  Shape ws5{ws[0], ws[1]}, xs5{input.size(0), input.size(1)};
  for (int d = 0; d < 3 - dims; ++d) {
    ws5.push_back(1);
    xs5.push_back(1);
  }
  for (int64_t d = 0; d < dims; ++d) {
    ws5.push_back(ws[static_cast<std::size_t>(d) + 2]);
    xs5.push_back(input.size(d + 2));
  }
  const Tensor x5 = input.reshape(xs5), w5 = weight.reshape(ws5);
  Tensor r = autograd::conv_primitive(o.transposed ? ConvPrim::InputGrad : ConvPrim::Forward, x5, w5, bias, p);
  Shape rs{r.size(0), r.size(1)};
  rs.insert(rs.end(), spatial_out.begin(), spatial_out.end());
  r = r.reshape(rs);
  return unbatched ? r.squeeze(0) : r;
}

namespace {

// F.unfold / F.fold's problem: a 2-D convolution of one channel group.
ConvProblem blocks_problem(const char* name, int64_t batch, int64_t channels, int64_t h, int64_t w,
                           const std::vector<int64_t>& kernel_size, const std::vector<int64_t>& dilation,
                           const std::vector<int64_t>& padding, const std::vector<int64_t>& stride) {
  auto two = [&](const std::vector<int64_t>& v, const char* what) {
    if (v.size() != 1 && v.size() != 2)
      throw Error(std::string(name) + "(): expected " + what + " to be a single integer or a pair of integers");
    return v.size() == 1 ? std::vector<int64_t>{v[0], v[0]} : v;
  };
  const auto ks = two(kernel_size, "kernel_size"), dl = two(dilation, "dilation"), pd = two(padding, "padding"),
             st = two(stride, "stride");
  for (int d = 0; d < 2; ++d) {
    const auto u = static_cast<std::size_t>(d);
    if (ks[u] <= 0)
      throw Error("kernel size should be greater than zero, but got kernel_height: " + std::to_string(ks[0]) +
                  " kernel_width: " + std::to_string(ks[1]));
    if (dl[u] <= 0)
      throw Error("dilation should be greater than zero, but got dilation_height: " + std::to_string(dl[0]) +
                  " dilation_width: " + std::to_string(dl[1]));
    if (pd[u] < 0)
      throw Error("padding should be non-negative, but got pad_height: " + std::to_string(pd[0]) +
                  " pad_width: " + std::to_string(pd[1]));
    if (st[u] <= 0)
      throw Error("stride should be greater than zero, but got stride_height: " + std::to_string(st[0]) +
                  " stride_width: " + std::to_string(st[1]));
  }
  ConvProblem p{};
  p.batch = batch;
  p.groups = 1;
  p.cout_g = 1;
  p.g.channels = channels;
  p.g.in[0] = p.g.out[0] = p.g.kernel[0] = p.g.stride[0] = p.g.dilation[0] = 1;
  const int64_t sizes[2] = {h, w};
  for (int d = 0; d < 2; ++d) {
    const auto u = static_cast<std::size_t>(d);
    p.g.in[d + 1] = sizes[d];
    p.g.kernel[d + 1] = ks[u];
    p.g.stride[d + 1] = st[u];
    p.g.pad[d + 1] = pd[u];
    p.g.dilation[d + 1] = dl[u];
    const int64_t span = detail::window_arith(dl[u], ks[u] - 1, 1, name);
    p.g.out[d + 1] = (detail::window_arith(2, pd[u], sizes[d], name) - span) / st[u] + 1;
  }
  if (p.g.out[1] < 1 || p.g.out[2] < 1)
    throw Error("Given input with spatial size (" + std::to_string(h) + ", " + std::to_string(w) +
                "), kernel_size=(" + list_str(ks) + "), dilation=(" + list_str(dl) + "), padding=(" + list_str(pd) +
                "), calculated shape of the array of sliding blocks as (" + std::to_string(p.g.out[1]) + ", " +
                std::to_string(p.g.out[2]) + "), but its components must be at least one.");
  return p;
}

void check_blocks_dtype(const Tensor& t, const char* kernel) {
  if (t.dtype() != DType::Float32 && t.dtype() != DType::Float64) detail::not_implemented(kernel, t.dtype());
}

}  // namespace

Tensor unfold_blocks(const Tensor& input, const std::vector<int64_t>& kernel_size,
                     const std::vector<int64_t>& dilation, const std::vector<int64_t>& padding,
                     const std::vector<int64_t>& stride) {
  detail::check_defined(input, "unfold");
  check_blocks_dtype(input, "im2col_out_cpu");
  const bool unbatched = input.ndim() == 3;
  if (input.ndim() < 3)  // torch reads the dims before it checks them
    throw IndexError("Dimension out of range (expected to be in range of [-" + std::to_string(input.ndim()) + ", " +
                     std::to_string(input.ndim() - 1) + "], but got " + std::to_string(input.ndim()) + ")");
  if (input.ndim() != 3 && input.ndim() != 4)
    throw Error("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for "
                "input, but got: " + shape_str(input.shape()));
  const Tensor x = unbatched ? input.unsqueeze(0) : input;
  if (x.size(1) == 0 || x.size(2) == 0 || x.size(3) == 0)
    throw Error("Expected non-empty 4D input tensor, but got input of size " + shape_str(x.shape()));
  const ConvProblem p = blocks_problem("unfold", x.size(0), x.size(1), x.size(2), x.size(3), kernel_size, dilation,
                                       padding, stride);
  const Tensor x5 = x.reshape({x.size(0), x.size(1), 1, x.size(2), x.size(3)});
  Tensor r = autograd::conv_primitive(ConvPrim::Unfold, x5, Tensor(), Tensor(), p);
  return unbatched ? r.squeeze(0) : r;
}

Tensor fold_blocks(const Tensor& input, const std::vector<int64_t>& output_size, const std::vector<int64_t>& kernel_size,
                   const std::vector<int64_t>& dilation, const std::vector<int64_t>& padding,
                   const std::vector<int64_t>& stride) {
  detail::check_defined(input, "fold");
  check_blocks_dtype(input, "col2im_out_cpu");
  const bool unbatched = input.ndim() == 2;
  if (input.ndim() != 2 && input.ndim() != 3)
    throw Error("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions "
                "for input, but got: " + shape_str(input.shape()));
  const Tensor x = unbatched ? input.unsqueeze(0) : input;
  if (output_size.size() != 1 && output_size.size() != 2)
    throw Error("fold(): expected output_size to be a single integer or a pair of integers");
  const int64_t oh = output_size[0], ow = output_size.size() == 2 ? output_size[1] : output_size[0];
  const std::vector<int64_t> ks = kernel_size.size() == 1 ? std::vector<int64_t>{kernel_size[0], kernel_size[0]}
                                                          : kernel_size;
  const int64_t kvol = ks.size() == 2 ? ks[0] * ks[1] : 0;
  if (kvol > 0 && x.size(1) % kvol != 0)
    throw Error("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
                "input.size(1)=" + std::to_string(x.size(1)) + " and kernel_size=(" + list_str(ks) + ")");
  ConvProblem p = blocks_problem("fold", x.size(0), kvol > 0 ? x.size(1) / kvol : 0, oh, ow, kernel_size, dilation,
                                 padding, stride);
  const int64_t blocks = p.g.out[1] * p.g.out[2];
  if (x.size(2) != blocks)
    throw Error("Given output_size=(" + std::to_string(oh) + ", " + std::to_string(ow) + "), kernel_size=(" +
                list_str(ks) + "), dilation=(" + std::to_string(p.g.dilation[1]) + ", " +
                std::to_string(p.g.dilation[2]) + "), padding=(" + std::to_string(p.g.pad[1]) + ", " +
                std::to_string(p.g.pad[2]) + "), stride=(" + std::to_string(p.g.stride[1]) + ", " +
                std::to_string(p.g.stride[2]) + "), expected size of input's dimension 2 to match the calculated number of sliding blocks " + std::to_string(p.g.out[1]) + " * " +
                std::to_string(p.g.out[2]) + " = " + std::to_string(blocks) + ", but got input.size(2)=" +
                std::to_string(x.size(2)) + ".");
  Tensor r = autograd::conv_primitive(ConvPrim::Fold, x, Tensor(), Tensor(), p);
  r = r.reshape({p.batch, p.g.channels, oh, ow});
  return unbatched ? r.squeeze(0) : r;
}

}  // namespace rusttorch
