"""Activations, elementwise math and softmax (rusttorch.* and
rusttorch.nn.functional), differential against torch."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rusttorch as rt
import rusttorch.nn.functional as F
from helpers import DTYPES, FLOATS, assert_same, random_array

torch = pytest.importorskip("torch")
TF = torch.nn.functional

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)

# The engine promises 4 ulp for float32 (vs a float64 reference); torch has its own error.
TOL = {torch.float32: (3e-6, 3e-6), torch.float64: (1e-10, 1e-12)}

F_ONLY = ["relu6", "selu", "silu", "mish", "softsign", "hardsigmoid", "hardswish", "logsigmoid"]
TORCH_LEVEL = ["relu", "sigmoid", "tanh", "exp", "log", "expm1", "log1p", "log2", "sin", "cos", "erf"]


def both(a):
    return (rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a.copy())), torch.from_numpy(np.array(a, copy=True))


def compare(f_rt, f_torch, superset=False):
    """Same result or same exception type; with `superset`, a TypeError from torch
    for an argument rusttorch also accepts (out= on relu) is fine."""
    try:
        expected = f_torch()
    except TypeError:
        if superset:
            try:
                f_rt()
            except (RuntimeError, TypeError, ValueError):
                pass  # what the extra argument allows may still be refused for other reasons
            return
        with pytest.raises(TypeError):
            f_rt()
        return
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            f_rt()
        return
    got = f_rt()
    assert_same(got, expected, *TOL.get(expected.dtype, (0, 0)))


def data(seed, shape, da):
    a = random_array(np.random.default_rng(seed), shape, da, special=True, low=-8, high=8)
    if da in ("float32", "float64"):
        a = np.asarray(a / 4)  # keep most values where the functions are interesting
    return a


@pytest.mark.parametrize("name", TORCH_LEVEL)
@given(shape=shapes, da=st.sampled_from(DTYPES), seed=seeds)
def test_torch_level_functions_and_methods(name, shape, da, seed):
    a = data(seed, shape, da)
    if name in ("log1p", "log2") and da in ("float32", "float64"):
        a = np.abs(a)
    ra, ta = both(a)
    compare(lambda: getattr(rt, name)(ra), lambda: getattr(torch, name)(ta))
    compare(lambda: getattr(ra, name)(), lambda: getattr(ta, name)())
    rc, tc = ra.clone(), ta.clone()

    def inplace():
        r = getattr(rc, name + "_")()
        assert r is rc
        return r

    compare(inplace, lambda: getattr(tc, name + "_")())
    if hasattr(torch, name + "_"):  # the module-level in-place form (torch.exp_(x), ...)
        rc2, tc2 = ra.clone(), ta.clone()
        compare(lambda: getattr(rt, name + "_")(rc2), lambda: getattr(torch, name + "_")(tc2))
    ro, to = rt.empty(0, dtype=ra.dtype), torch.empty(0, dtype=ta.dtype)
    compare(lambda: getattr(rt, name)(ra, out=ro), lambda: getattr(torch, name)(ta, out=to), superset=True)


@pytest.mark.parametrize("name", F_ONLY + ["relu", "sigmoid", "tanh"])
@given(shape=shapes, da=st.sampled_from(DTYPES), seed=seeds, inplace=st.booleans())
def test_functional(name, shape, da, seed, inplace):
    a = data(seed, shape, da)
    ra, ta = both(a)
    takes_inplace = name not in ("softsign", "logsigmoid", "sigmoid", "tanh")
    kw = {"inplace": inplace} if takes_inplace else {}
    compare(lambda: getattr(F, name)(ra, **kw), lambda: getattr(TF, name)(ta, **kw))
    if inplace and takes_inplace:
        try:
            getattr(TF, name)(ta.clone(), inplace=True)
        except Exception:  # noqa: BLE001
            return
        assert_same(ra, ta, *TOL.get(ta.dtype, (0, 0)))


@given(shape=shapes, da=st.sampled_from(DTYPES), seed=seeds,
       slope=st.floats(-2, 2), alpha=st.floats(0.1, 3), beta=st.floats(0.5, 3), threshold=st.floats(1, 20),
       lo=st.floats(-3, 0), hi=st.floats(0, 3), approximate=st.sampled_from(["none", "tanh"]))
def test_parametrized_activations(shape, da, seed, slope, alpha, beta, threshold, lo, hi, approximate):
    a = data(seed, shape, da)
    ra, ta = both(a)
    compare(lambda: F.leaky_relu(ra, slope), lambda: TF.leaky_relu(ta, slope))
    compare(lambda: F.elu(ra, alpha), lambda: TF.elu(ta, alpha))
    compare(lambda: F.celu(ra, alpha), lambda: TF.celu(ta, alpha))
    compare(lambda: F.softplus(ra, beta, threshold), lambda: TF.softplus(ta, beta, threshold))
    compare(lambda: F.hardtanh(ra, lo, hi), lambda: TF.hardtanh(ta, lo, hi))
    compare(lambda: F.gelu(ra, approximate=approximate), lambda: TF.gelu(ta, approximate=approximate))
    rc, tc = ra.clone(), ta.clone()
    compare(lambda: F.leaky_relu(rc, slope, inplace=True), lambda: TF.leaky_relu(tc, slope, inplace=True))


@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6),
       da=st.sampled_from(["float32", "float64", "int64"]), seed=seeds, data_=st.data(),
       want=st.one_of(st.none(), st.sampled_from(["float32", "float64"])))
def test_softmax_log_softmax(shape, da, seed, data_, want):
    a = random_array(np.random.default_rng(seed), shape, da, low=-20, high=20)
    ra, ta = both(a)  # an empty int64 input comes back as it is (torch runs no kernel); a non-empty one is refused
    d = data_.draw(st.integers(-len(shape), len(shape) - 1))
    kr = {} if want is None else {"dtype": getattr(rt, want)}
    kt = {} if want is None else {"dtype": getattr(torch, want)}
    for name in ("softmax", "log_softmax"):
        compare(lambda: getattr(F, name)(ra, d, **kr), lambda: getattr(TF, name)(ta, d, **kt))
        compare(lambda: getattr(rt, name)(ra, d, **kr), lambda: getattr(torch, name)(ta, d, **kt))
        compare(lambda: getattr(ra, name)(d, **kr), lambda: getattr(ta, name)(d, **kt))


def test_hardtanh_bounds_and_empty_integer_softmax():
    for f in (lambda m, F: F.hardtanh(m.zeros(2), 1.0, -1.0), lambda m, F: F.hardtanh(m.zeros(2), 1.0, -1.0, True),
              lambda m, F: F.hardtanh_(m.zeros(2), 2.0, 1.0), lambda m, F: F.hardtanh(m.zeros(2), 0.5, 0.5)):
        compare(lambda: f(rt, F), lambda: f(torch, TF))
    for da in ("int64", "int32", "bool"):
        for shape, d in (((0,), 0), ((0, 3), 1), ((2, 0), -1), ((0,), 1), ((0, 3), -3)):
            for name in ("softmax", "log_softmax"):
                compare(lambda: getattr(rt, name)(rt.zeros(*shape, dtype=getattr(rt, da)), d),
                        lambda: getattr(torch, name)(torch.zeros(*shape, dtype=getattr(torch, da)), d))
                compare(lambda: getattr(rt, name)(rt.zeros(*shape, dtype=getattr(rt, da)), d, dtype=rt.float64),
                        lambda: getattr(torch, name)(torch.zeros(*shape, dtype=getattr(torch, da)), d,
                                                     dtype=torch.float64))


def test_softmax_implicit_dim_warns_like_torch():
    x = rt.randn(2, 3)
    with pytest.warns(UserWarning):
        y = F.softmax(x)
    assert y.shape == (2, 3)
    np.testing.assert_allclose(y.sum(1).numpy(), np.ones(2), rtol=1e-6)


def test_seed_relu_example():
    t = rt.tensor([-1.0, 0.0, 2.0])
    assert rt.relu(t).tolist() == [0.0, 0.0, 2.0]
    assert F.relu(t).tolist() == [0.0, 0.0, 2.0]
    with pytest.raises(RuntimeError):
        F.gelu(t, approximate="bogus")


# ---- +-inf, NaN, +-0: torch's values, the sign of zero included ----
SPECIALS = [np.inf, -np.inf, np.nan, 0.0, -0.0]
# call(F, x), F = rusttorch.nn.functional or torch.nn.functional
SPECIAL_FUNCTIONAL = {
    "relu": lambda F, x: F.relu(x), "relu6": lambda F, x: F.relu6(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x), "leaky_relu(-0.5)": lambda F, x: F.leaky_relu(x, -0.5),
    "elu": lambda F, x: F.elu(x), "elu(1.5)": lambda F, x: F.elu(x, 1.5), "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x), "celu(0.5)": lambda F, x: F.celu(x, 0.5),
    "gelu": lambda F, x: F.gelu(x), "gelu(tanh)": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x), "mish": lambda F, x: F.mish(x),
    "softplus": lambda F, x: F.softplus(x), "softplus(0.75, 15)": lambda F, x: F.softplus(x, 0.75, 15.0),
    "softplus(2, 1)": lambda F, x: F.softplus(x, 2.0, 1.0), "softplus(-1, 20)": lambda F, x: F.softplus(x, -1.0, 20.0),
    "softsign": lambda F, x: F.softsign(x), "hardtanh": lambda F, x: F.hardtanh(x),
    "hardtanh(-2, 3)": lambda F, x: F.hardtanh(x, -2.0, 3.0), "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x), "sigmoid": lambda F, x: F.sigmoid(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x), "tanh": lambda F, x: F.tanh(x),
}
SPECIAL_INPLACE = {
    "relu": lambda F, x: F.relu(x, inplace=True), "relu6": lambda F, x: F.relu6(x, inplace=True),
    "leaky_relu(-0.5)": lambda F, x: F.leaky_relu(x, -0.5, inplace=True),
    "elu(1.5)": lambda F, x: F.elu(x, 1.5, inplace=True), "selu": lambda F, x: F.selu(x, inplace=True),
    "celu(0.5)": lambda F, x: F.celu(x, 0.5, inplace=True), "silu": lambda F, x: F.silu(x, inplace=True),
    "mish": lambda F, x: F.mish(x, inplace=True), "hardtanh(-2, 3)": lambda F, x: F.hardtanh(x, -2.0, 3.0, True),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x, inplace=True), "hardswish": lambda F, x: F.hardswish(x, inplace=True),
}
SPECIAL_METHODS = ["relu", "sigmoid", "tanh", "expm1", "log1p", "log2", "sin", "cos", "erf"]


def special_layouts(dt):
    """Each special value alone, among ordinary lanes (fast paths), among lanes past the
    fast range (careful paths), in a run of itself, and all five together."""
    out = [np.array(SPECIALS, dtype=dt)]
    for v in SPECIALS:
        out += [np.array([v], dtype=dt), np.full(67, v, dtype=dt)]
        for fill in (0.5, -100.0, 30.0, 1e30):
            a = np.full(67, fill, dtype=dt)
            a[[0, 9, 33, 66]] = v
            out.append(a)
    return out


def torch_scalar(call, x):
    """torch's value at each special input of x, each computed alone: a 1-element tensor
    takes torch's scalar loop. Its vector paths differ by CPU (on AVX-512 its float32
    gelu(+inf) is NaN, on AVX2 inf), and inf is gelu's value."""
    want = np.zeros_like(x)
    for i in np.flatnonzero(~np.isfinite(x) | (x == 0)):
        want[i] = call(TF, torch.from_numpy(x[i:i + 1].copy())).numpy()[0]
    return torch.from_numpy(want)


def assert_special(got, want, x, name):
    """At the special inputs of x: NaN where torch has NaN, zeros with torch's sign, other
    values within 1 ulp (torch rounds log(2)/beta twice)."""
    got, want = np.asarray(got.numpy()), want.numpy()
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    for i in np.flatnonzero(~np.isfinite(x) | (x == 0)):
        g, w = got[i], want[i]
        where = f"{name} {x.dtype} x={x[i]!r} (layout of {x.size})"
        if np.isnan(w):
            assert np.isnan(g), (where, g, w)
        elif w == 0:
            # torch's float32 gelu(-0) is +0 contiguous and -0 strided: either sign
            loose = name == "gelu" and x.dtype == np.float32 and np.signbit(x[i])
            assert g == 0 and (loose or np.signbit(g) == np.signbit(w)), (where, g, w)
        elif np.isinf(w):
            assert g == w, (where, g, w)
        else:
            assert abs(g - w) <= np.spacing(abs(w)), (where, g, w)


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("name", list(SPECIAL_FUNCTIONAL))
def test_special_values_functional(name, dt):
    call, inplace = SPECIAL_FUNCTIONAL[name], SPECIAL_INPLACE.get(name)
    base = name.split("(")[0]
    for x in special_layouts(dt):
        want = torch_scalar(call, x)
        assert_special(call(F, rt.from_numpy(x.copy())), want, x, base)
        if hasattr(rt, base) and hasattr(torch, base) and "(" not in name:  # rusttorch.selu, torch.selu, ...
            assert_special(getattr(rt, base)(rt.from_numpy(x.copy())), want, x, base)
        if inplace:
            r = rt.from_numpy(x.copy())
            assert inplace(F, r) is r
            assert_special(r, want, x, base)


@pytest.mark.parametrize("dt", FLOATS)
@pytest.mark.parametrize("name", SPECIAL_METHODS)
def test_special_values_torch_level_and_methods(name, dt):
    for x in special_layouts(dt):
        want = getattr(torch, name)(torch.from_numpy(x.copy()))
        r = rt.from_numpy(x.copy())
        assert_special(getattr(rt, name)(r), want, x, name)
        assert_special(getattr(r, name)(), want, x, name)
        assert_special(getattr(r.clone(), name + "_")(), want, x, name)


def test_softsign_of_bool_raises_and_of_integers_is_float():
    with pytest.raises(NotImplementedError):
        TF.softsign(torch.tensor([True, False]))
    for f in (lambda: F.softsign(rt.tensor([True, False])), lambda: rt.softsign(rt.tensor([True])),
              lambda: rt.softsign_(rt.tensor([True]))):
        with pytest.raises(NotImplementedError, match="\"abs_cpu\" not implemented for 'Bool'"):
            f()
    for da in ("int32", "int64"):
        a = np.array([1, -2, 0, 7], dtype=da)
        compare(lambda: F.softsign(rt.from_numpy(a.copy())), lambda: TF.softsign(torch.from_numpy(a.copy())))
