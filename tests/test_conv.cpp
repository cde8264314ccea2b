// The convolution kernels (kernels/conv_abi.h) on every ISA this CPU has,
// against a reference that reads each column element from its coordinates
// (im2col) and scatters it back (col2im), over random geometries split into
// random column tiles; and the front-end's convolution against a direct
// float64 loop, with the same bits for 1, 2 and 3 threads.
#include <random>
#include <vector>

#include "autograd/derivatives.h"
#include "dispatch.h"
#include "test_support.h"

namespace k = rusttorch::kernels;
using rusttorch::Tensor;

namespace {

k::ConvGeometry random_geometry(std::mt19937_64& gen) {
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(gen); };
  k::ConvGeometry g{};
  g.channels = pick(1, 3);
  for (int d = 0; d < 3; ++d) {
    g.in[d] = pick(1, d == 0 ? 3 : 9);
    g.kernel[d] = pick(1, 3);
    g.stride[d] = pick(1, 3);
    g.dilation[d] = pick(1, 2);
    g.pad[d] = pick(0, 2);
    const int64_t span = g.dilation[d] * (g.kernel[d] - 1) + 1;
    // Sometimes more outputs than the padding allows: they read zeros (the high side of 'same').
    g.out[d] = std::max<int64_t>(1, (g.in[d] + 2 * g.pad[d] - span) / g.stride[d] + 1 + pick(0, 1));
  }
  return g;
}

// The input offset column element (r, j) reads, or -1 for padding.
int64_t source(const k::ConvGeometry& g, int64_t r, int64_t j) {
  int64_t kk[3], o[3];
  kk[2] = r % g.kernel[2];
  kk[1] = (r / g.kernel[2]) % g.kernel[1];
  kk[0] = (r / (g.kernel[2] * g.kernel[1])) % g.kernel[0];
  const int64_t c = r / (g.kernel[0] * g.kernel[1] * g.kernel[2]);
  o[2] = j % g.out[2];
  o[1] = (j / g.out[2]) % g.out[1];
  o[0] = j / (g.out[2] * g.out[1]);
  int64_t off = c;
  for (int d = 0; d < 3; ++d) {
    const int64_t i = o[d] * g.stride[d] - g.pad[d] + kk[d] * g.dilation[d];
    if (i < 0 || i >= g.in[d]) return -1;
    off = off * g.in[d] + i;
  }
  return off;
}

template <class T>
void check_kernels(const k::KernelTable& kt, uint64_t seed) {
  std::mt19937_64 gen(seed);
  for (int trial = 0; trial < 60; ++trial) {
    const k::ConvGeometry g = random_geometry(gen);
    const int64_t in_vol = g.channels * g.in[0] * g.in[1] * g.in[2];
    const int64_t rows = g.channels * g.kernel[0] * g.kernel[1] * g.kernel[2];
    const int64_t cols = g.out[0] * g.out[1] * g.out[2];
    std::vector<T> x(static_cast<std::size_t>(in_vol));
    for (auto& v : x) v = static_cast<T>(std::uniform_int_distribution<int>(-50, 50)(gen));
    // Columns in random tiles.
    std::vector<T> back(x.size(), T(0)), want_back(x.size(), T(0));
    for (int64_t j0 = 0; j0 < cols;) {
      const int64_t nc = std::min(cols - j0, std::uniform_int_distribution<int64_t>(1, 40)(gen));
      std::vector<T> col(static_cast<std::size_t>(rows * nc), T(-7));
      kt.conv.im2col[sizeof(T) == 4 ? 0 : 1](x.data(), &g, j0, nc, col.data());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < nc; ++j) {
          const int64_t s = source(g, r, j0 + j);
          const T want = s < 0 ? T(0) : x[static_cast<std::size_t>(s)];
          REQUIRE(col[static_cast<std::size_t>(r * nc + j)] == want);
          if (s >= 0) want_back[static_cast<std::size_t>(s)] += col[static_cast<std::size_t>(r * nc + j)];
        }
      const int d = std::is_same_v<T, float> ? k::kFloat32 : std::is_same_v<T, double> ? k::kFloat64
                    : std::is_same_v<T, int32_t> ? k::kInt32 : k::kInt64;
      kt.conv.col2im[d](col.data(), &g, j0, nc, back.data());
      j0 += nc;
    }
    // Integer-valued elements: the sums are exact whatever their order.
    REQUIRE(back == want_back);
  }
}

// A direct convolution in float64: y[n][o][p] = sum w * x (the definition).
std::vector<double> direct_conv2d(const std::vector<double>& x, const std::vector<double>& w, int64_t n, int64_t cin,
                                  int64_t h, int64_t wd, int64_t cout, int64_t groups, int64_t kh, int64_t kw,
                                  int64_t s, int64_t p, int64_t dl, int64_t& oh, int64_t& ow) {
  oh = (h + 2 * p - dl * (kh - 1) - 1) / s + 1;
  ow = (wd + 2 * p - dl * (kw - 1) - 1) / s + 1;
  const int64_t cg = cin / groups, og = cout / groups;
  std::vector<double> y(static_cast<std::size_t>(n * cout * oh * ow), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = 0;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t a = 0; a < kh; ++a)
              for (int64_t e = 0; e < kw; ++e) {
                const int64_t ih = i * s - p + a * dl, iw = j * s - p + e * dl;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                acc += w[static_cast<std::size_t>(((o * cg + c) * kh + a) * kw + e)] *
                       x[static_cast<std::size_t>(((b * cin + (o / og) * cg + c) * h + ih) * wd + iw)];
              }
          y[static_cast<std::size_t>(((b * cout + o) * oh + i) * ow + j)] = acc;
        }
  return y;
}

}  // namespace

TEST_CASE("im2col and col2im on every ISA against the coordinate reference") {
  rt_test::for_each_isa([&](const std::string&) {
    const auto& kt = rusttorch::detail::active_kernels();
    check_kernels<float>(kt, 1);
    check_kernels<double>(kt, 2);
    check_kernels<int32_t>(kt, 3);
    check_kernels<int64_t>(kt, 4);
  });
}

TEST_CASE("conv2d against a direct float64 loop, the same bits for any thread count") {
  rt_test::ThreadGuard threads;
  const int64_t n = 3, cin = 6, h = 23, wd = 19, cout = 8, groups = 2, kh = 3, kw = 2, s = 2, p = 1, dl = 2;
  std::mt19937_64 gen(7);
  std::normal_distribution<double> nd;
  std::vector<double> x(static_cast<std::size_t>(n * cin * h * wd)), w(static_cast<std::size_t>(cout * 3 * kh * kw));
  for (auto& v : x) v = nd(gen);
  for (auto& v : w) v = nd(gen);
  int64_t oh = 0, ow = 0;
  const std::vector<double> want = direct_conv2d(x, w, n, cin, h, wd, cout, groups, kh, kw, s, p, dl, oh, ow);
  const Tensor tx = Tensor::from_vec(x, {n, cin, h, wd}), tw = Tensor::from_vec(w, {cout, cin / groups, kh, kw});
  rusttorch::ConvOptions o;
  o.stride = {s};
  o.padding = {p};
  o.dilation = {dl};
  o.groups = groups;
  rt_test::for_each_isa([&](const std::string&) {
    std::vector<double> first;
    for (int t : {1, 2, 3}) {
      rusttorch::set_num_threads(t);
      const Tensor y = rusttorch::convolution(tx, tw, Tensor(), 2, o);
      REQUIRE(y.shape() == rusttorch::Shape{n, cout, oh, ow});
      const double* py = y.data<double>();
      const std::vector<double> got(py, py + y.numel());
      for (std::size_t i = 0; i < want.size(); ++i) REQUIRE(std::abs(got[i] - want[i]) <= 1e-12 * (1 + std::abs(want[i])));
      if (first.empty()) first = got;
      REQUIRE(got == first);
    }
  });
}
