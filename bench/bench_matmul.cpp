// Matrix products per ISA and thread count: GFLOP/s (2*M*N*K per call) of
// mm, linear (x @ w^T + b, the weight read transposed) and bmm on float32 and
// float64. Every benchmark allocates its result, as torch.mm does. GFLOPS is
// per CPU second on one thread and per wall second on two.
//   build/bench/bench_matmul --benchmark_filter='avx2/t1/mm_f32/1024' --benchmark_repetitions=5
// Names: <isa>/t<threads>/<op>_<dtype>/<M>x<K>x<N>.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "rusttorch/rusttorch.h"

using namespace rusttorch;

namespace {

enum class Op { Mm, Linear, Bmm };

struct Case {
  std::string isa;
  int threads;
  Op op;
  DType dtype;
  int64_t batch, m, k, n;
};

void run(benchmark::State& state, const Case& c) {
  set_cpu_capability(c.isa);
  set_num_threads(c.threads);
  Tensor a, b, bias;
  switch (c.op) {
    case Op::Mm:
      a = Tensor::randn({c.m, c.k}, c.dtype);
      b = Tensor::randn({c.k, c.n}, c.dtype);
      break;
    case Op::Linear:
      a = Tensor::randn({c.m, c.k}, c.dtype);
      b = Tensor::randn({c.n, c.k}, c.dtype);
      bias = Tensor::randn({c.n}, c.dtype);
      break;
    case Op::Bmm:
      a = Tensor::randn({c.batch, c.m, c.k}, c.dtype);
      b = Tensor::randn({c.batch, c.k, c.n}, c.dtype);
      break;
  }
  for (auto _ : state) {
    Tensor r = c.op == Op::Mm ? mm(a, b) : c.op == Op::Linear ? linear(a, b, bias) : bmm(a, b);
    benchmark::DoNotOptimize(r.data_ptr());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * static_cast<double>(c.batch * c.m * c.k * c.n);
  state.counters["GFLOPS"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

std::string name_of(const Case& c) {
  const char* op = c.op == Op::Mm ? "mm" : c.op == Op::Linear ? "linear" : "bmm";
  std::string s = c.isa + "/t" + std::to_string(c.threads) + "/" + op + (c.dtype == DType::Float32 ? "_f32/" : "_f64/");
  if (c.op == Op::Bmm) s += std::to_string(c.batch) + "x";
  return s + std::to_string(c.m) + "x" + std::to_string(c.k) + "x" + std::to_string(c.n);
}

void register_all() {
  std::vector<Case> cases;
  for (const std::string& isa : available_cpu_capabilities()) {
    for (int t : {1, 2}) {
      for (int64_t s : {8, 16, 32, 64, 128, 256, 512, 1024, 2048}) {
        if (isa == "scalar" && s > 512) continue;
        cases.push_back({isa, t, Op::Mm, DType::Float32, 1, s, s, s});
      }
      for (int64_t s : {256, 1024}) cases.push_back({isa, t, Op::Mm, DType::Float64, 1, s, s, s});
      for (int64_t m : {1, 2, 4, 8}) {  // inference: a few rows through a 1024 x 1024 layer
        cases.push_back({isa, t, Op::Mm, DType::Float32, 1, m, 1024, 1024});
        cases.push_back({isa, t, Op::Linear, DType::Float32, 1, m, 1024, 1024});
      }
      cases.push_back({isa, t, Op::Linear, DType::Float32, 1, 512, 1024, 1024});
      cases.push_back({isa, t, Op::Bmm, DType::Float32, 64, 32, 32, 32});
      cases.push_back({isa, t, Op::Bmm, DType::Float32, 8, 256, 256, 256});
    }
  }
  for (const Case& c : cases) {
    auto* b = benchmark::RegisterBenchmark(name_of(c).c_str(), [c](benchmark::State& st) { run(st, c); });
    // One thread: rates from the thread's CPU time, which holds up on a shared,
    // busy machine; two threads: wall time (the CPU time of one thread says nothing).
    if (c.threads > 1) b->UseRealTime();
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
