// The autograd engine from C++: formulas against central finite differences
// in float64 on random data, the graph cases the upstream design got wrong (a
// node reached by two or many paths), accumulation, retain_graph, deep
// chains, version counters, leaves in in-place ops, grad mode per thread,
// hooks, double backward, and the same bits for any thread count.
#include <thread>

#include "test_support.h"

using namespace rusttorch;

namespace {

Tensor rand64(const Shape& s, uint64_t seed) {
  Generator g(seed);
  return Tensor::randn(s, DType::Float64, &g);
}

double scalar_of(const Tensor& t) { return t.item().to_double(); }

// Checks d f(x).sum() / dx from backward against central differences.
void check_against_finite_differences(const std::function<Tensor(const Tensor&)>& f, Tensor x,
                                      double tol = 1e-6) {
  x = x.detach().clone().requires_grad_();
  sum(f(x), std::nullopt).backward();
  const std::vector<double> analytic = x.grad().to_vec<double>();
  std::vector<double> base = x.detach().to_vec<double>();
  const double eps = 1e-6;
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < base.size(); ++i) {
    std::vector<double> p = base, m = base;
    p[i] += eps;
    m[i] -= eps;
    const double fp = scalar_of(sum(f(Tensor::from_vec(p, x.shape())), std::nullopt));
    const double fm = scalar_of(sum(f(Tensor::from_vec(m, x.shape())), std::nullopt));
    const double numeric = (fp - fm) / (2 * eps);
    CHECK(std::abs(analytic[i] - numeric) <= tol * (1 + std::abs(numeric)));
  }
}

using rt_test::ThreadGuard;

}  // namespace

TEST_CASE("formulas match finite differences") {
  const Tensor x = rand64({3, 4}, 1);
  const Tensor w = rand64({4, 5}, 2);
  const Tensor v = rand64({4}, 3);
  SUBCASE("elementwise and broadcasting") {
    check_against_finite_differences([&](const Tensor& t) { return mul(add(t, v, 2.0), sub(t, 1.5)); }, x);
    check_against_finite_differences([&](const Tensor& t) { return div(exp(t), add(abs(v), 1.0)); }, x);
    check_against_finite_differences([&](const Tensor& t) { return pow(add(abs(t), 0.5), 2.5); }, x);
    check_against_finite_differences([&](const Tensor& t) { return maximum(t, v); }, x);
  }
  SUBCASE("activations") {
    check_against_finite_differences([](const Tensor& t) { return tanh(t); }, x);
    check_against_finite_differences([](const Tensor& t) { return gelu(t); }, x);
    check_against_finite_differences([](const Tensor& t) { return gelu(t, "tanh"); }, x);
    check_against_finite_differences([](const Tensor& t) { return silu(t); }, x);
    check_against_finite_differences([](const Tensor& t) { return mish(t); }, x);
    check_against_finite_differences([](const Tensor& t) { return logsigmoid(t); }, x);
  }
  SUBCASE("softmax, reductions, views, products") {
    const Tensor u = rand64({3, 4}, 4);
    check_against_finite_differences([&](const Tensor& t) { return mul(softmax(t, 1), u); }, x);
    check_against_finite_differences([&](const Tensor& t) { return mul(log_softmax(t, 0), x); }, x);
    check_against_finite_differences([](const Tensor& t) { return var(t, DimList(1), 1, true); }, x);
    check_against_finite_differences([](const Tensor& t) { return logsumexp(t, DimList(0)); }, x);
    check_against_finite_differences([](const Tensor& t) { return prod(t, 1); }, x);
    check_against_finite_differences([&](const Tensor& t) { return mm(t, w); }, x);
    check_against_finite_differences([&](const Tensor& t) { return matmul(t.unsqueeze(0).expand({2, 3, 4}), w); }, x);
    check_against_finite_differences([&](const Tensor& t) { return linear(t, w.t(), rand64({5}, 5)); }, x);
    check_against_finite_differences([](const Tensor& t) { return t.transpose(0, 1).slice(0, 1, 4, 2).reshape({-1}); }, x);
  }
}

TEST_CASE("a node reached by two and by many paths gets every gradient") {
  Tensor x = Tensor::from_vec<double>({1.0, 2.0, 3.0}).requires_grad_();
  Tensor z = mul(x, 2.0);
  sum(add(mul(z, z), z), std::nullopt).backward();  // 4x^2 + 2x
  CHECK(x.grad().to_vec<double>() == std::vector<double>{10.0, 18.0, 26.0});

  Tensor y = Tensor::from_vec<double>({0.5}).requires_grad_();
  Tensor acc = mul(y, 0.0);
  for (int i = 1; i <= 100; ++i) acc = add(acc, mul(y, static_cast<double>(i)));
  acc.backward();
  CHECK(y.grad().item().to_double() == 5050.0);
}

TEST_CASE("accumulation, retain_graph and a freed graph") {
  Tensor x = Tensor::from_vec<double>({1.0, -2.0}).requires_grad_();
  Tensor y = sum(mul(x, x), std::nullopt);
  y.backward(Tensor(), true);
  y.backward();
  CHECK(x.grad().to_vec<double>() == std::vector<double>{4.0, -8.0});
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("backward through the graph a second time"), Error);
}

TEST_CASE("graphs 100k nodes deep run and are freed without recursion") {
  Tensor x = Tensor::from_vec<float>({1.0f}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = mul(y, 1.0);
  y.backward();
  CHECK(x.grad().item().to_double() == 1.0);
  y = Tensor();  // destroys the chain
}

TEST_CASE("in-place writes: versions, leaves, rebased history") {
  Tensor x = Tensor::from_vec<double>({1.0, 2.0}).requires_grad_();
  CHECK_THROWS_WITH_AS(add_(x, 1.0), doctest::Contains("a leaf Variable that requires grad"), Error);
  Tensor h = mul(x, 1.0);
  const uint32_t v0 = h.version();
  Tensor s = sin(h);
  mul_(h, 3.0);
  CHECK(h.version() == v0 + 1);
  CHECK(h.grad_fn()->name() == "MulBackward0");
  CHECK_THROWS_WITH_AS(sum(s, std::nullopt).backward(), doctest::Contains("modified by an inplace operation"), Error);
  sum(h, std::nullopt).backward();  // through the rebased history: d(3x)/dx
  CHECK(x.grad().to_vec<double>() == std::vector<double>{3.0, 3.0});
  Tensor view = h.select(0, 1);
  CHECK(view.version() == h.version());  // views share the counter
  h.detach().fill_(0.0);
  CHECK(view.version() == v0 + 2);
}

TEST_CASE("grad mode is per thread; NoGradGuard records nothing") {
  Tensor x = Tensor::from_vec<double>({1.0}).requires_grad_();
  {
    NoGradGuard g;
    CHECK_FALSE(mul(x, 2.0).requires_grad());
    bool other = false;
    std::thread t([&] { other = mul(x, 2.0).requires_grad(); });
    t.join();
    CHECK(other);
  }
  CHECK(mul(x, 2.0).requires_grad());
}

TEST_CASE("hooks, retain_grad, autograd::grad and double backward") {
  Tensor x = Tensor::from_vec<double>({1.0, 2.0}).requires_grad_();
  Tensor y = mul(x, 3.0);
  y.retain_grad();
  y.register_hook([](const Tensor& g) { return add(g, 1.0); });
  sum(mul(y, y), std::nullopt).backward();
  CHECK(y.grad().to_vec<double>() == std::vector<double>{7.0, 13.0});
  CHECK(x.grad().to_vec<double>() == std::vector<double>{21.0, 39.0});

  Tensor a = Tensor::from_vec<double>({2.0}).requires_grad_();
  Tensor cube = mul(mul(a, a), a);
  std::vector<Tensor> g1 = autograd::grad({cube}, {a}, {}, std::nullopt, true);
  CHECK(g1[0].item().to_double() == 12.0);
  std::vector<Tensor> g2 = autograd::grad({g1[0]}, {a});
  CHECK(g2[0].item().to_double() == 12.0);  // 6a
  CHECK_THROWS_WITH_AS(autograd::grad({mul(a, 2.0)}, {Tensor::from_vec<double>({1.0}).requires_grad_()}),
                       doctest::Contains("appears to not have been used"), Error);
}

TEST_CASE("gradients have the same bits for 1, 2 and 7 threads") {
  ThreadGuard guard;
  std::vector<std::vector<float>> runs;
  for (int n : {1, 2, 7}) {
    set_num_threads(n);
    Generator g(42);
    Tensor x = Tensor::randn({300, 200}, DType::Float32, &g).requires_grad_();
    Tensor w = Tensor::randn({200, 100}, DType::Float32, &g).requires_grad_();
    Tensor h = gelu(matmul(x, w));
    Tensor loss = add(sum(mul(softmax(h, 1), h), std::nullopt), mean(sum(h, DimList(0)), std::nullopt));
    loss.backward();
    std::vector<float> bits = x.grad().to_vec<float>();
    const std::vector<float> wb = w.grad().to_vec<float>();
    bits.insert(bits.end(), wb.begin(), wb.end());
    runs.push_back(bits);
  }
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * sizeof(float)) == 0);
  CHECK(std::memcmp(runs[0].data(), runs[2].data(), runs[0].size() * sizeof(float)) == 0);
}

namespace {

// x.grad of sum(f(x) * g) with the active ISA's kernels (the fused backward
// kernels when grad mode is off in backward, as it is by default).
Tensor grad_of(const std::function<Tensor(const Tensor&)>& f, const Tensor& x, const Tensor& g) {
  Tensor leaf = x.detach().clone().requires_grad_();
  f(leaf).backward(g);
  return leaf.grad();
}

void check_close(const Tensor& got, const Tensor& want, double rtol, double atol) {
  const std::vector<double> a = got.to_vec<double>(), b = want.to_vec<double>();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(b[i])) {
      CHECK(std::isnan(a[i]));
      continue;
    }
    INFO("element " << i << ": " << a[i] << " vs " << b[i]);
    CHECK(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]));
  }
}

}  // namespace

TEST_CASE("fused backward kernels: every ISA against the scalar build") {
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> fs = {
      {"relu", [](const Tensor& t) { return relu(t); }},
      {"relu6", [](const Tensor& t) { return relu6(t); }},
      {"hardtanh", [](const Tensor& t) { return hardtanh(t, -0.5, 0.8); }},
      {"leaky_relu", [](const Tensor& t) { return leaky_relu(t, 0.1); }},
      {"elu", [](const Tensor& t) { return elu(t, 1.3); }},
      {"celu", [](const Tensor& t) { return celu(t, 0.5); }},
      {"selu", [](const Tensor& t) { return selu(t); }},
      {"gelu", [](const Tensor& t) { return gelu(t); }},
      {"gelu_tanh", [](const Tensor& t) { return gelu(t, "tanh"); }},
      {"silu", [](const Tensor& t) { return silu(t); }},
      {"mish", [](const Tensor& t) { return mish(t); }},
      {"softplus", [](const Tensor& t) { return softplus(t, 2.0, 5.0); }},
      {"hardsigmoid", [](const Tensor& t) { return hardsigmoid(t); }},
      {"hardswish", [](const Tensor& t) { return hardswish(t); }},
      {"sigmoid", [](const Tensor& t) { return sigmoid(t); }},
      {"logsigmoid", [](const Tensor& t) { return logsigmoid(t); }},
      {"tanh", [](const Tensor& t) { return tanh(t); }},
      {"softmax", [](const Tensor& t) { return softmax(t.reshape({-1, 37}), -1).reshape({-1}); }},
      {"log_softmax", [](const Tensor& t) { return log_softmax(t.reshape({-1, 37}), 1).reshape({-1}); }},
  };
  for (DType dt : {DType::Float32, DType::Float64}) {
    Generator gen(11);
    // values across the kinks (0, +-3, +-6), the tails, and exact zeros
    Tensor x = mul(Tensor::randn({37 * 29}, dt, &gen), 4.0);
    x.select(0, 0).fill_(0.0);
    x.select(0, 1).fill_(-3.0);
    x.select(0, 2).fill_(6.0);
    x.select(0, 3).fill_(-30.0);
    x.select(0, 4).fill_(30.0);
    const Tensor g = Tensor::randn({37 * 29}, dt, &gen);
    const double rtol = dt == DType::Float32 ? 2e-5 : 1e-12, atol = dt == DType::Float32 ? 1e-6 : 1e-14;
    for (const auto& [name, f] : fs) {
      INFO("op = " << name << ", dtype = " << dtype_name(dt));
      rt_test::IsaGuard guard;
      set_cpu_capability("scalar");
      const Tensor want = grad_of(f, x, g);
      rt_test::for_each_isa([&](const std::string&) { check_close(grad_of(f, x, g), want, rtol, atol); });
    }
  }
}
