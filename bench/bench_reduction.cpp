// Reductions, activations and softmax, per ISA (forced with
// set_cpu_capability) and thread count (set_num_threads), float32.
// Names: <op>/<size>/<isa>/threads:<n>. Counters: bytes/s of input read
// (plus output written for the elementwise ops and softmax).
//
//   build/bench/bench_reduction --benchmark_repetitions=7
//       --benchmark_report_aggregates_only=true --benchmark_filter='avx2'
//   (one command line)
//
// The torch side (same machine, same thread counts, medians), e.g.:
//   python3 - <<'EOF'
//   import torch, time, statistics
//   def med(f, reps=30):
//       f(); ts = []
//       for _ in range(reps):
//           t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
//       return statistics.median(ts)
//   for nt in (1, 2):
//       torch.set_num_threads(nt)
//       x = torch.randn(4096, 4096)
//       print(nt, 'softmax 4096^2', med(lambda: torch.softmax(x, -1)))
//       print(nt, 'sum dim0', med(lambda: x.sum(0)), 'mean dim1', med(lambda: x.mean(1)))
//       v = torch.randn(1 << 20)
//       print(nt, 'gelu 1M', med(lambda: torch.nn.functional.gelu(v)))
//   EOF
#include <benchmark/benchmark.h>

#include <functional>
#include <string>
#include <vector>

#include "rusttorch/rusttorch.h"

using namespace rusttorch;

namespace {

struct Setup {
  std::string isa;
  int threads;
};

void apply(const Setup& s) {
  set_cpu_capability(s.isa);
  set_num_threads(s.threads);
}

using Body = std::function<void(benchmark::State&, const Setup&)>;

void add(const std::string& name, const Body& body, const Setup& s) {
  benchmark::RegisterBenchmark((name + "/" + s.isa + "/threads:" + std::to_string(s.threads)).c_str(),
                               [body, s](benchmark::State& st) {
                                 apply(s);
                                 body(st, s);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

Tensor randn(const Shape& shape) { return Tensor::randn(shape, DType::Float32); }

void register_all() {
  const std::vector<std::string> isas = available_cpu_capabilities();
  for (const std::string& isa : isas) {
    for (int threads : {1, 2}) {
      const Setup s{isa, threads};
      // softmax over the last dim
      for (int64_t n : {2048, 4096}) {
        add("softmax_last/" + std::to_string(n), [n](benchmark::State& st, const Setup&) {
          const Tensor x = randn({n, n});
          for (auto _ : st) benchmark::DoNotOptimize(softmax(x, 1).data_ptr());
          st.SetBytesProcessed(st.iterations() * n * n * 8);
        }, s);
      }
      add("softmax_dim0/2048", [](benchmark::State& st, const Setup&) {
        const Tensor x = randn({2048, 2048});
        for (auto _ : st) benchmark::DoNotOptimize(softmax(x, 0).data_ptr());
        st.SetBytesProcessed(st.iterations() * 2048 * 2048 * 8);
      }, s);
      // activations
      using Act = std::function<Tensor(const Tensor&)>;
      const std::vector<std::pair<std::string, Act>> acts = {
          {"gelu", [](const Tensor& t) { return gelu(t); }},
          {"gelu_tanh", [](const Tensor& t) { return gelu(t, "tanh"); }},
          {"tanh", [](const Tensor& t) { return rusttorch::tanh(t); }},
          {"sigmoid", [](const Tensor& t) { return sigmoid(t); }},
          {"silu", [](const Tensor& t) { return silu(t); }},
      };
      for (const auto& [name, f] : acts) {
        for (int64_t n : {int64_t{1} << 20, int64_t{1} << 24}) {
          add(name + "/" + (n == (int64_t{1} << 20) ? "1M" : "16M"), [n, f = f](benchmark::State& st, const Setup&) {
            const Tensor x = randn({n});
            for (auto _ : st) benchmark::DoNotOptimize(f(x).data_ptr());
            st.SetBytesProcessed(st.iterations() * n * 8);
          }, s);
        }
      }
      // sum of 16M elements, and the copy it is compared with
      add("sum/16M", [](benchmark::State& st, const Setup&) {
        const Tensor x = randn({int64_t{1} << 24});
        for (auto _ : st) benchmark::DoNotOptimize(sum(x, std::nullopt).data_ptr());
        st.SetBytesProcessed(st.iterations() * (int64_t{1} << 24) * 4);
      }, s);
      add("copy/16M", [](benchmark::State& st, const Setup&) {
        const Tensor x = randn({int64_t{1} << 24});
        Tensor y = Tensor::empty({int64_t{1} << 24});
        for (auto _ : st) y.copy_(x);
        st.SetBytesProcessed(st.iterations() * (int64_t{1} << 24) * 8);  // read + write
      }, s);
      // sum and mean over dim 0 and dim 1 of 4096 x 4096
      for (int d : {0, 1}) {
        add("sum_dim" + std::to_string(d) + "/4096", [d](benchmark::State& st, const Setup&) {
          const Tensor x = randn({4096, 4096});
          for (auto _ : st) benchmark::DoNotOptimize(sum(x, d).data_ptr());
          st.SetBytesProcessed(st.iterations() * 4096 * 4096 * 4);
        }, s);
        add("mean_dim" + std::to_string(d) + "/4096", [d](benchmark::State& st, const Setup&) {
          const Tensor x = randn({4096, 4096});
          for (auto _ : st) benchmark::DoNotOptimize(mean(x, d).data_ptr());
          st.SetBytesProcessed(st.iterations() * 4096 * 4096 * 4);
        }, s);
      }
      add("amax_dim1/4096", [](benchmark::State& st, const Setup&) {
        const Tensor x = randn({4096, 4096});
        for (auto _ : st) benchmark::DoNotOptimize(amax(x, 1).data_ptr());
        st.SetBytesProcessed(st.iterations() * 4096 * 4096 * 4);
      }, s);
      add("var_dim0/4096", [](benchmark::State& st, const Setup&) {
        const Tensor x = randn({4096, 4096});
        for (auto _ : st) benchmark::DoNotOptimize(var(x, 0).data_ptr());
        st.SetBytesProcessed(st.iterations() * 4096 * 4096 * 4);
      }, s);
    }
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
