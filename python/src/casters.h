// pybind11 type casters for the engine's types, so pybind11-bound functions
// take and return them directly: Tensor (the embedded tensor of a Python
// rusttorch.Tensor, no copy), DType (the rusttorch dtype objects), Scalar (a
// Python number or one-element tensor), Operand (tensor or number) and IntList
// (an int or a sequence of ints).
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "rt.h"

namespace rtpy {
namespace py = pybind11;

struct IntList {
  Shape v;
};

// Adds a pybind11 function as a method of the (plain CPython) Tensor type.
template <typename Func, typename... Extra>
void def_method(const char* name, Func&& f, const Extra&... extra) {
  py::handle cls(reinterpret_cast<PyObject*>(TensorType));
  py::cpp_function cf(std::forward<Func>(f), py::name(name), py::is_method(cls),
                      py::sibling(py::getattr(cls, name, py::none())), extra...);
  py::setattr(cls, name, cf);
}

// f(x) on an owned copy x of `a` (see gil.h), without the GIL when worth it.
template <typename F>
auto on_copy_without_gil(Cost cost, const Tensor& a, F&& f) {
  const Tensor x = a;
  return without_gil(cost, x.numel(), [&] { return f(x); });
}

// Returns `r`, or copies it into `out` (resizing an empty out, as torch) and returns out.
py::object with_out(Tensor r, py::handle out);

// The tensors of a sequence argument (torch's TensorList), as owned handles;
// TypeError like torch's for anything else.
std::vector<Tensor> tensor_list(py::handle seq, const char* fn, const char* arg = "tensors", int position = 1);

void bind_creation(py::module_& m);
void bind_tensor_methods(py::module_& m);
void bind_reduction(py::module_& m);
void bind_activation(py::module_& m);
void bind_linalg(py::module_& m);
void bind_loss(py::module_& m);
void bind_autograd(py::module_& m);
void bind_optim(py::module_& m);
void bind_sort(py::module_& m);
void bind_conv(py::module_& m);

}  // namespace rtpy

namespace pybind11::detail {

template <>
struct type_caster<rusttorch::Tensor> {
  static constexpr auto name = const_name("rusttorch.Tensor");
  bool load(handle src, bool) {
    if (!rtpy::is_tensor(src.ptr())) return false;
    ptr = &rtpy::tensor_of(src.ptr());
    return true;
  }
  static handle cast(const rusttorch::Tensor& t, return_value_policy, handle) { return rtpy::wrap(t); }
  static handle cast(rusttorch::Tensor&& t, return_value_policy, handle) { return rtpy::wrap(std::move(t)); }
  template <typename T>
  using cast_op_type = pybind11::detail::cast_op_type<T>;
  operator rusttorch::Tensor*() { return ptr; }
  operator rusttorch::Tensor&() { return *ptr; }

 private:
  rusttorch::Tensor* ptr = nullptr;
};

template <>
struct type_caster<rusttorch::DType> {
  PYBIND11_TYPE_CASTER(rusttorch::DType, const_name("rusttorch.dtype"));
  bool load(handle src, bool) { return rtpy::dtype_from_object(src.ptr(), &value); }
  static handle cast(rusttorch::DType d, return_value_policy, handle) {
    return handle(rtpy::dtype_object(d)).inc_ref();
  }
};

template <>
struct type_caster<rusttorch::Scalar> {
  static constexpr auto name = const_name("Number");
  bool load(handle src, bool) {
    if (rtpy::is_tensor(src.ptr())) {
      const rusttorch::Tensor& t = rtpy::tensor_of(src.ptr());
      if (t.numel() != 1) return false;
      value = t.item();
      return true;
    }
    return rtpy::to_scalar(src.ptr(), &value);
  }
  static handle cast(const rusttorch::Scalar& s, return_value_policy, handle) { return rtpy::from_scalar(s); }
  template <typename T>
  using cast_op_type = pybind11::detail::cast_op_type<T>;
  operator rusttorch::Scalar*() { return &value; }
  operator rusttorch::Scalar&() { return value; }

 private:
  rusttorch::Scalar value{0};
};

template <>
struct type_caster<rusttorch::Operand> {
  static constexpr auto name = const_name("Tensor | Number");
  bool load(handle src, bool) {
    if (rtpy::is_tensor(src.ptr())) {
      value.emplace(rtpy::tensor_of(src.ptr()));
      return true;
    }
    rusttorch::Scalar s(0);
    if (!rtpy::to_scalar(src.ptr(), &s)) return false;
    value.emplace(s);
    return true;
  }
  template <typename T>
  using cast_op_type = pybind11::detail::cast_op_type<T>;
  operator rusttorch::Operand*() { return &*value; }
  operator rusttorch::Operand&() { return *value; }

 private:
  std::optional<rusttorch::Operand> value;
};

template <>
struct type_caster<rtpy::IntList> {
  PYBIND11_TYPE_CASTER(rtpy::IntList, const_name("int | Sequence[int]"));
  bool load(handle src, bool) {
    if (PyFloat_Check(src.ptr()) || PyUnicode_Check(src.ptr()) || rtpy::is_tensor(src.ptr())) return false;
    if (!PyIndex_Check(src.ptr()) && !PySequence_Check(src.ptr())) return false;
    value.v = rtpy::int_list(src.ptr(), "argument", "size");
    return true;
  }
  static handle cast(const rtpy::IntList& l, return_value_policy, handle) { return rtpy::make_size(l.v); }
};

}  // namespace pybind11::detail
