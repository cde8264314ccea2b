// Type promotion and broadcasting against tables computed by torch
// (tools/gen_torch_tables.py writes tests/data/*.txt).
#include <fstream>
#include <sstream>

#include "test_support.h"

using namespace rusttorch;

namespace {

DType parse_dtype(const std::string& s) {
  if (s == "bool") return DType::Bool;
  if (s == "int32") return DType::Int32;
  if (s == "int64") return DType::Int64;
  if (s == "float32") return DType::Float32;
  if (s == "float64") return DType::Float64;
  FAIL("unknown dtype " << s);
  return DType::Bool;
}

Operand make_operand(const std::string& kind, const std::string& dtype) {
  if (kind == "scalar") {
    if (dtype == "bool") return Operand(Scalar(true));
    if (dtype == "int64") return Operand(Scalar(int64_t{3}));
    return Operand(Scalar(2.5));
  }
  const Shape shape = kind == "zerodim" ? Shape{} : Shape{2};
  return Operand(Tensor::ones(shape, parse_dtype(dtype)));
}

Shape parse_shape(const std::string& s) {
  std::istringstream in(s);
  Shape out;
  int64_t d;
  while (in >> d) out.push_back(d);
  return out;
}

std::ifstream open_table(const char* name) {
  std::ifstream f(std::string(RT_TEST_DATA_DIR) + "/" + name);
  REQUIRE(f.good());
  return f;
}

}  // namespace

TEST_CASE("result_type matches torch.result_type for every operand kind and dtype pair") {
  std::ifstream f = open_table("promotion.txt");
  std::string line;
  int rows = 0;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string ka, da, kb, db, want;
    in >> ka >> da >> kb >> db >> want;
    INFO(line);
    const Operand a = make_operand(ka, da), b = make_operand(kb, db);
    CHECK(std::string(dtype_name(result_type(a, b))) == want);
    // The ops use it: add's result dtype is the promoted one (sub on bools is an error, as torch).
    const DType got = add(a, b).dtype();
    CHECK(std::string(dtype_name(got)) == want);
    ++rows;
  }
  CHECK(rows > 100);
}

TEST_CASE("broadcast_shapes matches torch.broadcast_shapes, errors included") {
  std::ifstream f = open_table("broadcast.txt");
  std::string line;
  int rows = 0, errors = 0;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto p1 = line.find('|'), p2 = line.find('|', p1 + 1);
    const Shape a = parse_shape(line.substr(0, p1)), b = parse_shape(line.substr(p1 + 1, p2 - p1 - 1));
    const std::string want = line.substr(p2 + 1);
    INFO(line);
    if (want.find("error") != std::string::npos) {
      CHECK_THROWS_AS(broadcast_shapes(a, b), Error);
      // and the op itself refuses, with torch's message shape
      CHECK_THROWS_WITH_AS(add(Tensor::zeros(a), Tensor::zeros(b)), doctest::Contains("must match the size of tensor b"), Error);
      ++errors;
    } else {
      const Shape r = broadcast_shapes(a, b);
      CHECK(r == parse_shape(want));
      const Tensor s = add(Tensor::rand(a), Tensor::rand(b));
      CHECK(s.shape() == r);
    }
    ++rows;
  }
  CHECK(rows == 400);
  CHECK(errors > 20);
}

TEST_CASE("broadcast values: each output element reads the right input element") {
  rt_test::for_each_isa([](const std::string&) {
    // a: [3, 1, 4], b: [5, 1] -> [3, 5, 4]; check against explicit indexing.
    const Tensor a = Tensor::randn({3, 1, 4}), b = Tensor::randn({5, 1});
    const Tensor c = add(a, b);
    REQUIRE(c.shape() == Shape{3, 5, 4});
    const auto av = a.to_vec<float>(), bv = b.to_vec<float>(), cv = c.to_vec<float>();
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j)
        for (int k = 0; k < 4; ++k) CHECK(cv[(i * 5 + j) * 4 + k] == av[i * 4 + k] + bv[j]);
  });
}
