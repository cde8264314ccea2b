// Which SIMD kernels run, and on how many threads.
#pragma once
#include <string>
#include <vector>

namespace rusttorch {

// "scalar", "sse42", "avx2", "avx512" or "neon": the kernels in use. Chosen once
// from the CPU (cpuid + xgetbv), or from RUSTTORCH_ISA when it is set; an
// unknown or unsupported RUSTTORCH_ISA makes this (and every op) throw.
std::string get_cpu_capability();
// Every ISA this build has kernels for and this CPU can run, best last.
std::vector<std::string> available_cpu_capabilities();
// Every ISA compiled into this build for this architecture.
std::vector<std::string> compiled_cpu_capabilities();
// Switches the kernels at run time (tests, benchmarks). Throws on an unknown
// name or one this CPU lacks; never falls back silently.
void set_cpu_capability(const std::string& name);

// Upper bound on worker threads for every op (default: all cores).
void set_num_threads(int n);
int get_num_threads();

}  // namespace rusttorch
