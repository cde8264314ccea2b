// Factory functions (tensor, zeros, arange, rand, ..., *_like), interop entry
// points, seeding and type-promotion queries.
#include <memory>
#include <random>

#include "casters.h"

namespace rtpy {
namespace {

using rusttorch::checked_numel;

Shape sizes(const py::args& a, const char* fn) {
  return size_args(&PyTuple_GET_ITEM(a.ptr(), 0), PyTuple_GET_SIZE(a.ptr()), fn);
}

// zeros(2, 3) | zeros((2, 3)) | zeros(size=(2, 3))
Shape sizes(const py::args& a, py::handle size, const char* fn) {
  if (size.is_none()) return sizes(a, fn);
  if (PyTuple_GET_SIZE(a.ptr()) != 0)
    throw py::type_error(std::string(fn) + "() got multiple values for argument 'size'");
  PyObject* s = size.ptr();
  return size_args(&s, 1, fn);
}

Scalar scalar_arg(py::handle o, const char* fn, const char* arg) {
  Scalar s(0);
  if (is_tensor(o.ptr()) && tensor_of(o.ptr()).numel() == 1) return tensor_of(o.ptr()).item();
  if (to_scalar(o.ptr(), &s)) return s;
  PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Number, not %s", fn, arg, Py_TYPE(o.ptr())->tp_name);
  throw python_error();
}

DType dtype_or(py::handle d, DType fallback, const char* fn) { return dtype_arg(d.ptr(), fallback, fn); }

using rusttorch::Generator;
// The Python Generator objects own theirs; rusttorch.default_generator wraps
// the engine's without owning it.
using GeneratorRef = std::shared_ptr<Generator>;

// generator=None | a rusttorch.Generator
Generator* generator_arg(py::handle g, const char* fn) {
  if (g.is_none()) return nullptr;
  if (!py::isinstance<Generator>(g)) {
    PyErr_Format(PyExc_TypeError, "%s(): argument 'generator' must be torch.Generator, not %s", fn, Py_TYPE(g.ptr())->tp_name);
    throw python_error();
  }
  return g.cast<Generator*>();
}

uint64_t seed_arg(py::handle seed) {
  py::object as_int = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyLong_Type))(seed);  // torch: int(seed)
  const unsigned long long s = PyLong_AsUnsignedLongLongMask(as_int.ptr());
  if (PyErr_Occurred()) throw python_error();
  return s;
}

void bind_generator(py::module_& m) {
  py::class_<Generator, GeneratorRef>(m, "Generator", "A seedable counter-based random source (torch.Generator).")
      .def(py::init([](py::handle device) {
             if (!device.is_none() && py::str(device).cast<std::string>() != "cpu")
               throw rusttorch::Error("Device type " + py::str(device).cast<std::string>() + " is not supported by this build");
             return std::make_shared<Generator>();
           }),
           py::arg("device") = "cpu")
      .def("manual_seed", [](const GeneratorRef& g, py::handle seed) { g->manual_seed(seed_arg(seed)); return g; },
           py::arg("seed"))
      .def("initial_seed", &Generator::initial_seed)
      .def("seed", [](const GeneratorRef& g) {  // a fresh nondeterministic seed, as torch
        const uint64_t s = std::random_device{}() * 0x100000001ULL ^ std::random_device{}();
        g->manual_seed(s);
        return s;
      })
      .def("get_state", [](const GeneratorRef& g) {
        Tensor t = Tensor::empty({2}, DType::Int64);
        static_cast<int64_t*>(t.data_ptr())[0] = static_cast<int64_t>(g->initial_seed());
        static_cast<int64_t*>(t.data_ptr())[1] = static_cast<int64_t>(g->offset());
        return t;
      })
      .def("set_state", [](const GeneratorRef& g, const Tensor& state) {
        if (state.dtype() != DType::Int64 || state.shape() != Shape{2})
          throw rusttorch::Error("set_state: expected the int64 tensor of 2 elements that get_state returns");
        const Tensor s = state.contiguous();
        g->set_state(static_cast<uint64_t>(static_cast<const int64_t*>(s.data_ptr())[0]),
                     static_cast<uint64_t>(static_cast<const int64_t*>(s.data_ptr())[1]));
        return g;
      }, py::arg("new_state"))
      .def_property_readonly("device", [](const GeneratorRef&) { return py::str("cpu"); });
  m.attr("default_generator") = GeneratorRef(&rusttorch::default_generator(), [](Generator*) {});
}

Tensor randint_impl(int64_t low, int64_t high, const Shape& shape, DType dtype, rusttorch::Generator* gen = nullptr) {
  const int64_t n = checked_numel(shape);
  return without_gil(Cost::Memory, n, [&] { return Tensor::randint(low, high, shape, dtype, gen); });
}

}  // namespace

// A factory with torch's requires_grad= keyword: f's parameters, then the flag.
template <class F, class R, class... A>
auto add_requires_grad(F f, R (F::*)(A...) const) {
  return [f](A... a, bool requires_grad) -> Tensor {
    Tensor t = f(std::forward<A>(a)...);
    if (requires_grad) t.requires_grad_(true);
    return t;
  };
}
template <class F>
auto add_requires_grad(F f) {
  return add_requires_grad(f, &F::operator());
}

void bind_creation(py::module_& m) {
  const auto dtype_kw = py::arg("dtype") = py::none();
  const auto grad_kw = py::arg("requires_grad") = false;
  const auto gen_kw = py::arg("generator") = py::none();
  bind_generator(m);

  m.def("tensor", add_requires_grad([](py::handle data, py::handle dtype) { return tensor_from_data(data.ptr(), dtype.ptr()); }),
        py::arg("data"), py::kw_only(), dtype_kw, grad_kw, "A new tensor holding a copy of data (nested sequences, numbers, ndarrays, tensors).");
  m.def(
      "as_tensor",
      add_requires_grad([](py::handle data, py::handle dtype) -> Tensor {
        Tensor t;
        if (is_tensor(data.ptr())) t = tensor_of(data.ptr());
        else if (std::strcmp(Py_TYPE(data.ptr())->tp_name, "numpy.ndarray") == 0) t = from_numpy(data.ptr());
        else return tensor_from_data(data.ptr(), dtype.ptr());
        return dtype.is_none() ? t : t.to(dtype_or(dtype, t.dtype(), "as_tensor"));
      }),
      py::arg("data"), py::kw_only(), dtype_kw, grad_kw, "Like tensor(), but shares memory with tensors and ndarrays when it can.");
  m.def("from_numpy", [](py::handle a) { return from_numpy(a.ptr()); }, py::arg("ndarray"),
        "A tensor sharing the memory of a NumPy array.");
  m.def("from_dlpack", [](py::handle o) { return from_dlpack(o.ptr()); }, py::arg("ext_tensor"),
        "A tensor sharing the memory of any __dlpack__ object (or a DLPack capsule).");

  m.def(
      "zeros",
      add_requires_grad([](py::args a, py::handle size, py::handle dtype) {
        const Shape s = sizes(a, size, "zeros");
        const DType d = dtype_or(dtype, rusttorch::kDefaultFloat, "zeros");
        return without_gil(Cost::Memory, checked_numel(s), [&] { return Tensor::zeros(s, d); });
      }),
      py::arg("size") = py::none(), dtype_kw, grad_kw);
  m.def(
      "ones",
      add_requires_grad([](py::args a, py::handle size, py::handle dtype) {
        const Shape s = sizes(a, size, "ones");
        const DType d = dtype_or(dtype, rusttorch::kDefaultFloat, "ones");
        return without_gil(Cost::Memory, checked_numel(s), [&] { return Tensor::ones(s, d); });
      }),
      py::arg("size") = py::none(), dtype_kw, grad_kw);
  m.def(
      "empty",
      add_requires_grad([](py::args a, py::handle size, py::handle dtype) {
        return Tensor::empty(sizes(a, size, "empty"), dtype_or(dtype, rusttorch::kDefaultFloat, "empty"));
      }),
      py::arg("size") = py::none(), dtype_kw, grad_kw);
  m.def(
      "full",
      add_requires_grad([](py::handle size_obj, py::handle value, py::handle dtype) {
        if (!PySequence_Check(size_obj.ptr()) || PyUnicode_Check(size_obj.ptr()))  // torch wants a sequence here
          throw py::type_error(std::string("full(): argument 'size' (position 1) must be tuple of ints, not ") +
                               Py_TYPE(size_obj.ptr())->tp_name);
        const IntList size{int_list(size_obj.ptr(), "full", "size")};
        const Scalar v = scalar_arg(value, "full", "fill_value");
        const DType d = dtype_or(dtype, v.default_dtype(), "full");
        return without_gil(Cost::Memory, checked_numel(size.v), [&] { return Tensor::full(size.v, v, d); });
      }),
      py::arg("size"), py::arg("fill_value"), py::kw_only(), dtype_kw, grad_kw);
  m.def(
      "arange",
      add_requires_grad([](py::handle start, py::handle end, py::handle step, py::handle dtype) {
        if (start.is_none() && end.is_none()) throw py::type_error("arange() missing required argument 'end'");
        Scalar s0 = Scalar(int64_t{0}), e = Scalar(int64_t{0}), st = Scalar(int64_t{1});
        if (end.is_none()) e = scalar_arg(start, "arange", "end");
        else {
          if (!start.is_none()) s0 = scalar_arg(start, "arange", "start");
          e = scalar_arg(end, "arange", "end");
        }
        if (!step.is_none()) st = scalar_arg(step, "arange", "step");
        if (dtype.is_none()) return Tensor::arange(s0, e, st);
        return Tensor::arange(s0, e, st, dtype_or(dtype, rusttorch::kDefaultFloat, "arange"));
      }),
      py::arg("start") = py::none(), py::arg("end") = py::none(), py::arg("step") = py::none(), py::kw_only(),
      dtype_kw, grad_kw);
  m.def(
      "linspace",
      add_requires_grad([](py::handle start, py::handle end, int64_t steps, py::handle dtype) {
        return Tensor::linspace(scalar_arg(start, "linspace", "start").to_double(),
                                scalar_arg(end, "linspace", "end").to_double(), steps,
                                dtype_or(dtype, rusttorch::kDefaultFloat, "linspace"));
      }),
      py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), dtype_kw, grad_kw);
  m.def(
      "eye",
      add_requires_grad([](int64_t n, std::optional<int64_t> mm, py::handle dtype) {
        if (mm && *mm < 0) throw rusttorch::Error("m must be greater or equal to 0, got " + std::to_string(*mm));
        return Tensor::eye(n, mm.value_or(-1), dtype_or(dtype, rusttorch::kDefaultFloat, "eye"));
      }),
      py::arg("n"), py::arg("m") = py::none(), py::kw_only(), dtype_kw, grad_kw);
  m.def(
      "rand",
      add_requires_grad([](py::args a, py::handle size, py::handle gen, py::handle dtype) {
        const Shape s = sizes(a, size, "rand");
        Generator* g = generator_arg(gen, "rand");
        const DType d = dtype_or(dtype, rusttorch::kDefaultFloat, "rand");
        return without_gil(Cost::Memory, checked_numel(s), [&] { return Tensor::rand(s, d, g); });
      }),
      py::arg("size") = py::none(), gen_kw, dtype_kw, grad_kw);
  m.def(
      "randn",
      add_requires_grad([](py::args a, py::handle size, py::handle gen, py::handle dtype) {
        const Shape s = sizes(a, size, "randn");
        Generator* g = generator_arg(gen, "randn");
        const DType d = dtype_or(dtype, rusttorch::kDefaultFloat, "randn");
        return without_gil(Cost::Memory, checked_numel(s), [&] { return Tensor::randn(s, d, g); });
      }),
      py::arg("size") = py::none(), gen_kw, dtype_kw, grad_kw);
  m.def(
      "randperm",
      add_requires_grad([](int64_t n, py::handle gen, py::handle dtype) {
        Generator* g = generator_arg(gen, "randperm");
        const DType d = dtype_or(dtype, DType::Int64, "randperm");
        return without_gil(Cost::Memory, n, [&] { return rusttorch::randperm(n, d, g); });
      }),
      py::arg("n"), py::kw_only(), gen_kw, dtype_kw, grad_kw);
  m.def(
      "randint",
      add_requires_grad([](py::args a, py::handle low, py::handle high, py::handle size, py::handle gen, py::handle dtype) {
        // randint(high, size) | randint(low, high, size), any of them by keyword
        std::vector<py::handle> v(a.begin(), a.end());
        py::handle lo = low, hi = high, sz = size;
        if (v.size() > 3) throw py::type_error("randint() takes at most 3 positional arguments");
        if (v.size() == 3) lo = v[0], hi = v[1], sz = v[2];
        else if (v.size() == 2 && !size.is_none()) lo = v[0], hi = v[1];
        else if (v.size() == 2) hi = v[0], sz = v[1];
        else if (v.size() == 1 && !high.is_none()) lo = v[0];
        else if (v.size() == 1) hi = v[0];
        if (hi.is_none() || sz.is_none()) throw py::type_error("randint(): expected (high, size) or (low, high, size)");
        const int64_t l = lo.is_none() ? 0 : int_arg(lo.ptr(), "randint", "low");
        const int64_t h = int_arg(hi.ptr(), "randint", "high");
        return randint_impl(l, h, int_list(sz.ptr(), "randint", "size"),
                            dtype_or(dtype, DType::Int64, "randint"), generator_arg(gen, "randint"));
      }),
      py::arg("low") = py::none(), py::arg("high") = py::none(), py::arg("size") = py::none(),
      gen_kw, dtype_kw, grad_kw);

  m.def("empty_like", add_requires_grad([](const Tensor& t, py::handle dtype) {
        return Tensor::empty(t.shape(), dtype_or(dtype, t.dtype(), "empty_like"));
      }), py::arg("input"), py::kw_only(), dtype_kw, grad_kw);
  m.def("zeros_like", add_requires_grad([](const Tensor& t, py::handle dtype) {
        const Shape s = t.shape();
        const DType d = dtype_or(dtype, t.dtype(), "zeros_like");
        return without_gil(Cost::Memory, t.numel(), [&] { return Tensor::zeros(s, d); });
      }), py::arg("input"), py::kw_only(), dtype_kw, grad_kw);
  m.def("ones_like", add_requires_grad([](const Tensor& t, py::handle dtype) {
        const Shape s = t.shape();
        const DType d = dtype_or(dtype, t.dtype(), "ones_like");
        return without_gil(Cost::Memory, t.numel(), [&] { return Tensor::ones(s, d); });
      }), py::arg("input"), py::kw_only(), dtype_kw, grad_kw);
  m.def("full_like", add_requires_grad([](const Tensor& t, py::handle value, py::handle dtype) {
        const Shape s = t.shape();
        const Scalar v = scalar_arg(value, "full_like", "fill_value");
        const DType d = dtype_or(dtype, t.dtype(), "full_like");
        return without_gil(Cost::Memory, t.numel(), [&] { return Tensor::full(s, v, d); });
      }), py::arg("input"), py::arg("fill_value"), py::kw_only(), dtype_kw, grad_kw);
  m.def("rand_like", add_requires_grad([](const Tensor& t, py::handle dtype) {
        const Shape s = t.shape();
        const DType d = dtype_or(dtype, t.dtype(), "rand_like");
        return without_gil(Cost::Memory, t.numel(), [&] { return Tensor::rand(s, d); });
      }), py::arg("input"), py::kw_only(), dtype_kw, grad_kw);
  m.def("randn_like", add_requires_grad([](const Tensor& t, py::handle dtype) {
        const Shape s = t.shape();
        const DType d = dtype_or(dtype, t.dtype(), "randn_like");
        return without_gil(Cost::Memory, t.numel(), [&] { return Tensor::randn(s, d); });
      }), py::arg("input"), py::kw_only(), dtype_kw, grad_kw);
  m.def(
      "randint_like",
      [](const Tensor& t, std::optional<int64_t> a, std::optional<int64_t> b, py::handle dtype) {
        // randint_like(t, high) | randint_like(t, low, high) | randint_like(t, high=h)
        if (!a && !b) throw py::type_error("randint_like() missing required argument 'high'");
        const int64_t low = (a && b) ? *a : 0, high = b ? *b : *a;
        return randint_impl(low, high, t.shape(), dtype_or(dtype, t.dtype(), "randint_like"));
      },
      py::arg("input"), py::arg("low") = py::none(), py::arg("high") = py::none(), py::kw_only(), dtype_kw);
  m.def("scalar_tensor", add_requires_grad([](py::handle s, py::handle dtype) {
        const Scalar v = scalar_arg(s, "scalar_tensor", "s");
        return Tensor::scalar_tensor(v, dtype_or(dtype, rusttorch::kDefaultFloat, "scalar_tensor"));
      }), py::arg("s"), py::kw_only(), dtype_kw, grad_kw);

  m.def(
      "manual_seed",
      [m](py::handle seed) {
        rusttorch::manual_seed(seed_arg(seed));
        return m.attr("default_generator");
      },
      py::arg("seed"), "Seeds the default generator of rand/randn/randint.");
  m.def("initial_seed", [] { return rusttorch::default_generator().initial_seed(); });

  m.def("result_type", [](const Operand& a, const Operand& b) { return rusttorch::result_type(a, b); },
        py::arg("tensor1"), py::arg("tensor2"));
  m.def("promote_types", &rusttorch::promote_types, py::arg("type1"), py::arg("type2"));
  m.def(
      "can_cast",
      [](DType from, DType to) {
        if (rusttorch::is_floating(from) && !rusttorch::is_floating(to)) return false;
        return !(from != DType::Bool && to == DType::Bool);
      },
      py::arg("from_"), py::arg("to"));
  m.def("broadcast_shapes", [](py::args shapes) {
    Shape r;
    for (py::handle s : shapes) r = rusttorch::broadcast_shapes(r, int_list(s.ptr(), "broadcast_shapes", "shapes"));
    return py::reinterpret_steal<py::object>(make_size(r));
  });
  m.def("is_tensor", [](py::handle o) { return is_tensor(o.ptr()); }, py::arg("obj"));
}

}  // namespace rtpy
