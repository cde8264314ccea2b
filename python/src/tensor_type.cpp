// rusttorch.Tensor as a CPython heap type embedding a rusttorch::Tensor:
// construction, properties, the number/mapping/buffer protocols and the
// cheap accessor methods. Methods bound with pybind11 are added to the same
// type by the bind_*.cpp files.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "rt.h"
// after Python.h (rt.h)
#include <structmember.h>

namespace rtpy {

PyTypeObject* TensorType = nullptr;

PyObject* wrap(Tensor&& t) {
  PyObject* o = TensorType->tp_alloc(TensorType, 0);
  if (!o) throw python_error();
  new (&reinterpret_cast<PyTensor*>(o)->t) Tensor(std::move(t));
  return o;
}

namespace {

PyObject* tensor_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  RTPY_TRY
  // Tensor(): empty float tensor; Tensor(2, 3) / Tensor(Size): uninitialised
  // float tensor of that size; Tensor(data): float copy of data (as torch.Tensor).
  if (kwargs && PyDict_GET_SIZE(kwargs) > 0) {
    PyErr_SetString(PyExc_TypeError, "Tensor() takes no keyword arguments");
    return nullptr;
  }
  const Py_ssize_t n = PyTuple_GET_SIZE(args);
  Tensor t;
  if (n == 0) {
    t = Tensor::empty({0});
  } else {
    PyObject* a0 = PyTuple_GET_ITEM(args, 0);
    const bool is_size = Py_TYPE(a0) == SizeType || (PyLong_Check(a0) && !PyBool_Check(a0));
    if (is_size) t = Tensor::empty(size_args(&PyTuple_GET_ITEM(args, 0), n, "Tensor"));
    else if (n == 1) t = tensor_from_data(a0, dtype_object(DType::Float32));
    else {
      PyErr_SetString(PyExc_TypeError, "Tensor(): expected sizes or one data sequence");
      return nullptr;
    }
  }
  PyObject* o = type->tp_alloc(type, 0);
  if (!o) return nullptr;
  new (&reinterpret_cast<PyTensor*>(o)->t) Tensor(std::move(t));
  return o;
  RTPY_CATCH(nullptr)
}

void tensor_dealloc(PyObject* self) {
  PyTypeObject* tp = Py_TYPE(self);
  PyTensor* p = reinterpret_cast<PyTensor*>(self);
  if (p->weakrefs) PyObject_ClearWeakRefs(self);
  p->t.~Tensor();
  tp->tp_free(self);
  Py_DECREF(tp);
}

// torch's suffixes (size=, dtype=) after the engine's rendering of the values: the
// engine leaves out dtype=int64/bool of an empty tensor and never wraps a suffix
// onto its own line, both of which torch's _tensor_str does. Lengths are measured
// with torch's spelling "torch.float64" so line breaks fall where torch's do; the
// prefix is ours (rusttorch.float64) when written out.
std::string repr_string(const Tensor& t) {
  const std::string s = t.to_string();
  // The engine's own suffix starts after the last ']' (or after the number of a 0-d tensor).
  std::size_t cut = s.rfind(']');
  if (cut != std::string::npos) cut += 1;
  else cut = std::min(s.find(','), s.size() - 1);
  std::string out = s.substr(0, cut);
  std::vector<std::string> suffixes;
  if (t.numel() == 0 && t.ndim() != 1) {
    std::string size = "size=(";
    for (int64_t i = 0; i < t.ndim(); ++i) size += (i ? ", " : "") + std::to_string(t.shape()[static_cast<std::size_t>(i)]);
    suffixes.push_back(size + ")");
  }
  const DType d = t.dtype();
  if (t.numel() == 0 ? d != DType::Float32 : (d != DType::Float32 && d != DType::Int64 && d != DType::Bool))
    suffixes.push_back(std::string("dtype=torch.") + rusttorch::dtype_name(d));
  if (const auto fn = t.grad_fn()) suffixes.push_back("grad_fn=<" + fn->name() + ">");
  else if (t.requires_grad()) suffixes.push_back("requires_grad=True");
  constexpr std::size_t kLineWidth = 80, kIndent = 7;  // torch's default linewidth; len("tensor(")
  const std::size_t nl = out.rfind('\n');
  std::size_t last = nl == std::string::npos ? out.size() + 2 : out.size() - nl + 1;  // as torch counts it
  for (const std::string& suffix : suffixes) {
    const std::size_t len = suffix.size();  // torch's length
    const std::string ours = suffix.rfind("dtype=torch.", 0) == 0 ? "dtype=rusttorch." + suffix.substr(12) : suffix;
    if (last + len + 2 > kLineWidth) {
      out += ",\n" + std::string(kIndent, ' ') + ours;
      last = kIndent + len;
    } else {
      out += ", " + ours;
      last += len + 2;
    }
  }
  return out + ")";
}

PyObject* tensor_repr(PyObject* self) {
  RTPY_TRY
  const std::string s = repr_string(tensor_of(self));
  return PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
  RTPY_CATCH(nullptr)
}

// ---- properties ----
PyObject* get_shape(PyObject* self, void*) {
  RTPY_TRY
  return make_size(tensor_of(self).shape());
  RTPY_CATCH(nullptr)
}
PyObject* get_dtype(PyObject* self, void*) {
  PyObject* d = dtype_object(tensor_of(self).dtype());
  Py_INCREF(d);
  return d;
}
PyObject* get_ndim(PyObject* self, void*) { return PyLong_FromLongLong(tensor_of(self).ndim()); }
PyObject* get_T(PyObject* self, void*) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  Shape dims(static_cast<std::size_t>(t.ndim()));
  for (int64_t i = 0; i < t.ndim(); ++i) dims[static_cast<std::size_t>(i)] = t.ndim() - 1 - i;
  return wrap(t.permute(dims));
  RTPY_CATCH(nullptr)
}
PyObject* get_mT(PyObject* self, void*) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  if (t.ndim() < 2) throw rusttorch::Error("tensor.mT is only supported on matrices or batches of matrices. Got " +
                                           std::to_string(t.ndim()) + "-D tensor.");
  return wrap(t.transpose(-2, -1));
  RTPY_CATCH(nullptr)
}
// ---- autograd attributes ----
PyObject* get_data(PyObject* self, void*) {
  RTPY_TRY
  return wrap(tensor_of(self).detach());
  RTPY_CATCH(nullptr)
}
int set_data(PyObject* self, PyObject* value, void*) {
  if (!value || !is_tensor(value)) {
    PyErr_SetString(PyExc_TypeError, "Tensor.data must be set to a Tensor");
    return -1;
  }
  Tensor& t = tensor_of(self);
  Tensor nt = tensor_of(value).detach();  // the new data, keeping self's autograd data
  nt.set_autograd_meta(t.autograd_meta());
  t = std::move(nt);
  return 0;
}
PyObject* get_requires_grad(PyObject* self, void*) { return PyBool_FromLong(tensor_of(self).requires_grad()); }
int set_requires_grad(PyObject* self, PyObject* value, void*) {
  RTPY_TRY
  if (!value || !PyBool_Check(value)) {
    PyErr_SetString(PyExc_TypeError, "requires_grad must be a bool");
    return -1;
  }
  tensor_of(self).requires_grad_(value == Py_True);
  return 0;
  RTPY_CATCH(-1)
}
PyObject* get_grad(PyObject* self, void*) {
  RTPY_TRY
  const Tensor& g = tensor_of(self).grad();
  if (!g.defined()) Py_RETURN_NONE;
  return wrap(g);
  RTPY_CATCH(nullptr)
}
int set_grad(PyObject* self, PyObject* value, void*) {
  RTPY_TRY
  if (value && value != Py_None && !is_tensor(value)) {
    PyErr_Format(PyExc_TypeError, "assigned grad expected to be a Tensor or None but got grad of type %s",
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  tensor_of(self).set_grad(value && value != Py_None ? tensor_of(value) : Tensor());
  return 0;
  RTPY_CATCH(-1)
}
PyObject* get_is_leaf(PyObject* self, void*) { return PyBool_FromLong(tensor_of(self).is_leaf()); }
PyObject* get_retains_grad(PyObject* self, void*) { return PyBool_FromLong(tensor_of(self).retains_grad()); }
PyObject* get_version(PyObject* self, void*) { return PyLong_FromUnsignedLong(tensor_of(self).version()); }
PyObject* get_output_nr(PyObject* self, void*) { return PyLong_FromUnsignedLong(tensor_of(self).output_nr()); }
PyObject* get_itemsize(PyObject* self, void*) { return PyLong_FromSize_t(tensor_of(self).itemsize()); }
PyObject* get_nbytes(PyObject* self, void*) {
  const Tensor& t = tensor_of(self);
  return PyLong_FromLongLong(t.numel() * static_cast<int64_t>(t.itemsize()));
}
PyObject* get_false(PyObject*, void*) { Py_RETURN_FALSE; }

PyGetSetDef tensor_getset[] = {
    {"shape", get_shape, nullptr, "The size of the tensor (a rusttorch.Size).", nullptr},
    {"dtype", get_dtype, nullptr, "The element type.", nullptr},
    {"ndim", get_ndim, nullptr, "Number of dimensions.", nullptr},
    {"T", get_T, nullptr, "The tensor with its dimensions reversed (a view).", nullptr},
    {"mT", get_mT, nullptr, "The last two dimensions transposed (a view).", nullptr},
    {"data", get_data, set_data, "The tensor's data, out of the graph (a detached alias).", nullptr},
    {"itemsize", get_itemsize, nullptr, "Bytes per element.", nullptr},
    {"nbytes", get_nbytes, nullptr, "Bytes of the elements (numel * itemsize).", nullptr},
    {"requires_grad", get_requires_grad, set_requires_grad, "Whether autograd records ops on this tensor.", nullptr},
    {"is_leaf", get_is_leaf, nullptr, "True unless the tensor was made by a recorded op.", nullptr},
    {"grad", get_grad, set_grad, "The gradient accumulated by backward(), or None.", nullptr},
    {"retains_grad", get_retains_grad, nullptr, "Whether retain_grad() was called on this non-leaf.", nullptr},
    {"_version", get_version, nullptr, "Writes into the storage so far (autograd's in-place check).", nullptr},
    {"output_nr", get_output_nr, nullptr, "Which output of its grad_fn this tensor is.", nullptr},
    {"is_cuda", get_false, nullptr, "Always False.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

// ---- cheap methods ----
PyObject* m_dim(PyObject* self, PyObject*) { return PyLong_FromLongLong(tensor_of(self).ndim()); }
PyObject* m_numel(PyObject* self, PyObject*) { return PyLong_FromLongLong(tensor_of(self).numel()); }
PyObject* m_is_contiguous(PyObject* self, PyObject*) { return PyBool_FromLong(tensor_of(self).is_contiguous()); }
PyObject* m_is_floating_point(PyObject* self, PyObject*) {
  return PyBool_FromLong(rusttorch::is_floating(tensor_of(self).dtype()));
}
PyObject* m_element_size(PyObject* self, PyObject*) { return PyLong_FromSize_t(tensor_of(self).itemsize()); }
PyObject* m_storage_offset(PyObject* self, PyObject*) { return PyLong_FromLongLong(tensor_of(self).storage_offset()); }
PyObject* m_data_ptr(PyObject* self, PyObject*) { return PyLong_FromVoidPtr(tensor_of(self).data_ptr()); }

PyObject* m_size(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* dim = nargs > 0 ? args[0] : nullptr;
  if (nargs > 1 || (kwnames && (nargs > 0 || PyTuple_GET_SIZE(kwnames) != 1))) {
    PyErr_SetString(PyExc_TypeError, "size() takes at most 1 argument (dim)");
    return nullptr;
  }
  if (kwnames) {
    if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "dim") != 0) {
      PyErr_SetString(PyExc_TypeError, "size() got an unexpected keyword argument");
      return nullptr;
    }
    dim = args[0];
  }
  const Tensor& t = tensor_of(self);
  if (!dim || dim == Py_None) return make_size(t.shape());
  return PyLong_FromLongLong(t.size(int_arg(dim, "size", "dim")));
  RTPY_CATCH(nullptr)
}

PyObject* m_stride(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* dim = nargs > 0 ? args[0] : nullptr;
  if (nargs > 1 || (kwnames && (nargs > 0 || PyTuple_GET_SIZE(kwnames) != 1))) {
    PyErr_SetString(PyExc_TypeError, "stride() takes at most 1 argument (dim)");
    return nullptr;
  }
  if (kwnames) {
    if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "dim") != 0) {
      PyErr_SetString(PyExc_TypeError, "stride() got an unexpected keyword argument");
      return nullptr;
    }
    dim = args[0];
  }
  const Tensor& t = tensor_of(self);
  if (!dim || dim == Py_None) {
    PyObject* r = PyTuple_New(t.ndim());
    if (!r) return nullptr;
    for (int64_t i = 0; i < t.ndim(); ++i)
      PyTuple_SET_ITEM(r, i, PyLong_FromLongLong(t.strides()[static_cast<std::size_t>(i)]));
    return r;
  }
  return PyLong_FromLongLong(t.stride(int_arg(dim, "stride", "dim")));
  RTPY_CATCH(nullptr)
}

PyObject* m_item(PyObject* self, PyObject*) {
  RTPY_TRY
  return from_scalar(tensor_of(self).item());
  RTPY_CATCH(nullptr)
}
PyObject* m_tolist(PyObject* self, PyObject*) {
  RTPY_TRY
  return tensor_tolist(tensor_of(self));
  RTPY_CATCH(nullptr)
}
PyObject* m_contiguous(PyObject* self, PyObject*) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  if (t.is_contiguous()) {
    Py_INCREF(self);
    return self;
  }
  return wrap(t.contiguous());
  RTPY_CATCH(nullptr)
}
PyObject* m_clone(PyObject* self, PyObject*) {
  RTPY_TRY
  const Tensor t = tensor_of(self);
  return wrap(without_gil(Cost::Memory, t.numel(), [&] { return t.clone(); }));
  RTPY_CATCH(nullptr)
}

template <DType D>
PyObject* m_cast(PyObject* self, PyObject*) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  if (t.dtype() == D) {
    Py_INCREF(self);
    return self;
  }
  const Tensor in = t;
  return wrap(without_gil(Cost::Memory, in.numel(), [&] { return in.to(D); }));
  RTPY_CATCH(nullptr)
}

PyObject* m_dlpack_device(PyObject*, PyObject*) { return Py_BuildValue("(ii)", 1, 0); }  // kDLCPU, device 0

PyObject* m_numpy(PyObject* self, PyObject* const*, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  (void)nargs;
  (void)kwnames;  // numpy(force=False): never a copy here
  return to_numpy(self);
  RTPY_CATCH(nullptr)
}

PyObject* m_dlpack(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  if (nargs > 1) {
    PyErr_SetString(PyExc_TypeError, "__dlpack__() takes at most one positional argument (stream)");
    return nullptr;
  }
  PyObject *max_version = nullptr, *dl_device = nullptr, *copy = nullptr;
  if (kwnames) {
    for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(kwnames); ++j) {
      PyObject* key = PyTuple_GET_ITEM(kwnames, j);
      PyObject* val = args[nargs + j];
      if (PyUnicode_CompareWithASCIIString(key, "max_version") == 0) max_version = val;
      else if (PyUnicode_CompareWithASCIIString(key, "dl_device") == 0) dl_device = val;
      else if (PyUnicode_CompareWithASCIIString(key, "copy") == 0) copy = val;
      else if (PyUnicode_CompareWithASCIIString(key, "stream") != 0) {
        PyErr_Format(PyExc_TypeError, "__dlpack__() got an unexpected keyword argument '%U'", key);
        return nullptr;
      }
    }
  }
  return to_dlpack(tensor_of(self), max_version, dl_device, copy);
  RTPY_CATCH(nullptr)
}

std::vector<PyMethodDef> g_method_defs;

void build_method_defs() {
  const PyMethodDef basic[] = {
      {"dim", m_dim, METH_NOARGS, "Number of dimensions."},
      {"ndimension", m_dim, METH_NOARGS, "Number of dimensions."},
      {"numel", m_numel, METH_NOARGS, "Number of elements."},
      {"nelement", m_numel, METH_NOARGS, "Number of elements."},
      {"size", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(m_size)), METH_FASTCALL | METH_KEYWORDS,
       "size(dim=None): the shape, or the size of one dimension."},
      {"stride", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(m_stride)),
       METH_FASTCALL | METH_KEYWORDS, "stride(dim=None): strides in elements."},
      {"is_contiguous", m_is_contiguous, METH_NOARGS, "True when the elements are laid out row-major without gaps."},
      {"is_floating_point", m_is_floating_point, METH_NOARGS, "True for float32 and float64."},
      {"element_size", m_element_size, METH_NOARGS, "Bytes per element."},
      {"storage_offset", m_storage_offset, METH_NOARGS, "Offset of the first element in the storage (elements)."},
      {"data_ptr", m_data_ptr, METH_NOARGS, "Address of the first element."},
      {"item", m_item, METH_NOARGS, "The value of a one-element tensor as a Python number."},
      {"tolist", m_tolist, METH_NOARGS, "The elements as nested Python lists."},
      {"contiguous", m_contiguous, METH_NOARGS, "self if contiguous, else a contiguous copy."},
      {"clone", m_clone, METH_NOARGS, "A contiguous copy."},
      {"float", m_cast<DType::Float32>, METH_NOARGS, "self.to(rusttorch.float32)"},
      {"double", m_cast<DType::Float64>, METH_NOARGS, "self.to(rusttorch.float64)"},
      {"long", m_cast<DType::Int64>, METH_NOARGS, "self.to(rusttorch.int64)"},
      {"int", m_cast<DType::Int32>, METH_NOARGS, "self.to(rusttorch.int32)"},
      {"bool", m_cast<DType::Bool>, METH_NOARGS, "self.to(rusttorch.bool)"},
      {"numpy", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(m_numpy)), METH_FASTCALL | METH_KEYWORDS,
       "A NumPy array sharing this tensor's memory."},
      {"__dlpack__", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(m_dlpack)),
       METH_FASTCALL | METH_KEYWORDS, "DLPack capsule sharing this tensor's memory."},
      {"__dlpack_device__", m_dlpack_device, METH_NOARGS, "(kDLCPU, 0)"},
  };
  for (const PyMethodDef& d : basic) g_method_defs.push_back(d);
  for (PyMethodDef* d = fast_tensor_methods(); d->ml_name; ++d) g_method_defs.push_back(*d);
  g_method_defs.push_back({nullptr, nullptr, 0, nullptr});
}

// ---- number protocol ----
template <int OP>
PyObject* slot_binary(PyObject* a, PyObject* b) { return nb_binary(OP, a, b); }
template <int OP>
PyObject* slot_inplace(PyObject* a, PyObject* b) { return nb_inplace(OP, a, b); }
template <int OP>
PyObject* slot_unary(PyObject* a) { return nb_unary(OP, a); }

PyObject* slot_power(PyObject* a, PyObject* b, PyObject* mod) {
  if (mod != Py_None) {
    PyErr_SetString(PyExc_TypeError, "pow() with a modulus is not supported for tensors");
    return nullptr;
  }
  return nb_binary(op_pow, a, b);
}
PyObject* slot_inplace_power(PyObject* a, PyObject* b, PyObject* mod) {
  if (mod != Py_None) {
    PyErr_SetString(PyExc_TypeError, "pow() with a modulus is not supported for tensors");
    return nullptr;
  }
  return nb_inplace(op_pow, a, b);
}

PyObject* slot_positive(PyObject* self) {
  if (tensor_of(self).dtype() == DType::Bool) {
    PyErr_SetString(PyExc_RuntimeError,
                    "The `+` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
                    "use the `~` or `logical_not()` operator instead.");
    return nullptr;
  }
  Py_INCREF(self);
  return self;
}

int slot_bool(PyObject* self) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  if (t.numel() == 0) throw rusttorch::Error("Boolean value of Tensor with no values is ambiguous");
  if (t.numel() > 1) throw rusttorch::Error("Boolean value of Tensor with more than one value is ambiguous");
  return t.item().to_bool() ? 1 : 0;
  RTPY_CATCH(-1)
}

Scalar single_value(PyObject* self) {
  const Tensor& t = tensor_of(self);
  if (t.numel() != 1) {
    PyErr_SetString(PyExc_ValueError, "only one element tensors can be converted to Python scalars");
    throw python_error();
  }
  return t.item();
}

PyObject* slot_int(PyObject* self) {
  RTPY_TRY
  const Scalar s = single_value(self);
  if (s.is_floating()) return PyLong_FromDouble(s.to_double());
  return PyLong_FromLongLong(s.to_int());
  RTPY_CATCH(nullptr)
}
PyObject* slot_float(PyObject* self) {
  RTPY_TRY
  return PyFloat_FromDouble(single_value(self).to_double());
  RTPY_CATCH(nullptr)
}
PyObject* slot_index(PyObject* self) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  if (t.numel() != 1 || !rusttorch::is_integral(t.dtype(), false)) {
    PyErr_SetString(PyExc_TypeError, "only integer tensors of a single element can be converted to an index");
    return nullptr;
  }
  return PyLong_FromLongLong(t.item().to_int());
  RTPY_CATCH(nullptr)
}

Py_ssize_t slot_length(PyObject* self) {
  const Tensor& t = tensor_of(self);
  if (t.ndim() == 0) {
    PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
    return -1;
  }
  return static_cast<Py_ssize_t>(t.shape()[0]);
}

PyObject* slot_iter(PyObject* self) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  if (t.ndim() == 0) {
    PyErr_SetString(PyExc_TypeError, "iteration over a 0-d tensor");
    return nullptr;
  }
  const int64_t n = t.shape()[0];
  PyObject* list = PyList_New(n);
  if (!list) return nullptr;
  for (int64_t i = 0; i < n; ++i) {
    PyObject* item;
    try {
      item = wrap(t.select(0, i));
    } catch (...) {
      Py_DECREF(list);
      throw;
    }
    PyList_SET_ITEM(list, i, item);
  }
  PyObject* it = PyObject_GetIter(list);
  Py_DECREF(list);
  return it;
  RTPY_CATCH(nullptr)
}

int slot_contains(PyObject* self, PyObject* value) {
  RTPY_TRY
  PyObject* eq = richcompare(self, value, Py_EQ);
  if (!eq) return -1;
  if (eq == Py_NotImplemented) {
    Py_DECREF(eq);
    PyErr_Format(PyExc_RuntimeError,
                 "Tensor.__contains__ only supports Tensor or scalar, but you passed in a %s.",
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  const Tensor m = tensor_of(eq).contiguous();
  Py_DECREF(eq);
  const uint8_t* p = static_cast<const uint8_t*>(m.data_ptr());
  for (int64_t i = 0; i < m.numel(); ++i)
    if (p[i]) return 1;
  return 0;
  RTPY_CATCH(-1)
}

Py_hash_t slot_hash(PyObject* self) { return PyBaseObject_Type.tp_hash(self); }  // by identity, as torch

PyMemberDef tensor_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(PyTensor, weakrefs), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

#define SLOT(id, f) {id, reinterpret_cast<void*>(f)}

}  // namespace

bool init_tensor_type(PyObject* module) {
  build_method_defs();
  static PyType_Slot slots[] = {
      SLOT(Py_tp_new, tensor_new),
      SLOT(Py_tp_dealloc, tensor_dealloc),
      SLOT(Py_tp_repr, tensor_repr),
      SLOT(Py_tp_str, tensor_repr),
      SLOT(Py_tp_hash, slot_hash),
      SLOT(Py_tp_richcompare, richcompare),
      SLOT(Py_tp_iter, slot_iter),
      {Py_tp_getset, tensor_getset},
      {Py_tp_members, tensor_members},
      {Py_tp_methods, nullptr},  // filled below
      {Py_tp_doc, const_cast<char*>("A strided n-dimensional array on the CPU (rusttorch)")},
      SLOT(Py_nb_add, slot_binary<op_add>),
      SLOT(Py_nb_subtract, slot_binary<op_sub>),
      SLOT(Py_nb_multiply, slot_binary<op_mul>),
      SLOT(Py_nb_true_divide, slot_binary<op_div>),
      SLOT(Py_nb_floor_divide, slot_binary<op_floor_divide>),
      SLOT(Py_nb_remainder, slot_binary<op_remainder>),
      SLOT(Py_nb_power, slot_power),
      SLOT(Py_nb_matrix_multiply, slot_binary<op_matmul>),
      SLOT(Py_nb_and, slot_binary<op_bitwise_and>),
      SLOT(Py_nb_or, slot_binary<op_bitwise_or>),
      SLOT(Py_nb_xor, slot_binary<op_bitwise_xor>),
      SLOT(Py_nb_inplace_add, slot_inplace<op_add>),
      SLOT(Py_nb_inplace_subtract, slot_inplace<op_sub>),
      SLOT(Py_nb_inplace_multiply, slot_inplace<op_mul>),
      SLOT(Py_nb_inplace_true_divide, slot_inplace<op_div>),
      SLOT(Py_nb_inplace_floor_divide, slot_inplace<op_floor_divide>),
      SLOT(Py_nb_inplace_remainder, slot_inplace<op_remainder>),
      SLOT(Py_nb_inplace_power, slot_inplace_power),
      SLOT(Py_nb_inplace_and, slot_inplace<op_bitwise_and>),
      SLOT(Py_nb_inplace_or, slot_inplace<op_bitwise_or>),
      SLOT(Py_nb_inplace_xor, slot_inplace<op_bitwise_xor>),
      SLOT(Py_nb_negative, slot_unary<op_neg>),
      SLOT(Py_nb_positive, slot_positive),
      SLOT(Py_nb_absolute, slot_unary<op_abs>),
      SLOT(Py_nb_invert, slot_unary<op_bitwise_not>),
      SLOT(Py_nb_bool, slot_bool),
      SLOT(Py_nb_int, slot_int),
      SLOT(Py_nb_float, slot_float),
      SLOT(Py_nb_index, slot_index),
      SLOT(Py_mp_length, slot_length),
      SLOT(Py_mp_subscript, tensor_getitem),
      SLOT(Py_mp_ass_subscript, tensor_setitem),
      SLOT(Py_sq_contains, slot_contains),
      SLOT(Py_bf_getbuffer, tensor_getbuffer),
      SLOT(Py_bf_releasebuffer, tensor_releasebuffer),
      {0, nullptr}};
  for (PyType_Slot* s = slots; s->slot; ++s)
    if (s->slot == Py_tp_methods) s->pfunc = g_method_defs.data();
  static PyType_Spec spec = {"rusttorch.Tensor", sizeof(PyTensor), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
                             slots};
  TensorType = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&spec));
  if (!TensorType) return false;
  // NumPy defers binary operators with a higher priority to us (ndarray + Tensor -> Tensor).
  PyObject* prio = PyFloat_FromDouble(1000.0);
  if (!prio || PyObject_SetAttrString(reinterpret_cast<PyObject*>(TensorType), "__array_priority__", prio) < 0) {
    Py_XDECREF(prio);
    return false;
  }
  Py_DECREF(prio);
  return PyModule_AddObjectRef(module, "Tensor", reinterpret_cast<PyObject*>(TensorType)) == 0;
}

}  // namespace rtpy
