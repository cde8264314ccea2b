// Sorting, selection, searching and gather/scatter_add (rusttorch/sort.h)
// with torch's signatures, as module functions and Tensor methods.
#include <rusttorch/sort.h>

#include <map>
#include <string>

#include "casters.h"

namespace rtpy {
namespace {

namespace r = rusttorch;

// torch.return_types.<name>(values, indices).
py::object values_indices(const char* name, const r::ValuesIndices& vi) {
  static std::map<std::string, py::object*> types;
  py::object*& slot = types[name];
  if (!slot) {
    slot = new py::object(py::module_::import("collections").attr("namedtuple")(name, py::make_tuple("values", "indices")));
    slot->attr("__module__") = "rusttorch.return_types";
  }
  return (*slot)(py::reinterpret_steal<py::object>(wrap(vi.values)), py::reinterpret_steal<py::object>(wrap(vi.indices)));
}

// (values, inverse, counts) of a unique.
py::tuple values_inverse_counts(const r::UniqueResult& u) {
  return py::make_tuple(py::reinterpret_steal<py::object>(wrap(u.values)),
                        py::reinterpret_steal<py::object>(wrap(u.inverse)),
                        py::reinterpret_steal<py::object>(wrap(u.counts)));
}

// A tensor argument, or a Python number as a 0-d tensor (searchsorted's and bucketize's values).
Tensor tensor_or_scalar(py::handle v, const char* fn, const char* arg) {
  if (is_tensor(v.ptr())) return tensor_of(v.ptr());
  if (PyBool_Check(v.ptr())) return Tensor::scalar_tensor(Scalar(v.ptr() == Py_True), DType::Bool);
  if (PyLong_Check(v.ptr())) return Tensor::scalar_tensor(Scalar(py::cast<int64_t>(v)), DType::Int64);
  if (PyFloat_Check(v.ptr())) return Tensor::scalar_tensor(Scalar(py::cast<double>(v)), DType::Float32);
  throw r::TypeError(std::string(fn) + "(): argument '" + arg + "' must be Tensor or Number, not " +
                     Py_TYPE(v.ptr())->tp_name);
}

// An int argument (dim, k) as torch's parser takes it: a bool is refused
// too (pybind11's int64_t would take True as 1).
int64_t int_of(py::handle o, const char* fn, const char* arg) {
  if (PyBool_Check(o.ptr()))
    throw r::TypeError(std::string(fn) + "(): argument '" + arg + "' must be int, not bool");
  return int_arg(o.ptr(), fn, arg);
}

template <class F>
auto released(const Tensor& a, F&& f) {
  return on_copy_without_gil(Cost::Math, a, f);
}

}  // namespace

void bind_sort(py::module_& m) {
  const auto none = py::none();

  const auto sort = [](const Tensor& a, py::handle d, bool descending, bool stable) {
    const int64_t dim = int_of(d, "sort", "dim");
    return values_indices("sort", released(a, [&](const Tensor& x) { return r::sort(x, dim, descending, stable); }));
  };
  m.def("sort", sort, py::arg("input"), py::arg("dim") = py::int_(-1), py::arg("descending") = false, py::arg("stable") = false);
  def_method("sort", sort, py::arg("dim") = py::int_(-1), py::arg("descending") = false, py::arg("stable") = false);

  const auto argsort = [](const Tensor& a, py::handle d, bool descending, bool stable) {
    const int64_t dim = int_of(d, "argsort", "dim");
    return released(a, [&](const Tensor& x) { return r::argsort(x, dim, descending, stable); });
  };
  m.def("argsort", argsort, py::arg("input"), py::arg("dim") = py::int_(-1), py::arg("descending") = false,
        py::arg("stable") = false);
  def_method("argsort", argsort, py::arg("dim") = py::int_(-1), py::arg("descending") = false, py::arg("stable") = false);

  const auto msort = [](const Tensor& a) { return released(a, [](const Tensor& x) { return r::msort(x); }); };
  m.def("msort", msort, py::arg("input"));
  def_method("msort", msort);

  const auto topk = [](const Tensor& a, py::handle kh, py::handle d, bool largest, bool sorted) {
    const int64_t k = int_of(kh, "topk", "k"), dim = int_of(d, "topk", "dim");
    return values_indices("topk", released(a, [&](const Tensor& x) { return r::topk(x, k, dim, largest, sorted); }));
  };
  m.def("topk", topk, py::arg("input"), py::arg("k"), py::arg("dim") = py::int_(-1), py::arg("largest") = true,
        py::arg("sorted") = true);
  def_method("topk", topk, py::arg("k"), py::arg("dim") = py::int_(-1), py::arg("largest") = true, py::arg("sorted") = true);

  const auto kthvalue = [](const Tensor& a, py::handle kh, py::handle d, bool keepdim) {
    const int64_t k = int_of(kh, "kthvalue", "k"), dim = int_of(d, "kthvalue", "dim");
    return values_indices("kthvalue", released(a, [&](const Tensor& x) { return r::kthvalue(x, k, dim, keepdim); }));
  };
  m.def("kthvalue", kthvalue, py::arg("input"), py::arg("k"), py::arg("dim") = py::int_(-1), py::arg("keepdim") = false);
  def_method("kthvalue", kthvalue, py::arg("k"), py::arg("dim") = py::int_(-1), py::arg("keepdim") = false);

  m.def("_sort_values", [](const Tensor& a, bool descending) {
    return released(a, [&](const Tensor& x) { return r::sort_values(x, descending); });
  }, py::arg("input"), py::arg("descending") = false);
  m.def("_unique_consecutive_flat", [](const Tensor& a, bool inverse, bool counts) {
    return values_inverse_counts(released(a, [&](const Tensor& x) { return r::unique_consecutive(x, inverse, counts); }));
  }, py::arg("input"), py::arg("return_inverse") = false, py::arg("return_counts") = false);
  m.def("_unique_flat", [](const Tensor& a, bool inverse, bool counts) {
    return values_inverse_counts(released(a, [&](const Tensor& x) { return r::unique(x, inverse, counts); }));
  }, py::arg("input"), py::arg("return_inverse") = false, py::arg("return_counts") = false);
  m.def("_sort_target", [] { return std::string(r::sort_target_name()); });

  const auto searchsorted = [](const Tensor& seq, py::handle values, bool out_int32, bool right, py::handle side,
                               py::handle sorter) {
    if (!side.is_none()) {
      const std::string s = py::cast<std::string>(side);
      if (s != "left" && s != "right")
        throw r::Error("torch.searchsorted(): side can only be 'left' or 'right' but got " + s);
      if (right && s == "left")
        throw r::Error("torch.searchsorted(): side and right can't be set to opposites, got side of left while right "
                       "was True");
      right = s == "right";
    }
    const Tensor v = tensor_or_scalar(values, "searchsorted", "input");
    std::optional<Tensor> so;
    if (!sorter.is_none()) so = tensor_of(sorter.ptr());
    return released(seq, [&](const Tensor& s) { return r::searchsorted(s, v, out_int32, right, so ? &*so : nullptr); });
  };
  m.def("searchsorted", searchsorted, py::arg("sorted_sequence"), py::arg("input"), py::kw_only(),
        py::arg("out_int32") = false, py::arg("right") = false, py::arg("side") = none, py::arg("sorter") = none);

  const auto bucketize = [](py::handle input, const Tensor& boundaries, bool out_int32, bool right) {
    const Tensor v = tensor_or_scalar(input, "bucketize", "input");
    return released(v, [&](const Tensor& x) { return r::bucketize(x, boundaries, out_int32, right); });
  };
  m.def("bucketize", bucketize, py::arg("input"), py::arg("boundaries"), py::kw_only(), py::arg("out_int32") = false,
        py::arg("right") = false);
  def_method("bucketize", [](const Tensor& a, const Tensor& boundaries, bool out_int32, bool right) {
    return released(a, [&](const Tensor& x) { return r::bucketize(x, boundaries, out_int32, right); });
  }, py::arg("boundaries"), py::kw_only(), py::arg("out_int32") = false, py::arg("right") = false);

  const auto gather = [](const Tensor& a, py::handle d, const Tensor& index, bool /*sparse_grad*/) {
    const int64_t dim = int_of(d, "gather", "dim");
    return released(a, [&](const Tensor& x) { return r::gather(x, dim, index); });
  };
  m.def("gather", gather, py::arg("input"), py::arg("dim"), py::arg("index"), py::kw_only(),
        py::arg("sparse_grad") = false);
  def_method("gather", gather, py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false);
  const auto scatter_add = [](const Tensor& a, py::handle d, const Tensor& index, const Tensor& src) {
    const int64_t dim = int_of(d, "scatter_add", "dim");
    return released(a, [&](const Tensor& x) { return r::scatter_add(x, dim, index, src); });
  };
  m.def("scatter_add", scatter_add, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
  def_method("scatter_add", scatter_add, py::arg("dim"), py::arg("index"), py::arg("src"));
}

}  // namespace rtpy
