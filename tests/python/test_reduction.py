"""Reductions and scans, differential against torch: every dim form (None,
int, tuple, negative), keepdim, dtype=, all five input dtypes, NaN, empty."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rusttorch as rt
from helpers import DTYPES, assert_same, dtype_name, random_array, RAISED, torch_or_same_error

torch = pytest.importorskip("torch")

seeds = st.integers(0, 2**32 - 1)
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)


def both(a):
    return (rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a.copy())), torch.from_numpy(np.array(a, copy=True))


def tol(t):
    """rusttorch accumulates float32 in double: it is often closer to the exact result than torch."""
    return {torch.float32: (2e-5, 2e-5), torch.float64: (1e-11, 1e-11)}.get(t.dtype, (0, 0))


def compare(f_rt, f_torch, indices_of=None):
    expected = torch_or_same_error(f_rt, f_torch)
    if expected is RAISED:
        return
    got = f_rt()
    if isinstance(expected, tuple):  # (values, indices)
        assert isinstance(got, tuple) and len(got) == 2
        assert_same(got[0], expected[0], *tol(expected[0]))
        assert got.values is got[0] and got.indices is got[1]
        assert tuple(got[1].shape) == tuple(expected[1].shape) and got[1].dtype is rt.int64
        if indices_of is not None:  # ties may pick another index: check it points at the value
            indices_of(got)
        return
    assert_same(got, expected, *tol(expected))


@st.composite
def dims_for(draw, ndim, allow_none=True, allow_tuple=True):
    opts = []
    if allow_none:
        opts.append(st.none())
    if ndim:
        opts.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            opts.append(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple))
    elif allow_tuple:
        opts.append(st.just(()))
    if not opts:
        return None
    return draw(st.one_of(*opts))


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "all", "any", "logsumexp"])
@given(shape=shapes, da=st.sampled_from(DTYPES), seed=seeds, keepdim=st.booleans(), data=st.data())
def test_dim_reductions(op, shape, da, seed, keepdim, data):
    a = random_array(np.random.default_rng(seed), shape, da, special=op not in ("sum", "mean"), low=-5, high=6)
    ra, ta = both(a)
    dim = data.draw(dims_for(len(shape), allow_none=op != "logsumexp"))
    if op == "logsumexp" and dim == ():
        return  # torch fails on dim=() here (a broken out= resize); rusttorch reduces every dim
    if dim is None:
        if op in ("logsumexp",):
            return
        compare(lambda: getattr(rt, op)(ra), lambda: getattr(torch, op)(ta))
        compare(lambda: getattr(ra, op)(), lambda: getattr(ta, op)())
        return
    compare(lambda: getattr(rt, op)(ra, dim, keepdim), lambda: getattr(torch, op)(ta, dim, keepdim))
    compare(lambda: getattr(ra, op)(dim=dim, keepdim=keepdim), lambda: getattr(ta, op)(dim=dim, keepdim=keepdim))


@pytest.mark.parametrize("op", ["sum", "mean", "prod"])
@given(shape=shapes, da=st.sampled_from(DTYPES), want=st.sampled_from(DTYPES), seed=seeds)
def test_dtype_argument(op, shape, da, want, seed):
    a = random_array(np.random.default_rng(seed), shape, da, low=-3, high=4)
    ra, ta = both(a)
    compare(lambda: getattr(rt, op)(ra, dtype=getattr(rt, want)), lambda: getattr(torch, op)(ta, dtype=getattr(torch, want)))


@given(shape=shapes, da=st.sampled_from(DTYPES), seed=seeds, keepdim=st.booleans(), data=st.data())
def test_prod(shape, da, seed, keepdim, data):
    a = random_array(np.random.default_rng(seed), shape, da, low=-3, high=4)
    ra, ta = both(a)
    compare(lambda: rt.prod(ra), lambda: torch.prod(ta))
    if shape:
        d = data.draw(st.integers(-len(shape), len(shape) - 1))
        compare(lambda: rt.prod(ra, d, keepdim), lambda: torch.prod(ta, d, keepdim))
        compare(lambda: ra.prod(d, keepdim=keepdim), lambda: ta.prod(d, keepdim=keepdim))


@pytest.mark.parametrize("op", ["max", "min"])
@given(shape=shapes, da=st.sampled_from(DTYPES), seed=seeds, keepdim=st.booleans(), data=st.data())
def test_max_min(op, shape, da, seed, keepdim, data):
    a = random_array(np.random.default_rng(seed), shape, da, special=True, low=-3, high=4)
    ra, ta = both(a)
    compare(lambda: getattr(rt, op)(ra), lambda: getattr(torch, op)(ta))
    compare(lambda: getattr(ra, op)(), lambda: getattr(ta, op)())
    other = random_array(np.random.default_rng(seed + 1), shape, da, special=True)
    (rb, tb) = both(other)
    compare(lambda: getattr(rt, op)(ra, rb), lambda: getattr(torch, op)(ta, tb))
    if not shape:
        return
    d = data.draw(st.integers(-len(shape), len(shape) - 1))

    def check_indices(kd):
        def check(got):
            values, idx = got
            picked = np.take_along_axis(a, idx.numpy() if kd else np.expand_dims(idx.numpy(), d), axis=d)
            picked = picked if kd else np.squeeze(picked, axis=d)
            np.testing.assert_array_equal(picked, values.numpy())
        return check

    compare(lambda: getattr(rt, op)(ra, d, keepdim), lambda: getattr(torch, op)(ta, d, keepdim), check_indices(keepdim))
    compare(lambda: getattr(ra, op)(d, keepdim=keepdim), lambda: getattr(ta, op)(d, keepdim=keepdim),
            check_indices(keepdim))
    compare(lambda: getattr(ra, op)(dim=d), lambda: getattr(ta, op)(dim=d), check_indices(False))


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@given(shape=shapes, da=st.sampled_from(DTYPES), seed=seeds, keepdim=st.booleans(), data=st.data())
def test_argmax_argmin(op, shape, da, seed, keepdim, data):
    a = random_array(np.random.default_rng(seed), shape, da, special=True, low=-3, high=4)
    ra, ta = both(a)
    compare(lambda: getattr(rt, op)(ra), lambda: getattr(torch, op)(ta))
    if shape:
        d = data.draw(st.integers(-len(shape), len(shape) - 1))
        compare(lambda: getattr(rt, op)(ra, d, keepdim), lambda: getattr(torch, op)(ta, d, keepdim))
        compare(lambda: getattr(ra, op)(dim=d, keepdim=keepdim), lambda: getattr(ta, op)(dim=d, keepdim=keepdim))


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("op", ["var", "std"])
@given(shape=shapes, da=st.sampled_from(["float32", "float64"]), seed=seeds, keepdim=st.booleans(),
       correction=st.sampled_from([None, 0, 1, 2]), data=st.data())
def test_var_std(op, shape, da, seed, keepdim, correction, data):
    a = random_array(np.random.default_rng(seed), shape, da)
    ra, ta = both(a)
    dim = data.draw(dims_for(len(shape)))
    kw = {} if correction is None else {"correction": correction}
    with np.errstate(all="ignore"):
        compare(lambda: getattr(rt, op)(ra, dim, keepdim=keepdim, **kw),
                lambda: getattr(torch, op)(ta, dim, keepdim=keepdim, **kw))
        compare(lambda: getattr(ra, op)(dim, unbiased=False), lambda: getattr(ta, op)(dim, unbiased=False))
        compare(lambda: getattr(rt, op)(ra, False), lambda: getattr(torch, op)(ta, False))


@given(shape=shapes, da=st.sampled_from(["float32", "float64"]), seed=seeds, keepdim=st.booleans(),
       p=st.sampled_from([2, 1, 0, 3, 0.5, float("inf"), -float("inf"), "fro"]), data=st.data())
def test_norm(shape, da, seed, keepdim, p, data):
    a = random_array(np.random.default_rng(seed), shape, da)
    ra, ta = both(a)
    dim = data.draw(dims_for(len(shape), allow_tuple=False))
    if p == "fro" and dim is not None:
        dim = (dim,)
    compare(lambda: rt.norm(ra, p, dim, keepdim), lambda: torch.norm(ta, p, dim, keepdim))
    compare(lambda: ra.norm(p), lambda: ta.norm(p))


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5), da=st.sampled_from(DTYPES),
       seed=seeds, data=st.data(), want=st.one_of(st.none(), st.sampled_from(["int64", "float32", "float64"])))
def test_scans(op, shape, da, seed, data, want):
    a = random_array(np.random.default_rng(seed), shape, da, low=-2, high=3)
    ra, ta = both(a)
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    kr = {} if want is None else {"dtype": getattr(rt, want)}
    kt = {} if want is None else {"dtype": getattr(torch, want)}
    compare(lambda: getattr(rt, op)(ra, d, **kr), lambda: getattr(torch, op)(ta, d, **kt))
    compare(lambda: getattr(ra, op)(d, **kr), lambda: getattr(ta, op)(d, **kt))
    rc, tc = ra.clone(), ta.clone()

    def inplace():
        r = getattr(rc, op + "_")(d, **kr)
        assert r is rc
        return r

    compare(inplace, lambda: getattr(tc, op + "_")(d, **kt))
    compare(lambda: rc, lambda: tc)  # unchanged when refused, written when not


def test_reduction_errors_and_named_tuples():
    for f in (lambda m: m.max(m.zeros(0)), lambda m: m.zeros(2, 0).max(1), lambda m: m.mean(m.ones(2, dtype=m.int64)),
              lambda m: m.ones(2, 3).sum(3), lambda m: m.argmax(m.zeros(0)), lambda m: m.ones(2).cumsum(1)):
        compare(lambda: f(rt), lambda: f(torch))
    r = rt.tensor([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]]).max(1)
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    assert type(r).__name__ == "max" and repr(r).startswith("max(values=tensor(")
    values, indices = rt.ones(2, 2).min(dim=0)
    assert values.tolist() == [1.0, 1.0]
    assert rt.sum(rt.ones(3, dtype=rt.bool)).dtype is rt.int64
    assert rt.tensor([1.0, float("nan")]).max().item() != rt.tensor([1.0, float("nan")]).max().item()


def test_large_reductions_are_thread_count_independent():
    x = rt.randn(1_000_003, dtype=rt.float32)
    n = rt.get_num_threads()
    try:
        rt.set_num_threads(1)
        one = (x.sum().item(), x.mean().item(), x.var().item(), x.norm().item())
        rt.set_num_threads(max(2, n))
        many = (x.sum().item(), x.mean().item(), x.var().item(), x.norm().item())
    finally:
        rt.set_num_threads(n)
    assert one == many
    ref = x.numpy().astype(np.float64)
    assert abs(one[0] - ref.sum()) < 1e-3 * max(1.0, abs(ref.sum()))
