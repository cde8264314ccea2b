// Zero-copy interop: the buffer protocol (export), from_numpy (import through
// the buffer protocol), .numpy(), and DLPack in both directions (legacy
// "dltensor" and versioned "dltensor_versioned" capsules).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rt.h"

namespace rtpy {
namespace {

// ---- DLPack ABI (dlpack.h, v1.0) ----
struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};
struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;
  uint64_t byte_offset;
};
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor*);
};
struct DLPackVersion {
  uint32_t major;
  uint32_t minor;
};
struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned*);
  uint64_t flags;
  DLTensor dl_tensor;
};
constexpr int32_t kDLCPU = 1;
constexpr uint8_t kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBool = 6;
constexpr uint64_t kDLFlagReadOnly = 1;
constexpr uint32_t kDLPackMajor = 1, kDLPackMinor = 0;

// Runs `f` holding the GIL (owners may be released from any thread, or after
// the interpreter has finalized, in which case the Python object is leaked).
template <class F>
void with_gil(F&& f) {
  if (!Py_IsInitialized()) return;
  const PyGILState_STATE st = PyGILState_Ensure();
  f();
  PyGILState_Release(st);
}

int64_t extent_bytes(const Shape& shape, const Shape& strides, std::size_t isz) {
  int64_t hi = 0;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return 0;
    if (strides[i] > 0) hi += (shape[i] - 1) * strides[i];
  }
  return (hi + 1) * static_cast<int64_t>(isz);
}

char g_empty_dummy[64];  // data pointer for zero-size external arrays with a null pointer

// ---- buffer export ----
struct BufferInfo {
  std::shared_ptr<void> storage;  // keeps the memory alive even if the tensor object is rebound
  std::vector<Py_ssize_t> shape, strides;
};

const char* format_of(DType d) {
  switch (d) {
    case DType::Bool: return "?";
    case DType::Int32: return "i";
    case DType::Int64: return "q";
    case DType::Float32: return "f";
    case DType::Float64: return "d";
  }
  return "B";
}

}  // namespace

int tensor_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  const bool contiguous = t.is_contiguous();
  if (!contiguous && ((flags & PyBUF_STRIDES) != PyBUF_STRIDES || (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS ||
                      (flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS)) {
    PyErr_SetString(PyExc_BufferError, "the tensor is not contiguous; call .contiguous() first");
    return -1;
  }
  if ((flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS && t.ndim() > 1) {
    PyErr_SetString(PyExc_BufferError, "rusttorch tensors are row-major");
    return -1;
  }
  auto* info = new BufferInfo;
  info->storage = t.storage();
  const std::size_t isz = t.itemsize();
  for (int64_t d = 0; d < t.ndim(); ++d) {
    info->shape.push_back(static_cast<Py_ssize_t>(t.shape()[static_cast<std::size_t>(d)]));
    info->strides.push_back(static_cast<Py_ssize_t>(t.strides()[static_cast<std::size_t>(d)] * static_cast<int64_t>(isz)));
  }
  view->buf = t.data_ptr();
  view->obj = self;
  Py_INCREF(self);
  view->len = static_cast<Py_ssize_t>(t.numel() * static_cast<int64_t>(isz));
  view->readonly = 0;
  view->itemsize = static_cast<Py_ssize_t>(isz);
  view->format = (flags & PyBUF_FORMAT) ? const_cast<char*>(format_of(t.dtype())) : nullptr;
  view->ndim = static_cast<int>(t.ndim());
  view->shape = (flags & PyBUF_ND) ? info->shape.data() : nullptr;
  view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? info->strides.data() : nullptr;
  view->suboffsets = nullptr;
  view->internal = info;
  return 0;
  RTPY_CATCH(-1)
}

void tensor_releasebuffer(PyObject*, Py_buffer* view) { delete static_cast<BufferInfo*>(view->internal); }

PyObject* to_numpy(PyObject* self) {
  PyObject* np = PyImport_ImportModule("numpy");
  if (!np) throw python_error();
  PyObject* mv = PyMemoryView_FromObject(self);
  if (!mv) {
    Py_DECREF(np);
    throw python_error();
  }
  PyObject* arr = PyObject_CallMethod(np, "asarray", "O", mv);
  Py_DECREF(mv);
  Py_DECREF(np);
  if (!arr) throw python_error();
  return arr;
}

// ---- from_numpy ----
Tensor from_numpy(PyObject* array) {
  if (std::strcmp(Py_TYPE(array)->tp_name, "numpy.ndarray") != 0) {
    PyErr_Format(PyExc_TypeError, "expected np.ndarray (got %s)", Py_TYPE(array)->tp_name);
    throw python_error();
  }
  auto* buf = new Py_buffer;
  bool readonly = false;
  if (PyObject_GetBuffer(array, buf, PyBUF_RECORDS) < 0) {
    PyErr_Clear();
    readonly = true;
    if (PyObject_GetBuffer(array, buf, PyBUF_RECORDS_RO) < 0) {
      delete buf;
      throw python_error();
    }
  }
  std::shared_ptr<void> owner(buf, [](void* p) {
    auto* b = static_cast<Py_buffer*>(p);
    with_gil([b] { PyBuffer_Release(b); });
    delete b;
  });
  const char* fmt = buf->format ? buf->format : "B";
  if (*fmt == '@' || *fmt == '=' || *fmt == '<') ++fmt;
  DType dtype;
  const Py_ssize_t isz = buf->itemsize;
  if (std::strcmp(fmt, "?") == 0) dtype = DType::Bool;
  else if (std::strcmp(fmt, "f") == 0) dtype = DType::Float32;
  else if (std::strcmp(fmt, "d") == 0) dtype = DType::Float64;
  else if ((std::strcmp(fmt, "i") == 0 || std::strcmp(fmt, "l") == 0 || std::strcmp(fmt, "q") == 0) && isz == 4) dtype = DType::Int32;
  else if ((std::strcmp(fmt, "i") == 0 || std::strcmp(fmt, "l") == 0 || std::strcmp(fmt, "q") == 0) && isz == 8) dtype = DType::Int64;
  else {
    PyObject* dt = PyObject_GetAttrString(array, "dtype");
    PyObject* r = dt ? PyObject_Str(dt) : nullptr;
    const std::string name = r ? PyUnicode_AsUTF8(r) : fmt;
    Py_XDECREF(r);
    Py_XDECREF(dt);
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError,
                 "can't convert np.ndarray of type numpy.%s. The only supported types are: float64, float32, "
                 "int64, int32, and bool.",
                 name.c_str());
    throw python_error();
  }
  Shape shape(static_cast<std::size_t>(buf->ndim)), strides(static_cast<std::size_t>(buf->ndim));
  for (int d = 0; d < buf->ndim; ++d) {
    shape[static_cast<std::size_t>(d)] = buf->shape[d];
    const Py_ssize_t s = buf->strides ? buf->strides[d] : 0;
    if (s < 0)
      throw rusttorch::ValueError(
          "At least one stride in the given numpy array is negative, and tensors with negative strides are not "
          "currently supported. (You can probably work around this by making a copy of your array  with "
          "array.copy().) ");
    if (s % isz != 0)
      throw rusttorch::ValueError(
          "given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate "
          "the memory.");
    strides[static_cast<std::size_t>(d)] = s / isz;
  }
  if (!buf->strides) strides = rusttorch::contiguous_strides(shape);
  if (readonly &&
      PyErr_WarnEx(PyExc_UserWarning,
                   "The given NumPy array is not writable, and rusttorch does not support non-writable tensors. "
                   "This means writing to this tensor will result in undefined behavior.",
                   1) < 0)
    throw python_error();
  void* data = buf->buf ? buf->buf : static_cast<void*>(g_empty_dummy);
  const int64_t bytes = extent_bytes(shape, strides, static_cast<std::size_t>(isz));
  return Tensor::from_blob(data, shape, strides, dtype, std::move(owner), bytes);
}

// ---- DLPack export ----
namespace {

struct DLContext {
  Tensor tensor;  // keeps the storage alive
  std::vector<int64_t> shape, strides;
};

template <class M>
void fill_dltensor(M* m, DLContext* ctx) {
  const Tensor& t = ctx->tensor;
  DLTensor& dl = m->dl_tensor;
  dl.data = t.data_ptr();
  dl.device = {kDLCPU, 0};
  dl.ndim = static_cast<int32_t>(t.ndim());
  switch (t.dtype()) {
    case DType::Bool: dl.dtype = {kDLBool, 8, 1}; break;
    case DType::Int32: dl.dtype = {kDLInt, 32, 1}; break;
    case DType::Int64: dl.dtype = {kDLInt, 64, 1}; break;
    case DType::Float32: dl.dtype = {kDLFloat, 32, 1}; break;
    case DType::Float64: dl.dtype = {kDLFloat, 64, 1}; break;
  }
  ctx->shape = t.shape();
  ctx->strides = t.strides();
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  dl.byte_offset = 0;
  m->manager_ctx = ctx;
}

void delete_managed(DLManagedTensor* m) {
  delete static_cast<DLContext*>(m->manager_ctx);
  delete m;
}
void delete_versioned(DLManagedTensorVersioned* m) {
  delete static_cast<DLContext*>(m->manager_ctx);
  delete m;
}

void capsule_destructor(PyObject* cap) {  // only when never consumed
  if (PyCapsule_IsValid(cap, "dltensor")) {
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
    if (m && m->deleter) m->deleter(m);
  } else if (PyCapsule_IsValid(cap, "dltensor_versioned")) {
    auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap, "dltensor_versioned"));
    if (m && m->deleter) m->deleter(m);
  }
  PyErr_Clear();
}

}  // namespace

PyObject* to_dlpack(const Tensor& t, PyObject* max_version, PyObject* dl_device, PyObject* copy) {
  if (dl_device && dl_device != Py_None) {
    int type = 0, id = 0;
    if (!PyTuple_Check(dl_device)) throw rusttorch::TypeError("__dlpack__: dl_device must be a tuple (device_type, device_id)");
    if (!PyArg_ParseTuple(dl_device, "ii", &type, &id)) throw python_error();
    if (type != kDLCPU) {
      PyErr_SetString(PyExc_BufferError, "rusttorch tensors can only be exported to the CPU (kDLCPU)");
      throw python_error();
    }
  }
  bool versioned = false;
  if (max_version && max_version != Py_None) {
    long major = 0, minor = 0;
    if (!PyTuple_Check(max_version)) throw rusttorch::TypeError("__dlpack__: max_version must be a tuple (major, minor)");
    if (!PyArg_ParseTuple(max_version, "ll", &major, &minor)) throw python_error();
    versioned = major >= 1;
  }
  const bool want_copy = copy && copy != Py_None && PyObject_IsTrue(copy) == 1;
  auto* ctx = new DLContext{want_copy ? t.clone() : t, {}, {}};
  if (versioned) {
    auto* m = new DLManagedTensorVersioned{};
    m->version = {kDLPackMajor, kDLPackMinor};
    m->deleter = delete_versioned;
    m->flags = 0;
    fill_dltensor(m, ctx);
    PyObject* cap = PyCapsule_New(m, "dltensor_versioned", capsule_destructor);
    if (!cap) {
      delete_versioned(m);
      throw python_error();
    }
    return cap;
  }
  auto* m = new DLManagedTensor{};
  m->deleter = delete_managed;
  fill_dltensor(m, ctx);
  PyObject* cap = PyCapsule_New(m, "dltensor", capsule_destructor);
  if (!cap) {
    delete_managed(m);
    throw python_error();
  }
  return cap;
}

// ---- DLPack import ----
namespace {

DType dtype_of_dl(const DLDataType& t) {
  if (t.lanes == 1) {
    if (t.code == kDLFloat && t.bits == 32) return DType::Float32;
    if (t.code == kDLFloat && t.bits == 64) return DType::Float64;
    if (t.code == kDLInt && t.bits == 32) return DType::Int32;
    if (t.code == kDLInt && t.bits == 64) return DType::Int64;
    if (t.code == kDLBool && t.bits == 8) return DType::Bool;
  }
  throw rusttorch::TypeError("from_dlpack: unsupported DLPack dtype (code " + std::to_string(t.code) + ", bits " +
                             std::to_string(t.bits) + ", lanes " + std::to_string(t.lanes) +
                             "); rusttorch supports float32, float64, int32, int64 and bool");
  (void)kDLUInt;
}

Tensor wrap_dltensor(const DLTensor& dl, std::shared_ptr<void> owner) {
  if (dl.device.device_type != kDLCPU)
    throw rusttorch::Error("from_dlpack: only CPU tensors can be imported (device type " +
                           std::to_string(dl.device.device_type) + ")");
  const DType dtype = dtype_of_dl(dl.dtype);
  Shape shape(dl.shape, dl.shape + dl.ndim);
  Shape strides = dl.strides ? Shape(dl.strides, dl.strides + dl.ndim) : rusttorch::contiguous_strides(shape);
  char* data = static_cast<char*>(dl.data);
  if (data) data += dl.byte_offset;
  else data = g_empty_dummy;
  const int64_t bytes = extent_bytes(shape, strides, rusttorch::itemsize(dtype));
  return Tensor::from_blob(data, shape, strides, dtype, std::move(owner), bytes);
}

}  // namespace

Tensor from_dlpack(PyObject* obj) {
  PyObject* cap = nullptr;
  if (PyCapsule_CheckExact(obj)) {
    cap = obj;
    Py_INCREF(cap);
  } else {
    PyObject* method = PyObject_GetAttrString(obj, "__dlpack__");
    if (!method) {
      PyErr_Clear();
      PyErr_Format(PyExc_TypeError, "from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got %s",
                   Py_TYPE(obj)->tp_name);
      throw python_error();
    }
    PyObject* args = PyTuple_New(0);
    PyObject* kwargs = Py_BuildValue("{s:(ii)}", "max_version", kDLPackMajor, kDLPackMinor);
    cap = (args && kwargs) ? PyObject_Call(method, args, kwargs) : nullptr;
    Py_XDECREF(kwargs);
    if (!cap && PyErr_ExceptionMatches(PyExc_TypeError)) {  // a producer predating max_version
      PyErr_Clear();
      cap = PyObject_Call(method, args, nullptr);
    }
    Py_XDECREF(args);
    Py_DECREF(method);
    if (!cap) throw python_error();
  }
  struct CapRef {
    PyObject* p;
    ~CapRef() { Py_DECREF(p); }
  } cap_ref{cap};
  if (PyCapsule_IsValid(cap, "dltensor_versioned")) {
    auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap, "dltensor_versioned"));
    if (m->version.major > kDLPackMajor)
      throw rusttorch::Error("from_dlpack: DLPack version " + std::to_string(m->version.major) +
                             " is newer than the supported " + std::to_string(kDLPackMajor));
    if (PyCapsule_SetName(cap, "used_dltensor_versioned") < 0) throw python_error();  // consumed: ours now
    std::shared_ptr<void> owner(m, [](void* p) {
      auto* mm = static_cast<DLManagedTensorVersioned*>(p);
      if (mm->deleter) with_gil([mm] { mm->deleter(mm); });
    });
    const bool readonly = (m->flags & kDLFlagReadOnly) != 0;
    Tensor t = wrap_dltensor(m->dl_tensor, std::move(owner));
    return readonly ? t.clone() : t;
  }
  if (PyCapsule_IsValid(cap, "dltensor")) {
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
    if (PyCapsule_SetName(cap, "used_dltensor") < 0) throw python_error();
    std::shared_ptr<void> owner(m, [](void* p) {
      auto* mm = static_cast<DLManagedTensor*>(p);
      if (mm->deleter) with_gil([mm] { mm->deleter(mm); });
    });
    return wrap_dltensor(m->dl_tensor, std::move(owner));
  }
  PyErr_Clear();
  PyErr_SetString(PyExc_ValueError,
                  "from_dlpack: expected a DLPack capsule named 'dltensor' or 'dltensor_versioned' (already consumed?)");
  throw python_error();
}

}  // namespace rtpy
