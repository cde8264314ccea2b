// Bad input gets a clear exception with torch's message and type, never a
// crash: shapes, dtypes, dims, sizes, integer division by zero.
#include "test_support.h"

using namespace rusttorch;

TEST_CASE("shape mismatches") {
  CHECK_THROWS_WITH_AS(add(Tensor::zeros({2, 3}), Tensor::zeros({4})),
                       "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1", Error);
  Tensor a = Tensor::zeros({3});
  CHECK_THROWS_WITH_AS(add_(a, Tensor::zeros({2, 3})), "output with shape [3] doesn't match the broadcast shape [2, 3]", Error);
  CHECK_THROWS_WITH_AS(Tensor::zeros({2, 3}).expand({2, 4}), doctest::Contains("The expanded size of the tensor (4) must match the existing size (3)"), Error);
  CHECK_THROWS_WITH_AS(Tensor::zeros({6}).view({4, 2}), "shape '[4, 2]' is invalid for input of size 6", Error);
  CHECK_THROWS_WITH_AS(Tensor::from_vec(std::vector<float>{1, 2, 3}, {2, 2}), "shape [2, 2] is invalid for input of size 3", Error);
  Tensor e = Tensor::zeros({1}).expand({4});
  CHECK_THROWS_WITH_AS(add_(e, 1), doctest::Contains("more than one element of the written-to tensor"), Error);
}

TEST_CASE("dtype errors") {
  const Tensor f = Tensor::ones({3}), i = Tensor::ones({3}, DType::Int64), b = Tensor::ones({3}, DType::Bool);
  CHECK_THROWS_WITH_AS(bitwise_and(f, f), "\"bitwise_and_cpu\" not implemented for 'Float'", TypeError);
  CHECK_THROWS_WITH_AS(bitwise_not(f), "\"bitwise_not_cpu\" not implemented for 'Float'", TypeError);
  CHECK_THROWS_WITH_AS(abs(b), "\"abs_cpu\" not implemented for 'Bool'", TypeError);
  CHECK_THROWS_WITH_AS(sub(b, b), doctest::Contains("Subtraction, the `-` operator, with two bool tensors is not supported"), Error);
  CHECK_THROWS_WITH_AS(neg(b), doctest::Contains("Negation, the `-` operator, on a bool tensor is not supported"), Error);
  CHECK_THROWS_WITH_AS(add(i, i, 1.5), "For integral input tensors, argument alpha must not be a floating point number.", Error);
  CHECK_THROWS_WITH_AS(pow(i, -1), "Integers to negative integer powers are not allowed.", Error);
  CHECK_THROWS_WITH_AS(Tensor::rand({2}, DType::Int64), doctest::Contains("not implemented for 'Long'"), Error);
  CHECK_THROWS_WITH_AS(clamp(f, std::nullopt, std::nullopt), doctest::Contains("At least one of 'min' or 'max'"), Error);
}

TEST_CASE("integer division by zero raises instead of SIGFPE") {
  const Tensor i = Tensor::arange(5);
  CHECK_THROWS_WITH_AS(floor_divide(i, 0), "ZeroDivisionError", Error);
  CHECK_THROWS_WITH_AS(remainder(i, Tensor::zeros({5}, DType::Int64)), "ZeroDivisionError", Error);
  CHECK_THROWS_WITH_AS(div(i.to(DType::Int32), 0, RoundingMode::Floor), "ZeroDivisionError", Error);
  // true division of integers is float division: inf, no error
  CHECK(div(i, 0).to_vec<float>()[1] == INFINITY);
}

TEST_CASE("dims and indices out of range raise IndexError") {
  const Tensor a = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH_AS(a.transpose(0, 2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)", IndexError);
  CHECK_THROWS_AS(a.select(1, 3), IndexError);
  CHECK_THROWS_WITH_AS(a.select(0, -3), "index -3 is out of bounds for dimension 0 with size 2", IndexError);
  CHECK_THROWS_AS(a.unsqueeze(4), IndexError);
  CHECK_THROWS_AS(a.size(-3), IndexError);
  CHECK_THROWS_AS(a.permute({0, 0}), Error);
  CHECK_THROWS_AS(a.slice(1, 0, 2, 0), ValueError);
  CHECK_THROWS_AS(Tensor::scalar_tensor(1.0).select(0, 0), IndexError);
}

TEST_CASE("sizes: negative, overflowing and unallocatable") {
  CHECK_THROWS_WITH_AS(Tensor::zeros({-1}), doctest::Contains("negative dimension -1"), Error);
  CHECK_THROWS_WITH_AS(Tensor::zeros({int64_t{1} << 40, int64_t{1} << 40}), doctest::Contains("overflow"), Error);
  CHECK_THROWS_WITH_AS(Tensor::empty({int64_t{1} << 61}, DType::Float64), doctest::Contains("overflow"), Error);
  CHECK_THROWS_WITH_AS(Tensor::empty({int64_t{1} << 46}), doctest::Contains("not enough memory"), Error);
  CHECK_THROWS_AS(Tensor::arange(0, 1, 0), Error);
  CHECK_THROWS_AS(Tensor::arange(0, 10, -1), Error);
  CHECK_THROWS_AS(Tensor::linspace(0, 1, -2), Error);
  CHECK_THROWS_AS(Tensor::eye(-1), Error);
  CHECK_THROWS_AS(Tensor::randint(5, 5, {3}), Error);
}

TEST_CASE("empty and 0-d tensors go through every op") {
  const Tensor e = Tensor::zeros({0, 3}), s = Tensor::scalar_tensor(2.0);
  CHECK(add(e, 1).shape() == Shape{0, 3});
  CHECK(exp(e).numel() == 0);
  CHECK(add(e, Tensor::ones({3})).shape() == Shape{0, 3});
  CHECK(mul(s, s).ndim() == 0);
  CHECK(mul(s, s).item().to_double() == 4.0);
  CHECK(where(gt(e, 0), e, 1.0).shape() == Shape{0, 3});
  CHECK(floor_divide(Tensor::zeros({0}, DType::Int64), 0).numel() == 0);  // nothing divided, nothing raised
}

TEST_CASE("undefined tensors are refused") {
  const Tensor u;
  CHECK_FALSE(u.defined());
  CHECK_THROWS_AS(add(u, 1), Error);
  CHECK_THROWS_AS(u.view({1}), Error);
  CHECK_THROWS_AS(u.item(), Error);
  CHECK(u.to_string() == "tensor(<undefined>)");
}

TEST_CASE("fill values must fit the dtype; op operands wrap (as torch)") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS(Tensor::full({2}, inf, DType::Int64), "value cannot be converted to type int64_t without overflow", Error);
  CHECK_THROWS_WITH_AS(Tensor::full({2}, nan, DType::Int32), "value cannot be converted to type int without overflow", Error);
  CHECK_THROWS_WITH_AS(Tensor::full({2}, int64_t{1} << 40, DType::Int32), "value cannot be converted to type int without overflow", Error);
  CHECK_THROWS_WITH_AS(Tensor::zeros({2}).fill_(1e300), "value cannot be converted to type float without overflow", Error);
  CHECK(std::isinf(Tensor::full({1}, inf, DType::Float32).item().to_double()));
  CHECK(Tensor::full({1}, -2147483648.0, DType::Int32).item().to_int() == INT32_MIN);
  CHECK(Tensor::full({1}, 3.9, DType::Int32).item().to_int() == 3);
  CHECK(add(Tensor::ones({1}, DType::Int32), int64_t{1} << 40).item().to_int() == 1);  // 2^40 wraps to 0 in int32
}

TEST_CASE("out= of another dtype: cast for float functions, refused for abs/neg/sign/clamp/bitwise_not") {
  Tensor d = Tensor::empty({3}, DType::Float64);
  CHECK_THROWS_WITH_AS(abs_out(d, Tensor::ones({3})), "Found dtype Double but expected Float", Error);
  CHECK_THROWS_WITH_AS(neg_out(d, Tensor::ones({3})), "Found dtype Double but expected Float", Error);
  CHECK_THROWS_WITH_AS(clamp_out(d, Tensor::ones({3}), Operand(0.0), Operand(1.0)), "Found dtype Double but expected Float", Error);
  exp_out(d, Tensor::zeros({3}));
  CHECK(d.dtype() == DType::Float64);
  CHECK(d.select(0, 2).item().to_double() == 1.0);
}

TEST_CASE("a float64 sum of float32 adds in float64") {
  std::vector<float> v(16, 0.1f);
  v[0] = 1e8f;
  const Tensor x = Tensor::from_vec(v, {16});
  long double exact = 0;  // 64-bit mantissa: exact for these 16 terms
  for (float f : v) exact += static_cast<long double>(f);
  // A sum in double is within a few 1e-8 of it; one in float first was 0.1 off.
  CHECK(std::fabs(static_cast<long double>(sum(x, std::nullopt, false, DType::Float64).item().to_double()) - exact) <= 5e-8L);
  CHECK(std::fabs(static_cast<long double>(mean(x, std::nullopt, false, DType::Float64).item().to_double()) - exact / 16) <= 5e-9L);
}
