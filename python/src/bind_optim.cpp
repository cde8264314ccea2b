// The fused optimizer steps (rusttorch/optim.h) for rusttorch.optim:
// _C._fused_sgd_, _fused_adam_, _fused_rmsprop_, _fused_adagrad_. Lists of
// tensors per parameter, hyperparameters keyword-only; the step runs without
// the GIL when worth it (gil.h), over owned handles of the tensors.
#include <rusttorch/optim.h>

#include "casters.h"

namespace rtpy {
namespace {

namespace ro = rusttorch::optim;
using Tensors = std::vector<Tensor>;

// Elements the step reads or writes, for the GIL policy.
int64_t elements(std::initializer_list<const Tensors*> lists) {
  int64_t n = 0;
  for (const Tensors* l : lists)
    for (const Tensor& t : *l) n += t.defined() ? t.numel() : 0;
  return n;
}

// The tensor-list arguments of `fn`, in order (their positions name them in errors).
struct Lists {
  const char* fn;
  int position = 0;
  Tensors operator()(py::handle seq, const char* arg) { return tensor_list(seq, fn, arg, ++position); }
};

template <class F>
void run(std::initializer_list<const Tensors*> lists, F&& f) {
  without_gil(Cost::Memory, elements(lists), std::forward<F>(f));
}

}  // namespace

void bind_optim(py::module_& m) {
  m.def(
      "_fused_sgd_",
      [](py::handle params, py::handle grads, py::handle bufs, std::vector<bool> first_step, double lr,
         double momentum, double dampening, bool nesterov, double weight_decay, bool maximize) {
        Lists arg{"_fused_sgd_"};
        const Tensors p = arg(params, "params"), g = arg(grads, "grads"), b = arg(bufs, "momentum_buffers");
        const ro::SgdOptions o{lr, momentum, dampening, weight_decay, nesterov, maximize};
        run({&p, &g, &b}, [&] { ro::fused_sgd_(p, g, b, first_step, o); });
      },
      py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("first_step"), py::kw_only(),
      py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("nesterov"), py::arg("weight_decay"),
      py::arg("maximize"),
      "SGD step in place over all params (torch's single-tensor formulas); first_step[i]: the momentum buffer "
      "becomes the gradient.");

  m.def(
      "_fused_adam_",
      [](py::handle params, py::handle grads, py::handle exp_avgs, py::handle exp_avg_sqs, py::handle max_exp_avg_sqs,
         std::vector<double> steps, double lr, double beta1, double beta2, double weight_decay, double eps,
         bool amsgrad, bool maximize, bool decoupled_weight_decay) {
        Lists arg{"_fused_adam_"};
        const Tensors p = arg(params, "params"), g = arg(grads, "grads"), m1 = arg(exp_avgs, "exp_avgs"),
                      m2 = arg(exp_avg_sqs, "exp_avg_sqs"), mx = arg(max_exp_avg_sqs, "max_exp_avg_sqs");
        const ro::AdamOptions o{lr, beta1, beta2, weight_decay, eps, amsgrad, maximize, decoupled_weight_decay};
        run({&p, &g, &m1, &m2, &mx}, [&] { ro::fused_adam_(p, g, m1, m2, mx, steps, o); });
      },
      py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"), py::arg("max_exp_avg_sqs"),
      py::arg("steps"), py::kw_only(), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("weight_decay"),
      py::arg("eps"), py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled_weight_decay"),
      "Adam (AdamW with decoupled_weight_decay) step in place over all params; steps[i]: param i's step number "
      "after the increment.");

  m.def(
      "_fused_rmsprop_",
      [](py::handle params, py::handle grads, py::handle square_avgs, py::handle grad_avgs, py::handle bufs,
         double lr, double alpha, double eps, double weight_decay, double momentum, bool centered, bool maximize) {
        Lists arg{"_fused_rmsprop_"};
        const Tensors p = arg(params, "params"), g = arg(grads, "grads"), sq = arg(square_avgs, "square_avgs"),
                      ga = arg(grad_avgs, "grad_avgs"), b = arg(bufs, "momentum_buffers");
        const ro::RmspropOptions o{lr, alpha, eps, weight_decay, momentum, centered, maximize};
        run({&p, &g, &sq, &ga, &b}, [&] { ro::fused_rmsprop_(p, g, sq, ga, b, o); });
      },
      py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("grad_avgs"), py::arg("momentum_buffers"),
      py::kw_only(), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"),
      py::arg("centered"), py::arg("maximize"), "RMSprop step in place over all params.");

  m.def(
      "_fused_adagrad_",
      [](py::handle params, py::handle grads, py::handle state_sums, std::vector<double> steps, double lr,
         double lr_decay, double weight_decay, double eps, bool maximize) {
        Lists arg{"_fused_adagrad_"};
        const Tensors p = arg(params, "params"), g = arg(grads, "grads"), s = arg(state_sums, "state_sums");
        const ro::AdagradOptions o{lr, lr_decay, weight_decay, eps, maximize};
        run({&p, &g, &s}, [&] { ro::fused_adagrad_(p, g, s, steps, o); });
      },
      py::arg("params"), py::arg("grads"), py::arg("state_sums"), py::arg("steps"), py::kw_only(), py::arg("lr"),
      py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"),
      "Adagrad step in place over all params; steps[i]: param i's step number after the increment.");
}

}  // namespace rtpy
