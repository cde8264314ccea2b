// Elementwise kernels per ISA and thread count, with bytes/s counters
// (each load and each store counted once, as STREAM does).
//   build/bench/bench_elementwise --benchmark_filter='Add.*16777216' --benchmark_repetitions=5
// Arguments: {elements, threads}; the ISA is in the benchmark name.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "allocator.h"
#include "rusttorch/rusttorch.h"

using namespace rusttorch;

namespace {

struct Setup {
  Setup(benchmark::State& state, const std::string& isa) {
    set_cpu_capability(isa);
    set_num_threads(static_cast<int>(state.range(1)));
  }
};

void counters(benchmark::State& state, int64_t n, int64_t bytes_per_elem) {
  state.SetBytesProcessed(state.iterations() * n * bytes_per_elem);
  state.SetItemsProcessed(state.iterations() * n);
}

// c = a + b into a fresh output each time (what torch.add(a, b) does).
void AddFresh(benchmark::State& state, std::string isa) {
  Setup s(state, isa);
  const int64_t n = state.range(0);
  const Tensor a = Tensor::rand({n}), b = Tensor::rand({n});
  for (auto _ : state) {
    Tensor c = add(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  counters(state, n, 12);
}

// c = a + b into a reused output (torch.add(a, b, out=c)).
void AddOut(benchmark::State& state, std::string isa) {
  Setup s(state, isa);
  const int64_t n = state.range(0);
  const Tensor a = Tensor::rand({n}), b = Tensor::rand({n});
  Tensor c = Tensor::empty({n});
  for (auto _ : state) {
    add_out(c, a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  counters(state, n, 12);
}

void MulScalar(benchmark::State& state, std::string isa) {
  Setup s(state, isa);
  const int64_t n = state.range(0);
  const Tensor a = Tensor::rand({n});
  for (auto _ : state) {
    Tensor c = mul(a, 2.5);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  counters(state, n, 8);
}

void Div(benchmark::State& state, std::string isa) {
  Setup s(state, isa);
  const int64_t n = state.range(0);
  const Tensor a = Tensor::rand({n}), b = add(Tensor::rand({n}), 1.0);
  for (auto _ : state) {
    Tensor c = div(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  counters(state, n, 12);
}

void Exp(benchmark::State& state, std::string isa) {
  Setup s(state, isa);
  const int64_t n = state.range(0);
  const Tensor a = Tensor::randn({n});
  for (auto _ : state) {
    Tensor c = exp(a);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  counters(state, n, 8);
}

void AddBroadcastRow(benchmark::State& state, std::string isa) {
  Setup s(state, isa);
  const int64_t n = state.range(0);
  const Tensor a = Tensor::rand({n / 1024, 1024}), row = Tensor::rand({1024});
  for (auto _ : state) {
    Tensor c = add(a, row);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  counters(state, n, 8);
}

void AddTransposed(benchmark::State& state, std::string isa) {
  Setup s(state, isa);
  const int64_t n = state.range(0);
  const Tensor a = Tensor::rand({1024, n / 1024}).t(), b = Tensor::rand({n / 1024, 1024});
  for (auto _ : state) {
    Tensor c = add(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  counters(state, n, 12);
}

void Register() {
  for (const std::string& isa : available_cpu_capabilities()) {
    auto reg = [&](const char* name, void (*fn)(benchmark::State&, std::string)) {
      benchmark::RegisterBenchmark((std::string(name) + "/" + isa).c_str(), fn, isa)
          ->ArgsProduct({{1 << 10, 1 << 16, 1 << 20, 1 << 24}, {1, 2}})
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    };
    reg("AddFresh", AddFresh);
    reg("AddOut", AddOut);
    reg("MulScalar", MulScalar);
    reg("Div", Div);
    reg("Exp", Exp);
    reg("AddBroadcastRow", AddBroadcastRow);
    reg("AddTransposed", AddTransposed);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Register();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
