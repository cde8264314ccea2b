// The elementwise ops as hand-written METH_FASTCALL functions and methods, the
// number-protocol slots behind the operators, and a fast path for small
// operands.
//
// The fast path: for two contiguous operands of one dtype and shape (or one
// contiguous tensor and a Python number that does not change the result
// dtype), at most kFastMaxNumel elements, it calls the active ISA's kernel on
// the whole run directly, skipping the generic front-end's promotion,
// broadcasting and tiling (which only pay off on bigger or mixed operands).
// It calls the very kernel the engine would (rusttorch::detail::active_kernels,
// the engine-internal table), with the same arguments the engine's serial
// single-run case passes, so results are bit-identical. Everything else, and
// every error, goes through the public rusttorch:: functions.
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <optional>

#include "dispatch.h"  // engine-internal: rusttorch::detail::active_kernels()
#include "rt.h"

namespace rtpy {

Tensor (*matmul_fn)(const Tensor&, const Tensor&) = nullptr;

namespace {

namespace k = rusttorch::kernels;
using rusttorch::RoundingMode;

// ------------------------------------------------------------------ arguments
bool parse_args(const char* fn, std::initializer_list<const char*> names, int npos, int nreq,
                PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, PyObject** out) {
  const int n = static_cast<int>(names.size());
  const char* const* nm = names.begin();
  if (nargs > npos) {
    PyErr_Format(PyExc_TypeError, "%s() takes %d positional argument%s but %zd were given", fn, npos,
                 npos == 1 ? "" : "s", nargs);
    return false;
  }
  for (int i = 0; i < n; ++i) out[i] = i < nargs ? args[i] : nullptr;
  if (kwnames) {
    const Py_ssize_t nk = PyTuple_GET_SIZE(kwnames);
    for (Py_ssize_t j = 0; j < nk; ++j) {
      PyObject* key = PyTuple_GET_ITEM(kwnames, j);
      int found = -1;
      for (int i = 0; i < n; ++i)
        if (PyUnicode_CompareWithASCIIString(key, nm[i]) == 0) {
          found = i;
          break;
        }
      if (found < 0) {
        PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fn, key);
        return false;
      }
      if (out[found]) {
        PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fn, nm[found]);
        return false;
      }
      out[found] = args[nargs + j];
    }
  }
  for (int i = 0; i < nreq; ++i)
    if (!out[i]) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", fn, nm[i], i + 1);
      return false;
    }
  return true;
}

bool is_ndarray(PyObject* o) { return std::strcmp(Py_TYPE(o)->tp_name, "numpy.ndarray") == 0; }

// One operand: a tensor (borrowed from its Python object, or held for a
// converted NumPy array) or a Python number.
struct Opnd {
  const Tensor* t = nullptr;
  Scalar s{0};
  std::optional<Tensor> held;
  Operand operand() const { return t ? Operand(*t) : Operand(s); }
};

// False (no error set) when `o` is neither a tensor, a number nor an ndarray.
bool to_opnd(PyObject* o, Opnd& r) {
  if (is_tensor(o)) {
    r.t = &tensor_of(o);
    return true;
  }
  if (to_scalar(o, &r.s)) return true;
  if (is_ndarray(o)) {
    r.held = from_numpy(o);
    r.t = &*r.held;
    return true;
  }
  return false;
}

[[noreturn]] void arg_type_error(const char* fn, const char* arg, int pos, PyObject* o) {
  PyErr_Format(PyExc_TypeError, "%s(): argument '%s' (position %d) must be Tensor, not %s", fn, arg, pos,
               Py_TYPE(o)->tp_name);
  throw python_error();
}

Tensor& out_tensor(PyObject* out, const char* fn) {
  if (!is_tensor(out)) {
    PyErr_Format(PyExc_TypeError, "%s(): argument 'out' must be Tensor, not %s", fn, Py_TYPE(out)->tp_name);
    throw python_error();
  }
  return tensor_of(out);
}

int64_t numel_of(const Opnd& o) { return o.t ? o.t->numel() : 1; }

// ------------------------------------------------------------------ op table
struct BinDef {
  const char* name;
  const char* other;  // name of the second argument
  int kop;            // kernel op for the fast path, -1 for none
  bool float_only_fast;
  bool writes_bool;
};
#define RT_FAST_ANY false
#define RT_FAST_FLOAT true
const BinDef kBin[kNumBinOps] = {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) \
  {#name, #arg, k::kernel, RT_FAST_##fast, k::binary_writes_bool(k::kernel)},
#include "rusttorch/op_table.def"
    {"matmul", "other", -1, false, false},
};
#undef RT_FAST_ANY
#undef RT_FAST_FLOAT

struct Extra {
  Scalar alpha{1};
  bool has_alpha = false;
  RoundingMode mode = RoundingMode::None;
};

// The engine call of each op, with its extra argument (alpha, rounding mode) when it has one.
#define RT_CALL_NONE(f, ...) f(__VA_ARGS__)
#define RT_CALL_ALPHA(f, ...) f(__VA_ARGS__, x.alpha)
#define RT_CALL_ROUNDING(f, ...) f(__VA_ARGS__, x.mode)

Tensor engine_binary(int op, const Operand& a, const Operand& b, const Extra& x) {
  namespace r = rusttorch;
  switch (op) {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) \
  case op_##name:                                                         \
    return RT_CALL_##extra(r::name, a, b);
#include "rusttorch/op_table.def"
    case op_matmul:
      if (!matmul_fn) throw r::Error("matmul is not available in this build");
      if (a.is_scalar() || b.is_scalar()) throw r::TypeError("matmul(): both arguments must be tensors");
      return matmul_fn(a.tensor(), b.tensor());
  }
  throw r::Error("unknown binary op");
}

void engine_binary_out(int op, Tensor& out, const Operand& a, const Operand& b, const Extra& x) {
  namespace r = rusttorch;
  switch (op) {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) \
  case op_##name:                                                         \
    RT_CALL_##extra(r::name##_out, out, a, b);                            \
    return;
#include "rusttorch/op_table.def"
    case op_matmul: {
      const Tensor res = engine_binary(op, a, b, x);
      if (out.shape() != res.shape()) {
        if (out.numel() != 0)
          throw r::Error("matmul: expected out of shape " + r::shape_str(res.shape()) + " but got " +
                         r::shape_str(out.shape()));
        out = Tensor::empty(res.shape(), out.dtype());
      }
      out.copy_(res);
      return;
    }
  }
  throw r::Error("unknown binary op");
}

void engine_binary_inplace(int op, Tensor& self, const Operand& b, const Extra& x) {
  namespace r = rusttorch;
  switch (op) {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) \
  case op_##name:                                                         \
    RT_CALL_##extra(r::name##_, self, b);                                 \
    return;
#include "rusttorch/op_table.def"
    case op_matmul: throw r::Error("In-place matmul is not supported. Use 'out=' instead.");
  }
  throw r::Error("unknown binary op");
}

// ------------------------------------------------------------------ fast path
constexpr int64_t kFastMaxNumel = 32768;

union ScalarBuf {
  uint8_t b;
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
};

// result_type(tensor of dtype t, number s) == t
bool scalar_keeps_dtype(DType t, const Scalar& s) {
  if (rusttorch::is_floating(t)) return true;
  if (t == DType::Bool) return s.kind() == Scalar::Kind::Bool;
  return !s.is_floating();
}

void fill_scalar(ScalarBuf& u, DType t, const Scalar& s) {  // as Tensor::full converts
  switch (t) {
    case DType::Bool: u.b = s.to_bool() ? 1 : 0; break;
    case DType::Int32: u.i32 = static_cast<int32_t>(s.to_int()); break;
    case DType::Int64: u.i64 = s.to_int(); break;
    case DType::Float32: u.f32 = static_cast<float>(s.to_double()); break;
    case DType::Float64: u.f64 = s.to_double(); break;
  }
}

k::BinaryFn fast_fn(int op, DType dt) {
  const BinDef& d = kBin[op];
  if (d.kop < 0) return nullptr;
  if (d.float_only_fast && !rusttorch::is_floating(dt)) return nullptr;
  if (dt == DType::Bool && op == op_sub) return nullptr;  // the engine's error
  return rusttorch::detail::active_kernels().binary[d.kop][static_cast<int>(dt)];
}

// Sets up the kernel operands; false when the fast path does not apply.
bool fast_operands(int op, const Opnd& a, const Opnd& b, ScalarBuf& sb, const void** pa, const void** pb,
                   int* layout, k::BinaryFn* fn) {
  const Tensor* t = a.t ? a.t : b.t;
  const int64_t n = t->numel();
  if (n == 0 || n > kFastMaxNumel) return false;
  if ((a.t && a.t->has_autograd()) || (b.t && b.t->has_autograd())) return false;  // the engine records
  const DType dt = t->dtype();
  if (a.t && b.t) {
    if (b.t->dtype() != dt || a.t->shape() != b.t->shape() || !a.t->is_contiguous() || !b.t->is_contiguous())
      return false;
    *layout = k::kVecVec;
    *pa = a.t->data_ptr();
    *pb = b.t->data_ptr();
  } else {
    const Scalar& s = a.t ? b.s : a.s;
    if (!t->is_contiguous() || !scalar_keeps_dtype(dt, s)) return false;
    fill_scalar(sb, dt, s);
    *layout = a.t ? k::kVecScalar : k::kScalarVec;
    *pa = a.t ? a.t->data_ptr() : static_cast<const void*>(&sb);
    *pb = a.t ? static_cast<const void*>(&sb) : b.t->data_ptr();
  }
  *fn = fast_fn(op, dt);
  return *fn != nullptr;
}

PyObject* try_fast(int op, const Opnd& a, const Opnd& b) {
  ScalarBuf sb;
  const void *pa, *pb;
  int layout;
  k::BinaryFn fn;
  if (!fast_operands(op, a, b, sb, &pa, &pb, &layout, &fn)) return nullptr;
  const Tensor& t = a.t ? *a.t : *b.t;
  Tensor out = Tensor::empty(t.shape(), kBin[op].writes_bool ? DType::Bool : t.dtype());
  const k::OpParams params;
  if (fn(pa, pb, out.data_ptr(), out.numel(), layout, &params) != k::kOk) return nullptr;
  return wrap(std::move(out));
}

bool try_fast_inplace(int op, Tensor& self, const Opnd& b) {
  if (kBin[op].writes_bool) return false;
  Opnd a;
  a.t = &self;
  ScalarBuf sb;
  const void *pa, *pb;
  int layout;
  k::BinaryFn fn;
  if (!fast_operands(op, a, b, sb, &pa, &pb, &layout, &fn)) return false;
  const k::OpParams params;
  self.bump_version();
  return fn(pa, pb, self.data_ptr(), self.numel(), layout, &params) == k::kOk;
}

// ------------------------------------------------------------------ generic calls
bool is_bool(const Opnd& o) { return o.t ? o.t->dtype() == DType::Bool : o.s.kind() == Scalar::Kind::Bool; }

// torch checks the engine does not make (yet): any bool operand of a
// subtraction, and a bool alpha for a non-bool result.
void check_torch_rules(int op, const Opnd& a, const Opnd& b, const Extra& x) {
  if (op == op_sub && (is_bool(a) || is_bool(b))) {
    if (is_bool(a) && is_bool(b) && a.t && b.t)
      throw rusttorch::Error("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                             "`logical_xor()` operator instead.");
    throw rusttorch::Error("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.");
  }
  if (x.has_alpha && x.alpha.kind() == Scalar::Kind::Bool && rusttorch::result_type(a.operand(), b.operand()) != DType::Bool)
    throw rusttorch::Error("Boolean alpha only supported for Boolean results.");
}

PyObject* binary_result(int op, const Opnd& a_in, const Opnd& b, const Extra& x, PyObject* out_obj, const char* fn) {
  const Opnd* pa = &a_in;
  Opnd wrapped;
  if (!a_in.t && !b.t) {  // add(1, 2): torch makes the first number a tensor of its default dtype
    if (op == op_matmul) throw rusttorch::TypeError(std::string(fn) + "(): arguments must be tensors");
    wrapped.held = Tensor::scalar_tensor(a_in.s);
    wrapped.t = &*wrapped.held;
    pa = &wrapped;
  }
  const Opnd& a = *pa;
  check_torch_rules(op, a, b, x);
  if (op == op_pow && a.t && a.t->dtype() == DType::Bool && !b.t && b.s.kind() == Scalar::Kind::Bool && !out_obj) {
    // torch special-cases the exponents 0 and 1 (the engine has no bool pow kernel)
    return wrap(b.s.to_bool() ? a.t->clone() : Tensor::ones(a.t->shape(), DType::Bool));
  }
  if (!out_obj && !x.has_alpha && x.mode == RoundingMode::None)
    if (PyObject* r = try_fast(op, a, b)) return r;
  const Operand oa = a.operand(), ob = b.operand();
  // (matmul_fn, called inside, releases nothing itself.)
  const Cost cost = op == op_matmul ? Cost::Product : Cost::Memory;
  const int64_t n = op == op_matmul ? numel_of(a) + numel_of(b) : std::max(numel_of(a), numel_of(b));
  if (out_obj) {
    Tensor out = out_tensor(out_obj, fn);
    without_gil(cost, n, [&] { engine_binary_out(op, out, oa, ob, x); });
    tensor_of(out_obj) = std::move(out);
    Py_INCREF(out_obj);
    return out_obj;
  }
  return wrap(without_gil(cost, n, [&] { return engine_binary(op, oa, ob, x); }));
}

void inplace_apply(int op, PyObject* self, const Opnd& b, const Extra& x) {
  Tensor& s = tensor_of(self);
  {
    Opnd a;
    a.t = &s;
    check_torch_rules(op, a, b, x);
  }
  if (!x.has_alpha && x.mode == RoundingMode::None && try_fast_inplace(op, s, b)) return;
  const Operand ob = b.operand();
  modify_without_gil(Cost::Memory, self, [&](Tensor& t) { engine_binary_inplace(op, t, ob, x); });
}

// The op's extra argument (the op table's `extra` column).
enum class ExtraKind { NONE, ALPHA, ROUNDING };
const ExtraKind kExtraKind[kNumBinOps] = {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) ExtraKind::extra,
#include "rusttorch/op_table.def"
    ExtraKind::NONE,  // matmul
};

Extra parse_extra(int op, PyObject* v, const char* fn) {
  Extra x;
  if (!v || v == Py_None) return x;
  if (kExtraKind[op] == ExtraKind::ALPHA) {
    if (!to_scalar(v, &x.alpha)) {
      PyErr_Format(PyExc_TypeError, "%s(): argument 'alpha' must be Number, not %s", fn, Py_TYPE(v)->tp_name);
      throw python_error();
    }
    x.has_alpha = true;
  } else if (kExtraKind[op] == ExtraKind::ROUNDING) {
    const char* m = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : nullptr;
    if (m && std::strcmp(m, "trunc") == 0) x.mode = RoundingMode::Trunc;
    else if (m && std::strcmp(m, "floor") == 0) x.mode = RoundingMode::Floor;
    else {
      PyObject* r = PyObject_Repr(v);
      const std::string s = r ? PyUnicode_AsUTF8(r) : "?";
      Py_XDECREF(r);
      throw rusttorch::Error("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found " + s);
    }
  }
  return x;
}

const char* extra_name(int op) {
  return kExtraKind[op] == ExtraKind::ALPHA ? "alpha" : kExtraKind[op] == ExtraKind::ROUNDING ? "rounding_mode" : nullptr;
}

// rusttorch.<op>(input, other, *, [alpha=1 | rounding_mode=None,] out=None)
template <int OP>
PyObject* func_binary(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  const BinDef& d = kBin[OP];
  PyObject* v[4];
  const char* extra = extra_name(OP);
  const bool ok = extra ? parse_args(d.name, {"input", d.other, extra, "out"}, 2, 2, args, nargs, kwnames, v)
                        : parse_args(d.name, {"input", d.other, "out"}, 2, 2, args, nargs, kwnames, v);
  if (!ok) return nullptr;
  PyObject* out = extra ? v[3] : v[2];
  const Extra x = parse_extra(OP, extra ? v[2] : nullptr, d.name);
  Opnd a, b;
  if (!to_opnd(v[0], a)) arg_type_error(d.name, "input", 1, v[0]);
  if (!to_opnd(v[1], b)) arg_type_error(d.name, d.other, 2, v[1]);
  return binary_result(OP, a, b, x, out == Py_None ? nullptr : out, d.name);
  RTPY_CATCH(nullptr)
}

// Tensor.<op>(other, *, [alpha | rounding_mode])
template <int OP>
PyObject* method_binary(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  const BinDef& d = kBin[OP];
  PyObject* v[2];
  const char* extra = extra_name(OP);
  const bool ok = extra ? parse_args(d.name, {d.other, extra}, 1, 1, args, nargs, kwnames, v)
                        : parse_args(d.name, {d.other}, 1, 1, args, nargs, kwnames, v);
  if (!ok) return nullptr;
  const Extra x = parse_extra(OP, extra ? v[1] : nullptr, d.name);
  Opnd a, b;
  a.t = &tensor_of(self);
  if (!to_opnd(v[0], b)) arg_type_error(d.name, d.other, 1, v[0]);
  return binary_result(OP, a, b, x, nullptr, d.name);
  RTPY_CATCH(nullptr)
}

// Tensor.<op>_(other, *, [alpha | rounding_mode]) -> self
template <int OP>
PyObject* method_inplace(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  const BinDef& d = kBin[OP];
  PyObject* v[2];
  const char* extra = extra_name(OP);
  const bool ok = extra ? parse_args(d.name, {d.other, extra}, 1, 1, args, nargs, kwnames, v)
                        : parse_args(d.name, {d.other}, 1, 1, args, nargs, kwnames, v);
  if (!ok) return nullptr;
  const Extra x = parse_extra(OP, extra ? v[1] : nullptr, d.name);
  Opnd b;
  if (!to_opnd(v[0], b)) arg_type_error(d.name, d.other, 1, v[0]);
  inplace_apply(OP, self, b, x);
  Py_INCREF(self);
  return self;
  RTPY_CATCH(nullptr)
}

// ------------------------------------------------------------------ unary ops
const char* const kUnName[kNumUnOps] = {
#define RT_UNARY(name, kernel, node, d_self) #name,
#include "rusttorch/op_table.def"
};

Tensor engine_unary(int op, const Tensor& a) {
  switch (op) {
#define RT_UNARY(name, kernel, node, d_self) \
  case op_##name:                            \
    return rusttorch::name(a);
#include "rusttorch/op_table.def"
  }
  throw rusttorch::Error("unknown unary op");
}
void engine_unary_out(int op, Tensor& out, const Tensor& a) {
  switch (op) {
#define RT_UNARY(name, kernel, node, d_self) \
  case op_##name:                            \
    rusttorch::name##_out(out, a);           \
    return;
#include "rusttorch/op_table.def"
  }
  throw rusttorch::Error("unknown unary op");
}
void engine_unary_inplace(int op, Tensor& a) {
  switch (op) {
#define RT_UNARY(name, kernel, node, d_self) \
  case op_##name:                            \
    rusttorch::name##_(a);                   \
    return;
#include "rusttorch/op_table.def"
  }
  throw rusttorch::Error("unknown unary op");
}

// Writes op(a) into out_obj (a must be owned when the GIL may be released).
PyObject* unary_out(int op, PyObject* out_obj, const Tensor& a, const char* fn) {
  Tensor out = out_tensor(out_obj, fn);
  without_gil(Cost::Memory, a.numel(), [&] { engine_unary_out(op, out, a); });
  tensor_of(out_obj) = std::move(out);
  Py_INCREF(out_obj);
  return out_obj;
}

PyObject* unary_result(int op, const Tensor& a, PyObject* out_obj, const char* fn) {
  const bool release = worth_releasing(Cost::Memory, a.numel());
  if (!release) return out_obj ? unary_out(op, out_obj, a, fn) : wrap(engine_unary(op, a));
  const Tensor in = a;  // owned: a's Python object may be rebound while the GIL is released
  if (out_obj) return unary_out(op, out_obj, in, fn);
  return wrap(without_gil(Cost::Memory, in.numel(), [&] { return engine_unary(op, in); }));
}

template <int OP>
PyObject* func_unary(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* v[2];
  if (!parse_args(kUnName[OP], {"input", "out"}, 1, 1, args, nargs, kwnames, v)) return nullptr;
  if (!is_tensor(v[0])) arg_type_error(kUnName[OP], "input", 1, v[0]);
  return unary_result(OP, tensor_of(v[0]), v[1] == Py_None ? nullptr : v[1], kUnName[OP]);
  RTPY_CATCH(nullptr)
}

template <int OP>
PyObject* method_unary(PyObject* self, PyObject*) {
  RTPY_TRY
  return unary_result(OP, tensor_of(self), nullptr, kUnName[OP]);
  RTPY_CATCH(nullptr)
}

template <int OP>
PyObject* method_unary_inplace(PyObject* self, PyObject*) {
  RTPY_TRY
  modify_without_gil(Cost::Memory, self, [](Tensor& t) { engine_unary_inplace(OP, t); });
  Py_INCREF(self);
  return self;
  RTPY_CATCH(nullptr)
}

// ------------------------------------------------------------------ clamp, where
std::optional<Operand> bound(PyObject* o, const char* fn, const char* name) {
  if (!o || o == Py_None) return std::nullopt;
  if (is_tensor(o)) return Operand(tensor_of(o));
  Scalar s(0);
  if (to_scalar(o, &s)) return Operand(s);
  PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Tensor or Number, not %s", fn, name,
               Py_TYPE(o)->tp_name);
  throw python_error();
}

PyObject* clamp_common(const Tensor& a, PyObject* lo_o, PyObject* hi_o, PyObject* out_obj, const char* fn) {
  const auto lo = bound(lo_o, fn, "min"), hi = bound(hi_o, fn, "max");
  const Tensor in = a;  // owned: a's Python object may be rebound while the GIL is released
  if (out_obj) {
    Tensor out = out_tensor(out_obj, fn);
    without_gil(Cost::Memory, in.numel(), [&] { rusttorch::clamp_out(out, in, lo, hi); });
    tensor_of(out_obj) = std::move(out);
    Py_INCREF(out_obj);
    return out_obj;
  }
  return wrap(without_gil(Cost::Memory, in.numel(), [&] { return rusttorch::clamp(in, lo, hi); }));
}

PyObject* func_clamp(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* v[4];
  if (!parse_args("clamp", {"input", "min", "max", "out"}, 3, 1, args, nargs, kwnames, v)) return nullptr;
  if (!is_tensor(v[0])) arg_type_error("clamp", "input", 1, v[0]);
  return clamp_common(tensor_of(v[0]), v[1], v[2], v[3] == Py_None ? nullptr : v[3], "clamp");
  RTPY_CATCH(nullptr)
}

PyObject* method_clamp(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* v[2];
  if (!parse_args("clamp", {"min", "max"}, 2, 0, args, nargs, kwnames, v)) return nullptr;
  return clamp_common(tensor_of(self), v[0], v[1], nullptr, "clamp");
  RTPY_CATCH(nullptr)
}

PyObject* method_clamp_(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* v[2];
  if (!parse_args("clamp_", {"min", "max"}, 2, 0, args, nargs, kwnames, v)) return nullptr;
  const auto lo = bound(v[0], "clamp_", "min"), hi = bound(v[1], "clamp_", "max");
  modify_without_gil(Cost::Memory, self, [&](Tensor& t) { rusttorch::clamp_(t, lo, hi); });
  Py_INCREF(self);
  return self;
  RTPY_CATCH(nullptr)
}

Operand where_operand(PyObject* o, const char* name, int pos) {
  Opnd r;
  if (!to_opnd(o, r)) arg_type_error("where", name, pos, o);
  return r.operand();
}

PyObject* where_common(PyObject* cond, const Operand& a, const Operand& b) {
  if (!is_tensor(cond)) arg_type_error("where", "condition", 1, cond);
  const Tensor c = tensor_of(cond);
  const int64_t n = std::max({c.numel(), a.is_scalar() ? 1 : a.tensor().numel(), b.is_scalar() ? 1 : b.tensor().numel()});
  return wrap(without_gil(Cost::Memory, n, [&] { return rusttorch::where(c, a, b); }));
}

}  // namespace

PyObject* nonzero_tuple(const Tensor& t) {  // where(cond) with one argument; nonzero(as_tuple=True)
  const Tensor nz = nonzero(t);
  const int64_t nd = std::max<int64_t>(t.ndim(), 1);
  PyObject* tup = PyTuple_New(nd);
  if (!tup) throw python_error();
  for (int64_t d = 0; d < nd; ++d) {
    PyObject* col = nullptr;
    try {  // a 0-d input counts as one element at index 0, as torch
      col = wrap(t.ndim() == 0 ? Tensor::zeros({nz.shape()[0]}, DType::Int64) : nz.select(1, d).contiguous());
    } catch (...) {
      Py_DECREF(tup);
      throw;
    }
    PyTuple_SET_ITEM(tup, d, col);
  }
  return tup;
}

namespace {

PyObject* func_where(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* v[3];
  if (!parse_args("where", {"condition", "input", "other"}, 3, 1, args, nargs, kwnames, v)) return nullptr;
  if (!v[1] && !v[2]) {
    if (!is_tensor(v[0])) arg_type_error("where", "condition", 1, v[0]);
    return nonzero_tuple(tensor_of(v[0]));
  }
  if (!v[1] || !v[2]) {
    PyErr_SetString(PyExc_TypeError, "where() takes either 1 or 3 arguments (condition[, input, other])");
    return nullptr;
  }
  return where_common(v[0], where_operand(v[1], "input", 2), where_operand(v[2], "other", 3));
  RTPY_CATCH(nullptr)
}

PyObject* method_where(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  RTPY_TRY
  PyObject* v[2];
  if (!parse_args("where", {"condition", "other"}, 2, 2, args, nargs, kwnames, v)) return nullptr;
  return where_common(v[0], Operand(tensor_of(self)), where_operand(v[1], "other", 2));
  RTPY_CATCH(nullptr)
}

// ------------------------------------------------------------------ tables
#define RT_FAST (METH_FASTCALL | METH_KEYWORDS)
#define RT_FN(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f))

#define RT_BIN_FUNCS(name, OP) {name, RT_FN(func_binary<OP>), RT_FAST, nullptr},
#define RT_BIN_METHODS(name, OP)                                    \
  {name, RT_FN(method_binary<OP>), RT_FAST, nullptr},               \
  {name "_", RT_FN(method_inplace<OP>), RT_FAST, nullptr},
#define RT_UN_FUNCS(name, OP) {name, RT_FN(func_unary<OP>), RT_FAST, nullptr},
#define RT_UN_METHODS(name, OP)                                     \
  {name, RT_FN(method_unary<OP>), METH_NOARGS, nullptr},            \
  {name "_", RT_FN(method_unary_inplace<OP>), METH_NOARGS, nullptr},

PyMethodDef g_functions[] = {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) RT_BIN_FUNCS(#name, op_##name)
#define RT_BINARY_ALIAS(alias, name) RT_BIN_FUNCS(#alias, op_##name)
#define RT_UNARY(name, kernel, node, d_self) RT_UN_FUNCS(#name, op_##name)
#define RT_UNARY_ALIAS(alias, name) RT_UN_FUNCS(#alias, op_##name)
#include "rusttorch/op_table.def"
    {"clamp", RT_FN(func_clamp), RT_FAST, nullptr},
    {"clip", RT_FN(func_clamp), RT_FAST, nullptr},
    {"where", RT_FN(func_where), RT_FAST, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyMethodDef g_methods[] = {
#define RT_BINARY(name, kernel, arg, extra, fast, node, d_self, d_other) RT_BIN_METHODS(#name, op_##name)
#define RT_BINARY_ALIAS(alias, name) RT_BIN_METHODS(#alias, op_##name)
#define RT_UNARY(name, kernel, node, d_self) RT_UN_METHODS(#name, op_##name)
#define RT_UNARY_ALIAS(alias, name) RT_UN_METHODS(#alias, op_##name)
#include "rusttorch/op_table.def"
    {"clamp", RT_FN(method_clamp), RT_FAST, nullptr},
    {"clamp_", RT_FN(method_clamp_), RT_FAST, nullptr},
    {"clip", RT_FN(method_clamp), RT_FAST, nullptr},
    {"clip_", RT_FN(method_clamp_), RT_FAST, nullptr},
    {"where", RT_FN(method_where), RT_FAST, nullptr},
    {nullptr, nullptr, 0, nullptr}};

}  // namespace

// ------------------------------------------------------------------ number protocol
PyObject* nb_binary(int op, PyObject* a, PyObject* b) {
  RTPY_TRY
  Opnd oa, ob;
  if (!to_opnd(a, oa) || !to_opnd(b, ob)) Py_RETURN_NOTIMPLEMENTED;
  if (op == op_matmul && (!matmul_fn || !oa.t || !ob.t)) Py_RETURN_NOTIMPLEMENTED;
  return binary_result(op, oa, ob, Extra{}, nullptr, kBin[op].name);
  RTPY_CATCH(nullptr)
}

PyObject* nb_inplace(int op, PyObject* a, PyObject* b) {
  RTPY_TRY
  Opnd ob;
  if (!is_tensor(a) || op == op_matmul || !to_opnd(b, ob)) Py_RETURN_NOTIMPLEMENTED;
  inplace_apply(op, a, ob, Extra{});
  Py_INCREF(a);
  return a;
  RTPY_CATCH(nullptr)
}

PyObject* nb_unary(int op, PyObject* a) {
  RTPY_TRY
  if (op == op_bitwise_not && rusttorch::is_floating(tensor_of(a).dtype())) {
    PyErr_SetString(PyExc_TypeError, "~ (operator.invert) is only implemented on integer and Boolean-type tensors");
    return nullptr;
  }
  return unary_result(op, tensor_of(a), nullptr, kUnName[op]);
  RTPY_CATCH(nullptr)
}

PyObject* richcompare(PyObject* a, PyObject* b, int cmp) {
  RTPY_TRY
  Opnd oa, ob;
  if (!to_opnd(a, oa) || !to_opnd(b, ob)) Py_RETURN_NOTIMPLEMENTED;
  int op = op_eq;
  switch (cmp) {
    case Py_EQ: op = op_eq; break;
    case Py_NE: op = op_ne; break;
    case Py_LT: op = op_lt; break;
    case Py_LE: op = op_le; break;
    case Py_GT: op = op_gt; break;
    case Py_GE: op = op_ge; break;
  }
  return binary_result(op, oa, ob, Extra{}, nullptr, kBin[op].name);
  RTPY_CATCH(nullptr)
}

PyMethodDef* fast_tensor_methods() { return g_methods; }

bool init_fast_ops(PyObject* module) { return PyModule_AddFunctions(module, g_functions) == 0; }

}  // namespace rtpy
