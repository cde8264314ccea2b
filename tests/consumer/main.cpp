// A user's program: built only from the installed headers and rusttorch.pc.
#include <rusttorch/rusttorch.h>

#include <cstdio>

int main() {
  using namespace rusttorch;
  const Tensor a = Tensor::ones({2, 3}, DType::Float32);
  const Tensor b = Tensor::from_vec(std::vector<float>{1, 2, 3}, {3});
  const Tensor c = mul_scalar(add(a, b), 2.0);
  const std::vector<float> v = c.to_vec<float>();
  const std::vector<float> want = {4, 6, 8, 4, 6, 8};
  std::printf("%s on %s\n", c.to_string().c_str(), get_cpu_capability().c_str());
  return v == want ? 0 : 1;
}
