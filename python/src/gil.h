// The one GIL policy of rusttorch._C. Every binding that runs kernels goes
// through without_gil(): it releases the GIL when the op's work is worth more
// than a release and re-acquire (and lets other Python threads run meanwhile),
// and never twice on one thread: a nested call runs its body as it finds it,
// with the GIL already released. (There were once five ways of releasing it
// with three thresholds, and `a @ b` released it in the number slot and again
// inside matmul; CPython aborts on the second release.)
//
// The body must not touch Python objects, and the tensors it uses must be
// owned handles (copies of a PyTensor's tensor, sharing its storage), never
// references into a Python object: another thread may rebind that object
// while the GIL is released.
#pragma once
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <utility>

namespace rtpy {

// What an op costs per element, relative to a copy.
enum class Cost : int64_t {
  Memory = 1,    // copies, fills, casts, add and the other cheap elementwise ops, reductions, indexing
  Math = 8,      // transcendental activations, softmax
  Product = 16,  // matrix products (per element of their operands)
};

// Work (elements x cost) from which the GIL is released.
inline constexpr int64_t kReleaseGilWork = int64_t{1} << 15;

inline bool worth_releasing(Cost cost, int64_t elements) {
  return elements >= kReleaseGilWork / static_cast<int64_t>(cost);
}

namespace detail {
inline thread_local bool gil_released = false;  // by a without_gil() of this thread
}

// Releases the GIL for its lifetime when asked and this thread has not
// released it already; re-acquires it at the end.
class GilRelease {
 public:
  explicit GilRelease(bool release) {
    if (release && !detail::gil_released) {
      state_ = PyEval_SaveThread();
      detail::gil_released = true;
    }
  }
  ~GilRelease() {
    if (state_) {
      PyEval_RestoreThread(state_);
      detail::gil_released = false;
    }
  }
  GilRelease(const GilRelease&) = delete;
  GilRelease& operator=(const GilRelease&) = delete;

 private:
  PyThreadState* state_ = nullptr;
};

// f() with the GIL released when `elements` of work at `cost` are worth it.
template <class F>
decltype(auto) without_gil(Cost cost, int64_t elements, F&& f) {
  GilRelease g(worth_releasing(cost, elements));
  return std::forward<F>(f)();
}

// f() with the GIL released, for work whose size is not known beforehand (a
// backward pass, which runs any number of ops).
template <class F>
decltype(auto) without_gil(F&& f) {
  GilRelease g(true);
  return std::forward<F>(f)();
}

}  // namespace rtpy
