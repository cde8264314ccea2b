// Tensor methods bound with pybind11 (views, conversions, copies) and the
// joining/splitting functions (cat, stack, split, chunk, unbind).
#include <algorithm>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "casters.h"

namespace rtpy {
namespace {

using rusttorch::wrap_dim;

Shape varargs_shape(const py::args& a, const char* fn) {
  return size_args(&PyTuple_GET_ITEM(a.ptr(), 0), PyTuple_GET_SIZE(a.ptr()), fn);
}

bool legacy_empty(const Tensor& t) { return t.ndim() == 1 && t.numel() == 0; }

Tensor cat_impl(const std::vector<Tensor>& ts, int64_t dim) {
  if (ts.empty()) throw rusttorch::ValueError("torch.cat(): expected a non-empty list of Tensors");
  std::vector<const Tensor*> inputs;
  for (const Tensor& t : ts) inputs.push_back(&t);
  bool record = false;
  for (const Tensor* t : inputs) record = record || rusttorch::autograd::should_record({t});
  if (record) {
    const Tensor* ref = nullptr;  // the dim as cat reads it (checked by the call itself)
    for (const Tensor& t : ts)
      if (!legacy_empty(t)) ref = ref ? ref : &t;
    const int64_t d = ref && ref->ndim() > 0 ? wrap_dim(dim, ref->ndim()) : 0;
    return rusttorch::autograd::cat(ts, d, [&] { return cat_impl(ts, dim); });
  }
  DType dtype = ts[0].dtype();
  for (const Tensor& t : ts) dtype = rusttorch::promote_types(dtype, t.dtype());
  const Tensor* ref = nullptr;
  for (const Tensor& t : ts)
    if (!legacy_empty(t)) {
      ref = &t;
      break;
    }
  if (!ref) return Tensor::empty({0}, dtype);
  for (std::size_t i = 0; i < ts.size(); ++i)
    if (ts[i].ndim() == 0)
      throw rusttorch::Error("zero-dimensional tensor (at position " + std::to_string(i) + ") cannot be concatenated");
  const int64_t nd = ref->ndim();
  dim = wrap_dim(dim, nd);
  Shape shape = ref->shape();
  shape[static_cast<std::size_t>(dim)] = 0;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    if (legacy_empty(t) && nd != 1) continue;
    if (t.ndim() != nd)
      throw rusttorch::Error("Tensors must have same number of dimensions: got " + std::to_string(nd) + " and " +
                             std::to_string(t.ndim()));
    for (int64_t d = 0; d < nd; ++d)
      if (d != dim && t.shape()[static_cast<std::size_t>(d)] != ref->shape()[static_cast<std::size_t>(d)])
        throw rusttorch::Error("Sizes of tensors must match except in dimension " + std::to_string(dim) +
                               ". Expected size " + std::to_string(ref->shape()[static_cast<std::size_t>(d)]) +
                               " but got size " + std::to_string(t.shape()[static_cast<std::size_t>(d)]) +
                               " for tensor number " + std::to_string(i) + " in the list.");
    shape[static_cast<std::size_t>(dim)] += t.shape()[static_cast<std::size_t>(dim)];
  }
  Tensor out = Tensor::empty(shape, dtype);
  int64_t off = 0;
  for (const Tensor& t : ts) {
    if (legacy_empty(t) && nd != 1) continue;
    const int64_t n = t.shape()[static_cast<std::size_t>(dim)];
    if (n > 0) out.narrow(dim, off, n).copy_(t);
    off += n;
  }
  return out;
}

Tensor stack_impl(const std::vector<Tensor>& ts, int64_t dim) {
  if (ts.empty()) throw rusttorch::Error("stack expects a non-empty TensorList");
  for (std::size_t i = 1; i < ts.size(); ++i)
    if (ts[i].shape() != ts[0].shape())
      throw rusttorch::Error("stack expects each tensor to be equal size, but got " + rusttorch::shape_str(ts[0].shape()) +
                             " at entry 0 and " + rusttorch::shape_str(ts[i].shape()) + " at entry " + std::to_string(i));
  dim = wrap_dim(dim, ts[0].ndim() + 1);
  std::vector<Tensor> u;
  u.reserve(ts.size());
  for (const Tensor& t : ts) u.push_back(t.unsqueeze(dim));
  return cat_impl(u, dim);
}

py::tuple to_tuple(const std::vector<Tensor>& v) {
  py::tuple r(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) r[i] = py::reinterpret_steal<py::object>(wrap(v[i]));
  return r;
}

std::vector<Tensor> split_impl(const Tensor& t, py::handle sizes, int64_t dim) {
  if (t.ndim() == 0) throw rusttorch::Error("split expects at least a 1-dimensional tensor");
  dim = wrap_dim(dim, t.ndim());
  const int64_t n = t.shape()[static_cast<std::size_t>(dim)];
  std::vector<Tensor> r;
  if (PyLong_Check(sizes.ptr()) || (!PySequence_Check(sizes.ptr()) && PyIndex_Check(sizes.ptr()))) {
    const int64_t s = int_arg(sizes.ptr(), "split", "split_size");
    if (s < 0) throw rusttorch::Error("split expects split_size be non-negative, but got split_size=" + std::to_string(s));
    if (s == 0 && n != 0)
      throw rusttorch::Error("split_size can only be 0 if dimension size is 0, but got dimension size of " +
                             std::to_string(n));
    if (n == 0) return {t};
    for (int64_t off = 0; off < n; off += s) r.push_back(t.narrow(dim, off, std::min(s, n - off)));
    return r;
  }
  const Shape parts = int_list(sizes.ptr(), "split", "split_size");
  int64_t total = 0;
  for (int64_t p : parts) {
    if (p < 0) throw rusttorch::Error("split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes=" + rusttorch::shape_str(parts));
    total += p;
  }
  if (total != n)
    throw rusttorch::Error("split_with_sizes expects split_sizes to sum exactly to " + std::to_string(n) +
                           " (input tensor's size at dimension " + std::to_string(dim) + "), but got split_sizes=" +
                           rusttorch::shape_str(parts));
  int64_t off = 0;
  for (int64_t p : parts) {
    r.push_back(t.narrow(dim, off, p));
    off += p;
  }
  return r;
}

std::vector<Tensor> chunk_impl(const Tensor& t, int64_t chunks, int64_t dim) {
  if (t.ndim() == 0) throw rusttorch::Error("chunk expects at least a 1-dimensional tensor");
  if (chunks <= 0) throw rusttorch::Error("chunk expects `chunks` to be greater than 0, got: " + std::to_string(chunks));
  dim = wrap_dim(dim, t.ndim());
  const int64_t n = t.shape()[static_cast<std::size_t>(dim)];
  const int64_t s = (n + chunks - 1) / chunks;
  if (s == 0) {  // torch returns `chunks` empty pieces... when n == 0 it returns one piece per chunk
    std::vector<Tensor> r;
    for (int64_t i = 0; i < chunks; ++i) r.push_back(t);
    return r;
  }
  std::vector<Tensor> r;
  for (int64_t off = 0; off < n; off += s) r.push_back(t.narrow(dim, off, std::min(s, n - off)));
  return r;
}

std::vector<Tensor> unbind_impl(const Tensor& t, int64_t dim) {
  if (t.ndim() == 0) throw rusttorch::IndexError("Dimension specified as 0 but tensor has no dimensions");
  dim = wrap_dim(dim, t.ndim());
  std::vector<Tensor> r;
  for (int64_t i = 0; i < t.shape()[static_cast<std::size_t>(dim)]; ++i) r.push_back(t.select(dim, i));
  return r;
}

py::object nonzero_py(const Tensor& t, bool as_tuple) {
  if (as_tuple) return py::reinterpret_steal<py::object>(nonzero_tuple(t));
  return py::reinterpret_steal<py::object>(wrap(nonzero(t)));
}

// Tensor.to(dtype) / to(other) / to("cpu") / to("cpu", dtype), with dtype= and copy= keywords.
py::object to_impl(py::handle self_obj, py::args args, py::kwargs kwargs) {
  const Tensor& self = tensor_of(self_obj.ptr());
  std::optional<DType> dtype;
  bool copy = false;
  auto take = [&](py::handle h) {
    DType d;
    if (dtype_from_object(h.ptr(), &d)) dtype = d;
    else if (is_tensor(h.ptr())) dtype = tensor_of(h.ptr()).dtype();
    else if (PyUnicode_Check(h.ptr())) {
      const std::string s = py::cast<std::string>(h);
      if (s != "cpu" && s.rfind("cpu:", 0) != 0)
        throw rusttorch::Error("rusttorch tensors live on the CPU only; cannot move to device '" + s + "'");
    } else if (!h.is_none()) {
      throw py::type_error(std::string("to() received an invalid argument of type ") + Py_TYPE(h.ptr())->tp_name);
    }
  };
  for (py::handle h : args) take(h);
  for (auto kv : kwargs) {
    const std::string k = py::cast<std::string>(kv.first);
    if (k == "dtype" || k == "device" || k == "other") take(kv.second);
    else if (k == "copy") copy = py::cast<bool>(kv.second);
    else if (k != "non_blocking" && k != "memory_format") throw py::type_error("to() got an unexpected keyword argument '" + k + "'");
  }
  const DType target = dtype.value_or(self.dtype());
  if (target == self.dtype() && !copy) return py::reinterpret_borrow<py::object>(self_obj);  // torch returns self
  const Tensor in = self;
  Tensor r = without_gil(Cost::Memory, self.numel(), [&] { return target == in.dtype() ? in.clone() : in.to(target); });
  return py::reinterpret_steal<py::object>(wrap(std::move(r)));
}

const char* legacy_type_name(DType d) {
  switch (d) {
    case DType::Bool: return "rusttorch.BoolTensor";
    case DType::Int32: return "rusttorch.IntTensor";
    case DType::Int64: return "rusttorch.LongTensor";
    case DType::Float32: return "rusttorch.FloatTensor";
    case DType::Float64: return "rusttorch.DoubleTensor";
  }
  return "?";
}

Shape dims_arg(const py::args& a, const char* fn) { return varargs_shape(a, fn); }

}  // namespace

std::vector<Tensor> tensor_list(py::handle seq, const char* fn, const char* arg, int position) {
  std::vector<Tensor> r;
  const std::string what = std::string(fn) + "(): argument '" + arg + "'";
  if (is_tensor(seq.ptr()))  // torch refuses a tensor here (it is not a tuple of tensors)
    throw py::type_error(what + " (position " + std::to_string(position) + ") must be tuple of Tensors, not Tensor");
  if (!PySequence_Check(seq.ptr()))
    throw py::type_error(what + " must be tuple of Tensors, not " + Py_TYPE(seq.ptr())->tp_name);
  const py::sequence items = py::reinterpret_borrow<py::sequence>(seq);
  r.reserve(items.size());
  for (py::handle h : items) {
    if (!is_tensor(h.ptr()))
      throw py::type_error(what + " must be tuple of Tensors, but found element of type " + Py_TYPE(h.ptr())->tp_name);
    r.push_back(tensor_of(h.ptr()));
  }
  return r;
}

// Result into `out` when given (resizing an empty out, as torch), else returned.
py::object with_out(Tensor r, py::handle out) {
  if (out.is_none()) return py::reinterpret_steal<py::object>(wrap(std::move(r)));
  if (!is_tensor(out.ptr())) throw py::type_error("argument 'out' must be Tensor");
  Tensor& o = tensor_of(out.ptr());
  if (o.shape() != r.shape()) {
    if (o.numel() != 0)
      throw rusttorch::Error("out: expected an output of shape " + rusttorch::shape_str(r.shape()) + " but got " +
                             rusttorch::shape_str(o.shape()));
    o = Tensor::empty(r.shape(), o.dtype());
  }
  o.copy_(r);
  return py::reinterpret_borrow<py::object>(out);
}

void bind_tensor_methods(py::module_& m) {
  const auto dim0 = py::arg("dim") = 0;

  // ---- joining and splitting ----
  for (const char* name : {"cat", "concat", "concatenate"})
    m.def(name, [](py::handle ts, int64_t dim, py::handle out) { return with_out(cat_impl(tensor_list(ts, "cat"), dim), out); },
          py::arg("tensors"), dim0, py::kw_only(), py::arg("out") = py::none());
  m.def("stack", [](py::handle ts, int64_t dim, py::handle out) { return with_out(stack_impl(tensor_list(ts, "stack"), dim), out); },
        py::arg("tensors"), dim0, py::kw_only(), py::arg("out") = py::none());
  m.def("split", [](const Tensor& t, py::handle s, int64_t dim) { return to_tuple(split_impl(t, s, dim)); },
        py::arg("tensor"), py::arg("split_size_or_sections"), dim0);
  m.def("chunk", [](const Tensor& t, int64_t c, int64_t dim) { return to_tuple(chunk_impl(t, c, dim)); },
        py::arg("input"), py::arg("chunks"), dim0);
  m.def("unbind", [](const Tensor& t, int64_t dim) { return to_tuple(unbind_impl(t, dim)); }, py::arg("input"), dim0);
  m.def("nonzero", &nonzero_py, py::arg("input"), py::kw_only(), py::arg("as_tuple") = false);
  def_method("split", [](const Tensor& t, py::handle s, int64_t dim) { return to_tuple(split_impl(t, s, dim)); },
             py::arg("split_size"), dim0);
  def_method("chunk", [](const Tensor& t, int64_t c, int64_t dim) { return to_tuple(chunk_impl(t, c, dim)); },
             py::arg("chunks"), dim0);
  def_method("unbind", [](const Tensor& t, int64_t dim) { return to_tuple(unbind_impl(t, dim)); }, dim0);
  def_method("nonzero", &nonzero_py, py::kw_only(), py::arg("as_tuple") = false);

  // ---- conversions ----
  def_method("to", &to_impl);
  def_method("type", [](const Tensor& t, py::handle dtype) -> py::object {
    if (dtype.is_none()) return py::str(legacy_type_name(t.dtype()));
    DType d;
    if (!dtype_from_object(dtype.ptr(), &d)) throw py::type_error("type(): expected a rusttorch.dtype");
    return py::reinterpret_steal<py::object>(wrap(t.to(d)));
  }, py::arg("dtype") = py::none());
  def_method("cpu", [](py::handle self) { return py::reinterpret_borrow<py::object>(self); });
  def_method("__array__", [](py::handle self, py::handle dtype, py::handle copy) -> py::object {
    py::object arr = py::reinterpret_steal<py::object>(to_numpy(self.ptr()));
    if (!dtype.is_none()) arr = arr.attr("astype")(dtype);
    else if (!copy.is_none() && PyObject_IsTrue(copy.ptr()) == 1) arr = arr.attr("copy")();
    return arr;
  }, py::arg("dtype") = py::none(), py::kw_only(), py::arg("copy") = py::none());

  // ---- views ----
  def_method("reshape", [](const Tensor& t, py::args shape) {
    const Shape s = varargs_shape(shape, "reshape");
    return on_copy_without_gil(Cost::Memory, t, [&](const Tensor& x) { return x.reshape(s); });
  });
  def_method("view", [](const Tensor& t, py::args shape) {
    if (PyTuple_GET_SIZE(shape.ptr()) == 1) {
      DType d;
      if (dtype_from_object(PyTuple_GET_ITEM(shape.ptr(), 0), &d)) {
        if (d == t.dtype()) return t;
        throw rusttorch::Error("view(dtype) between different dtypes is not supported by rusttorch");
      }
    }
    return t.view(varargs_shape(shape, "view"));
  });
  def_method("view_as", [](const Tensor& t, const Tensor& o) { return t.view(o.shape()); }, py::arg("other"));
  def_method("reshape_as", [](const Tensor& t, const Tensor& o) { return t.reshape(o.shape()); }, py::arg("other"));
  def_method("expand", [](const Tensor& t, py::args sizes) { return t.expand(varargs_shape(sizes, "expand")); });
  def_method("expand_as", [](const Tensor& t, const Tensor& o) { return t.expand(o.shape()); }, py::arg("other"));
  def_method("permute", [](const Tensor& t, py::args dims, py::handle kw_dims) {
    if (kw_dims.is_none()) return t.permute(dims_arg(dims, "permute"));
    if (PyTuple_GET_SIZE(dims.ptr()) != 0) throw py::type_error("permute() got multiple values for argument 'dims'");
    return t.permute(int_list(kw_dims.ptr(), "permute", "dims"));
  }, py::arg("dims") = py::none());
  for (const char* name : {"transpose", "swapaxes", "swapdims"})
    def_method(name, [](const Tensor& t, int64_t a, int64_t b) { return t.transpose(a, b); }, py::arg("dim0"),
               py::arg("dim1"));
  def_method("t", [](const Tensor& t) { return t.t(); });
  def_method("unsqueeze", [](const Tensor& t, int64_t d) { return t.unsqueeze(d); }, py::arg("dim"));
  def_method("squeeze", [](const Tensor& t, py::handle dim) {
    if (dim.is_none()) return t.squeeze();
    Shape dims = int_list(dim.ptr(), "squeeze", "dim");
    for (int64_t& d : dims) d = wrap_dim(d, t.ndim());
    std::sort(dims.rbegin(), dims.rend());
    Tensor r = t;
    for (int64_t d : dims) r = r.squeeze(d);
    return r;
  }, py::arg("dim") = py::none());
  def_method("flatten", [](const Tensor& t, int64_t s, int64_t e) {
    return on_copy_without_gil(Cost::Memory, t, [&](const Tensor& x) { return x.flatten(s, e); });
  }, py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  def_method("narrow", [](const Tensor& t, int64_t d, int64_t s, int64_t l) { return t.narrow(d, s, l); },
             py::arg("dim"), py::arg("start"), py::arg("length"));
  def_method("select", [](const Tensor& t, int64_t d, int64_t i) { return t.select(d, i); }, py::arg("dim"),
             py::arg("index"));
  def_method("as_strided", [](const Tensor& t, IntList size, IntList stride, std::optional<int64_t> off) {
    return t.as_strided(size.v, stride.v, off.value_or(t.storage_offset()));
  }, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());

  // ---- writes ----
  def_method("copy_", [](py::handle self, py::handle src) {
    const Tensor v = as_tensor_arg(src.ptr(), tensor_of(self.ptr()).dtype());
    modify_without_gil(Cost::Memory, self.ptr(), [&](Tensor& s) { s.copy_(v); });
    return py::reinterpret_borrow<py::object>(self);
  }, py::arg("src"));
  def_method("fill_", [](py::handle self, const Scalar& v) {
    modify_without_gil(Cost::Memory, self.ptr(), [&](Tensor& s) { s.fill_(v); });
    return py::reinterpret_borrow<py::object>(self);
  }, py::arg("value"));
  def_method("zero_", [](py::handle self) {
    modify_without_gil(Cost::Memory, self.ptr(), [](Tensor& s) { s.fill_(Scalar(int64_t{0})); });
    return py::reinterpret_borrow<py::object>(self);
  });
}

}  // namespace rtpy
