// The fused loss kernels (kernels/loss_abi.h) of each ISA this CPU has
// against the scalar build (long double, libm), called through the kernel
// table on random rows of lengths around every vector width: cross_entropy
// forward and backward (class indices with ignore_index, weights and label
// smoothing; probabilities with their gradient), over rows and over strided
// class dims, nll_loss, binary_cross_entropy_with_logits with every operand
// period. Also: a lane's results do not depend on the other lanes of the call
// (the property the front-end's tiling relies on), logits of +-1e4 stay
// finite, and the C++ entry points' results follow torch's formulas.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "dispatch.h"
#include "test_support.h"

namespace k = rusttorch::kernels;
using rusttorch::DType;
using rusttorch::Tensor;

namespace {

template <class T>
constexpr int kDt = std::is_same_v<T, float> ? k::kFloat32 : k::kFloat64;
template <class T>
constexpr double kTol = std::is_same_v<T, float> ? 2e-5 : 1e-12;

// |a - b| <= tol * (scale + |b|): values within the dtype's tolerance, relative to the problem's magnitude.
template <class A, class B>
void check_close(const std::vector<A>& a, const std::vector<B>& b, double tol, double scale, const char* what) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
    if (std::isnan(y)) {
      CHECK_MESSAGE(std::isnan(x), what << "[" << i << "]");
      continue;
    }
    CHECK_MESSAGE(std::abs(x - y) <= tol * (scale + std::abs(y)), what << "[" << i << "]: " << x << " vs " << y);
  }
}

// One class-dim problem: (outer, classes, lanes) with the class stride s_class.
template <class T>
struct ClassProblem {
  int64_t outer, classes, lanes, s_class;
  bool prob, weighted;
  double smoothing;
  std::vector<T> x, target_p, weight;
  std::vector<int64_t> target_i;
  std::vector<T> grad;  // per lane
  int64_t n_lanes() const { return outer * lanes; }
  int64_t n_x() const { return outer * classes * lanes; }

  ClassProblem(int64_t o, int64_t c, int64_t l, bool p, bool w, double ls, uint64_t seed, double scale = 4.0)
      : outer(o), classes(c), lanes(l), s_class(l), prob(p), weighted(w), smoothing(ls) {
    x = rt_test::random_vec<T>(n_x(), seed, -scale, scale);
    target_p = rt_test::random_vec<T>(n_x(), seed + 1, 0.0, 1.0);
    weight = rt_test::random_vec<T>(c, seed + 2, 0.1, 2.0);
    grad = rt_test::random_vec<T>(n_lanes(), seed + 3, 0.5, 1.5);
    std::mt19937_64 gen(seed + 4);
    target_i.resize(static_cast<std::size_t>(n_lanes()));
    for (auto& t : target_i) t = gen() % 5 == 0 ? -100 : static_cast<int64_t>(gen() % static_cast<uint64_t>(c));
  }
  double weight_sum() const {
    double s = 0;
    for (T v : weight) s += v;
    return weighted ? s : static_cast<double>(classes);
  }
  k::ClassLossArgs args() const {
    k::ClassLossArgs a{};
    a.x = x.data();
    a.target = prob ? static_cast<const void*>(target_p.data()) : static_cast<const void*>(target_i.data());
    a.weight = weighted ? weight.data() : nullptr;
    a.outer = outer;
    a.classes = classes;
    a.lanes = lanes;
    a.s_outer = classes * lanes;
    a.s_class = s_class;
    a.l_outer = lanes;
    a.ignore_index = -100;
    a.smoothing = smoothing;
    a.weight_sum = weight_sum();
    return a;
  }
};

template <class T>
struct ClassResult {
  std::vector<double> loss, target_weight;
  std::vector<T> stats, gx, gt;
};

// Runs forward then backward (nll_loss: the statistics are unused) over the
// whole problem, or over lanes [lane_begin, lane_end) of outer index 0.
template <class T>
ClassResult<T> run_class(k::ClassLossFn forward, k::ClassLossFn backward, const ClassProblem<T>& p,
                         int64_t lane_begin = 0, int64_t lane_end = -1) {
  const int64_t L = p.n_lanes();
  ClassResult<T> r;
  r.loss.assign(static_cast<std::size_t>(L), -1.0);
  r.target_weight.assign(static_cast<std::size_t>(L), -1.0);
  r.stats.assign(static_cast<std::size_t>(3 * L), T(0));
  r.gx.assign(static_cast<std::size_t>(p.n_x()), T(-1));
  r.gt.assign(static_cast<std::size_t>(p.n_x()), T(-1));
  const int64_t off = lane_end >= 0 ? lane_begin : 0;  // lanes of outer index 0 are at the start of everything
  k::ClassLossArgs a = p.args();
  if (lane_end >= 0) {
    a.outer = 1;
    a.lanes = lane_end - lane_begin;
  }
  a.x = p.x.data() + off;
  a.target = p.prob ? static_cast<const void*>(p.target_p.data() + off) : static_cast<const void*>(p.target_i.data() + off);
  a.max = r.stats.data() + off;
  a.logsum = r.stats.data() + L + off;
  a.tw = r.stats.data() + 2 * L + off;
  a.loss = r.loss.data() + off;
  a.target_weight = r.target_weight.data() + off;
  a.grad = p.grad.data() + off;
  a.grad_step = 1;
  a.grad_scale = 0.75;
  a.grad_x = r.gx.data() + off;
  a.grad_target = p.prob ? r.gt.data() + off : nullptr;
  forward(a);
  backward(a);
  return r;
}
template <class T>
ClassResult<T> run_cross_entropy(const k::LossKernels& lk, const ClassProblem<T>& p, int64_t lane_begin = 0,
                                 int64_t lane_end = -1) {
  const int pi = p.prob ? 1 : 0;
  return run_class(lk.cross_entropy[pi][kDt<T>], lk.cross_entropy_backward[pi][kDt<T>], p, lane_begin, lane_end);
}

template <class T>
void compare_cross_entropy(const ClassResult<T>& got, const ClassResult<T>& ref, const ClassProblem<T>& p) {
  double loss_scale = 1, grad_scale = 1;  // the gradients are about softmax * weight * grad: order 1
  for (double v : ref.loss) loss_scale = std::max(loss_scale, std::abs(v));
  for (T v : ref.gx) grad_scale = std::max(grad_scale, std::abs(static_cast<double>(v)));
  check_close(got.loss, ref.loss, kTol<T>, loss_scale, "loss");
  if (!p.prob) CHECK(rt_test::same_values(got.target_weight, ref.target_weight));
  check_close(got.gx, ref.gx, kTol<T>, grad_scale, "grad_x");
  if (p.prob) check_close(got.gt, ref.gt, kTol<T>, loss_scale, "grad_target");
}

const k::LossKernels& scalar_losses() {
  rt_test::IsaGuard guard;
  rusttorch::set_cpu_capability("scalar");
  return rusttorch::detail::active_kernels().loss;
}

}  // namespace

TEST_CASE_TEMPLATE("cross_entropy kernels: every ISA against the scalar build, rows of every length", T, float, double) {
  const k::LossKernels& ref = scalar_losses();
  rt_test::for_each_isa([&](const std::string& isa) {
    const k::LossKernels& lk = rusttorch::detail::active_kernels().loss;
    for (int64_t C : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 257, 1000}) {
      for (int variant = 0; variant < 6; ++variant) {
        const bool prob = variant >= 4, weighted = variant % 2 == 1;
        const double ls = variant == 2 || variant == 3 || variant == 5 ? 0.15 : 0.0;
        INFO("isa = " << isa << ", classes = " << C << ", prob = " << prob << ", weighted = " << weighted << ", ls = " << ls);
        ClassProblem<T> p(5, C, 1, prob, weighted, ls, static_cast<uint64_t>(C * 10 + variant));
        p.s_class = 1;
        compare_cross_entropy(run_cross_entropy(lk, p), run_cross_entropy(ref, p), p);
      }
    }
  });
}

TEST_CASE_TEMPLATE("cross_entropy kernels: strided class dims, vectorized across positions", T, float, double) {
  const k::LossKernels& ref = scalar_losses();
  rt_test::for_each_isa([&](const std::string& isa) {
    const k::LossKernels& lk = rusttorch::detail::active_kernels().loss;
    for (int64_t lanes : {2, 3, 5, 8, 9, 16, 17, 19, 33}) {
      for (int64_t C : {1, 2, 5, 9}) {
        for (int variant = 0; variant < 6; ++variant) {
          const bool prob = variant >= 4, weighted = variant % 2 == 1;
          const double ls = variant == 2 || variant == 3 || variant == 5 ? 0.2 : 0.0;
          INFO("isa = " << isa << ", lanes = " << lanes << ", classes = " << C << ", variant = " << variant);
          ClassProblem<T> p(2, C, lanes, prob, weighted, ls, static_cast<uint64_t>(lanes * 100 + C * 10 + variant));
          const ClassResult<T> got = run_cross_entropy(lk, p);
          compare_cross_entropy(got, run_cross_entropy(ref, p), p);
          // a lane's bits do not depend on the call's other lanes (the tail vector is padded)
          if (p.n_lanes() > 2) {
            const ClassResult<T> part = run_cross_entropy(lk, p, 1, lanes);
            for (int64_t i = 1; i < lanes; ++i) {
              CHECK(rt_test::ulp_distance(part.loss[i], got.loss[i]) == 0);
              for (int64_t c = 0; c < C; ++c) CHECK(rt_test::ulp_distance(part.gx[c * lanes + i], got.gx[c * lanes + i]) == 0);
            }
          }
        }
      }
    }
  });
}

TEST_CASE_TEMPLATE("cross_entropy kernels: logits of +-1e4 give finite losses and gradients", T, float, double) {
  rt_test::for_each_isa([&](const std::string& isa) {
    const k::LossKernels& lk = rusttorch::detail::active_kernels().loss;
    for (int64_t lanes : {1, 7}) {
      for (int variant = 0; variant < 6; ++variant) {
        INFO("isa = " << isa << ", lanes = " << lanes << ", variant = " << variant);
        ClassProblem<T> p(3, 37, lanes, variant >= 4, variant % 2 == 1, variant >= 2 ? 0.1 : 0.0, 77 + variant);
        if (lanes == 1) p.s_class = 1;
        for (auto& v : p.x) v = v > 0 ? T(1e4) : T(-1e4);
        const ClassResult<T> r = run_cross_entropy(lk, p);
        for (double v : r.loss) CHECK(std::isfinite(v));
        for (T v : r.gx) CHECK(std::isfinite(v));
      }
    }
  });
}

TEST_CASE_TEMPLATE("nll_loss kernels: the same values on every ISA", T, float, double) {
  const k::LossKernels& ref = scalar_losses();
  rt_test::for_each_isa([&](const std::string& isa) {
    const k::LossKernels& lk = rusttorch::detail::active_kernels().loss;
    for (int64_t lanes : {1, 3, 17}) {
      INFO("isa = " << isa << ", lanes = " << lanes);
      ClassProblem<T> p(4, 9, lanes, false, true, 0.0, 5 + lanes);
      if (lanes == 1) p.s_class = 1;
      auto run = [&](const k::LossKernels& t) { return run_class(t.nll[kDt<T>], t.nll_backward[kDt<T>], p); };
      const ClassResult<T> got = run(lk), want = run(ref);
      CHECK(rt_test::same_values(got.loss, want.loss));
      CHECK(rt_test::same_values(got.gx, want.gx));
    }
  });
}

namespace {
template <class T>
struct BceResult {
  std::vector<T> out, gx, gt;
  double sum = 0;
};
template <class T>
BceResult<T> run_bce(const k::LossKernels& lk, int64_t n, int64_t wp, int64_t pwp, const std::vector<T>& x,
                     const std::vector<T>& t, const std::vector<T>& w, const std::vector<T>& pw, const std::vector<T>& g,
                     int64_t begin, int64_t end) {
  BceResult<T> r;
  r.out.assign(static_cast<std::size_t>(n), T(-7));
  r.gx.assign(static_cast<std::size_t>(n), T(-7));
  r.gt.assign(static_cast<std::size_t>(n), T(-7));
  k::BceArgs a{};
  a.x = x.data();
  a.target = t.data();
  a.weight = wp ? w.data() : nullptr;
  a.pos_weight = pwp ? pw.data() : nullptr;
  a.weight_period = wp;
  a.pos_weight_period = pwp;
  a.begin = begin;
  a.end = end;
  a.out = r.out.data();
  a.sum = &r.sum;
  lk.bce[kDt<T>](a);
  a.grad = g.data();
  a.grad_step = 1;
  a.grad_scale = 0.25;
  a.grad_x = r.gx.data();
  a.grad_target = r.gt.data();
  lk.bce_backward[kDt<T>](a);
  return r;
}
}  // namespace

TEST_CASE_TEMPLATE("binary_cross_entropy_with_logits kernels: every ISA against the scalar build", T, float, double) {
  const k::LossKernels& ref = scalar_losses();
  rt_test::for_each_isa([&](const std::string& isa) {
    const k::LossKernels& lk = rusttorch::detail::active_kernels().loss;
    for (int64_t rows : {1, 3}) {
      for (int64_t L : {1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 33, 64, 65, 100, 1000}) {
        const int64_t n = rows * L;
        const std::vector<T> x = rt_test::random_vec<T>(n, 3 * L, -30.0, 30.0);
        const std::vector<T> t = rt_test::random_vec<T>(n, 3 * L + 1, 0.0, 1.0);
        const std::vector<T> w = rt_test::random_vec<T>(n, 3 * L + 2, 0.0, 2.0);
        const std::vector<T> pw = rt_test::random_vec<T>(n, 3 * L + 3, 0.0, 4.0);
        const std::vector<T> g = rt_test::random_vec<T>(n, 3 * L + 4, -1.0, 1.0);
        // periods: absent, one value, a last-dim vector, one per element
        for (auto [wp, pwp] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 0}, {0, L}, {L, 1}, {n, L}, {L, n}}) {
          INFO("isa = " << isa << ", n = " << n << ", weight period = " << wp << ", pos_weight period = " << pwp);
          const BceResult<T> got = run_bce(lk, n, wp, pwp, x, t, w, pw, g, 0, n);
          const BceResult<T> want = run_bce(ref, n, wp, pwp, x, t, w, pw, g, 0, n);
          double scale = 0;
          for (T v : want.out) scale = std::max(scale, std::abs(static_cast<double>(v)));
          check_close(got.out, want.out, kTol<T>, scale, "loss");
          check_close(std::vector<double>{got.sum}, std::vector<double>{want.sum}, kTol<T>, scale, "sum");
          check_close(got.gx, want.gx, kTol<T>, 1.0, "grad_x");
          check_close(got.gt, want.gt, kTol<T>, scale, "grad_target");
          // elementwise results do not depend on where a call starts
          if (n > 2) {
            const BceResult<T> part = run_bce(lk, n, wp, pwp, x, t, w, pw, g, 1, n);
            for (int64_t i = 1; i < n; ++i) {
              CHECK(rt_test::ulp_distance(part.out[i], got.out[i]) == 0);
              CHECK(rt_test::ulp_distance(part.gx[i], got.gx[i]) == 0);
            }
          }
        }
      }
    }
  });
}

TEST_CASE_TEMPLATE("binary_cross_entropy_with_logits: log1p(exp(-|x|)) within 4 ULP of long double", T, float, double) {
  // with t = 1 and x > 0 the loss is that term alone
  std::vector<T> x;
  for (double v = 1e-6; v < 120.0; v *= 1.0007) x.push_back(static_cast<T>(v));
  const int64_t n = static_cast<int64_t>(x.size());
  const std::vector<T> t(x.size(), T(1)), none, g(x.size(), T(1));
  rt_test::for_each_isa([&](const std::string& isa) {
    const BceResult<T> r = run_bce(rusttorch::detail::active_kernels().loss, n, 0, 0, x, t, none, none, g, 0, n);
    int64_t worst = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T want = static_cast<T>(std::log1p(std::exp(-static_cast<long double>(x[i]))));
      // below 2^-125 the float kernel flushes the term to 0 (x > 87), rather than compute denormals
      if (std::is_same_v<T, float> && want < T(2.35098870e-38)) {
        CHECK(r.out[i] <= T(2.35098870e-38));
        continue;
      }
      worst = std::max(worst, rt_test::ulp_distance(r.out[i], want));
    }
    INFO("isa = " << isa);
    CHECK(worst <= 4);
  });
}

TEST_CASE("the C++ entry points: torch's formulas, reductions and node names") {
  using namespace rusttorch;
  rt_test::for_each_isa([&](const std::string&) {
    const Tensor x = Tensor::from_vec<double>({1.0, 2.0, 0.5, -1.0, 0.0, 3.0}, {2, 3});
    const Tensor t = Tensor::from_vec<int64_t>({2, 0}, {2});
    // -log_softmax at the targets, by hand
    const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(0.5)) - 0.5;
    const double l1 = std::log(std::exp(-1.0) + std::exp(0.0) + std::exp(3.0)) + 1.0;
    CHECK(cross_entropy(x, t).item().to_double() == doctest::Approx((l0 + l1) / 2).epsilon(1e-14));
    CHECK(cross_entropy(x, t, Tensor(), "sum").item().to_double() == doctest::Approx(l0 + l1).epsilon(1e-14));
    const Tensor w = Tensor::from_vec<double>({1.0, 2.0, 3.0}, {3});
    CHECK(cross_entropy(x, t, w).item().to_double() == doctest::Approx((3 * l0 + l1) / 4).epsilon(1e-14));
    CHECK(nll_loss(x, t, Tensor(), "none").to_vec<double>() == std::vector<double>{-0.5, 1.0});
    const Tensor xb = Tensor::from_vec<double>({0.3, -2.0}, {2}), tb = Tensor::from_vec<double>({1.0, 0.25}, {2});
    const double b0 = std::log1p(std::exp(-0.3)), b1 = 0.75 * -2.0 + std::log1p(std::exp(2.0));
    CHECK(binary_cross_entropy_with_logits(xb, tb).item().to_double() == doctest::Approx((b0 + b1) / 2).epsilon(1e-14));
    Tensor leaf = x.clone().requires_grad_();
    Tensor loss = cross_entropy(leaf, t, w, "mean", -100, 0.1);
    CHECK(loss.grad_fn()->name() == "CrossEntropyLossBackward0");
    loss.backward(Tensor());
    // each row's gradient sums to zero (softmax minus a smoothed one-hot of the same weight)
    const std::vector<double> g = leaf.grad().to_vec<double>();
    CHECK(g[0] + g[1] + g[2] == doctest::Approx(0.0).epsilon(1e-12).scale(1.0));
  });
}
