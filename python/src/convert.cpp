// Python <-> C++ conversions: numbers, dtype objects, rusttorch.Size, int
// lists and varargs sizes, nested sequences (rusttorch.tensor) and tolist().
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "rt.h"

namespace rtpy {

PyTypeObject* DTypeType = nullptr;
PyTypeObject* SizeType = nullptr;

namespace {

PyObject* g_dtypes[rusttorch::kNumDTypes] = {};

bool is_numpy_type(PyObject* o) { return std::strncmp(Py_TYPE(o)->tp_name, "numpy.", 6) == 0; }

struct Ref {  // owns one reference
  PyObject* p = nullptr;
  explicit Ref(PyObject* o = nullptr) : p(o) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() { Py_XDECREF(p); }
  PyObject* release() { PyObject* r = p; p = nullptr; return r; }
};

[[noreturn]] void throw_type_error(const std::string& msg) {
  PyErr_SetString(PyExc_TypeError, msg.c_str());
  throw python_error();
}

// ---------------------------------------------------------------- dtype objects
PyObject* dtype_repr(PyObject* self) {
  return PyUnicode_FromFormat("rusttorch.%s", rusttorch::dtype_name(reinterpret_cast<PyDType*>(self)->dtype));
}
PyObject* dtype_reduce(PyObject* self, PyObject*) {  // pickled as the module attribute of that name
  return PyUnicode_FromString(rusttorch::dtype_name(reinterpret_cast<PyDType*>(self)->dtype));
}
PyObject* dtype_is_floating(PyObject* self, void*) {
  return PyBool_FromLong(rusttorch::is_floating(reinterpret_cast<PyDType*>(self)->dtype));
}
PyObject* dtype_is_signed(PyObject* self, void*) {
  return PyBool_FromLong(reinterpret_cast<PyDType*>(self)->dtype != DType::Bool);
}
PyObject* dtype_is_complex(PyObject*, void*) { Py_RETURN_FALSE; }
PyObject* dtype_itemsize(PyObject* self, void*) {
  return PyLong_FromSize_t(rusttorch::itemsize(reinterpret_cast<PyDType*>(self)->dtype));
}

PyGetSetDef dtype_getset[] = {
    {"is_floating_point", dtype_is_floating, nullptr, "True for float32 and float64", nullptr},
    {"is_signed", dtype_is_signed, nullptr, "True unless bool", nullptr},
    {"is_complex", dtype_is_complex, nullptr, "Always False", nullptr},
    {"itemsize", dtype_itemsize, nullptr, "Bytes per element", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};
PyMethodDef dtype_methods[] = {{"__reduce__", dtype_reduce, METH_NOARGS, nullptr},
                               {nullptr, nullptr, 0, nullptr}};

PyType_Slot dtype_slots[] = {{Py_tp_repr, reinterpret_cast<void*>(dtype_repr)},
                             {Py_tp_getset, dtype_getset},
                             {Py_tp_methods, dtype_methods},
                             {Py_tp_doc, const_cast<char*>("Element type of a rusttorch.Tensor")},
                             {0, nullptr}};
PyType_Spec dtype_spec = {"rusttorch.dtype", sizeof(PyDType), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                          dtype_slots};

// ---------------------------------------------------------------- rusttorch.Size
PyObject* size_repr(PyObject* self) {
  std::string s = "rusttorch.Size([";
  const Py_ssize_t n = PyTuple_GET_SIZE(self);
  for (Py_ssize_t i = 0; i < n; ++i) {
    Ref r(PyObject_Repr(PyTuple_GET_ITEM(self, i)));
    if (!r.p) return nullptr;
    const char* u = PyUnicode_AsUTF8(r.p);
    if (!u) return nullptr;
    if (i) s += ", ";
    s += u;
  }
  s += "])";
  return PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
}

PyObject* size_from_tuple(PyObject* tuple) {  // steals `tuple`
  Ref t(tuple);
  if (!t.p) return nullptr;
  const Py_ssize_t n = PyTuple_GET_SIZE(t.p);
  PyObject* r = SizeType->tp_alloc(SizeType, n);
  if (!r) return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = PyTuple_GET_ITEM(t.p, i);
    Py_INCREF(item);
    PyTuple_SET_ITEM(r, i, item);
  }
  return r;
}

PyObject* size_getitem(PyObject* self, PyObject* key) {
  PyObject* r = PyTuple_Type.tp_as_mapping->mp_subscript(self, key);
  if (r && PySlice_Check(key)) return size_from_tuple(r);
  return r;
}

PyObject* size_add(PyObject* a, PyObject* b) {
  if (!PyTuple_Check(a) || !PyTuple_Check(b)) Py_RETURN_NOTIMPLEMENTED;
  return size_from_tuple(PyTuple_Type.tp_as_sequence->sq_concat(a, b));
}

PyObject* size_numel(PyObject* self, PyObject*) {
  int64_t n = 1;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self); ++i) {
    const long long v = PyLong_AsLongLong(PyTuple_GET_ITEM(self, i));
    if (v == -1 && PyErr_Occurred()) return nullptr;
    n *= v;
  }
  return PyLong_FromLongLong(n);
}

PyObject* size_new(PyTypeObject* type, PyObject* args, PyObject* kwargs) {
  // Size(iterable of ints); every element must be an integer, as torch.Size.
  PyObject* r = PyTuple_Type.tp_new(type, args, kwargs);
  if (!r) return nullptr;
  for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(r); ++i) {
    PyObject* item = PyTuple_GET_ITEM(r, i);
    if (!PyLong_Check(item)) {
      if (!PyIndex_Check(item) || PyFloat_Check(item)) {
        PyErr_Format(PyExc_TypeError, "rusttorch.Size() takes an iterable of 'int' (item %zd is '%s')", i,
                     Py_TYPE(item)->tp_name);
        Py_DECREF(r);
        return nullptr;
      }
      PyObject* v = PyNumber_Index(item);
      if (!v) {
        Py_DECREF(r);
        return nullptr;
      }
      PyTuple_SET_ITEM(r, i, v);
      Py_DECREF(item);
    }
  }
  return r;
}

PyMethodDef size_methods[] = {
    {"numel", size_numel, METH_NOARGS, "Number of elements a tensor of this size has."},
    {nullptr, nullptr, 0, nullptr}};
PyType_Slot size_slots[] = {{Py_tp_repr, reinterpret_cast<void*>(size_repr)},
                            {Py_tp_new, reinterpret_cast<void*>(size_new)},
                            {Py_mp_subscript, reinterpret_cast<void*>(size_getitem)},
                            {Py_nb_add, reinterpret_cast<void*>(size_add)},
                            {Py_tp_methods, size_methods},
                            {Py_tp_doc, const_cast<char*>("The shape of a tensor: a tuple of ints")},
                            {0, nullptr}};
PyType_Spec size_spec = {"rusttorch.Size", 0, 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, size_slots};

}  // namespace

// ---------------------------------------------------------------- numbers
bool to_scalar(PyObject* o, Scalar* out) {
  if (PyFloat_Check(o)) {
    *out = Scalar(PyFloat_AS_DOUBLE(o));
    return true;
  }
  if (PyLong_Check(o)) {
    if (PyBool_Check(o)) {
      *out = Scalar(o == Py_True);
      return true;
    }
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) throw rusttorch::ValueError("Overflow when unpacking long");
    if (v == -1 && PyErr_Occurred()) throw python_error();
    *out = Scalar(static_cast<int64_t>(v));
    return true;
  }
  if (is_numpy_type(o) && !PySequence_Check(o)) {  // NumPy scalars act as Python numbers
    const char* name = Py_TYPE(o)->tp_name + 6;
    if (std::strncmp(name, "bool", 4) == 0) {
      const int b = PyObject_IsTrue(o);
      if (b < 0) throw python_error();
      *out = Scalar(b != 0);
      return true;
    }
    if (std::strstr(name, "complex")) return false;
    if (PyIndex_Check(o)) {
      Ref i(PyNumber_Index(o));
      if (!i.p) throw python_error();
      return to_scalar(i.p, out);
    }
    if (Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float) {
      const double d = PyFloat_AsDouble(o);
      if (d == -1.0 && PyErr_Occurred()) throw python_error();
      *out = Scalar(d);
      return true;
    }
  }
  return false;
}

PyObject* from_scalar(const Scalar& s) {
  switch (s.kind()) {
    case Scalar::Kind::Bool: return PyBool_FromLong(s.to_bool());
    case Scalar::Kind::Int: return PyLong_FromLongLong(s.to_int());
    case Scalar::Kind::Float: return PyFloat_FromDouble(s.to_double());
  }
  Py_RETURN_NONE;
}

// ---------------------------------------------------------------- dtypes
PyObject* dtype_object(DType d) { return g_dtypes[static_cast<int>(d)]; }

bool dtype_from_object(PyObject* o, DType* out) {
  if (Py_TYPE(o) == DTypeType) {
    *out = reinterpret_cast<PyDType*>(o)->dtype;
    return true;
  }
  if (o == reinterpret_cast<PyObject*>(&PyFloat_Type)) { *out = DType::Float64; return true; }
  if (o == reinterpret_cast<PyObject*>(&PyBool_Type)) { *out = DType::Bool; return true; }
  if (o == reinterpret_cast<PyObject*>(&PyLong_Type)) { *out = DType::Int64; return true; }
  // NumPy dtypes and scalar types of our five dtypes (Dask passes them to chunk methods), asked of
  // rusttorch._numpy_dtype. Only this slow path pays for the call.
  static PyObject* from_numpy_like = nullptr;
  if (!from_numpy_like) {
    PyObject* mod = PyImport_ImportModule("rusttorch._numpy_dtype");
    if (mod) {
      from_numpy_like = PyObject_GetAttrString(mod, "from_numpy_like");
      Py_DECREF(mod);
    }
    if (!from_numpy_like) {
      PyErr_Clear();
      return false;
    }
  }
  PyObject* r = PyObject_CallOneArg(from_numpy_like, o);
  if (!r) {
    PyErr_Clear();
    return false;
  }
  const bool ok = Py_TYPE(r) == DTypeType;
  if (ok) *out = reinterpret_cast<PyDType*>(r)->dtype;
  Py_DECREF(r);
  return ok;
}

DType dtype_arg(PyObject* o, DType fallback, const char* what) {
  if (!o || o == Py_None) return fallback;
  DType d;
  if (dtype_from_object(o, &d)) return d;
  throw_type_error(std::string(what) + ": argument 'dtype' must be rusttorch.dtype, not " + Py_TYPE(o)->tp_name);
}

// ---------------------------------------------------------------- sizes
PyObject* make_size(const Shape& s) {
  const Py_ssize_t n = static_cast<Py_ssize_t>(s.size());
  PyObject* r = SizeType->tp_alloc(SizeType, n);
  if (!r) throw python_error();
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* v = PyLong_FromLongLong(s[static_cast<std::size_t>(i)]);
    if (!v) {
      Py_DECREF(r);
      throw python_error();
    }
    PyTuple_SET_ITEM(r, i, v);
  }
  return r;
}

int64_t int_arg(PyObject* o, const char* fn, const char* arg) {
  if (PyLong_Check(o)) {
    const long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) throw python_error();
    return v;
  }
  if (!PyFloat_Check(o) && PyIndex_Check(o)) {
    Ref i(PyNumber_Index(o));
    if (!i.p) throw python_error();
    return int_arg(i.p, fn, arg);
  }
  throw_type_error(std::string(fn) + "(): argument '" + arg + "' must be int, not " + Py_TYPE(o)->tp_name);
}

Shape int_list(PyObject* o, const char* fn, const char* arg) {
  if (PyLong_Check(o) || (!PyFloat_Check(o) && !PySequence_Check(o) && PyIndex_Check(o)))
    return Shape{int_arg(o, fn, arg)};
  if (!PyTuple_Check(o) && !PyList_Check(o) && !(PySequence_Check(o) && !PyUnicode_Check(o) && !is_tensor(o)))
    throw_type_error(std::string(fn) + "(): argument '" + arg + "' must be tuple of ints, not " +
                     Py_TYPE(o)->tp_name);
  Ref seq(PySequence_Fast(o, "expected a sequence"));
  if (!seq.p) throw python_error();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.p);
  Shape r(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = PySequence_Fast_GET_ITEM(seq.p, i);
    if (PyFloat_Check(item) || !PyIndex_Check(item))
      throw_type_error(std::string(fn) + "(): argument '" + arg + "' must be tuple of ints, but found element of type " +
                       Py_TYPE(item)->tp_name + " at pos " + std::to_string(i));
    r[static_cast<std::size_t>(i)] = int_arg(item, fn, arg);
  }
  return r;
}

Shape size_args(PyObject* const* args, Py_ssize_t n, const char* fn) {
  if (n == 0) throw_type_error(std::string(fn) + "() missing 1 required positional arguments: \"size\"");
  if (n == 1 && !PyLong_Check(args[0]) && (PyTuple_Check(args[0]) || PyList_Check(args[0]) || PySequence_Check(args[0])))
    return int_list(args[0], fn, "size");
  Shape r(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    if (PyFloat_Check(args[i]) || !PyIndex_Check(args[i]))
      throw_type_error(std::string(fn) + "(): argument 'size' must be tuple of ints, but found element of type " +
                       Py_TYPE(args[i])->tp_name + " at pos " + std::to_string(i));
    r[static_cast<std::size_t>(i)] = int_arg(args[i], fn, "size");
  }
  return r;
}

// ---------------------------------------------------------------- tolist
namespace {
PyObject* element_object(const char* p, DType d) {
  switch (d) {
    case DType::Bool: return PyBool_FromLong(*reinterpret_cast<const uint8_t*>(p) != 0);
    case DType::Int32: return PyLong_FromLong(*reinterpret_cast<const int32_t*>(p));
    case DType::Int64: return PyLong_FromLongLong(*reinterpret_cast<const int64_t*>(p));
    case DType::Float32: return PyFloat_FromDouble(*reinterpret_cast<const float*>(p));
    case DType::Float64: return PyFloat_FromDouble(*reinterpret_cast<const double*>(p));
  }
  return nullptr;
}

PyObject* build_list(const char*& p, const Shape& shape, std::size_t dim, DType d, std::size_t isz) {
  if (dim == shape.size()) {
    PyObject* r = element_object(p, d);
    p += isz;
    return r;
  }
  const Py_ssize_t n = static_cast<Py_ssize_t>(shape[dim]);
  PyObject* list = PyList_New(n);
  if (!list) return nullptr;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* item = build_list(p, shape, dim + 1, d, isz);
    if (!item) {
      Py_DECREF(list);
      return nullptr;
    }
    PyList_SET_ITEM(list, i, item);
  }
  return list;
}
}  // namespace

PyObject* tensor_tolist(const Tensor& t) {
  const Tensor c = t.contiguous();
  const char* p = static_cast<const char*>(c.data_ptr());
  PyObject* r = build_list(p, c.shape(), 0, c.dtype(), c.itemsize());
  if (!r) throw python_error();
  return r;
}

// ---------------------------------------------------------------- rusttorch.tensor(data)
namespace {

bool is_data_sequence(PyObject* o) {
  if (PyUnicode_Check(o) || PyBytes_Check(o) || PyByteArray_Check(o) || is_tensor(o)) return false;
  if (PyList_Check(o) || PyTuple_Check(o)) return true;
  return PySequence_Check(o) && PyObject_HasAttrString(o, "__len__");
}

struct Leaves {
  bool dtype_given = false;
  Shape shape;
  std::vector<Scalar> values;
  std::vector<Ref*> keep;
  ~Leaves() {
    for (Ref* r : keep) delete r;
  }
};

// torch follows the first elements for the shape, taking a string there for a
// sequence of sequences (ValueError "too many dimensions 'str'").
void infer_shape(PyObject* o, Shape& shape) {
  Ref holder;
  for (;;) {
    if (!shape.empty() && (PyUnicode_Check(o) || PyBytes_Check(o))) {
      PyErr_Format(PyExc_ValueError, "too many dimensions '%s'", Py_TYPE(o)->tp_name);
      throw python_error();
    }
    if (!is_data_sequence(o)) break;
    const Py_ssize_t n = PySequence_Size(o);
    if (n < 0) throw python_error();
    shape.push_back(n);
    if (n == 0) return;
    PyObject* first = PySequence_GetItem(o, 0);
    if (!first) throw python_error();
    Py_XDECREF(holder.p);
    holder.p = first;
    o = first;
  }
}

// An element that is neither a number nor a sequence, with torch's exception types:
// a string is an invalid data type (TypeError); anything else leaves the dtype
// uninferable (RuntimeError), or, with dtype= given, is not a real number (TypeError).
[[noreturn]] void bad_element(PyObject* o, bool dtype_given) {
  const char* name = Py_TYPE(o)->tp_name;
  if (dtype_given) throw_type_error(std::string("must be real number, not ") + name);
  if (PyUnicode_Check(o) || PyBytes_Check(o) || PyComplex_Check(o))  // complex: a dtype rusttorch lacks
    throw_type_error(std::string("new(): invalid data type '") + name + "'");
  throw rusttorch::Error(std::string("Could not infer dtype of ") + name);
}

void collect(PyObject* o, std::size_t dim, Leaves& L) {
  if (dim == L.shape.size()) {
    Scalar s(0);
    if (to_scalar(o, &s)) {
      L.values.push_back(s);
      return;
    }
    if (is_tensor(o)) {
      const Tensor& t = tensor_of(o);
      if (t.numel() != 1) {
        PyErr_SetString(PyExc_ValueError, "only one element tensors can be converted to Python scalars");
        throw python_error();
      }
      L.values.push_back(t.item());
      return;
    }
    if (is_data_sequence(o)) {
      PyErr_Format(PyExc_TypeError, "expected a number at dim %zu but got a sequence", dim);
      throw python_error();
    }
    bad_element(o, L.dtype_given);
  }
  if (!is_data_sequence(o)) {
    if (L.dtype_given && (PyUnicode_Check(o) || PyBytes_Check(o))) {  // torch then takes it for a sequence
      const Py_ssize_t n = PyObject_Length(o);
      if (n != L.shape[dim]) {
        PyErr_Format(PyExc_ValueError, "expected sequence of length %lld at dim %zu (got %zd)",
                     static_cast<long long>(L.shape[dim]), dim, n);
        throw python_error();
      }
      throw_type_error(std::string("must be real number, not ") + Py_TYPE(o)->tp_name);
    }
    Scalar v(0);
    if (!is_tensor(o) && !to_scalar(o, &v)) bad_element(o, L.dtype_given);
    if (!is_tensor(o)) throw_type_error("not a sequence");  // torch's error for [[1], 2]
    PyErr_Format(PyExc_ValueError, "expected sequence of length %lld at dim %zu (got %s)",
                 static_cast<long long>(L.shape[dim]), dim, Py_TYPE(o)->tp_name);
    throw python_error();
  }
  Ref* seq = new Ref(PySequence_Fast(o, "expected a sequence"));
  L.keep.push_back(seq);
  if (!seq->p) throw python_error();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq->p);
  if (n != L.shape[dim]) {
    PyErr_Format(PyExc_ValueError, "expected sequence of length %lld at dim %zu (got %zd)",
                 static_cast<long long>(L.shape[dim]), dim, n);
    throw python_error();
  }
  for (Py_ssize_t i = 0; i < n; ++i) collect(PySequence_Fast_GET_ITEM(seq->p, i), dim + 1, L);
}

template <class T>
void write_values(Tensor& t, const std::vector<Scalar>& v) {
  T* p = static_cast<T*>(t.data_ptr());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) p[i] = static_cast<T>(v[i].to_double());
    else if (v[i].is_floating()) p[i] = static_cast<T>(v[i].to_double());
    else p[i] = static_cast<T>(v[i].to_int());
  }
}

bool is_ndarray(PyObject* o) { return std::strcmp(Py_TYPE(o)->tp_name, "numpy.ndarray") == 0; }

Tensor copy_as(const Tensor& t, std::optional<DType> want) {
  if (want && *want != t.dtype()) return t.to(*want);
  return t.clone();
}

}  // namespace

Tensor tensor_from_data(PyObject* data, PyObject* dtype_obj) {
  std::optional<DType> want;
  if (dtype_obj && dtype_obj != Py_None) want = dtype_arg(dtype_obj, DType::Float32, "tensor()");
  if (is_tensor(data)) return copy_as(tensor_of(data), want);
  if (is_ndarray(data)) return copy_as(from_numpy(data), want);
  if (is_numpy_type(data) && PyObject_HasAttrString(data, "dtype") && !PySequence_Check(data)) {
    // A NumPy scalar keeps its NumPy dtype, as torch.tensor(np.float32(1)).
    Ref np(PyImport_ImportModule("numpy"));
    if (!np.p) throw python_error();
    Ref arr(PyObject_CallMethod(np.p, "asarray", "O", data));
    if (!arr.p) throw python_error();
    return copy_as(from_numpy(arr.p), want);
  }
  if (PyUnicode_Check(data) || PyBytes_Check(data))
    throw_type_error(std::string("new(): invalid data type '") + Py_TYPE(data)->tp_name + "'");
  Leaves L;
  L.dtype_given = want.has_value();
  infer_shape(data, L.shape);
  L.values.reserve(static_cast<std::size_t>(rusttorch::checked_numel(L.shape)));
  collect(data, 0, L);
  DType dtype = DType::Bool;
  if (L.values.empty()) dtype = rusttorch::kDefaultFloat;
  for (const Scalar& s : L.values) dtype = rusttorch::promote_types(dtype, s.default_dtype());
  if (want) dtype = *want;
  Tensor t = Tensor::empty(L.shape, dtype);
  switch (dtype) {
    case DType::Bool: {
      uint8_t* p = static_cast<uint8_t*>(t.data_ptr());
      for (std::size_t i = 0; i < L.values.size(); ++i) p[i] = L.values[i].to_bool() ? 1 : 0;
      break;
    }
    case DType::Int32: write_values<int32_t>(t, L.values); break;
    case DType::Int64: write_values<int64_t>(t, L.values); break;
    case DType::Float32: write_values<float>(t, L.values); break;
    case DType::Float64: write_values<double>(t, L.values); break;
  }
  return t;
}

Tensor as_tensor_arg(PyObject* o, DType dtype_if_number) {
  if (is_tensor(o)) return tensor_of(o);
  Scalar s(0);
  if (to_scalar(o, &s)) return Tensor::scalar_tensor(s, dtype_if_number);
  return tensor_from_data(o, nullptr);
}

// ---------------------------------------------------------------- module init
bool init_convert(PyObject* module) {
  DTypeType = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&dtype_spec));
  if (!DTypeType) return false;
  if (PyModule_AddObjectRef(module, "dtype", reinterpret_cast<PyObject*>(DTypeType)) < 0) return false;
  for (int i = 0; i < rusttorch::kNumDTypes; ++i) {
    PyDType* d = PyObject_New(PyDType, DTypeType);
    if (!d) return false;
    d->dtype = static_cast<DType>(i);
    g_dtypes[i] = reinterpret_cast<PyObject*>(d);
    if (PyModule_AddObjectRef(module, rusttorch::dtype_name(d->dtype), g_dtypes[i]) < 0) return false;
  }
  PyObject* bases = PyTuple_Pack(1, reinterpret_cast<PyObject*>(&PyTuple_Type));
  if (!bases) return false;
  SizeType = reinterpret_cast<PyTypeObject*>(PyType_FromSpecWithBases(&size_spec, bases));
  Py_DECREF(bases);
  if (!SizeType) return false;
  return PyModule_AddObjectRef(module, "Size", reinterpret_cast<PyObject*>(SizeType)) == 0;
}

}  // namespace rtpy
