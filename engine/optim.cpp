// Fused optimizer steps (rusttorch/optim.h): validation, the per-tensor
// scalars in double (as torch computes them), then one parallel loop over
// fixed-size chunks of all parameters' elements laid end to end, each piece
// handed to the active ISA's kernel (kernels/optim_abi.h). The update is
// elementwise and the kernels are position-independent, so the result is the
// same for any thread count.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "dispatch.h"
#include "op_util.h"
#include "parallel.h"
#include "rusttorch/optim.h"

namespace rusttorch::optim {
namespace {

namespace k = kernels;

// Elements per work item: a chunk may hold the tail of one parameter and
// several small ones, so small tensors share one task instead of each
// paying for a fork and join.
constexpr int64_t kChunk = 16384;

// One parameter's tensors: the param, its grad, then the option's states in
// the order of the kernel's arguments (null when unused).
struct Group {
  std::array<void*, 5> ptr{};
  int64_t n = 0;
  DType dtype = DType::Float32;
};

struct StateList {
  const char* name;
  const std::vector<Tensor>* tensors;
  bool used;
  const char* unused_when;  // "when momentum == 0"
};

std::string item(const char* list, std::size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

struct Bytes {
  const char* lo;
  const char* hi;
};
Bytes bytes_of(const Tensor& t) {
  const char* p = static_cast<const char*>(t.data_ptr());
  return {p, p + t.numel() * static_cast<int64_t>(t.itemsize())};
}

void check_length(const char* op, const char* name, std::size_t params, std::size_t size) {
  if (size != params)
    throw Error(std::string(op) + ": params and " + name + " must have the same length, got " +
                std::to_string(params) + " and " + std::to_string(size));
}

// Checks the lists, bumps the version of every tensor the step writes, and
// returns one Group per parameter. Nothing is bumped when a check fails.
// (Error messages are built only on failure: this runs per tensor per step.)
std::vector<Group> prepare(const char* op, const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                           std::initializer_list<StateList> states) {
  const std::string pre = std::string(op) + ": ";
  check_length(op, "grads", params.size(), grads.size());
  for (const StateList& s : states) {
    if (s.used) check_length(op, s.name, params.size(), s.tensors->size());
    else if (!s.tensors->empty())
      throw Error(pre + "expected no " + s.name + " " + s.unused_when + ", got " +
                  std::to_string(s.tensors->size()) + " tensors");
  }

  std::vector<Group> groups(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    if (!p.defined()) throw Error(pre + item("params", i) + " is undefined");
    if (!is_floating(p.dtype())) detail::not_implemented(op, p.dtype());
    if (!p.is_contiguous()) throw Error(pre + item("params", i) + " must be contiguous");
    Group& g = groups[i];
    g.n = p.numel();
    g.dtype = p.dtype();
    // (list name, tensor) of the group, param first.
    std::array<std::pair<const char*, const Tensor*>, 5> members{};
    int count = 0;
    members[count++] = {"params", &p};
    const auto add = [&](const char* name, const Tensor& t) {
      const auto what = [&] { return pre + item(name, i); };
      if (!t.defined()) throw Error(what() + " is undefined");
      if (t.dtype() != p.dtype())
        throw Error(what() + " has dtype " + detail::torch_type_name(t.dtype()) + " but " + item("params", i) +
                    " has dtype " + detail::torch_type_name(p.dtype()));
      if (t.shape() != p.shape())
        throw Error(what() + " has shape " + shape_str(t.shape()) + " but " + item("params", i) + " has shape " +
                    shape_str(p.shape()));
      if (!t.is_contiguous()) throw Error(what() + " must be contiguous");
      members[count++] = {name, &t};
    };
    add("grads", grads[i]);
    int slot = 2;
    for (const StateList& s : states) {
      if (s.used) {
        add(s.name, (*s.tensors)[i]);
        g.ptr[slot] = (*s.tensors)[i].data_ptr();
      }
      ++slot;
    }
    g.ptr[0] = p.data_ptr();
    g.ptr[1] = grads[i].data_ptr();
    // Each element is read and written once by one kernel call: tensors of
    // one parameter that share memory would see each other's writes.
    if (g.n == 0) continue;
    for (int a = 0; a < count; ++a)
      for (int b = a + 1; b < count; ++b) {
        const Bytes x = bytes_of(*members[a].second), y = bytes_of(*members[b].second);
        if (x.lo < y.hi && y.lo < x.hi)
          throw Error(pre + item(members[a].first, i) + " and " + item(members[b].first, i) +
                      " share memory: the step reads and writes both in place (clone() one of them)");
      }
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    params[i].bump_version();
    for (const StateList& s : states)
      if (s.used) (*s.tensors)[i].bump_version();
  }
  return groups;
}

// run(i, begin, end) for each parameter i and range of its elements, over
// all parameters in one parallel loop.
template <class F>
void for_each_piece(const std::vector<Group>& groups, const F& run) {
  std::vector<int64_t> start(groups.size() + 1, 0);
  for (std::size_t i = 0; i < groups.size(); ++i) start[i + 1] = start[i] + groups[i].n;
  detail::parallel_chunks(start.back(), kChunk, [&](int64_t b, int64_t e) {
    // The last parameter starting at or before b.
    std::size_t i = static_cast<std::size_t>(std::upper_bound(start.begin(), start.end(), b) - start.begin()) - 1;
    for (; i < groups.size() && start[i] < e; ++i) {
      const int64_t lo = std::max(b, start[i]) - start[i], hi = std::min(e, start[i + 1]) - start[i];
      if (lo < hi) run(i, lo, hi);
    }
  });
}

// Pointer k of a group at element `at`, as T (null stays null).
template <class T>
T* at(const Group& g, int k, int64_t at) {
  return g.ptr[k] ? static_cast<T*>(g.ptr[k]) + at : nullptr;
}

// Calls f(T{}) with T the group's element type (float or double).
template <class F>
void with_type(const Group& g, const F& f) {
  if (g.dtype == DType::Float32) f(float{});
  else f(double{});
}

template <class T>
T sign_of(bool maximize) {
  return maximize ? T(-1) : T(1);
}

// The kernel of element type T.
template <class T, class F32, class F64>
auto pick(F32 f32, F64 f64) {
  if constexpr (std::is_same_v<T, float>) return f32;
  else return f64;
}

}  // namespace

void fused_sgd_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& momentum_buffers, const std::vector<bool>& first_step,
                const SgdOptions& o) {
  const char* op = "_fused_sgd_";
  const bool momentum = o.momentum != 0;
  if (momentum || !first_step.empty()) check_length(op, "first_step", params.size(), first_step.size());
  const auto groups =
      prepare(op, params, grads, {{"momentum_buffers", &momentum_buffers, momentum, "when momentum == 0"}});
  const k::OptimKernels& kt = detail::active_kernels().optim;
  for_each_piece(groups, [&](std::size_t i, int64_t lo, int64_t hi) {
    const Group& g = groups[i];
    with_type(g, [&](auto zero) {
      using T = decltype(zero);
      int flags = o.weight_decay != 0 ? k::kOptWeightDecay : 0;
      if (momentum)
        flags |= k::kOptMomentum | (first_step[i] ? k::kOptFirstStep : 0) | (o.nesterov ? k::kOptNesterov : 0);
      const k::SgdScalars<T> s{sign_of<T>(o.maximize), T(o.weight_decay), T(o.momentum), T(1 - o.dampening),
                               T(-o.lr), flags};
      pick<T>(kt.sgd_f32, kt.sgd_f64)(at<T>(g, 0, lo), at<T>(g, 1, lo), at<T>(g, 2, lo), hi - lo, s);
    });
  });
}

void fused_adam_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<double>& steps,
                 const AdamOptions& o) {
  const char* op = "_fused_adam_";
  check_length(op, "steps", params.size(), steps.size());
  const auto groups = prepare(op, params, grads,
                              {{"exp_avgs", &exp_avgs, true, ""},
                               {"exp_avg_sqs", &exp_avg_sqs, true, ""},
                               {"max_exp_avg_sqs", &max_exp_avg_sqs, o.amsgrad, "without amsgrad"}});
  const bool l2 = o.weight_decay != 0 && !o.decoupled_weight_decay;
  const double decay = o.weight_decay != 0 && o.decoupled_weight_decay ? 1 - o.lr * o.weight_decay : 1.0;
  const int flags = (l2 ? k::kOptWeightDecay : 0) | (o.amsgrad ? k::kOptAmsgrad : 0);
  const k::OptimKernels& kt = detail::active_kernels().optim;
  for_each_piece(groups, [&](std::size_t i, int64_t lo, int64_t hi) {
    const Group& g = groups[i];
    // torch's non-capturable branch, in Python floats.
    const double bias_correction1 = 1 - std::pow(o.beta1, steps[i]);
    const double bias_correction2 = 1 - std::pow(o.beta2, steps[i]);
    const double step_size = o.lr / bias_correction1;
    const double bias_correction2_sqrt = std::pow(bias_correction2, 0.5);
    with_type(g, [&](auto zero) {
      using T = decltype(zero);
      const k::AdamScalars<T> s{sign_of<T>(o.maximize), T(o.weight_decay), T(decay), T(1 - o.beta1), T(o.beta2),
                                T(1 - o.beta2), T(-step_size), T(1 / bias_correction2_sqrt), T(o.eps), flags};
      pick<T>(kt.adam_f32, kt.adam_f64)(at<T>(g, 0, lo), at<T>(g, 1, lo), at<T>(g, 2, lo), at<T>(g, 3, lo),
                                        at<T>(g, 4, lo), hi - lo, s);
    });
  });
}

void fused_rmsprop_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                    const std::vector<Tensor>& momentum_buffers, const RmspropOptions& o) {
  const bool momentum = o.momentum > 0;
  const auto groups = prepare("_fused_rmsprop_", params, grads,
                              {{"square_avgs", &square_avgs, true, ""},
                               {"grad_avgs", &grad_avgs, o.centered, "when not centered"},
                               {"momentum_buffers", &momentum_buffers, momentum, "when momentum == 0"}});
  const int flags = (o.weight_decay != 0 ? k::kOptWeightDecay : 0) | (o.centered ? k::kOptCentered : 0) |
                    (momentum ? k::kOptMomentum : 0);
  const k::OptimKernels& kt = detail::active_kernels().optim;
  for_each_piece(groups, [&](std::size_t i, int64_t lo, int64_t hi) {
    const Group& g = groups[i];
    with_type(g, [&](auto zero) {
      using T = decltype(zero);
      const k::RmspropScalars<T> s{sign_of<T>(o.maximize), T(o.weight_decay), T(o.alpha), T(1 - o.alpha),
                                   T(o.eps), T(o.momentum), T(-o.lr), flags};
      pick<T>(kt.rmsprop_f32, kt.rmsprop_f64)(at<T>(g, 0, lo), at<T>(g, 1, lo), at<T>(g, 2, lo), at<T>(g, 3, lo),
                                              at<T>(g, 4, lo), hi - lo, s);
    });
  });
}

void fused_adagrad_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& state_sums, const std::vector<double>& steps,
                    const AdagradOptions& o) {
  const char* op = "_fused_adagrad_";
  check_length(op, "steps", params.size(), steps.size());
  const auto groups = prepare(op, params, grads, {{"state_sums", &state_sums, true, ""}});
  const int flags = o.weight_decay != 0 ? k::kOptWeightDecay : 0;
  const k::OptimKernels& kt = detail::active_kernels().optim;
  for_each_piece(groups, [&](std::size_t i, int64_t lo, int64_t hi) {
    const Group& g = groups[i];
    const double clr = o.lr / (1 + (steps[i] - 1) * o.lr_decay);
    with_type(g, [&](auto zero) {
      using T = decltype(zero);
      const k::AdagradScalars<T> s{sign_of<T>(o.maximize), T(o.weight_decay), T(o.eps), T(-clr), flags};
      pick<T>(kt.adagrad_f32, kt.adagrad_f64)(at<T>(g, 0, lo), at<T>(g, 1, lo), at<T>(g, 2, lo), hi - lo, s);
    });
  });
}

}  // namespace rusttorch::optim
