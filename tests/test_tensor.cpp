// Tensor front-end: creation, properties, views without copies, reshape rules,
// conversions, random generators and the torch-like repr.
#include "test_support.h"

using namespace rusttorch;

TEST_CASE("seed API: ones, from_vec, add, mul_scalar") {
  const Tensor a = Tensor::ones({2, 3}, DType::Float32);
  const Tensor b = Tensor::zeros({2, 3}, DType::Float32);
  const Tensor c = Tensor::from_vec(std::vector<float>{1, 2, 3}, {3});
  CHECK(a.shape() == Shape{2, 3});
  CHECK(a.ndim() == 2);
  CHECK(a.numel() == 6);
  CHECK(a.dtype() == DType::Float32);
  CHECK(add(a, b).to_vec<float>() == std::vector<float>(6, 1.0f));
  CHECK(mul_scalar(c, 2.0).to_vec<float>() == std::vector<float>{2, 4, 6});
  CHECK(add_scalar(c, 1).to_vec<float>() == std::vector<float>{2, 3, 4});
  CHECK(add(a, c).to_vec<float>() == std::vector<float>{2, 3, 4, 2, 3, 4});
}

TEST_CASE("creation functions") {
  CHECK(Tensor::full({2, 2}, 7).dtype() == DType::Int64);
  CHECK(Tensor::full({2, 2}, 7.5).to_vec<float>() == std::vector<float>(4, 7.5f));
  CHECK(Tensor::full({3}, true).dtype() == DType::Bool);
  CHECK(Tensor::arange(5).to_vec<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(Tensor::arange(1, 2, 0.25).to_vec<float>() == std::vector<float>{1, 1.25, 1.5, 1.75});
  CHECK(Tensor::arange(5, 0, -2).to_vec<int64_t>() == std::vector<int64_t>{5, 3, 1});
  CHECK(Tensor::arange(0, 1, 0.1).numel() == 10);  // ceil((1 - 0) / 0.1)
  const auto ls = Tensor::linspace(0, 1, 5).to_vec<float>();
  CHECK(ls == std::vector<float>{0, 0.25, 0.5, 0.75, 1});
  CHECK(Tensor::linspace(3, 3, 1).to_vec<float>() == std::vector<float>{3});
  CHECK(Tensor::linspace(0, 1, 0).numel() == 0);
  CHECK(Tensor::eye(3).to_vec<float>() == std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(Tensor::eye(2, 3, DType::Int32).to_vec<int32_t>() == std::vector<int32_t>{1, 0, 0, 0, 1, 0});
  const Tensor e = Tensor::empty({0, 4});
  CHECK(e.numel() == 0);
  CHECK(e.shape() == Shape{0, 4});
  CHECK(zeros_like(Tensor::ones({2}, DType::Int32)).dtype() == DType::Int32);
  CHECK(ones_like(Tensor::zeros({2})).to_vec<float>() == std::vector<float>{1, 1});
  CHECK(full_like(Tensor::zeros({2}, DType::Float64), 3).to_vec<double>() == std::vector<double>{3, 3});
  CHECK(Tensor::scalar_tensor(2.5).ndim() == 0);
  CHECK(Tensor::scalar_tensor(2.5).item().to_double() == 2.5);
}

TEST_CASE("random generators are seedable, in range and independent of the thread count") {
  manual_seed(42);
  const auto u1 = Tensor::rand({100000}).to_vec<float>();
  manual_seed(42);
  const auto u2 = Tensor::rand({100000}).to_vec<float>();
  CHECK(u1 == u2);
  double mean = 0;
  for (float x : u1) {
    REQUIRE(x >= 0.0f);
    REQUIRE(x < 1.0f);
    mean += x;
  }
  mean /= static_cast<double>(u1.size());
  CHECK(mean == doctest::Approx(0.5).epsilon(0.01));
  const auto u3 = Tensor::rand({100000}).to_vec<float>();  // the stream moved on
  CHECK(u3 != u1);

  Generator g(7);
  const auto n = Tensor::randn({200000}, DType::Float64, &g).to_vec<double>();
  double m = 0, v = 0;
  for (double x : n) m += x;
  m /= static_cast<double>(n.size());
  for (double x : n) v += (x - m) * (x - m);
  v /= static_cast<double>(n.size());
  CHECK(std::fabs(m) < 0.01);
  CHECK(v == doctest::Approx(1.0).epsilon(0.02));

  const int threads = get_num_threads();
  set_num_threads(1);
  Generator g1(99);
  const auto r1 = Tensor::randn({70001}, DType::Float32, &g1).to_vec<float>();
  set_num_threads(2);
  Generator g2(99);
  const auto r2 = Tensor::randn({70001}, DType::Float32, &g2).to_vec<float>();
  set_num_threads(threads);
  CHECK(r1 == r2);

  const auto ri = Tensor::randint(-3, 4, {10000}).to_vec<int64_t>();
  std::vector<int> seen(7, 0);
  for (int64_t x : ri) {
    REQUIRE(x >= -3);
    REQUIRE(x < 4);
    seen[static_cast<std::size_t>(x + 3)]++;
  }
  for (int c : seen) CHECK(c > 1000);
}

TEST_CASE("views share storage and compute the right elements") {
  const Tensor a = Tensor::arange(0, 24, 1, DType::Float32).reshape({2, 3, 4});
  CHECK(a.is_contiguous());
  CHECK(a.strides() == Shape{12, 4, 1});

  const Tensor t = a.transpose(0, 2);
  CHECK(t.shape() == Shape{4, 3, 2});
  CHECK(t.strides() == Shape{1, 4, 12});
  CHECK(t.shares_storage_with(a));
  CHECK_FALSE(t.is_contiguous());
  const auto tv = t.contiguous().to_vec<float>();
  CHECK(tv[0 * 6 + 1 * 2 + 1] == 12 + 4 + 0);  // t[0][1][1] == a[1][1][0]

  const Tensor p = a.permute({1, 2, 0});
  CHECK(p.shape() == Shape{3, 4, 2});
  CHECK(p.contiguous().to_vec<float>()[((2 * 4) + 3) * 2 + 1] == 12 + 2 * 4 + 3);

  const Tensor s = a.slice(2, 1, 4, 2);  // a[:, :, 1:4:2]
  CHECK(s.shape() == Shape{2, 3, 2});
  CHECK(s.contiguous().to_vec<float>() == std::vector<float>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23});
  CHECK(a.slice(0, -1, 100).shape() == Shape{1, 3, 4});  // Python clamping
  CHECK(a.slice(1, 2, 1).shape() == Shape{2, 0, 4});

  const Tensor sel = a.select(1, -1);
  CHECK(sel.shape() == Shape{2, 4});
  CHECK(sel.to_vec<float>() == std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23});
  CHECK(a.narrow(2, 1, 2).contiguous().to_vec<float>()[0] == 1);

  const Tensor col = Tensor::arange(0, 3, 1, DType::Float32).reshape({3, 1});
  const Tensor ex = col.expand({3, 4});
  CHECK(ex.strides() == Shape{1, 0});
  CHECK(ex.contiguous().to_vec<float>() == std::vector<float>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  CHECK(col.expand({2, -1, 5}).shape() == Shape{2, 3, 5});

  CHECK(col.squeeze().shape() == Shape{3});
  CHECK(col.squeeze(0).shape() == Shape{3, 1});
  CHECK(col.unsqueeze(0).shape() == Shape{1, 3, 1});
  CHECK(col.unsqueeze(-1).shape() == Shape{3, 1, 1});
  CHECK(a.flatten().shape() == Shape{24});
  CHECK(a.flatten(1).shape() == Shape{2, 12});
  CHECK(a.flatten(1).shares_storage_with(a));

  // writes through a view reach the base
  Tensor base = Tensor::zeros({3, 3});
  Tensor diag = base.as_strided({3}, {4}, 0);
  diag.fill_(1);
  CHECK(base.to_vec<float>() == Tensor::eye(3).to_vec<float>());
  base.select(0, 2).copy_(Tensor::from_vec(std::vector<float>{7, 8, 9}));
  CHECK(base.to_vec<float>()[6] == 7);
}

TEST_CASE("view vs reshape: view refuses what needs a copy, reshape copies only then") {
  const Tensor a = Tensor::arange(0, 12, 1, DType::Float32).reshape({3, 4});
  CHECK(a.view({4, 3}).shares_storage_with(a));
  CHECK(a.view({-1}).shape() == Shape{12});
  CHECK(a.view({2, -1, 2}).shape() == Shape{2, 3, 2});
  const Tensor t = a.t();
  CHECK_THROWS_WITH_AS(t.view({12}), doctest::Contains("view size is not compatible"), Error);
  const Tensor r = t.reshape({12});
  CHECK_FALSE(r.shares_storage_with(a));
  CHECK(r.to_vec<float>() == std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  // a transposed view that is still expressible: splitting a dim of t
  CHECK(t.view({2, 2, 3}).shares_storage_with(a));
  CHECK(a.slice(1, 0, 4, 2).reshape({6}).to_vec<float>() == std::vector<float>{0, 2, 4, 6, 8, 10});
  CHECK_THROWS_WITH_AS(a.view({5, -1}), "shape '[5, -1]' is invalid for input of size 12", Error);
  CHECK_THROWS_WITH_AS(a.view({-1, -1}), "only one dimension can be inferred", Error);
  // empty and 0-d
  CHECK(Tensor::zeros({0, 3}).reshape({3, 0, 5}).numel() == 0);
  CHECK(Tensor::scalar_tensor(3.0).reshape({1, 1}).shape() == Shape{1, 1});
}

TEST_CASE("item, to_vec and conversions") {
  CHECK(Tensor::scalar_tensor(int64_t{5}).item().to_int() == 5);
  CHECK(Tensor::ones({1, 1}).item().to_double() == 1.0);
  CHECK_THROWS_WITH_AS(Tensor::ones({2}).item(), "a Tensor with 2 elements cannot be converted to Scalar", Error);
  const Tensor f = Tensor::from_vec(std::vector<double>{1.5, -2.5});
  CHECK(f.to(DType::Float32).dtype() == DType::Float32);
  CHECK(f.to(DType::Int64).to_vec<int64_t>() == std::vector<int64_t>{1, -2});
  CHECK(f.to(DType::Float64).shares_storage_with(f));
  CHECK_FALSE(f.clone().shares_storage_with(f));
  CHECK(f.to_vec<float>() == std::vector<float>{1.5f, -2.5f});
  CHECK(Tensor::from_vec(std::vector<bool>{true, false}).to_vec<int32_t>() == std::vector<int32_t>{1, 0});
  CHECK_THROWS_AS(f.data<float>(), TypeError);
}

TEST_CASE("repr follows torch's formatting") {
  // Each expected string is what torch 2.13 prints for the same tensor.
  CHECK(Tensor::zeros({2, 3}).to_string() == "tensor([[0., 0., 0.],\n        [0., 0., 0.]])");
  CHECK(Tensor::arange(3).to_string() == "tensor([0, 1, 2])");
  CHECK(Tensor::arange(0, 3, 1, DType::Int32).to_string() == "tensor([0, 1, 2], dtype=torch.int32)");
  CHECK(Tensor::from_vec(std::vector<float>{1.5f, -2.25f}).to_string() == "tensor([ 1.5000, -2.2500])");
  CHECK(Tensor::from_vec(std::vector<bool>{true, false}).to_string() == "tensor([ True, False])");
  CHECK(Tensor::scalar_tensor(3.0).to_string() == "tensor(3.)");
  CHECK(Tensor::zeros({0}).to_string() == "tensor([])");
  CHECK(Tensor::zeros({0, 3}).to_string() == "tensor([], size=(0, 3))");
  CHECK(Tensor::from_vec(std::vector<double>{1e-5, 1.0}).to_string() == "tensor([1.0000e-05, 1.0000e+00], dtype=torch.float64)");
  CHECK(Tensor::arange(2000).to_string() == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
  CHECK(Tensor::from_vec(std::vector<float>{std::nanf(""), 1.0f, -INFINITY}).to_string() == "tensor([nan, 1., -inf])");
}
