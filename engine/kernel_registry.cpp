// The ISA registry: each compiled ISA, what it needs from the CPU, in
// priority order (as simdjson's implementation list). The choice is made once,
// stored in an atomic pointer, and can be switched by set_cpu_capability.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "cpu_features.h"
#include "dispatch.h"
#include "rusttorch/backend.h"
#include "rusttorch/error.h"

namespace rusttorch {
namespace detail {
std::string join_compiled();
std::string join_available();

namespace {

struct IsaEntry {
  const char* name;
  const kernels::KernelTable* (*table)();  // null when not compiled for this architecture
  bool (*supported)(const CpuFeatures&);
};

// Best first.
const IsaEntry kIsas[] = {
#ifdef RUSTTORCH_HAVE_AVX512
    {"avx512", rusttorch_kernels_avx512, [](const CpuFeatures& f) { return f.avx512; }},
#else
    {"avx512", nullptr, nullptr},
#endif
#ifdef RUSTTORCH_HAVE_AVX2
    {"avx2", rusttorch_kernels_avx2, [](const CpuFeatures& f) { return f.avx2_fma; }},
#else
    {"avx2", nullptr, nullptr},
#endif
#ifdef RUSTTORCH_HAVE_SSE42
    {"sse42", rusttorch_kernels_sse42, [](const CpuFeatures& f) { return f.sse42; }},
#else
    {"sse42", nullptr, nullptr},
#endif
#ifdef RUSTTORCH_HAVE_NEON
    {"neon", rusttorch_kernels_neon, [](const CpuFeatures& f) { return f.neon; }},
#else
    {"neon", nullptr, nullptr},
#endif
    {"scalar", rusttorch_kernels_scalar, [](const CpuFeatures&) { return true; }},
};

std::string all_names() {
  std::string s;
  for (const auto& e : kIsas) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

const IsaEntry& find_usable(const std::string& name, const char* what) {
  for (const auto& e : kIsas) {
    if (name != e.name) continue;
    if (!e.table)
      throw Error(std::string(what) + "'" + name + "' is not compiled into this build of rusttorch (built for " +
                  join_compiled() + ")");
    if (!e.supported(cpu_features()))
      throw Error(std::string(what) + "'" + name + "' is not supported by this CPU (available: " +
                  join_available() + ")");
    return e;
  }
  throw Error(std::string(what) + "unknown ISA '" + name + "' (expected one of: " + all_names() + ")");
}

std::atomic<const kernels::KernelTable*> g_active{nullptr};
std::mutex g_init_mu;

const kernels::KernelTable* resolve() {
  std::lock_guard<std::mutex> lock(g_init_mu);
  if (const auto* t = g_active.load()) return t;
  const char* env = std::getenv("RUSTTORCH_ISA");
  const kernels::KernelTable* table = nullptr;
  if (env && *env) {
    table = find_usable(env, "RUSTTORCH_ISA: ").table();
  } else {
    for (const auto& e : kIsas) {
      if (e.table && e.supported(cpu_features())) {
        table = e.table();
        break;
      }
    }
  }
  g_active.store(table);
  return table;
}

}  // namespace

std::string join_compiled() {
  std::string s;
  for (const auto& e : kIsas)
    if (e.table) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}
std::string join_available() {
  std::string s;
  for (const auto& e : kIsas)
    if (e.table && e.supported(cpu_features())) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

const kernels::KernelTable& active_kernels() {
  const kernels::KernelTable* t = g_active.load(std::memory_order_acquire);
  return t ? *t : *resolve();
}

}  // namespace detail

std::string get_cpu_capability() { return detail::active_kernels().isa; }

std::vector<std::string> available_cpu_capabilities() {
  std::vector<std::string> out;
  for (const auto& e : detail::kIsas)
    if (e.table && e.supported(detail::cpu_features())) out.insert(out.begin(), e.name);
  return out;
}

std::vector<std::string> compiled_cpu_capabilities() {
  std::vector<std::string> out;
  for (const auto& e : detail::kIsas)
    if (e.table) out.insert(out.begin(), e.name);
  return out;
}

void set_cpu_capability(const std::string& name) {
  const auto& e = detail::find_usable(name, "set_cpu_capability: ");
  std::lock_guard<std::mutex> lock(detail::g_init_mu);
  detail::g_active.store(e.table(), std::memory_order_release);
}

}  // namespace rusttorch
