// The fused optimizer kernels (kernels/optim_abi.h) of every ISA this CPU has
// against the scalar build's, through the kernel tables: every option
// combination, float32 and float64, lengths around every vector width. ISAs
// without FMA (sse42) compute the same roundings as the scalar build and must
// give the same bits; ISAs with FMA within a few units of roundoff. Each
// ISA's result must not depend on where a run is split (the engine tiles the
// work by chunks). Then the engine entry points (rusttorch/optim.h) on a
// few cases: splitting across threads, mixed dtypes, version bumps, errors.
#include <functional>

#include "dispatch.h"
#include "test_support.h"

namespace k = rusttorch::kernels;
using namespace rusttorch;

namespace {

// Inputs of one kernel call: param, grad, then the optimizer's states.
template <class T>
struct Buffers {
  std::vector<std::vector<T>> v;
  T* ptr(std::size_t k, int64_t at) { return v[k].data() + at; }
};

struct Range {
  double lo, hi;
};

// A kernel call over [at, at + n) of every buffer.
template <class T>
using Call = std::function<void(const k::OptimKernels&, Buffers<T>&, int64_t at, int64_t n)>;

template <class T>
struct Case {
  std::string name;
  std::vector<Range> ranges;  // of param, grad, states (squares are non-negative)
  Call<T> call;
};

template <class T> k::SgdStepFn<T> sgd_of(const k::OptimKernels& t) {
  if constexpr (std::is_same_v<T, float>) return t.sgd_f32; else return t.sgd_f64;
}
template <class T> k::AdamStepFn<T> adam_of(const k::OptimKernels& t) {
  if constexpr (std::is_same_v<T, float>) return t.adam_f32; else return t.adam_f64;
}
template <class T> k::RmspropStepFn<T> rmsprop_of(const k::OptimKernels& t) {
  if constexpr (std::is_same_v<T, float>) return t.rmsprop_f32; else return t.rmsprop_f64;
}
template <class T> k::AdagradStepFn<T> adagrad_of(const k::OptimKernels& t) {
  if constexpr (std::is_same_v<T, float>) return t.adagrad_f32; else return t.adagrad_f64;
}

// Every option combination of the four optimizers.
template <class T>
std::vector<Case<T>> cases() {
  std::vector<Case<T>> out;
  const Range unit{-1, 1};
  for (int wd = 0; wd < 2; ++wd)
    for (int mom = 0; mom < 3; ++mom)
      for (int nesterov = 0; nesterov < 2; ++nesterov)
        for (int maximize = 0; maximize < 2; ++maximize) {
          int flags = wd ? k::kOptWeightDecay : 0;
          if (mom) flags |= k::kOptMomentum | (mom == 1 ? k::kOptFirstStep : 0) | (nesterov ? k::kOptNesterov : 0);
          const k::SgdScalars<T> s{T(maximize ? -1 : 1), T(0.01), T(0.9), T(0.75), T(-0.05), flags};
          out.push_back({"sgd flags=" + std::to_string(flags) + " maximize=" + std::to_string(maximize),
                         {unit, unit, unit},
                         [s](const k::OptimKernels& t, Buffers<T>& b, int64_t at, int64_t n) {
                           sgd_of<T>(t)(b.ptr(0, at), b.ptr(1, at), b.ptr(2, at), n, s);
                         }});
        }
  for (int wd = 0; wd < 3; ++wd)  // none, L2, decoupled
    for (int ams = 0; ams < 2; ++ams)
      for (int maximize = 0; maximize < 2; ++maximize) {
        const int flags = (wd == 1 ? k::kOptWeightDecay : 0) | (ams ? k::kOptAmsgrad : 0);
        const k::AdamScalars<T> s{T(maximize ? -1 : 1), T(0.01), T(wd == 2 ? 1 - 1e-3 * 0.01 : 1), T(0.1), T(0.999),
                                  T(0.001), T(-1e-3 / 0.271), T(1 / std::sqrt(0.003994)), T(1e-8), flags};
        out.push_back({"adam wd=" + std::to_string(wd) + " amsgrad=" + std::to_string(ams) +
                           " maximize=" + std::to_string(maximize),
                       {unit, unit, {-0.1, 0.1}, {0, 0.01}, {0, 0.01}},
                       [s](const k::OptimKernels& t, Buffers<T>& b, int64_t at, int64_t n) {
                         adam_of<T>(t)(b.ptr(0, at), b.ptr(1, at), b.ptr(2, at), b.ptr(3, at), b.ptr(4, at), n, s);
                       }});
      }
  for (int wd = 0; wd < 2; ++wd)
    for (int centered = 0; centered < 2; ++centered)
      for (int mom = 0; mom < 2; ++mom) {
        const int flags =
            (wd ? k::kOptWeightDecay : 0) | (centered ? k::kOptCentered : 0) | (mom ? k::kOptMomentum : 0);
        const k::RmspropScalars<T> s{T(-1), T(0.01), T(0.9), T(0.1), T(1e-8), T(0.5), T(-0.01), flags};
        out.push_back({"rmsprop flags=" + std::to_string(flags),
                       {unit, unit, {0.01, 0.02}, {-0.05, 0.05}, unit},
                       [s](const k::OptimKernels& t, Buffers<T>& b, int64_t at, int64_t n) {
                         rmsprop_of<T>(t)(b.ptr(0, at), b.ptr(1, at), b.ptr(2, at), b.ptr(3, at), b.ptr(4, at), n, s);
                       }});
      }
  for (int wd = 0; wd < 2; ++wd) {
    const k::AdagradScalars<T> s{T(1), T(0.01), T(1e-10), T(-0.01 / 1.5), wd ? k::kOptWeightDecay : 0};
    out.push_back({"adagrad wd=" + std::to_string(wd),
                   {unit, unit, {0, 1}},
                   [s](const k::OptimKernels& t, Buffers<T>& b, int64_t at, int64_t n) {
                     adagrad_of<T>(t)(b.ptr(0, at), b.ptr(1, at), b.ptr(2, at), n, s);
                   }});
  }
  return out;
}

template <class T>
Buffers<T> inputs(const Case<T>& c, int64_t n, uint64_t seed) {
  Buffers<T> b;
  for (std::size_t k = 0; k < c.ranges.size(); ++k)
    b.v.push_back(rt_test::random_vec<T>(n, seed + k, c.ranges[k].lo, c.ranges[k].hi));
  return b;
}

// |a - b| within a few roundings of values of order one.
template <class T>
bool close(T a, T b) {
  return std::fabs(a - b) <= 16 * std::numeric_limits<T>::epsilon() * (1 + std::fabs(b));
}

template <class T>
void check_against_scalar(const std::string& isa, const k::OptimKernels& kt, const k::OptimKernels& scalar,
                          bool bitwise) {
  const int64_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 1023, 1025};
  for (const Case<T>& c : cases<T>()) {
    INFO(isa << " " << (sizeof(T) == 4 ? "float32 " : "float64 ") << c.name);
    for (int64_t n : sizes) {
      INFO("n = " << n);
      Buffers<T> want = inputs(c, n, 1000 + static_cast<uint64_t>(n)), got = want, split = want;
      c.call(scalar, want, 0, n);
      c.call(kt, got, 0, n);
      // The same elements in two runs split at an odd place.
      const int64_t cut = n / 3 + 1 < n ? n / 3 + 1 : n;
      c.call(kt, split, 0, cut);
      if (cut < n) c.call(kt, split, cut, n - cut);
      for (std::size_t k = 0; k < want.v.size(); ++k) {
        INFO("buffer " << k);
        CHECK(rt_test::same_values(got.v[k], split.v[k]));
        int64_t bad = 0;
        for (int64_t i = 0; i < n; ++i) {
          const bool ok = bitwise ? rt_test::ulp_distance(got.v[k][i], want.v[k][i]) == 0
                                  : close(got.v[k][i], want.v[k][i]);
          if (!ok && bad++ < 3) MESSAGE("i=" << i << " got " << got.v[k][i] << " scalar " << want.v[k][i]);
        }
        CHECK(bad == 0);
      }
    }
  }
}

using rt_test::ThreadGuard;

}  // namespace

TEST_CASE("optimizer kernels of every ISA agree with the scalar build, and do not depend on the split") {
  rt_test::IsaGuard guard;
  set_cpu_capability("scalar");
  const k::OptimKernels& scalar = detail::active_kernels().optim;
  std::string ran;
  rt_test::for_each_isa([&](const std::string& isa) {
    const k::KernelTable& t = detail::active_kernels();
    const bool bitwise = t.primitives.has_fma == 0;  // scalar, sse42: the same two roundings
    check_against_scalar<float>(isa, t.optim, scalar, bitwise);
    check_against_scalar<double>(isa, t.optim, scalar, bitwise);
    ran += (ran.empty() ? "" : ", ") + isa + (bitwise ? " (bitwise)" : "");
  });
  MESSAGE("optimizer kernels checked on: " << ran);
}

TEST_CASE("fused_adam_ over many tensors: the same bits for 1, 2 and 7 threads, mixed dtypes, versions bumped") {
  ThreadGuard tg;
  const std::vector<int64_t> sizes = {0, 1, 17, 16383, 16385, 40000, 3, 70001};
  auto make = [&](uint64_t seed, double lo, double hi) {
    std::vector<Tensor> ts;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const int64_t n = sizes[i];
      Tensor t = i % 2 ? Tensor::from_vec(rt_test::random_vec<double>(n, seed + i, lo, hi), {n})
                       : Tensor::from_vec(rt_test::random_vec<float>(n, seed + i, lo, hi), {n});
      ts.push_back(t);
    }
    return ts;
  };
  std::vector<std::vector<Tensor>> results;
  for (int threads : {1, 2, 7}) {
    set_num_threads(threads);
    std::vector<Tensor> p = make(1, -1, 1), g = make(2, -1, 1), m = make(3, -0.1, 0.1), v = make(4, 0, 0.01),
                        vmax = make(5, 0, 0.01);
    const uint32_t before = p[2].version();
    std::vector<double> steps(sizes.size(), 3.0);
    optim::AdamOptions o;
    o.amsgrad = true;
    o.weight_decay = 0.1;
    optim::fused_adam_(p, g, m, v, vmax, steps, o);
    CHECK(p[2].version() == before + 1);
    CHECK(m[2].version() > 0);
    CHECK(g[2].version() == 0);
    results.push_back(p);
  }
  for (std::size_t r = 1; r < results.size(); ++r)
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      INFO("tensor " << i << " run " << r);
      if (i % 2) CHECK(rt_test::same_values(results[0][i].to_vec<double>(), results[r][i].to_vec<double>()));
      else CHECK(rt_test::same_values(results[0][i].to_vec<float>(), results[r][i].to_vec<float>()));
    }
}

TEST_CASE("fused optimizer steps reject mismatched lists and tensors, and change nothing when they do") {
  const Tensor p = Tensor::ones({4}), g = Tensor::ones({4});
  optim::SgdOptions o;
  o.momentum = 0.9;
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({p}, {g, g}, {Tensor::zeros({4})}, {true}, o),
                       "_fused_sgd_: params and grads must have the same length, got 1 and 2", Error);
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({p}, {g}, {}, {true}, o),
                       "_fused_sgd_: params and momentum_buffers must have the same length, got 1 and 0", Error);
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({p}, {Tensor::ones({2, 2})}, {Tensor::zeros({4})}, {true}, o),
                       "_fused_sgd_: grads[0] has shape [2, 2] but params[0] has shape [4]", Error);
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({p}, {g}, {Tensor::zeros({4}, DType::Float64)}, {true}, o),
                       "_fused_sgd_: momentum_buffers[0] has dtype Double but params[0] has dtype Float", Error);
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({p}, {p}, {Tensor::zeros({4})}, {true}, o),
                       "_fused_sgd_: params[0] and grads[0] share memory: the step reads and writes both in place "
                       "(clone() one of them)",
                       Error);
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({Tensor::ones({4}, DType::Int64)}, {Tensor::ones({4}, DType::Int64)},
                                         {Tensor::zeros({4}, DType::Int64)}, {true}, o),
                       "\"_fused_sgd_\" not implemented for 'Long'", TypeError);
  const Tensor pt = Tensor::ones({2, 2}).t();
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({pt}, {Tensor::ones({2, 2})}, {Tensor::zeros({2, 2})}, {true}, o),
                       "_fused_sgd_: params[0] must be contiguous", Error);
  CHECK(p.version() == 0);
  CHECK(p.to_vec<float>() == std::vector<float>(4, 1.0f));
  optim::SgdOptions plain;
  CHECK_THROWS_WITH_AS(optim::fused_sgd_({p}, {g}, {Tensor::zeros({4})}, {}, plain),
                       "_fused_sgd_: expected no momentum_buffers when momentum == 0, got 1 tensors", Error);
  optim::fused_sgd_({p}, {g}, {}, {}, plain);
  CHECK(p.version() == 1);
  CHECK(p.to_vec<float>() == std::vector<float>(4, 1.0f - 1e-3f));
}
