// Tensor.__getitem__ / __setitem__ with torch (NumPy) semantics: ints,
// negative ints, slices with positive steps, None, Ellipsis, Python bools,
// boolean masks and integer index tensors (or lists / ndarrays of them).
// Basic indexing gives views; advanced indexing gathers (or scatters, for
// assignment) through precomputed element offsets.
#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "autograd/derivatives.h"
#include "autograd/function.h"
#include "op_util.h"
#include "rt.h"

namespace rtpy {
namespace {

enum class Kind { Int, Slice, None, Ellipsis, Bool, Tensor };

struct Item {
  Kind kind = Kind::None;
  int64_t i = 0;
  PyObject* slice = nullptr;  // borrowed
  bool b = false;
  Tensor t;
};

[[noreturn]] void index_error(const std::string& msg) { throw rusttorch::IndexError(msg); }

// A new reference: o itself, or o.astype("int64", casting="safe") for NumPy integer arrays
// narrower than int32 or unsigned (uint64 is refused by the safe cast rather than wrapped).
PyObject* positions_as_int64(PyObject* o) {
  PyObject* dt = PyObject_GetAttrString(o, "dtype");
  if (!dt) throw python_error();
  PyObject* kind = PyObject_GetAttrString(dt, "kind");
  PyObject* size = kind ? PyObject_GetAttrString(dt, "itemsize") : nullptr;
  Py_DECREF(dt);
  if (!size) {
    Py_XDECREF(kind);
    throw python_error();
  }
  const bool i = PyUnicode_CompareWithASCIIString(kind, "i") == 0;
  const bool u = PyUnicode_CompareWithASCIIString(kind, "u") == 0;
  const long bytes = PyLong_AsLong(size);
  Py_DECREF(kind);
  Py_DECREF(size);
  if (!((i && bytes < 4) || u)) {
    Py_INCREF(o);
    return o;
  }
  PyObject* astype = PyObject_GetAttrString(o, "astype");
  if (!astype) throw python_error();
  PyObject* args = Py_BuildValue("(s)", "int64");
  PyObject* kwargs = Py_BuildValue("{s:s}", "casting", "safe");
  PyObject* r = args && kwargs ? PyObject_Call(astype, args, kwargs) : nullptr;
  Py_DECREF(astype);
  Py_XDECREF(args);
  Py_XDECREF(kwargs);
  if (!r) throw python_error();
  return r;
}

Item convert(PyObject* o) {
  Item it;
  it.kind = Kind::None;
  if (PyLong_Check(o)) {
    if (PyBool_Check(o)) {
      it.kind = Kind::Bool;
      it.b = o == Py_True;
    } else {
      it.kind = Kind::Int;
      it.i = int_arg(o, "index", "index");
    }
    return it;
  }
  if (o == Py_None) return it;
  if (o == Py_Ellipsis) {
    it.kind = Kind::Ellipsis;
    return it;
  }
  if (PySlice_Check(o)) {
    it.kind = Kind::Slice;
    it.slice = o;
    return it;
  }
  Tensor t;
  if (is_tensor(o)) {
    t = tensor_of(o);
  } else if (std::strcmp(Py_TYPE(o)->tp_name, "numpy.ndarray") == 0) {
    // NumPy integer arrays of other widths (Dask slices with uint8/uint16 positions) are positions:
    // cast safely to int64 (uint64 is refused by the safe cast rather than wrapped).
    PyObject* arr = positions_as_int64(o);
    try {
      t = tensor_from_data(arr, nullptr);
    } catch (...) {
      Py_DECREF(arr);
      throw;
    }
    Py_DECREF(arr);
    if (t.numel() == 0 && rusttorch::is_floating(t.dtype())) t = t.to(DType::Int64);  // x[np.array([])]
  } else if (PyList_Check(o) || PyTuple_Check(o)) {
    t = tensor_from_data(o, nullptr);
    if (t.numel() == 0 && rusttorch::is_floating(t.dtype())) t = t.to(DType::Int64);  // x[[]]
  } else if (!PyFloat_Check(o) && PyIndex_Check(o)) {
    it.kind = Kind::Int;
    it.i = int_arg(o, "index", "index");
    return it;
  } else {
    index_error(std::string("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                            "valid indices (got ") + Py_TYPE(o)->tp_name + ")");
  }
  if (rusttorch::is_floating(t.dtype())) index_error("tensors used as indices must be long, int, byte or bool tensors");
  it.kind = Kind::Tensor;
  it.t = std::move(t);
  return it;
}

std::vector<Item> convert_all(PyObject* index) {
  std::vector<Item> items;
  if (PyTuple_Check(index)) {
    const Py_ssize_t n = PyTuple_GET_SIZE(index);
    items.reserve(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) items.push_back(convert(PyTuple_GET_ITEM(index, i)));
  } else {
    items.push_back(convert(index));
  }
  return items;
}

struct Adv {
  int64_t dim;   // dimension of the (basic-indexed) view
  Tensor index;  // int64
};

Tensor apply_slice(const Tensor& r, int64_t d, PyObject* slice) {
  Py_ssize_t start, stop, step;
  if (PySlice_Unpack(slice, &start, &stop, &step) < 0) throw python_error();
  if (step <= 0) throw rusttorch::ValueError("step must be greater than zero");
  if (r.ndim() == 0) index_error("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
  const Py_ssize_t len = static_cast<Py_ssize_t>(r.shape()[static_cast<std::size_t>(d)]);
  PySlice_AdjustIndices(len, &start, &stop, step);
  if (stop < start) stop = start;
  return r.slice(d, start, stop, step);
}

bool is_full_slice(PyObject* s) {
  const PySliceObject* p = reinterpret_cast<const PySliceObject*>(s);
  return p->start == Py_None && p->stop == Py_None && p->step == Py_None;
}

// Basic indexing into a view; the advanced indices are returned in `adv`.
Tensor basic_index(const Tensor& self, std::vector<Item>& items, std::vector<Adv>& adv) {
  int64_t consumed = 0;
  for (const Item& it : items) {
    switch (it.kind) {
      case Kind::Int: case Kind::Slice: ++consumed; break;
      case Kind::Tensor: consumed += it.t.dtype() == DType::Bool ? it.t.ndim() : 1; break;
      default: break;
    }
  }
  // Several ellipses are allowed, as torch: each skips the dims no other item
  // consumes (so all after the first skip nothing, or run out of dims).
  const int64_t nd = self.ndim();
  if (consumed > nd) {
    if (nd == 0)
      index_error("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                  "convert a 0-dim tensor to a number");
    index_error("too many indices for tensor of dimension " + std::to_string(nd));
  }
  Tensor r = self;
  int64_t d = 0;
  auto bool_index = [&](bool b) {
    r = r.unsqueeze(d);
    adv.push_back({d, b ? Tensor::zeros({1}, DType::Int64) : Tensor::empty({0}, DType::Int64)});
    ++d;
  };
  for (Item& it : items) {
    switch (it.kind) {
      case Kind::Int: r = r.select(d, it.i); break;
      case Kind::Slice:  // `:` is a no-op, as torch (even past the dims, after a second ellipsis)
        if (!is_full_slice(it.slice)) r = apply_slice(r, d, it.slice);
        ++d;
        break;
      case Kind::None: r = r.unsqueeze(d); ++d; break;
      case Kind::Ellipsis: d += nd - consumed; break;
      case Kind::Bool: bool_index(it.b); break;
      case Kind::Tensor:
        if (it.t.dtype() != DType::Bool) {
          adv.push_back({d, it.t.to(DType::Int64)});
          ++d;
        } else if (it.t.ndim() == 0) {
          bool_index(it.t.item().to_bool());
        } else {
          const int64_t k = it.t.ndim();
          for (int64_t j = 0; j < k; ++j)
            if (it.t.shape()[static_cast<std::size_t>(j)] != r.shape()[static_cast<std::size_t>(d + j)])
              index_error("The shape of the mask " + rusttorch::shape_str(it.t.shape()) + " at index " +
                          std::to_string(j) + " does not match the shape of the indexed tensor " +
                          rusttorch::shape_str(r.shape()) + " at index " + std::to_string(d + j));
          const Tensor nz = nonzero(it.t);
          for (int64_t j = 0; j < k; ++j) adv.push_back({d + j, nz.select(1, j)});
          d += k;
        }
        break;
    }
  }
  return r;
}

std::vector<int64_t> offsets_of(const Shape& sizes, const Shape& strides) {
  const int64_t n = rusttorch::checked_numel(sizes);
  std::vector<int64_t> out(static_cast<std::size_t>(n));
  const int nd = static_cast<int>(sizes.size());
  std::vector<int64_t> idx(sizes.size(), 0);
  int64_t off = 0;
  for (int64_t k = 0; k < n; ++k) {
    out[static_cast<std::size_t>(k)] = off;
    for (int d = nd - 1; d >= 0; --d) {
      ++idx[d];
      off += strides[d];
      if (idx[d] < sizes[d]) break;
      off -= strides[d] * sizes[d];
      idx[d] = 0;
    }
  }
  return out;
}

// The element offsets (relative to src.data_ptr()) that advanced indexing
// reads, in the row-major order of the result, whose shape goes to `shape`.
struct Plan {
  Shape shape;
  std::vector<int64_t> outer, adv, inner;  // offset = outer[i] + adv[j] + inner[k]
};

// check_shape (if any) sees the result's shape before the indices are
// bounds-checked: torch reports a value of the wrong shape first.
Plan plan_advanced(const Tensor& src, const std::vector<Adv>& adv,
                   const std::function<void(const Shape&)>& check_shape = {}) {
  Shape b = adv[0].index.shape();
  for (std::size_t j = 1; j < adv.size(); ++j) {
    try {
      b = rusttorch::broadcast_shapes(b, adv[j].index.shape());
    } catch (const rusttorch::Error&) {
      std::string msg = "shape mismatch: indexing tensors could not be broadcast together with shapes ";
      for (std::size_t q = 0; q < adv.size(); ++q) msg += (q ? ", " : "") + rusttorch::shape_str(adv[q].index.shape());
      index_error(msg);
    }
  }
  bool adjacent = true;
  for (std::size_t j = 1; j < adv.size(); ++j) adjacent &= adv[j].dim == adv[0].dim + static_cast<int64_t>(j);
  std::vector<bool> is_adv(static_cast<std::size_t>(src.ndim()), false);
  for (const Adv& a : adv) is_adv[static_cast<std::size_t>(a.dim)] = true;
  Shape s1, st1, s2, st2;  // non-advanced dims before / after the broadcast index dims
  for (int64_t d = 0; d < src.ndim(); ++d) {
    if (is_adv[static_cast<std::size_t>(d)]) continue;
    const bool before = adjacent && d < adv[0].dim;
    (before ? s1 : s2).push_back(src.shape()[static_cast<std::size_t>(d)]);
    (before ? st1 : st2).push_back(src.strides()[static_cast<std::size_t>(d)]);
  }
  Plan p;
  p.shape = s1;
  p.shape.insert(p.shape.end(), b.begin(), b.end());
  p.shape.insert(p.shape.end(), s2.begin(), s2.end());
  if (check_shape) check_shape(p.shape);
  p.outer = offsets_of(s1, st1);
  p.inner = offsets_of(s2, st2);
  const int64_t nb = rusttorch::checked_numel(b);
  p.adv.assign(static_cast<std::size_t>(nb), 0);
  for (const Adv& a : adv) {
    const Tensor idx = a.index.expand(b).contiguous();
    const int64_t* v = static_cast<const int64_t*>(idx.data_ptr());
    const int64_t size = src.shape()[static_cast<std::size_t>(a.dim)];
    const int64_t stride = src.strides()[static_cast<std::size_t>(a.dim)];
    for (int64_t i = 0; i < nb; ++i) {
      int64_t x = v[i];
      if (x < -size || x >= size)
        index_error("index " + std::to_string(x) + " is out of bounds for dimension " + std::to_string(a.dim) +
                    " with size " + std::to_string(size));
      if (x < 0) x += size;
      p.adv[static_cast<std::size_t>(i)] += x * stride;
    }
  }
  return p;
}

template <class T, bool Gather>
void move_elements(const Plan& p, char* base, char* dense) {
  T* s = reinterpret_cast<T*>(base);
  T* q = reinterpret_cast<T*>(dense);
  for (int64_t o : p.outer)
    for (int64_t a : p.adv)
      for (int64_t i : p.inner) {
        if constexpr (Gather) *q++ = s[o + a + i];
        else s[o + a + i] = *q++;
      }
}

template <bool Gather>
void move_all(const Plan& p, const Tensor& src, const Tensor& dense) {
  char* base = static_cast<char*>(src.data_ptr());
  char* d = static_cast<char*>(dense.data_ptr());
  switch (src.itemsize()) {
    case 1: move_elements<uint8_t, Gather>(p, base, d); break;
    case 4: move_elements<uint32_t, Gather>(p, base, d); break;
    default: move_elements<uint64_t, Gather>(p, base, d); break;
  }
}

// dst[offsets] += dense, in the plan's order (repeated indices add up, as index_add).
template <class T>
void add_elements(const Plan& p, T* dst, const T* q) {
  for (int64_t o : p.outer)
    for (int64_t a : p.adv)
      for (int64_t i : p.inner) dst[o + a + i] += *q++;
}

namespace ag = rusttorch::autograd;

// The gradient of an advanced-index read: the incoming gradient added into
// those elements of a zero tensor of the indexed tensor's shape.
Tensor index_backward(const Tensor& grad, const Shape& shape, const std::vector<Adv>& adv) {
  ag::NoGradGuard no_grad;
  Tensor z = Tensor::zeros(shape, grad.dtype());
  const Plan p = plan_advanced(z, adv);
  const Tensor g = grad.contiguous();
  if (g.dtype() == DType::Float64) add_elements(p, z.data<double>(), g.data<double>());
  else add_elements(p, z.data<float>(), g.data<float>());
  return z;
}

// Value for assignment: drops leading size-1 dims beyond the target's rank (as torch).
Tensor fit_value(Tensor v, const Shape& target) {
  while (v.ndim() > static_cast<int64_t>(target.size()) && v.shape()[0] == 1) v = v.squeeze(0);
  return v;
}

bool is_single_int_or_slice(PyObject* index) {
  return (PyLong_Check(index) && !PyBool_Check(index)) || PySlice_Check(index);
}

}  // namespace

Tensor nonzero(const Tensor& t) {
  const Tensor m = (t.dtype() == DType::Bool ? t : rusttorch::ne(t, 0)).contiguous();
  const uint8_t* p = static_cast<const uint8_t*>(m.data_ptr());
  const int64_t n = m.numel(), nd = m.ndim();
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += p[i] != 0;
  Tensor out = Tensor::empty({count, nd}, DType::Int64);
  int64_t* o = static_cast<int64_t*>(out.data_ptr());
  std::vector<int64_t> idx(static_cast<std::size_t>(nd), 0);
  for (int64_t i = 0; i < n; ++i) {
    if (p[i])
      for (int64_t d = 0; d < nd; ++d) *o++ = idx[static_cast<std::size_t>(d)];
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[static_cast<std::size_t>(d)] < m.shape()[static_cast<std::size_t>(d)]) break;
      idx[static_cast<std::size_t>(d)] = 0;
    }
  }
  return out;
}

PyObject* tensor_getitem(PyObject* self, PyObject* index) {
  RTPY_TRY
  const Tensor& t = tensor_of(self);
  if (is_single_int_or_slice(index)) {  // the common cases, without building item lists
    if (t.ndim() == 0)
      index_error("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                  "convert a 0-dim tensor to a number");
    if (PySlice_Check(index)) return wrap(apply_slice(t, 0, index));
    return wrap(t.select(0, int_arg(index, "index", "index")));
  }
  std::vector<Item> items = convert_all(index);
  std::vector<Adv> adv;
  Tensor r = basic_index(t, items, adv);
  if (adv.empty()) return wrap(std::move(r));
  const Plan p = plan_advanced(r, adv);
  Tensor out = Tensor::empty(p.shape, r.dtype());
  without_gil(Cost::Memory, out.numel(), [&] { move_all<true>(p, r, out); });
  if (ag::should_record({&r}))
    ag::record("IndexBackward0", {&r}, {&out}, [adv, shape = r.shape()](ag::GradContext& c) {
      return std::vector<Tensor>{index_backward(c.grad(), shape, adv)};
    });
  return wrap(std::move(out));
  RTPY_CATCH(nullptr)
}

namespace {

// Writes `v` into the view `r` of a tensor of dtype `dt` through the advanced
// indices `adv` (none: a plain copy). `same_dtype`: torch's index_put_ rule.
void write_into(const Tensor& r, const std::vector<Adv>& adv, const Tensor& v, DType dt, bool same_dtype) {
  if (adv.empty()) {
    const Tensor fv = fit_value(v, r.shape());
    without_gil(Cost::Memory, r.numel(), [&] { Tensor(r).copy_(fv); });
    return;
  }
  Tensor dense;
  const Plan p = plan_advanced(r, adv, [&](const Shape& shape) {
    if (same_dtype && v.dtype() != dt)
      throw rusttorch::Error(std::string("Index put requires the source and destination dtypes match, got ") +
                             rusttorch::detail::torch_type_name(dt) + " for the destination and " +
                             rusttorch::detail::torch_type_name(v.dtype()) + " for the source.");
    const Tensor fv = fit_value(v, shape);
    try {
      dense = fv.to(dt).expand(shape).contiguous();
    } catch (const rusttorch::Error&) {
      throw rusttorch::Error("shape mismatch: value tensor of shape " + rusttorch::shape_str(fv.shape()) +
                             " cannot be broadcast to indexing result of shape " + rusttorch::shape_str(shape));
    }
  });
  without_gil(Cost::Memory, dense.numel(), [&] { move_all<false>(p, r, dense); });
}

using Region = ag::ViewRegion;

// `x[index] = value` on a tensor in the graph (or with a value that requires
// grad): x takes a new history, IndexPutBackward0, whose gradient is zero at
// the written elements for x and the gradient there for the value.
void setitem_recorded(PyObject* self, const Tensor& r, const std::vector<Adv>& adv, const Tensor& value,
                      bool same_dtype) {
  const Tensor& t = tensor_of(self);
  if (!t.is_contiguous())
    throw rusttorch::Error("rusttorch: assignment into a non-contiguous tensor that is part of the autograd graph is "
                           "not supported yet; write into x.contiguous() instead");
  const Region region{r.shape(), r.strides(), r.storage_offset() - t.storage_offset()};
  const DType dt = t.dtype();
  const Shape vshape = value.shape();
  if (adv.empty()) {  // a basic index: torch's CopySlices
    const Tensor fv = fit_value(value, r.shape());
    modify_without_gil(Cost::Memory, self, [&](Tensor& s) { ag::copy_slices(s, region, fv); });
    return;
  }
  modify_without_gil(Cost::Memory, self, [&](Tensor& s) {
    ag::inplace(s, [&](const Tensor& old) {
      Tensor res;
      {
        ag::NoGradGuard no_grad;
        res = old.clone();
        write_into(region.of(res), adv, value, dt, same_dtype);
      }
      const bool value_grad = value.requires_grad();
      ag::record("IndexPutBackward0", {&old, value_grad ? &value : nullptr}, {&res},
                 [region, adv, vshape, value_grad](ag::GradContext& c) {
                   ag::NoGradGuard no_grad;
                   const Tensor g = c.grad().contiguous();
                   Tensor g_old, g_value;
                   if (c.needs(0)) {
                     g_old = g.clone();
                     write_into(region.of(g_old), adv, Tensor::zeros({}, g.dtype()), g.dtype(), false);
                   }
                   if (value_grad && c.needs(1)) {
                     const Tensor view = region.of(g);
                     if (adv.empty()) {
                       g_value = view.clone();
                     } else {
                       const Plan p = plan_advanced(view, adv);
                       g_value = Tensor::empty(p.shape, g.dtype());
                       move_all<true>(p, view, g_value);
                     }
                     if (g_value.ndim() < static_cast<int64_t>(vshape.size()))  // value had leading 1s
                       g_value = g_value.reshape(vshape);
                   }
                   return std::vector<Tensor>{g_old, g_value};
                 });
      return res;
    });
  });
}

}  // namespace

int tensor_setitem(PyObject* self, PyObject* index, PyObject* value) {
  RTPY_TRY
  if (!value) {
    PyErr_SetString(PyExc_TypeError, "Tensor does not support item deletion");
    return -1;
  }
  const Tensor& t = tensor_of(self);
  Scalar s(0);
  const bool scalar_value = !is_tensor(value) && to_scalar(value, &s);
  if (!scalar_value && !is_tensor(value) && !PyList_Check(value) && !PyTuple_Check(value) &&
      std::strcmp(Py_TYPE(value)->tp_name, "numpy.ndarray") != 0) {  // torch: "can't assign a str to a ..."
    PyErr_Format(PyExc_TypeError, "can't assign a %s to a rusttorch tensor of dtype %s", Py_TYPE(value)->tp_name,
                 rusttorch::dtype_name(t.dtype()));
    return -1;
  }
  std::vector<Adv> adv;
  Tensor r;
  int tensor_indices = 0;
  bool one_mask = false;  // the only advanced index is one bool tensor of 1 or more dims
  if (is_single_int_or_slice(index) && t.ndim() > 0) {
    r = PySlice_Check(index) ? apply_slice(t, 0, index) : t.select(0, int_arg(index, "index", "index"));
  } else {
    std::vector<Item> items = convert_all(index);
    int advanced = 0;
    // A Python bool inside a tuple is an index tensor ([0] or []) to torch; a
    // bare True or False is not (a copy, or nothing).
    const bool in_tuple = PyTuple_Check(index);
    for (const Item& it : items) {
      if (it.kind == Kind::Tensor || it.kind == Kind::Bool) ++advanced;
      if (it.kind == Kind::Tensor || (it.kind == Kind::Bool && in_tuple)) ++tensor_indices;
      if (it.kind == Kind::Tensor) one_mask = it.t.dtype() == DType::Bool && it.t.ndim() >= 1;
    }
    one_mask &= advanced == 1;
    r = basic_index(t, items, adv);
  }
  // Through a tensor index (torch's index_put_), a tensor value must have the
  // destination's dtype; numbers and lists are made in it, and must fit it.
  // One value through one mask is torch's masked_fill_, which casts. Checked
  // after the indices broadcast, before the value's shape, as torch.
  const bool same_dtype = tensor_indices > 0 && is_tensor(value) && !(one_mask && tensor_of(value).numel() == 1);
  const Tensor v = scalar_value ? Tensor::full({}, s, t.dtype()) : as_tensor_arg(value, t.dtype());
  if (ag::should_record({&t, &v})) {
    setitem_recorded(self, r, adv, v, same_dtype);
    return 0;
  }
  if (adv.empty() && scalar_value) {
    without_gil(Cost::Memory, r.numel(), [&] { r.fill_(s); });
    return 0;
  }
  write_into(r, adv, v, t.dtype(), same_dtype);
  return 0;
  RTPY_CATCH(-1)
}

}  // namespace rtpy
