// Shared declarations of the rusttorch._C extension.
//
// The Tensor type is a plain CPython heap type (PyTensor embeds a
// rusttorch::Tensor), not a pybind11 class: operators and the elementwise ops
// go through hand-written slots and METH_FASTCALL functions, which keeps the
// per-call overhead of a tiny op below NumPy's. pybind11 binds everything that
// is not on that hot path (see casters.h); both paths translate exceptions the
// same way (set_error_from_current_exception).
#pragma once
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdint>
#include <string>
#include <utility>

#include <rusttorch/rusttorch.h>

#include "gil.h"

namespace rtpy {

using rusttorch::DType;
using rusttorch::Operand;
using rusttorch::Scalar;
using rusttorch::Shape;
using rusttorch::Tensor;

// ---- the Tensor type (tensor_type.cpp) ----
struct PyTensor {
  PyObject_HEAD
  Tensor t;
  PyObject* weakrefs;
};
extern PyTypeObject* TensorType;

inline bool is_tensor(PyObject* o) {
  return Py_TYPE(o) == TensorType || PyType_IsSubtype(Py_TYPE(o), TensorType);
}
inline Tensor& tensor_of(PyObject* o) { return reinterpret_cast<PyTensor*>(o)->t; }

// The one way bindings modify a tensor in place: f(s) on an owned handle s of
// self's tensor (gil.h), without the GIL when worth it. Then self takes the
// handle's autograd data: an in-place op on a tensor in the graph gives it a
// new grad_fn, which must reach the Python object.
template <class F>
void modify_without_gil(Cost cost, PyObject* self, F&& f) {
  Tensor s = tensor_of(self);
  without_gil(cost, s.numel(), [&] { f(s); });
  Tensor& t = tensor_of(self);
  if (s.autograd_meta() != t.autograd_meta()) t.set_autograd_meta(s.autograd_meta());
}

// A new reference to a Python Tensor owning `t`; throws python_error on failure.
PyObject* wrap(Tensor&& t);
inline PyObject* wrap(const Tensor& t) { return wrap(Tensor(t)); }

// Thrown by C++ code when a Python exception is already set.
struct python_error {};

// Turns the exception being handled into a Python exception: rusttorch::IndexError ->
// IndexError, TypeError -> TypeError (NotImplementedError for "not implemented for"),
// ValueError -> ValueError, other rusttorch::Error -> RuntimeError, python_error and
// pybind11 exceptions -> as they are. Call inside a catch block only.
void set_error_from_current_exception() noexcept;

#define RTPY_TRY try {
#define RTPY_CATCH(failure)                    \
  }                                            \
  catch (...) {                                \
    ::rtpy::set_error_from_current_exception(); \
    return failure;                            \
  }

// ---- numbers, dtypes, sizes (convert.cpp) ----
// True when `o` is a Python (or NumPy) bool/int/float; false without an error
// otherwise. Throws rusttorch::Error for an int that does not fit 64 bits.
bool to_scalar(PyObject* o, Scalar* out);
PyObject* from_scalar(const Scalar& s);  // new reference

struct PyDType {
  PyObject_HEAD
  DType dtype;
};
extern PyTypeObject* DTypeType;
PyObject* dtype_object(DType d);  // borrowed (the module keeps the five objects)
// A rusttorch dtype object or the builtins float/int/bool (as torch accepts).
bool dtype_from_object(PyObject* o, DType* out);
// As above; None gives `fallback`. Throws a TypeError naming `what` otherwise.
DType dtype_arg(PyObject* o, DType fallback, const char* what);

extern PyTypeObject* SizeType;
PyObject* make_size(const Shape& s);  // new reference, a rusttorch.Size

// An int (anything with __index__) or a sequence of them; throws TypeError.
Shape int_list(PyObject* o, const char* fn, const char* arg);
// Sizes given as varargs `f(2, 3)` or one sequence `f((2, 3))`.
Shape size_args(PyObject* const* args, Py_ssize_t n, const char* fn);
int64_t int_arg(PyObject* o, const char* fn, const char* arg);

// Python object for element type conversions.
PyObject* tensor_tolist(const Tensor& t);
Tensor tensor_from_data(PyObject* data, PyObject* dtype_obj);  // rusttorch.tensor()
// A tensor operand for places that accept "tensor-like" values (lists, numbers).
Tensor as_tensor_arg(PyObject* o, DType dtype_if_number);

// ---- pieces defined in other files, assembled by module.cpp ----
bool init_tensor_type(PyObject* module);   // tensor_type.cpp
bool init_convert(PyObject* module);       // convert.cpp (dtype objects, Size)
bool init_fast_ops(PyObject* module);      // ops_fast.cpp (elementwise functions and methods)
PyMethodDef* fast_tensor_methods();        // ops_fast.cpp, terminated by a null entry

// The ops of the fast paths (ops_fast.cpp), from the op table: op_<name>.
enum BinOp : int {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) op_##name,
#include "rusttorch/op_table.def"
  op_matmul,
  kNumBinOps
};
enum UnOp : int {
#define RT_UNARY(name, kernel, node, d_self) op_##name,
#include "rusttorch/op_table.def"
  kNumUnOps
};

// Number protocol (ops_fast.cpp), used by the Tensor type's slots.
PyObject* nb_binary(int op, PyObject* a, PyObject* b);
PyObject* nb_inplace(int op, PyObject* a, PyObject* b);
PyObject* nb_unary(int op, PyObject* a);
PyObject* richcompare(PyObject* a, PyObject* b, int cmp);
// Set by bind_linalg.cpp when matmul exists; null otherwise.
extern Tensor (*matmul_fn)(const Tensor&, const Tensor&);

// Indexing (indexing.cpp).
PyObject* tensor_getitem(PyObject* self, PyObject* index);
int tensor_setitem(PyObject* self, PyObject* index, PyObject* value);
Tensor nonzero(const Tensor& t);  // [n, ndim] int64 coordinates of the non-zero elements
PyObject* nonzero_tuple(const Tensor& t);  // ops_fast.cpp: one int64 tensor per dim

// Interop (interop.cpp).
int tensor_getbuffer(PyObject* self, Py_buffer* view, int flags);
void tensor_releasebuffer(PyObject* self, Py_buffer* view);
Tensor from_numpy(PyObject* array);
PyObject* to_numpy(PyObject* self);
PyObject* to_dlpack(const Tensor& t, PyObject* max_version, PyObject* dl_device, PyObject* copy);
Tensor from_dlpack(PyObject* obj);

}  // namespace rtpy
