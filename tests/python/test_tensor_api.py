"""The Tensor object and the factory functions: properties, conversions,
repr, Python protocols, dtypes and Size; differential against torch."""
from __future__ import annotations

import copy
import math
import pickle
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rusttorch as rt
from helpers import DTYPES, FLOATS, assert_same, dtype_name, random_array, same_error, RAISED, torch_or_same_error

torch = pytest.importorskip("torch")

seeds = st.integers(0, 2**32 - 1)


def both(a):
    return (rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a.copy())), torch.from_numpy(np.array(a, copy=True))


def compare(f_rt, f_torch):
    expected = torch_or_same_error(f_rt, f_torch)
    if expected is RAISED:
        return
    got = f_rt()
    if isinstance(expected, torch.Tensor):
        assert_same(got, expected)
    else:
        assert got == expected or (isinstance(got, float) and math.isnan(got) and math.isnan(expected)), (got, expected)


# ---------------------------------------------------------------- dtypes and Size
def test_dtype_objects_and_aliases():
    for name in DTYPES:
        d = getattr(rt, name)
        assert isinstance(d, rt.dtype)
        assert repr(d) == f"rusttorch.{name}" == str(d)
        assert d.is_floating_point == getattr(torch, name).is_floating_point
        assert d.itemsize == getattr(torch, name).itemsize
        assert d.is_signed == getattr(torch, name).is_signed
        assert pickle.loads(pickle.dumps(d)) is d
        assert copy.deepcopy(d) is d
    assert rt.float is rt.float32 and rt.double is rt.float64
    assert rt.long is rt.int64 and rt.int is rt.int32 and rt.bool is not bool
    assert rt.float32 == rt.float32 and rt.float32 != rt.float64
    assert len({rt.float32, rt.float, rt.float64}) == 2
    with pytest.raises(TypeError):
        rt.dtype()


def test_size():
    s = rt.zeros(2, 3, 4).shape
    assert isinstance(s, rt.Size) and isinstance(s, tuple)
    assert s == (2, 3, 4) and s == torch.Size([2, 3, 4])
    assert repr(s) == "rusttorch.Size([2, 3, 4])" == repr(torch.Size([2, 3, 4])).replace("torch", "rusttorch")
    assert repr(rt.Size([])) == "rusttorch.Size([])"
    assert isinstance(s[1:], rt.Size) and s[1:] == (3, 4)
    assert s[0] == 2 and s[-1] == 4
    assert isinstance(s + (5,), rt.Size) and s + (5,) == (2, 3, 4, 5)
    assert s.numel() == 24 and rt.Size([]).numel() == 1
    assert rt.Size((1, 2)) == (1, 2) and hash(rt.Size((1, 2))) == hash((1, 2))
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(TypeError):
        rt.Size([1.5])


# ---------------------------------------------------------------- factories
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_size_forms(name):
    f = getattr(rt, name)
    for args in [(2, 3), ((2, 3),), ([2, 3],), (rt.Size([2, 3]),), (np.int64(2), 3), ((),), ([],), (0,), ((0, 2),)]:
        t = f(*args)
        expected = getattr(torch, name)(*[a if not isinstance(a, rt.Size) else tuple(a) for a in args])
        assert t.shape == expected.shape and dtype_name(t.dtype) == dtype_name(expected.dtype)
    for d in (rt.float32, rt.float64):
        assert f(2, dtype=d).dtype is d
    with pytest.raises(TypeError):
        f(2.5)
    with pytest.raises(TypeError):
        f()
    with pytest.raises(RuntimeError):
        f(-1)
    with pytest.raises(TypeError):
        f(2, dtype="float32")
    for size in ((2, 3), [4], (), rt.Size([1, 2])):
        t = f(size=size)
        assert t.shape == getattr(torch, name)(size=tuple(size)).shape and t.dtype is rt.float32
    assert f(size=(2,), dtype=rt.float64).dtype is rt.float64
    with pytest.raises(TypeError):
        f(2, size=(2,))


def test_factories_values():
    assert_same(rt.zeros(2, 3, dtype=rt.int32), torch.zeros(2, 3, dtype=torch.int32))
    assert_same(rt.ones(2, dtype=rt.bool), torch.ones(2, dtype=torch.bool))
    for args, kw in [(((2, 2), 1.5), {}), (((2,), True), {}), (((3,), 7), {}), (((2,), 2.5), {"dtype": "int64"}),
                     (((), 3), {})]:
        kw_rt = {k: getattr(rt, v) for k, v in kw.items()}
        kw_t = {k: getattr(torch, v) for k, v in kw.items()}
        assert_same(rt.full(*args, **kw_rt), torch.full(*args, **kw_t))
    with pytest.raises(TypeError):
        rt.full(2, 1)
    for args in [(5,), (1, 5), (1, 5, 2), (0.5, 3), (5, 0, -1), (0, 1, 0.1), (-3, 3, 1.5), (0, 0)]:
        assert_same(rt.arange(*args), torch.arange(*args))
    assert_same(rt.arange(1, 5, dtype=rt.float64), torch.arange(1, 5, dtype=torch.float64))
    assert_same(rt.arange(start=1, end=4), torch.arange(start=1, end=4))
    assert_same(rt.arange(end=4), torch.arange(end=4))
    for f in (lambda m: m.arange(0, 10, 0), lambda m: m.arange(5, 0), lambda m: m.arange(0, float("inf"))):
        with pytest.raises(RuntimeError):
            f(rt)
    for args in [(0, 1, 5), (-2, 2, 1), (3, -3, 7), (0, 1, 0), (1, 1, 4)]:
        assert_same(rt.linspace(*args), torch.linspace(*args), rtol=1e-6, atol=1e-6)
    assert_same(rt.linspace(0, 1, 5, dtype=rt.int64), torch.linspace(0, 1, 5, dtype=torch.int64))
    assert_same(rt.linspace(0, 10, steps=11, dtype=rt.float64), torch.linspace(0, 10, steps=11, dtype=torch.float64))
    for args in [(3,), (2, 4), (4, 2), (0,), (2, 0)]:
        assert_same(rt.eye(*args), torch.eye(*args))
    for args in [(-1,), (2, -1)]:
        same_error(lambda: rt.eye(*args), lambda: torch.eye(*args))
    assert_same(rt.eye(3, dtype=rt.int32), torch.eye(3, dtype=torch.int32))


def test_like_factories():
    x = rt.ones(2, 3, dtype=rt.float64)
    for name in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        y = getattr(rt, name)(x)
        assert y.shape == x.shape and y.dtype is rt.float64
        assert getattr(rt, name)(x, dtype=rt.float32).dtype is rt.float32
    assert rt.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert rt.zeros_like(x).tolist() == [[0.0] * 3] * 2
    y = rt.randint_like(rt.zeros(100, dtype=rt.int64), 5)
    assert y.dtype is rt.int64 and 0 <= y.min().item() if hasattr(y, "min") else True
    assert all(0 <= v < 5 for v in y.tolist())
    y = rt.randint_like(rt.zeros(100, dtype=rt.int32), 3, 6)
    assert y.dtype is rt.int32 and all(3 <= v < 6 for v in y.tolist())
    for kw in ({"high": 4}, {"low": 1, "high": 4}):
        y = rt.randint_like(rt.zeros(100), **kw)
        assert y.dtype is rt.float32 and all(kw.get("low", 0) <= v < 4 for v in y.tolist())
        assert torch.randint_like(torch.zeros(2), **kw).shape == (2,)
    with pytest.raises(TypeError):
        rt.randint_like(rt.zeros(2))


def test_random_seeding_and_ranges():
    rt.manual_seed(1234)
    a = rt.rand(1000)
    b = rt.randn(1000, dtype=rt.float64)
    c = rt.randint(3, 9, (1000,))
    rt.manual_seed(1234)
    assert rt.rand(1000).tolist() == a.tolist()
    assert rt.randn(1000, dtype=rt.float64).tolist() == b.tolist()
    assert rt.randint(3, 9, (1000,)).tolist() == c.tolist()
    assert rt.initial_seed() == 1234
    av = a.numpy()
    assert (av >= 0).all() and (av < 1).all() and 0.4 < av.mean() < 0.6
    bv = b.numpy()
    assert -0.2 < bv.mean() < 0.2 and 0.8 < bv.std() < 1.2
    cv = c.numpy()
    assert c.dtype is rt.int64 and cv.min() == 3 and cv.max() == 8
    assert rt.randint(5, (3, 2)).shape == (3, 2)
    assert rt.randint(5, size=(4,)).shape == (4,)
    assert rt.randint(low=2, high=5, size=[3]).shape == (3,)
    assert rt.randint(10, (2,), dtype=rt.int32).dtype is rt.int32
    with pytest.raises(RuntimeError):
        rt.randint(5, 3, (2,))
    with pytest.raises((RuntimeError, NotImplementedError)):
        rt.rand(2, dtype=rt.int64)
    with pytest.raises(TypeError):
        rt.randint(5)
    rt.manual_seed(7.9)  # torch takes int(seed)
    assert rt.initial_seed() == 7
    for bad in ("a", None):
        same_error(lambda: rt.manual_seed(bad), lambda: torch.manual_seed(bad))
    rt.manual_seed(torch.initial_seed() % 2**32)


@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), da=st.sampled_from(DTYPES),
       seed=seeds, want=st.one_of(st.none(), st.sampled_from(DTYPES)))
def test_tensor_from_nested_lists(shape, da, seed, want):
    a = random_array(np.random.default_rng(seed), shape, da)
    data = a.tolist()
    kw_rt = {} if want is None else {"dtype": getattr(rt, want)}
    kw_t = {} if want is None else {"dtype": getattr(torch, want)}
    compare(lambda: rt.tensor(data, **kw_rt), lambda: torch.tensor(data, **kw_t))
    compare(lambda: rt.tensor(a, **kw_rt), lambda: torch.tensor(a, **kw_t))


def test_tensor_inference_and_errors():
    for data in [1, 2.5, True, [1, 2.5, True], [True, 2], [], [[]], [[1, 2], [3, 4]], (1, 2), [(1.0,), (2.0,)],
                 range(4), [np.float32(1.5)], np.float32(1.5), np.int32(3), np.bool_(True), [np.int64(3)]]:
        compare(lambda: rt.tensor(data), lambda: torch.tensor(data))
    compare(lambda: rt.tensor(5, dtype=float), lambda: torch.tensor(5, dtype=float))
    compare(lambda: rt.tensor([1.7], dtype=int), lambda: torch.tensor([1.7], dtype=int))
    compare(lambda: rt.tensor([1], dtype=bool), lambda: torch.tensor([1], dtype=bool))
    with pytest.raises(ValueError):
        rt.tensor(2**63)
    # torch: shape from the first elements (a string there is "too many dimensions": ValueError),
    # a string element is an invalid data type (TypeError), any other non-number leaves the dtype
    # uninferable (RuntimeError) or, with dtype=, is not a real number (TypeError).
    for bad in ([[1, 2], [3]], ["a"], "a", b"a", [1, "a"], [[1], "ab"], [None], None, [1, None], object(), [{}],
                {}, [[1], 2], [[1], [None]]):
        same_error(lambda: rt.tensor(bad), lambda: torch.tensor(bad))
        same_error(lambda: rt.tensor(bad, dtype=rt.float32), lambda: torch.tensor(bad, dtype=torch.float32))
    same_error(lambda: rt.tensor(1 + 2j, dtype=rt.float32), lambda: torch.tensor(1 + 2j, dtype=torch.float32))
    with pytest.raises(TypeError):  # torch has complex dtypes; rusttorch refuses them as data of no known dtype
        rt.tensor([1 + 2j])
    x = rt.tensor([1.0, 2.0])
    y = rt.tensor(x)
    assert y.tolist() == x.tolist() and y.data_ptr() != x.data_ptr()
    assert rt.tensor(x, dtype=rt.int64).dtype is rt.int64
    assert rt.tensor([rt.tensor(1.5), rt.tensor(2.5)]).tolist() == [1.5, 2.5]
    assert rt.as_tensor(x) is not None and rt.as_tensor(x).data_ptr() == x.data_ptr()
    arr = np.arange(3.0)
    assert rt.as_tensor(arr).data_ptr() == arr.ctypes.data
    assert rt.as_tensor([1, 2]).dtype is rt.int64
    assert rt.Tensor([1, 2]).dtype is rt.float32 and rt.Tensor(2, 3).shape == (2, 3) and rt.Tensor().shape == (0,)
    assert rt.scalar_tensor(3).dtype is rt.float32 and rt.scalar_tensor(3).item() == 3.0


# ---------------------------------------------------------------- properties and conversions
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), da=st.sampled_from(DTYPES),
       seed=seeds)
def test_properties(shape, da, seed):
    a = random_array(np.random.default_rng(seed), shape, da)
    ra, ta = both(a)
    assert ra.shape == ta.shape and ra.size() == ta.size() and isinstance(ra.size(), rt.Size)
    assert ra.ndim == ta.ndim == ra.dim() == ra.ndimension()
    assert ra.numel() == ta.numel() == ra.nelement() == rt.numel(ra)
    assert ra.stride() == ta.stride() or ra.numel() == 0  # numpy gives empty arrays arbitrary strides
    assert ra.is_contiguous() and ra.is_floating_point() == ta.is_floating_point()
    assert ra.element_size() == ta.element_size() == ra.itemsize and ra.nbytes == ta.nbytes
    assert ra.storage_offset() == 0
    assert dtype_name(ra.dtype) == dtype_name(ta.dtype)
    for d in range(-len(shape), len(shape)):
        assert ra.size(d) == ta.size(d) and ra.size(dim=d) == ta.size(d)
        assert ra.stride(d) == ta.stride(d) or ra.numel() == 0
    assert ra.tolist() == ta.tolist() or (da in FLOATS and np.isnan(a).any())
    compare(lambda: ra.item(), lambda: ta.item())
    for conv in ("float", "double", "long", "int", "bool"):
        compare(lambda: getattr(ra, conv)(), lambda: getattr(ta, conv)())
    for d in DTYPES:
        compare(lambda: ra.to(getattr(rt, d)), lambda: ta.to(getattr(torch, d)))
        compare(lambda: ra.to(dtype=getattr(rt, d)), lambda: ta.to(dtype=getattr(torch, d)))
        compare(lambda: ra.type(getattr(rt, d)), lambda: ta.type(getattr(torch, d)))
    c = ra.clone()
    assert_same(c, ta.clone())
    assert c.numel() == 0 or c.data_ptr() != ra.data_ptr()


def test_to_and_misc():
    x = rt.ones(2, 3)
    t = torch.ones(2, 3)
    for args, kw in [((rt.float32,), {}), ((), {"dtype": rt.float32}), (("cpu",), {}), ((x,), {}), ((), {})]:
        targs = tuple(torch.float32 if a is rt.float32 else t if a is x else a for a in args)
        tkw = {k: torch.float32 for k in kw}
        assert (x.to(*args, **kw) is x) == (t.to(*targs, **tkw) is t) is True  # no conversion: self, as torch
    assert x.to(rt.float32, copy=True) is not x
    assert x.to("cpu").data_ptr() == x.data_ptr()
    assert x.to("cpu", rt.float64).dtype is rt.float64
    assert x.to(rt.ones(1, dtype=rt.int32)).dtype is rt.int32
    assert x.to(rt.float32, copy=True).data_ptr() != x.data_ptr()
    with pytest.raises(RuntimeError):
        x.to("cuda")
    assert x.type() == "rusttorch.FloatTensor"
    assert x.cpu() is x and x.detach().data_ptr() == x.data_ptr()
    assert x.contiguous() is x
    assert x.float() is x and x.double().dtype is rt.float64
    assert not x.requires_grad and x.grad is None and x.is_leaf and not x.is_cuda
    assert x.data.data_ptr() == x.data_ptr()
    assert rt.is_tensor(x) and not rt.is_tensor([1])
    assert rt.get_default_dtype() is rt.float32
    assert rt.is_floating_point(x)


def test_item_and_python_number_protocols():
    compare(lambda: rt.tensor([1, 2]).item(), lambda: torch.tensor([1, 2]).item())
    for v in (2.5, 3, True, -0.0):
        r, t = rt.tensor(v), torch.tensor(v)
        assert r.item() == t.item() and type(r.item()) is type(t.item())
        assert float(r) == float(t) and int(r) == int(t) and bool(r) == bool(t)
    assert rt.tensor([[7]]).item() == 7
    assert [0, 1, 2, 3][rt.tensor(2)] == 2 and range(10)[rt.tensor(3, dtype=rt.int32)] == 3
    for bad in (rt.tensor(2.0), rt.tensor([1, 2])):
        with pytest.raises(TypeError):
            [0, 1, 2][bad]
    with pytest.raises(RuntimeError):
        bool(rt.ones(2))
    with pytest.raises(RuntimeError):
        bool(rt.ones(0))
    with pytest.raises(ValueError):
        float(rt.ones(2))
    with pytest.raises(ValueError):
        int(rt.ones(2))
    assert int(rt.tensor(-2.7)) == -2


def test_len_iter_contains_hash():
    r, t = rt.arange(6).reshape(2, 3), torch.arange(6).reshape(2, 3)
    assert len(r) == len(t) == 2
    rows = list(r)
    assert len(rows) == 2 and all(isinstance(x, rt.Tensor) for x in rows) and rows[1].tolist() == [3, 4, 5]
    with pytest.raises(TypeError):
        len(rt.tensor(1.0))
    with pytest.raises(TypeError):
        iter(rt.tensor(1.0))
    assert 4 in r and 9 not in r and (4 in t) and rt.tensor([0, 1, 2]) in r
    with pytest.raises(RuntimeError):
        "a" in r  # noqa: B015
    assert hash(r) == id(r) or hash(r) == hash(id(r)) or isinstance(hash(r), int)
    d = {r: 1}
    assert d[r] == 1
    w = weakref.ref(r)
    assert w() is r
    assert list(rt.zeros(0, 3)) == []


def test_pickle_copy_format():
    for x in (rt.arange(6.).reshape(2, 3), rt.tensor(True), rt.tensor([1, 2], dtype=rt.int32), rt.zeros(2, 0),
              rt.tensor([float("nan"), 1.0], dtype=rt.float64)):
        for y in (pickle.loads(pickle.dumps(x)), copy.copy(x), copy.deepcopy(x)):
            assert y.shape == x.shape and y.dtype is x.dtype
            np.testing.assert_array_equal(y.numpy(), x.numpy())
            assert y.numel() == 0 or y.data_ptr() != x.data_ptr()
    assert f"{rt.tensor(2.5):.3f}" == "2.500"
    assert f"{rt.tensor([1.0])}" == str(rt.tensor([1.0]))


def test_new_factories():
    x = rt.ones(2, dtype=rt.float64)
    assert x.new_zeros(3).dtype is rt.float64 and x.new_zeros(3).tolist() == [0.0] * 3
    assert x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_full((2,), 5).tolist() == [5.0, 5.0]
    assert x.new_empty(4).shape == (4,)
    assert x.new_tensor([1, 2]).dtype is rt.float64
    assert x.new_zeros(2, dtype=rt.int32).dtype is rt.int32


def test_static_constructors_on_tensor():
    assert rt.Tensor.zeros([2, 3]).tolist() == [[0.0] * 3] * 2
    assert rt.Tensor.ones(2).tolist() == [1.0, 1.0]
    assert rt.Tensor.arange(3).tolist() == [0, 1, 2]
    assert rt.Tensor.full((1,), 2).tolist() == [2]


# ---------------------------------------------------------------- repr
REPR_CASES = [
    lambda m: m.zeros(2, 3),
    lambda m: m.arange(6).reshape(2, 3),
    lambda m: m.tensor([1.5, -2.25, 3.0]),
    lambda m: m.tensor([1e-5, 1.0]),
    lambda m: m.tensor([1.5e10, 1.0]),
    lambda m: m.tensor([1e9, 2e9]),
    lambda m: m.tensor(float("nan")),
    lambda m: m.tensor([1.0, float("inf"), -float("inf"), float("nan")]),
    lambda m: m.tensor(3.5),
    lambda m: m.tensor(True),
    lambda m: m.tensor([True, False]),
    lambda m: m.tensor([1, -2], dtype=m.int32),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float64),
    lambda m: m.tensor([0.1, 0.25], dtype=m.float64),
    lambda m: m.zeros(0),
    lambda m: m.zeros(2, 0),
    lambda m: m.zeros(0, dtype=m.int32),
    lambda m: m.zeros(0, 3, dtype=m.float64),
    lambda m: m.arange(2000),
    lambda m: m.arange(2000.0).reshape(40, 50),
    lambda m: m.arange(24.).reshape(2, 3, 4) / 7,
    lambda m: m.arange(60).reshape(3, 4, 5),
    lambda m: m.arange(40.0) * 1000.5,
    lambda m: m.tensor([[1e-8, 1.0], [2.0, 3.0]], dtype=m.float64),
    lambda m: m.tensor([0.0, -0.0]),
    lambda m: m.tensor(-0.0),
    lambda m: m.tensor([123456789.0, 1.0]),
    lambda m: m.tensor([2**40, -3]),
    lambda m: m.full((3, 3), -1.0),
    lambda m: m.arange(1100.0).reshape(1100, 1),
    # an empty tensor always names a dtype other than float32
    lambda m: m.zeros(0, dtype=m.int64),
    lambda m: m.zeros(2, 0, 3, dtype=m.int64),
    lambda m: m.zeros(0, dtype=m.bool),
    lambda m: m.zeros(3, 0, dtype=m.bool),
    # the dtype suffix goes on a line of its own where torch's would pass 80 columns
    lambda m: m.arange(2000, dtype=m.float64) / 7,
    lambda m: m.arange(1600, dtype=m.float64).reshape(40, 40) - 800.5,
    lambda m: m.arange(1000, dtype=m.int32).reshape(10, 10, 10),
    lambda m: m.arange(6, dtype=m.float64).reshape(3, 2) + 0.5,
    lambda m: m.arange(12, dtype=m.float64).reshape(2, 6) * 1e5,
    lambda m: m.arange(14, dtype=m.float64) / 3,
    lambda m: m.arange(15, dtype=m.float64) / 3,
    lambda m: m.arange(9, dtype=m.int32) * 100000000,
    lambda m: m.arange(2000, dtype=m.int32).reshape(2, 1000).transpose(0, 1),
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_matches_torch(case):
    r, t = REPR_CASES[case](rt), REPR_CASES[case](torch)
    assert repr(r) == repr(t).replace("torch.", "rusttorch."), f"\nrusttorch: {r!r}\ntorch:     {t!r}"
    assert str(r) == repr(r)


def test_subclassing_and_garbage_collection():
    import gc

    class MyTensor(rt.Tensor):
        pass

    m = MyTensor([1.0, 2.0])
    assert isinstance(m, rt.Tensor) and type(m) is MyTensor and m.tolist() == [1.0, 2.0]
    m.tag = "x"  # Python subclasses get a __dict__
    assert m.tag == "x"
    r = m + 1
    assert type(r) is rt.Tensor and r.tolist() == [2.0, 3.0]
    m += 1
    assert type(m) is MyTensor and m.tolist() == [2.0, 3.0]
    m.self_ref = m  # a reference cycle through the subclass __dict__ is collected
    w = weakref.ref(m)
    del m
    gc.collect()
    assert w() is None
