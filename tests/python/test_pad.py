"""rusttorch.nn.functional.pad (rusttorch/nn/_padding.py) and the padding
modules (rusttorch/nn/modules/padding.py) against torch 2.13.

Random data with fixed seeds: every mode, 1-, 2- and 3-dim pads, batched and
unbatched inputs, negative pads (cropping), empty inputs, every dtype; value=
and its conversion to the dtype; torch's errors, their type and message; the
gradients against torch's and gradcheck in float64; the modules' results and
reprs.

One deliberate difference: where torch's circular padding copies a region of
its output onto an overlapping one (a positive pad longer than the dim left
by the negative pad on its other side), torch returns uninitialised memory or
raises a memory-overlap error; rusttorch always raises."""
from __future__ import annotations

import numpy as np
import pytest

import rusttorch as rt
import rusttorch.nn as nn
from helpers import DTYPES, FLOATS, assert_same, random_array
from rusttorch.nn._padding import pad

torch = pytest.importorskip("torch")
TF = torch.nn.functional

MODES = ["constant", "reflect", "replicate", "circular"]


def R(a, requires_grad=False):
    a = np.array(a, copy=True)
    r = rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a)
    return r.requires_grad_() if requires_grad else r


def T(a, requires_grad=False):
    a = np.array(a, copy=True)
    t = torch.tensor(a) if a.ndim == 0 else torch.from_numpy(a)
    return t.requires_grad_() if requires_grad else t


def outcome(f):
    try:
        return f(), None
    except Exception as e:  # noqa: BLE001
        return None, e


def _overlap_raised(e):
    return isinstance(e, RuntimeError) and ("single memory location" in str(e) or "nothing to wrap" in str(e))


def check_like_torch(a, pads, mode="constant", value=None, allow_undefined=False):
    """pad on rusttorch and on torch: the same values, dtype and shape, or the
    same exception type and message. allow_undefined: where torch returns
    uninitialised memory (see the module docstring), rusttorch must raise."""
    t, et = outcome(lambda: TF.pad(T(a), pads, mode, value))
    r, er = outcome(lambda: pad(R(a), pads, mode, value))
    if allow_undefined and mode == "circular" and _overlap_raised(er) and (et is None or _overlap_raised(et)):
        return "undefined"
    if et is not None or er is not None:
        assert et is not None, f"torch gave {tuple(t.shape)}, rusttorch raised {er!r}"
        assert er is not None, f"torch raised {et!r}, rusttorch gave {tuple(r.shape)}"
        assert type(er) is type(et), (er, et)
        assert str(er) == str(et).split("\n")[0], (str(er), str(et))
        return "error"
    assert_same(r, t)
    assert r.is_contiguous()
    return "ok"


# ------------------------------------------------------------ the results
@pytest.mark.parametrize("mode", MODES)
def test_random_against_torch(mode):
    """Random shapes and pads, small enough to reach every rule: pads larger
    than the dim, crops past it, empty dims, the wrong number of dims."""
    rng = np.random.default_rng(["constant", "reflect", "replicate", "circular"].index(mode))
    seen = {"ok": 0, "error": 0, "undefined": 0}
    for _ in range(500):
        if mode == "constant" or rng.random() < 0.1:  # any number of dims (mostly refused but by constant)
            ndim = int(rng.integers(0, 6))
            k = int(rng.integers(0, min(ndim, 3) + 1 + (rng.random() < 0.05)))
        else:  # what the other modes take: 1 to 3 dims padded, one or two more
            k = int(rng.integers(1, 4))
            ndim = k + int(rng.integers(1, 3))
        shape = tuple(int(rng.integers(0, 3)) if rng.random() < 0.05 else int(rng.integers(1, 6))
                      for _ in range(ndim))
        lim = 7 if rng.random() < 0.2 else 3
        pads = tuple(int(rng.integers(-lim, lim + 1)) for _ in range(2 * k))
        dtype = DTYPES[int(rng.integers(0 if rng.random() < 0.1 else 1, len(DTYPES)))]
        seen[check_like_torch(random_array(rng, shape, dtype), pads, mode, allow_undefined=True)] += 1
    assert seen["ok"] > 100 and seen["error"] > 30, seen


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,pads", [
    ((3, 7), (2, 3)), ((2, 3, 7), (3, 0)), ((2, 3, 7), (-2, 4)), ((1, 7), (0, -3)),  # 1-d pads
    ((3, 5, 6), (1, 2, 3, 1)), ((2, 3, 5, 6), (2, 0, -1, 4)), ((2, 3, 5, 6), (-2, -1, 0, 0)),  # 2-d
    ((2, 3, 4, 5), (1, 1, 2, 0, 2, 1)), ((2, 1, 3, 4, 5), (0, 2, -1, 2, 1, -2)),  # 3-d
])
def test_each_mode_dims_dtypes(mode, shape, pads, dtype):
    rng = np.random.default_rng(len(shape) * 7 + sum(pads))
    assert check_like_torch(random_array(rng, shape, dtype), pads, mode) in ("ok", "error")
    if dtype != "bool" or mode in ("constant", "circular"):  # torch refuses bool for reflect and replicate
        assert check_like_torch(random_array(rng, shape, dtype), pads, mode) == "ok"


def test_values_by_hand():
    x = R(np.arange(5.0).reshape(1, 5))
    assert pad(x, (2, 3), "reflect").tolist() == [[2, 1, 0, 1, 2, 3, 4, 3, 2, 1]]
    assert pad(x, (2, 3), "replicate").tolist() == [[0, 0, 0, 1, 2, 3, 4, 4, 4, 4]]
    assert pad(x, (2, 3), "circular").tolist() == [[3, 4, 0, 1, 2, 3, 4, 0, 1, 2]]
    assert pad(x, (2, 3), value=-1).tolist() == [[-1, -1, 0, 1, 2, 3, 4, -1, -1, -1]]
    # negative pads crop: reflect about the input's own edge, circular over the cropped input
    assert pad(x, (-2, 2), "reflect").tolist() == [[2, 3, 4, 3, 2]]
    assert pad(x, (2, -1), "circular").tolist() == [[2, 3, 0, 1, 2, 3]]
    assert pad(x, (-3, 1), "replicate").tolist() == [[3, 4, 4]]
    assert pad(x, (-1, -2)).tolist() == [[1, 2]]


def test_constant_any_dims_and_empty():
    rng = np.random.default_rng(5)
    for shape, pads in [((2, 3, 4, 2, 3), (1, 1, 0, 2, 1, 0, 2, 1, 1, 1)), ((4,), (2, 1)), ((), ()),
                        ((0, 3), (1, 1)), ((0, 3), (1, 1, 1, 1)), ((3, 0), (0, 0, 1, 2)), ((3,), (-1, -2)),
                        ((5,), (0, 0)), ((2, 3), (1, -1, -1, 2))]:
        assert check_like_torch(random_array(rng, shape, "float32"), pads) == "ok"
    for mode in ("reflect", "replicate", "circular"):  # an empty batch, and circular's empty dims
        assert check_like_torch(random_array(rng, (0, 3, 5), "float64"), (1, 2), mode) == "ok"
        assert check_like_torch(random_array(rng, (0, 2, 3, 5), "float64"), (1, 2, 2, 0), mode) == "ok"
    assert check_like_torch(np.zeros((2, 0, 5)), (1, 1), "circular") == "ok"
    assert check_like_torch(np.zeros((2, 3, 0)), (0, 0), "circular") == "ok"
    assert check_like_torch(np.zeros((1, 5)), (-2, -3), "circular") == "ok"


def test_large_input_and_fresh_output():
    rng = np.random.default_rng(6)
    a = random_array(rng, (8, 16, 28, 28), "float32")
    for mode in MODES:
        assert check_like_torch(a, (3, 2, 1, 3), mode) == "ok"
        assert check_like_torch(a, (2, -1, 1, 0), mode) == "ok"
    # a pad that changes nothing still returns a new tensor, as torch's does
    x = R(np.ones((1, 3)))
    for mode in MODES:
        y = pad(x, (0, 0), mode)
        y.add_(1)
        assert x.tolist() == [[1, 1, 1]]


# ------------------------------------------------------------ value=
@pytest.mark.parametrize("dtype", DTYPES)
def test_value(dtype):
    rng = np.random.default_rng(7)
    a = random_array(rng, (2, 3), dtype)
    for v in [None, 0, 1.5, -2.7, 2.7, True, 2**31 - 1, -2**31 - 1, 2**40, 2**63, float("nan"), float("inf"),
              -float("inf"), 1e300, 3.5e38, 1e-40, np.float64(2.5), np.int64(3)]:
        check_like_torch(a, (1, 2, 0, 1), "constant", v)
    # no positive pad: torch does not convert the value, so an overflowing one is fine
    check_like_torch(a, (0, 0, -1, 0), "constant", 1e300)
    assert_same(pad(R(a), (1, 1), value=rt.tensor(4.0)), TF.pad(T(a), (1, 1), value=torch.tensor(4.0)))


# ------------------------------------------------------------ errors
def same_message(f_rt, f_torch):
    _, et = outcome(f_torch)
    _, er = outcome(f_rt)
    assert et is not None and er is not None, (et, er)
    assert type(er) is type(et), (er, et)
    assert str(er) == str(et).split("\n")[0], (str(er), str(et))


@pytest.mark.parametrize("shape,pads,mode,value", [
    ((3,), (1,), "constant", None),  # odd length
    ((3,), (1, 1, 1, 1), "constant", None),  # more pads than dims
    ((), (1, 1), "constant", None),
    ((3,), (1,), "foo", None),  # the mode is checked first
    ((3,), (1, 1), "Reflect", None),
    ((3,), (1, 1, 1, 1), "reflect", 1.0),
    ((1, 3), (1, 1), "reflect", 1.0), ((1, 3), (1, 1), "circular", float("nan")),  # value only for constant
    ((5,), (1, 1), "reflect", None), ((5,), (1, 1), "circular", None),  # non-constant needs a batch/channel dim
    ((1, 1, 1, 5), (1, 1), "replicate", None), ((1, 5), (1, 1, 1, 1), "reflect", None),
    ((1, 1, 5), (1, 1, 1, 1, 1, 1), "circular", None), ((), (), "reflect", None), ((2, 2), (), "replicate", None),
    ((5,), (-3, -3), "constant", None), ((4, 4), (-5, -5), "constant", None), ((5,), (-7, 1), "constant", None),
    ((2, 4, 5, 4), (-6, 1, 1, 0), "constant", None),
    ((1, 5), (5, 1), "reflect", None), ((1, 5), (1, 5), "reflect", None), ((2, 1, 5), (5, 1), "reflect", None),
    ((1, 3, 5), (1, 1, 3, 0), "reflect", None), ((2, 1, 3, 5), (6, 1, 3, 1), "reflect", None),
    ((2, 1, 2, 3, 5), (1, 1, 1, 1, 2, 1), "reflect", None), ((1, 5), (5, -11), "reflect", None),
    ((1, 5), (-3, -2), "reflect", None), ((1, 5), (-3, -3), "replicate", None),
    ((1, 3, 5), (-3, -2, -1, -2), "reflect", None), ((1, 3, 5), (-3, -2, -1, -2), "replicate", None),
    ((1, 3, 5), (-3, -3, 0, 0), "reflect", None), ((1, 3, 5), (-3, -3, 0, 0), "replicate", None),
    ((1, 2, 3, 5), (-3, -2, -3, 0, -2, 0), "reflect", None), ((1, 2, 3, 5), (-3, -3, -2, -2, 0, 0), "replicate", None),
    ((0, 5), (1, 1), "reflect", None), ((2, 0, 5), (1, 1), "replicate", None),
    ((0, 0, 3, 5), (1, 1, 1, 1), "replicate", None), ((0, 3, 5), (1, 1, 1, 1), "reflect", None),
    ((1, 5), (6, 0), "circular", None), ((1, 0), (1, 0), "circular", None), ((1, 5), (-3, -3), "circular", None),
    ((1, 3, 5), (9, 0, -9, 0), "circular", None), ((1, 3, 5), (-9, 0, 9, 0), "circular", None),
    ((1, 5), (5, -1), "circular", None), ((1, 5), (-2, 4), "circular", None),  # torch sees the overlap here
    ((1, 5), (1, -6), "circular", None), ((1, 5), (-6, 4), "circular", None), ((1, 5), (-6, 3), "circular", None),
    ((2, 3, 5), (1, -6, 1, -4), "circular", None), ((0, 3, 5), (1, -6, 0, 0), "circular", None),
])
def test_errors_like_torch(shape, pads, mode, value):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    same_message(lambda: pad(R(a), pads, mode, value), lambda: TF.pad(T(a), pads, mode, value))


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("shape,pads", [((1, 5), (1, 1)), ((0, 3, 5), (1, 1)), ((1, 3, 5), (1, 1, 1, 1)),
                                        ((2, 1, 2, 3, 5), (1, 1, 1, 1, 1, 1))])
def test_bool_refused_like_torch(mode, shape, pads):
    a = np.ones(shape, dtype=np.bool_)
    same_message(lambda: pad(R(a), pads, mode), lambda: TF.pad(T(a), pads, mode))
    # a shape error comes before the dtype's
    same_message(lambda: pad(R(a), (-9,) * len(pads), mode), lambda: TF.pad(T(a), (-9,) * len(pads), mode))


@pytest.mark.parametrize("args,kwargs", [
    (([1, 2], (1, 1)), {}), ((None, (1, 1)), {}),
    ((..., 1), {}), ((..., None), {}), ((..., "ab"), {}), ((..., (1.0, 1)), {}), ((..., (True, 1)), {}),
    ((..., (1, 1.5)), {}), ((..., ("a", 1)), {}), ((..., (1, None)), {}), ((..., (np.float64(1), 1)), {}),
    ((..., (i for i in (1, 1))), {}), ((..., (1, 1)), {"mode": None}), ((..., (1, 1)), {"mode": 1}),
    ((..., (1, 1)), {"value": "a"}), ((..., (1, 1)), {"value": 1j}), ((..., (1, 1)), {"value": [1]}),
    ((..., (1, 1), "constant", 0, 1), {}),
])
def test_argument_errors_like_torch(args, kwargs):
    a = np.ones(3, dtype=np.float32)

    def call(fn, make):
        first = make(a) if args[0] is ... else args[0]
        return lambda: fn(first, *args[1:], **kwargs)

    same_message(call(pad, R), call(TF.pad, T))


def test_pad_argument_forms():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    for p in [[1, 1], (np.int64(1), np.int32(2)), (1, True), rt.Size([1, 2]), (rt.tensor([1]), 2), ()]:
        tp = tuple(torch.tensor(e.tolist()) if isinstance(e, rt.Tensor) else e for e in p)
        assert_same(pad(R(a), p), TF.pad(T(a), tp))
    assert_same(pad(R(a), (1, 1), mode=b"constant"), TF.pad(T(a), (1, 1), mode=b"constant"))
    assert_same(pad(input=R(a), pad=(1, 1), mode="circular", value=None),
                TF.pad(input=T(a), pad=(1, 1), mode="circular", value=None))
    assert_same(pad(R(a), (1, 1), "reflect", 0.0), TF.pad(T(a), (1, 1), "reflect", 0.0))  # value 0 is allowed


def test_circular_undefined_in_torch_raises():
    """torch copies between overlapping parts of its output here; it raises
    only when it can see the overlap, else returns uninitialised memory."""
    a = np.arange(10.0).reshape(2, 5)
    for pads in [(5, -1), (-2, 4), (-9, 5), (5, -9), (-3, 5)]:
        with pytest.raises(RuntimeError):
            pad(R(a), pads, "circular")
    x = pad(R(np.zeros((0, 5))), (5, -1), "circular")  # empty: nothing undefined, no error (as torch)
    assert tuple(x.shape) == (0, 9)


# ------------------------------------------------------------ autograd
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,pads", [
    ((2, 6), (2, 3)), ((2, 3, 6), (-1, 4)),
    ((3, 5, 6), (2, -1, 3, 4)), ((2, 3, 5, 6), (1, 1, 0, 2)),
    ((2, 3, 4, 5), (1, 2, -1, 2, 2, 0)), ((2, 1, 3, 4, 5), (2, 2, 1, 1, 1, 2)),
])
def test_grad_against_torch(mode, shape, pads, dtype):
    rng = np.random.default_rng(sum(shape) + 3 * sum(pads))
    a = random_array(rng, shape, dtype)
    x, xt = R(a, True), T(a, True)
    y, yt = pad(x, pads, mode), TF.pad(xt, pads, mode, value=None)
    g = random_array(rng, tuple(yt.shape), dtype)
    y.backward(R(g))
    yt.backward(T(g))
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert_same(x.grad, xt.grad, rtol=tol, atol=tol)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck(mode):
    rng = np.random.default_rng(11)
    for shape, pads in [((2, 5), (3, -1)), ((2, 4, 5), (1, 2, 3, -1)), ((1, 3, 3, 4), (1, 2, 2, 0, -1, 2))]:
        x = R(rng.standard_normal(shape), True)
        assert rt.autograd.gradcheck(lambda t, p=pads: pad(t, p, mode), (x,), eps=1e-6, atol=1e-6, rtol=1e-4)
    x = R(rng.standard_normal((2, 3)), True)
    assert rt.autograd.gradcheck(lambda t: pad(t, (1, 1, 2, 0), "constant", 2.5), (x,))


def test_no_grad_and_int_inputs():
    x = R(np.ones((2, 3), dtype=np.float32), True)
    with rt.no_grad():
        y = pad(x, (1, 1), "reflect")
    assert not y.requires_grad
    assert pad(x, (1, 1), "replicate").requires_grad
    assert pad(x, (-1, 0), "constant").requires_grad


# ------------------------------------------------------------ modules
MODULES = [
    ("ZeroPad1d", 1, (2,)), ("ZeroPad2d", 2, ()), ("ZeroPad3d", 3, ()),
    ("ConstantPad1d", 1, (3.5,)), ("ConstantPad2d", 2, (-1,)), ("ConstantPad3d", 3, (2.0,)),
    ("ReflectionPad1d", 1, ()), ("ReflectionPad2d", 2, ()), ("ReflectionPad3d", 3, ()),
    ("ReplicationPad1d", 1, ()), ("ReplicationPad2d", 2, ()), ("ReplicationPad3d", 3, ()),
    ("CircularPad1d", 1, ()), ("CircularPad2d", 2, ()), ("CircularPad3d", 3, ()),
]


@pytest.mark.parametrize("name,dims,extra", MODULES)
def test_modules_like_torch(name, dims, extra):
    rng = np.random.default_rng(dims)
    if name == "ZeroPad1d":
        extra = ()
    for padding in [2, tuple(int(v) for v in rng.integers(-1, 3, size=2 * dims)), [3, 0, 1, 2, 0, 1][:2 * dims]]:
        m, mt = getattr(nn, name)(padding, *extra), getattr(torch.nn, name)(padding, *extra)
        assert repr(m) == repr(mt)
        assert m.padding == mt.padding and isinstance(m.padding, tuple)
        for batch in ((), (2,)):
            a = random_array(rng, batch + (3,) + (4,) * dims, "float32")
            assert_same(m(R(a)), mt(T(a)))
    assert isinstance(getattr(nn, name)(1, *extra), nn.Module)
    assert name in nn.__all__ and name in nn.modules.__all__


def test_module_details():
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d)
    assert nn.ZeroPad2d(1).value == 0.0 == torch.nn.ZeroPad2d(1).value
    # torch keeps an iterable padding as it is, its length unchecked
    assert nn.ReflectionPad1d((1, 2, 3, 4)).padding == torch.nn.ReflectionPad1d((1, 2, 3, 4)).padding
    for name, bad_ndim in [("CircularPad1d", 1), ("CircularPad2d", 5), ("CircularPad3d", 3)]:
        a = np.zeros((2,) * bad_ndim, dtype=np.float32)
        same_message(lambda: getattr(nn, name)(1)(R(a)), lambda: getattr(torch.nn, name)(1)(T(a)))
    same_message(lambda: nn.ReflectionPad2d(3)(R(np.zeros((1, 3, 3)))),
                 lambda: torch.nn.ReflectionPad2d(3)(T(np.zeros((1, 3, 3)))))
    m = nn.Sequential(nn.ReflectionPad2d(1), nn.ZeroPad2d((0, 1, 0, 1)))
    x = R(np.random.default_rng(3).standard_normal((1, 2, 3, 3)), True)
    m(x).sum().backward()
    assert tuple(x.grad.shape) == (1, 2, 3, 3)
