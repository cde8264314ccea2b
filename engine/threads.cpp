// set_num_threads: one tbb::global_control bounding every parallel region.
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <memory>
#include <mutex>
#include <string>

#include "parallel.h"
#include "rusttorch/backend.h"
#include "rusttorch/error.h"

namespace rusttorch {
namespace {
std::mutex g_mu;
std::unique_ptr<tbb::global_control> g_control;
}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw Error("set_num_threads expects a positive integer, got " + std::to_string(n));
  std::lock_guard<std::mutex> lock(g_mu);
  g_control.reset();  // only one control of a kind may shape the limit
  g_control = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    static_cast<std::size_t>(n));
}

int get_num_threads() { return detail::max_threads(); }

namespace detail {
int max_threads() {
  return static_cast<int>(tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
}
}  // namespace detail

}  // namespace rusttorch
