// Trains y = w x + b by hand with autograd: the forward pass records, backward()
// fills w.grad() and b.grad(), the update runs under NoGradGuard.
//   build-ci/examples/linear_regression
#include <cstdio>

#include <rusttorch/rusttorch.h>

using namespace rusttorch;

int main() {
  Generator gen(0);
  const Tensor x = Tensor::randn({256, 1}, DType::Float32, &gen);
  const Tensor noise = mul(Tensor::randn({256, 1}, DType::Float32, &gen), 0.01);
  const Tensor y = add(add(mul(x, 3.0), 2.0), noise);  // the line to find: w = 3, b = 2

  Tensor w = Tensor::zeros({1, 1}).requires_grad_();
  Tensor b = Tensor::zeros({1}).requires_grad_();
  const double lr = 0.1;
  double loss_value = 0;
  for (int step = 0; step < 200; ++step) {
    const Tensor pred = linear(x, w, b);
    const Tensor diff = sub(pred, y);
    const Tensor loss = mean(mul(diff, diff), std::nullopt);
    w.set_grad(Tensor());
    b.set_grad(Tensor());
    loss.backward();
    {
      NoGradGuard no_grad;
      sub_(w, mul(w.grad(), lr));
      sub_(b, mul(b.grad(), lr));
    }
    loss_value = loss.item().to_double();
    if (step % 50 == 0) std::printf("step %3d  loss %.6f\n", step, loss_value);
  }
  const double wf = w.item().to_double(), bf = b.item().to_double();
  std::printf("w = %.4f, b = %.4f, loss = %.6f\n", wf, bf, loss_value);
  // The fit must find the line (the noise is 0.01): a failing run is a failing test.
  return (std::abs(wf - 3.0) < 0.01 && std::abs(bf - 2.0) < 0.01 && loss_value < 1e-3) ? 0 : 1;
}
