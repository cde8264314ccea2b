// Reductions and scans (rusttorch/reduction.h) with torch's signatures, as
// module functions and Tensor methods.
#include <rusttorch/reduction.h>

#include "casters.h"

namespace rtpy {
namespace {

namespace r = rusttorch;

r::DimList dims_of(py::handle dim, const char* fn) {
  if (dim.is_none()) return std::nullopt;
  if (PyLong_Check(dim.ptr()) || (!PySequence_Check(dim.ptr()) && PyIndex_Check(dim.ptr())))
    return r::DimList(int_arg(dim.ptr(), fn, "dim"));
  return r::DimList(int_list(dim.ptr(), fn, "dim"));
}

std::optional<DType> opt_dtype(py::handle d, const char* fn) {
  if (d.is_none()) return std::nullopt;
  return dtype_arg(d.ptr(), DType::Float32, fn);
}

// torch refuses max/min/amax/amin/argmax/argmin over a zero-size dim even when
// the result is empty (the engine only when the result is not).
void check_nonempty_dims(const Tensor& a, const r::DimList& dims, const char* fn) {
  if (dims.all()) {
    if (a.numel() == 0)
      throw r::Error(std::string(fn) + "(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                     "the reduction dim with the 'dim' argument.");
    return;
  }
  for (int64_t d : dims.dims()) {
    const int64_t w = r::wrap_dim(d, a.ndim());
    if (a.ndim() > 0 && a.shape()[static_cast<std::size_t>(w)] == 0)
      throw r::IndexError(std::string(fn) + "(): Expected reduction dim " + std::to_string(w) +
                          " to have non-zero size.");
  }
}

bool is_empty_sequence(py::handle dim) {
  return !dim.is_none() && (PyTuple_Check(dim.ptr()) || PyList_Check(dim.ptr())) && PySequence_Size(dim.ptr()) == 0;
}

template <class F>
Tensor released(const Tensor& a, F&& f) {
  return on_copy_without_gil(Cost::Memory, a, f);
}

py::object& namedtuple(const char* name) {  // torch.return_types.max / min
  static py::object* max_t = nullptr;
  static py::object* min_t = nullptr;
  py::object*& slot = std::string(name) == "max" ? max_t : min_t;
  if (!slot) {
    slot = new py::object(py::module_::import("collections").attr("namedtuple")(name, py::make_tuple("values", "indices")));
    slot->attr("__module__") = "rusttorch.return_types";
  }
  return *slot;
}

py::object values_indices(const char* name, const r::ValuesIndices& vi) {
  return namedtuple(name)(py::reinterpret_steal<py::object>(wrap(vi.values)),
                          py::reinterpret_steal<py::object>(wrap(vi.indices)));
}

// max(input) | max(input, dim, keepdim=False) | max(input, other)
template <bool IsMax>
py::object max_min(const Tensor& a, py::handle dim, bool keepdim) {
  const char* name = IsMax ? "max" : "min";
  if (dim.is_none()) return py::reinterpret_steal<py::object>(wrap(released(a, [](const Tensor& x) {
    return IsMax ? r::max(x) : r::min(x);
  })));
  if (is_tensor(dim.ptr())) {
    const Tensor b = tensor_of(dim.ptr());
    return py::reinterpret_steal<py::object>(wrap(released(a, [&b](const Tensor& x) {
      return IsMax ? r::maximum(x, b) : r::minimum(x, b);
    })));
  }
  const int64_t d = int_arg(dim.ptr(), name, "dim");
  check_nonempty_dims(a, r::DimList(d), name);
  const r::ValuesIndices vi =
      on_copy_without_gil(Cost::Memory, a, [&](const Tensor& x) { return IsMax ? r::max(x, d, keepdim) : r::min(x, d, keepdim); });
  return values_indices(name, vi);
}

// var/std(input, dim=None, unbiased=None, keepdim=False, *, correction=None); var(input, unbiased) too.
template <bool IsStd>
Tensor var_std(const Tensor& a, py::handle dim, py::handle unbiased, bool keepdim, py::handle correction) {
  const char* name = IsStd ? "std" : "var";
  py::handle d = dim, u = unbiased;
  if (PyBool_Check(d.ptr())) std::swap(d, u);  // var(x, False)
  double corr = 1;
  if (!u.is_none()) corr = PyObject_IsTrue(u.ptr()) ? 1 : 0;
  if (!correction.is_none()) corr = py::cast<double>(correction);
  const r::DimList dims = dims_of(d, name);
  return released(a, [&](const Tensor& x) { return IsStd ? r::std(x, dims, corr, keepdim) : r::var(x, dims, corr, keepdim); });
}

double norm_p(py::handle p) {
  if (p.is_none()) return 2;
  if (PyUnicode_Check(p.ptr())) {
    const std::string s = py::cast<std::string>(p);
    if (s == "fro") return 2;
    throw rusttorch::Error("norm: unsupported p '" + s + "' (numbers, inf and 'fro' are supported)");
  }
  return py::cast<double>(p);
}

// torch has no bool scan kernel: a bool dtype is refused (after the dim
// check) unless no kernel runs (0-d or empty input).
Tensor scan(const Tensor& a, int64_t dim, py::handle dtype, bool prod) {
  const char* name = prod ? "cumprod" : "cumsum";
  const auto dt = opt_dtype(dtype, name);
  rusttorch::wrap_dim(dim, std::max<int64_t>(a.ndim(), 1));
  if (dt == DType::Bool && a.numel() > 0 && a.ndim() > 0)
    throw r::Error(std::string("\"") + name + "_out_cpu\" not implemented for 'Bool'");
  return released(a, [&](const Tensor& x) { return prod ? r::cumprod(x, dim, dt) : r::cumsum(x, dim, dt); });
}

}  // namespace

void bind_reduction(py::module_& m) {
  const auto none = py::none();

  const auto sum = [](const Tensor& a, py::handle dim, bool keepdim, py::handle dtype) {
    const r::DimList d = dims_of(dim, "sum");
    const auto dt = opt_dtype(dtype, "sum");
    return released(a, [&](const Tensor& x) { return r::sum(x, d, keepdim, dt); });
  };
  const auto mean = [](const Tensor& a, py::handle dim, bool keepdim, py::handle dtype) {
    const r::DimList d = dims_of(dim, "mean");
    const auto dt = opt_dtype(dtype, "mean");
    return released(a, [&](const Tensor& x) { return r::mean(x, d, keepdim, dt); });
  };
  const auto prod = [](const Tensor& a, py::handle dim, bool keepdim, py::handle dtype) {
    const auto dt = opt_dtype(dtype, "prod");
    if (dim.is_none()) return released(a, [&](const Tensor& x) { return r::prod(x, dt); });
    const int64_t d = int_arg(dim.ptr(), "prod", "dim");
    return released(a, [&](const Tensor& x) { return r::prod(x, d, keepdim, dt); });
  };
  for (auto [name, f] : {std::pair<const char*, decltype(+sum)>{"sum", +sum}, {"mean", +mean}, {"prod", +prod}}) {
    m.def(name, f, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(),
          py::arg("dtype") = none);
    def_method(name, f, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
    // NumPy's spelling, as torch accepts it (Dask calls chunk.sum(axis=..., keepdims=...)).
    // A sibling overload: tried only when the torch names do not match.
    m.def(name, f, py::arg("input"), py::arg("axis") = none, py::arg("keepdims") = false, py::kw_only(),
          py::arg("dtype") = none);
    def_method(name, f, py::arg("axis") = none, py::arg("keepdims") = false, py::kw_only(), py::arg("dtype") = none);
  }

  m.def("max", &max_min<true>, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("min", &max_min<false>, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  def_method("max", &max_min<true>, py::arg("dim") = none, py::arg("keepdim") = false);
  def_method("min", &max_min<false>, py::arg("dim") = none, py::arg("keepdim") = false);

  const auto amax = [](const Tensor& a, py::handle dim, bool keepdim) {
    const r::DimList d = dims_of(dim, "amax");
    if (a.numel() == 0) check_nonempty_dims(a, d, "amax");
    return released(a, [&](const Tensor& x) { return r::amax(x, d, keepdim); });
  };
  const auto amin = [](const Tensor& a, py::handle dim, bool keepdim) {
    const r::DimList d = dims_of(dim, "amin");
    if (a.numel() == 0) check_nonempty_dims(a, d, "amin");
    return released(a, [&](const Tensor& x) { return r::amin(x, d, keepdim); });
  };
  const auto argmax = [](const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
    if (a.numel() == 0 && dim && a.dtype() != DType::Bool) check_nonempty_dims(a, r::DimList(*dim), "argmax");
    return released(a, [&](const Tensor& x) { return r::argmax(x, dim, keepdim); });
  };
  const auto argmin = [](const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
    if (a.numel() == 0 && dim && a.dtype() != DType::Bool) check_nonempty_dims(a, r::DimList(*dim), "argmin");
    return released(a, [&](const Tensor& x) { return r::argmin(x, dim, keepdim); });
  };
  const auto all = [](const Tensor& a, py::handle dim, bool keepdim) {
    if (is_empty_sequence(dim))  // torch: all(x, dim=()) reduces nothing
      return released(a, [](const Tensor& x) { return x.dtype() == DType::Bool ? x.clone() : r::ne(x, 0); });
    const r::DimList d = dims_of(dim, "all");
    return released(a, [&](const Tensor& x) { return r::all(x, d, keepdim); });
  };
  const auto any = [](const Tensor& a, py::handle dim, bool keepdim) {
    if (is_empty_sequence(dim))  // torch: any(x, dim=()) reduces nothing
      return released(a, [](const Tensor& x) { return x.dtype() == DType::Bool ? x.clone() : r::ne(x, 0); });
    const r::DimList d = dims_of(dim, "any");
    return released(a, [&](const Tensor& x) { return r::any(x, d, keepdim); });
  };
  const auto logsumexp = [](const Tensor& a, py::handle dim, bool keepdim) {
    const r::DimList d = dims_of(dim, "logsumexp");
    return released(a, [&](const Tensor& x) { return r::logsumexp(x, d, keepdim); });
  };
  for (auto [name, f] : {std::pair<const char*, decltype(+amax)>{"amax", +amax}, {"amin", +amin}, {"all", +all},
                         {"any", +any}}) {
    m.def(name, f, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
    def_method(name, f, py::arg("dim") = none, py::arg("keepdim") = false);
    m.def(name, f, py::arg("input"), py::arg("axis") = none, py::arg("keepdims") = false);
    def_method(name, f, py::arg("axis") = none, py::arg("keepdims") = false);
  }
  m.def("logsumexp", logsumexp, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  def_method("logsumexp", logsumexp, py::arg("dim"), py::arg("keepdim") = false);
  for (auto [name, f] : {std::pair<const char*, decltype(+argmax)>{"argmax", +argmax}, {"argmin", +argmin}}) {
    m.def(name, f, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
    def_method(name, f, py::arg("dim") = none, py::arg("keepdim") = false);
    m.def(name, f, py::arg("input"), py::arg("axis") = none, py::arg("keepdims") = false);
    def_method(name, f, py::arg("axis") = none, py::arg("keepdims") = false);
  }

  m.def("var", &var_std<false>, py::arg("input"), py::arg("dim") = none, py::arg("unbiased") = none,
        py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = none);
  m.def("std", &var_std<true>, py::arg("input"), py::arg("dim") = none, py::arg("unbiased") = none,
        py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = none);
  def_method("var", &var_std<false>, py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false,
             py::kw_only(), py::arg("correction") = none);
  def_method("std", &var_std<true>, py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false,
             py::kw_only(), py::arg("correction") = none);
  for (auto [name, f] : {std::pair<const char*, decltype(&var_std<false>)>{"var", &var_std<false>},
                         {"std", &var_std<true>}}) {
    m.def(name, f, py::arg("input"), py::arg("axis") = none, py::arg("unbiased") = none, py::arg("keepdims") = false,
          py::kw_only(), py::arg("correction") = none);
    def_method(name, f, py::arg("axis") = none, py::arg("unbiased") = none, py::arg("keepdims") = false,
               py::kw_only(), py::arg("correction") = none);
  }

  const auto norm = [](const Tensor& a, py::handle p, py::handle dim, bool keepdim, py::handle dtype) {
    const double pv = norm_p(p);
    // p as a string ('fro', the default) asks for a matrix norm: torch takes no
    // more than two dims for it (p=None is the vector 2-norm over any dims).
    const bool fro = PyUnicode_Check(p.ptr());
    if (fro && (PyTuple_Check(dim.ptr()) || PyList_Check(dim.ptr())) && PySequence_Size(dim.ptr()) > 2) {
      std::string got;
      for (py::handle v : dim) got += " " + std::to_string(py::cast<int64_t>(v));
      throw r::Error("linalg.matrix_norm: dim must be a 2-tuple. Got" + got);
    }
    const r::DimList d = dims_of(dim, "norm");
    Tensor x = a;
    if (!dtype.is_none()) x = x.to(dtype_arg(dtype.ptr(), DType::Float32, "norm"));
    return released(x, [&](const Tensor& y) { return r::norm(y, pv, d, keepdim); });
  };
  m.def("norm", norm, py::arg("input"), py::arg("p") = "fro", py::arg("dim") = none, py::arg("keepdim") = false,
        py::arg("dtype") = none);
  def_method("norm", norm, py::arg("p") = "fro", py::arg("dim") = none, py::arg("keepdim") = false,
             py::arg("dtype") = none);

  const auto cumsum = [](const Tensor& a, int64_t dim, py::handle dtype) { return scan(a, dim, dtype, false); };
  const auto cumprod = [](const Tensor& a, int64_t dim, py::handle dtype) { return scan(a, dim, dtype, true); };
  for (auto [name, f] : {std::pair<const char*, decltype(+cumsum)>{"cumsum", +cumsum}, {"cumprod", +cumprod}}) {
    m.def(name, f, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = none);
    def_method(name, f, py::arg("dim"), py::kw_only(), py::arg("dtype") = none);
  }
}

}  // namespace rtpy
