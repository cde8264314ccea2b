// rusttorch._C: module assembly, exception translation, threads and ISA control.
#include <cstring>
#include <new>

#include "casters.h"

namespace rtpy {

void set_error_from_current_exception() noexcept {
  try {
    throw;
  } catch (const python_error&) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "unknown error in rusttorch");
  } catch (const rusttorch::IndexError& e) {
    PyErr_SetString(PyExc_IndexError, e.what());
  } catch (const rusttorch::TypeError& e) {
    // torch raises NotImplementedError for "<op>_cpu" not implemented for '<dtype>'.
    const bool not_impl = std::strstr(e.what(), "not implemented for '") != nullptr;
    PyErr_SetString(not_impl ? PyExc_NotImplementedError : PyExc_TypeError, e.what());
  } catch (const rusttorch::ValueError& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const rusttorch::Error& e) {
    const bool not_impl = std::strstr(e.what(), "not implemented for '") != nullptr;
    PyErr_SetString(not_impl ? PyExc_NotImplementedError : PyExc_RuntimeError, e.what());
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const py::builtin_exception& e) {
    e.set_error();
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "unknown C++ exception in rusttorch");
  }
}

}  // namespace rtpy

PYBIND11_MODULE(_C, m) {
  using namespace rtpy;
  m.doc() = "rusttorch native extension: Tensor, dtypes, ops (import rusttorch, not this)";
  if (!init_convert(m.ptr()) || !init_tensor_type(m.ptr()) || !init_fast_ops(m.ptr())) throw py::error_already_set();

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (...) {
      set_error_from_current_exception();
    }
  });

  m.def("set_num_threads", [](int n) { rusttorch::set_num_threads(n); }, py::arg("n"),
        "Upper bound on the worker threads of every op.");
  m.def("get_num_threads", &rusttorch::get_num_threads, "The thread bound set_num_threads sets (default: all cores).");
  m.def("_get_cpu_capability", &rusttorch::get_cpu_capability);
  m.def("_available_cpu_capabilities", &rusttorch::available_cpu_capabilities);
  m.def("_compiled_cpu_capabilities", &rusttorch::compiled_cpu_capabilities);
  m.def("_set_cpu_capability", &rusttorch::set_cpu_capability, py::arg("name"));

  bind_creation(m);
  bind_tensor_methods(m);
  bind_reduction(m);
  bind_activation(m);
  bind_linalg(m);
  bind_loss(m);
  bind_autograd(m);
  bind_optim(m);
  bind_sort(m);
  bind_conv(m);
}
