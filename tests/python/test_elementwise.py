"""Differential tests of the elementwise ops against torch: every binary and
unary op as a function, a method, an in-place method, with out=, and as an
operator; random shapes (broadcasting, 0-d, empty), all five dtypes, Python
number operands of each kind, and the error cases (same exception type)."""
from __future__ import annotations

import operator
import os
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rusttorch as rt
from helpers import DTYPES, FLOATS, assert_same, dtype_name, random_array

torch = pytest.importorskip("torch")

BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
          "bitwise_and", "bitwise_or", "bitwise_xor"]
UNARY = ["neg", "abs", "sign", "exp", "log", "sqrt", "rsqrt", "logical_not", "bitwise_not"]
TRANSCENDENTAL = {"exp", "log", "sqrt", "rsqrt", "pow"}
OP_TABLE = os.path.join(os.path.dirname(__file__), "..", "..", "engine", "rusttorch", "op_table.def")


def table_rows(kind):
    with open(OP_TABLE, encoding="utf-8") as f:
        return re.findall(r"^" + kind + r"\((\w+),", f.read(), re.M)


def test_every_op_of_the_table_is_tested_here():
    # A new row of the op table must join these lists (and so every test below).
    assert table_rows("RT_BINARY") == BINARY
    assert table_rows("RT_UNARY") == UNARY
    for alias in table_rows("RT_BINARY_ALIAS") + table_rows("RT_UNARY_ALIAS"):
        assert hasattr(rt, alias) and hasattr(rt.Tensor, alias) and hasattr(rt.Tensor, alias + "_")
DIVISION = {"div", "floor_divide", "remainder", "fmod"}


def tolerance(op: str, dtype: str):
    """Basic arithmetic and comparisons must match torch exactly; transcendental
    functions within a few ulp."""
    if op in TRANSCENDENTAL and dtype in FLOATS:
        return (4e-6, 1e-30) if dtype == "float32" else (1e-13, 1e-300)
    return (0.0, 0.0)


def arrays(seed, shape_a, shape_b, da, db, op):
    rng = np.random.default_rng(seed)
    if op == "pow":  # keep integer powers in range and non-negative (torch errors on negative scalar powers)
        a = random_array(rng, shape_a, da, special=True, low=-6, high=7)
        b = random_array(rng, shape_b, db, special=True, low=0, high=5)
        if db in FLOATS:
            b = np.abs(b) % 4
    else:
        a = random_array(rng, shape_a, da, special=True)
        b = random_array(rng, shape_b, db, special=True)
    return a, b


def both(a: np.ndarray):
    return (rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a.copy())), torch.from_numpy(np.array(a, copy=True))


def compare(f_rt, f_torch, op, check=None, superset=False):
    """Runs both; same exception type, or same result. With `superset`, a
    TypeError from torch for an argument kind rusttorch also accepts (a Python
    number where torch wants a tensor) is fine."""
    try:
        expected = f_torch()
    except TypeError:
        if superset:
            f_rt()
            return
        with pytest.raises(TypeError):
            f_rt()
        return
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            f_rt()
        return
    got = f_rt()
    if check is not None:
        got, expected = check(got, expected)
    rtol, atol = tolerance(op, dtype_name(expected.dtype))
    assert_same(got, expected, rtol=rtol, atol=atol)


shapes2 = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4)
dtypes = st.sampled_from(DTYPES)
seeds = st.integers(0, 2**32 - 1)


@pytest.mark.parametrize("op", BINARY)
@given(shapes=shapes2, da=dtypes, db=dtypes, seed=seeds)
def test_binary_function(op, shapes, da, db, seed):
    a, b = arrays(seed, shapes.input_shapes[0], shapes.input_shapes[1], da, db, op)
    (ra, ta), (rb, tb) = both(a), both(b)
    compare(lambda: getattr(rt, op)(ra, rb), lambda: getattr(torch, op)(ta, tb), op)
    compare(lambda: getattr(ra, op)(rb), lambda: getattr(ta, op)(tb), op)


@pytest.mark.parametrize("op", BINARY)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), da=dtypes,
       scalar=st.one_of(st.booleans(), st.integers(-7, 7), st.floats(-8, 8, width=32),
                        st.sampled_from([float("inf"), float("nan"), -0.0])),
       seed=seeds)
def test_binary_scalar(op, shape, da, scalar, seed):
    if op == "pow" and isinstance(scalar, int) and not isinstance(scalar, bool):
        scalar = abs(scalar) % 4
    a, _ = arrays(seed, shape, (), da, da, op)
    ra, ta = both(a)
    compare(lambda: getattr(rt, op)(ra, scalar), lambda: getattr(torch, op)(ta, scalar), op, superset=True)
    if op in ("add", "sub", "mul", "div", "pow", "remainder", "floor_divide", "maximum", "eq", "bitwise_and"):
        rev = {"pow": None}.get(op, op)
        if op == "pow":
            compare(lambda: rt.pow(scalar, ra), lambda: torch.pow(scalar, ta), op, superset=True)
        elif op not in ("maximum",):
            compare(lambda: getattr(rt, rev)(scalar, ra) if op in ("add", "mul", "eq", "bitwise_and") else
                    getattr(rt, op)(rt.tensor(scalar), ra),
                    lambda: getattr(torch, rev)(scalar, ta) if op in ("add", "mul", "eq", "bitwise_and") else
                    getattr(torch, op)(torch.tensor(scalar), ta), op, superset=True)


OPERATORS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
    "floor_divide": operator.floordiv, "remainder": operator.mod, "pow": operator.pow,
    "bitwise_and": operator.and_, "bitwise_or": operator.or_, "bitwise_xor": operator.xor,
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}
INPLACE = {
    "add": operator.iadd, "sub": operator.isub, "mul": operator.imul, "div": operator.itruediv,
    "floor_divide": operator.ifloordiv, "remainder": operator.imod, "pow": operator.ipow,
    "bitwise_and": operator.iand, "bitwise_or": operator.ior, "bitwise_xor": operator.ixor,
}


@pytest.mark.parametrize("op", sorted(OPERATORS))
@given(shapes=shapes2, da=dtypes, db=dtypes, seed=seeds,
       scalar=st.one_of(st.booleans(), st.integers(0, 3), st.floats(-4, 4, width=32)))
def test_operators(op, shapes, da, db, seed, scalar):
    f = OPERATORS[op]
    a, b = arrays(seed, shapes.input_shapes[0], shapes.input_shapes[1], da, db, op)
    (ra, ta), (rb, tb) = both(a), both(b)
    compare(lambda: f(ra, rb), lambda: f(ta, tb), op)
    compare(lambda: f(ra, scalar), lambda: f(ta, scalar), op)
    compare(lambda: f(scalar, ra), lambda: f(scalar, ta), op)


@pytest.mark.parametrize("op", sorted(INPLACE))
@given(shapes=shapes2, da=dtypes, db=dtypes, seed=seeds)
def test_inplace_operators_keep_identity(op, shapes, da, db, seed):
    a, b = arrays(seed, shapes.input_shapes[0], shapes.input_shapes[1], da, db, op)
    (ra, ta), (rb, tb) = both(a), both(b)
    before = ra
    try:
        expected = INPLACE[op](ta, tb)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            INPLACE[op](ra, rb)
        return
    got = INPLACE[op](ra, rb)
    assert got is before
    rtol, atol = tolerance(op, dtype_name(expected.dtype))
    assert_same(got, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("op", BINARY)
@given(shapes=shapes2, da=dtypes, db=dtypes, seed=seeds)
def test_binary_inplace_method(op, shapes, da, db, seed):
    a, b = arrays(seed, shapes.input_shapes[0], shapes.input_shapes[1], da, db, op)
    (ra, ta), (rb, tb) = both(a), both(b)

    def run_rt():
        r = getattr(ra, op + "_")(rb)
        assert r is ra
        return r

    if not hasattr(ta, op + "_"):  # rusttorch has every in-place form; torch lacks a few (maximum_)
        return
    compare(run_rt, lambda: getattr(ta, op + "_")(tb), op)


@pytest.mark.parametrize("op", BINARY)
@given(shapes=shapes2, da=dtypes, db=dtypes, dout=dtypes, seed=seeds, empty_out=st.booleans())
def test_binary_out(op, shapes, da, db, dout, seed, empty_out):
    a, b = arrays(seed, shapes.input_shapes[0], shapes.input_shapes[1], da, db, op)
    (ra, ta), (rb, tb) = both(a), both(b)
    shape = (0,) if empty_out else shapes.result_shape
    ro = rt.zeros(shape, dtype=getattr(rt, dout))
    to = torch.zeros(shape, dtype=getattr(torch, dout))

    def run_rt():
        r = getattr(rt, op)(ra, rb, out=ro)
        assert r is ro
        return r

    compare(run_rt, lambda: getattr(torch, op)(ta, tb, out=to), op)


@given(shapes=shapes2, da=dtypes, db=dtypes, seed=seeds, alpha=st.one_of(st.integers(-3, 3), st.floats(-2, 2, width=32), st.booleans()))
def test_add_sub_alpha(shapes, da, db, seed, alpha):
    a, b = arrays(seed, shapes.input_shapes[0], shapes.input_shapes[1], da, db, "add")
    (ra, ta), (rb, tb) = both(a), both(b)
    # torch computes a + alpha * b with one fused multiply-add on AVX2/AVX-512; rusttorch
    # rounds the product first (-ffp-contract=off), so allow an ulp or two.
    def close(got, expected):
        if expected.dtype.is_floating_point:
            tol = (2e-6, 2e-5) if expected.dtype == torch.float32 else (1e-14, 1e-13)
            assert_same(got, expected, rtol=tol[0], atol=tol[1])
        else:
            assert_same(got, expected)
        return got, expected

    for op in ("add", "sub"):
        for f_rt, f_t in ((lambda: getattr(rt, op)(ra, rb, alpha=alpha), lambda: getattr(torch, op)(ta, tb, alpha=alpha)),
                          (lambda: getattr(ra, op)(rb, alpha=alpha), lambda: getattr(ta, op)(tb, alpha=alpha))):
            try:
                expected = f_t()
            except Exception as e:  # noqa: BLE001
                with pytest.raises(type(e)):
                    f_rt()
                continue
            close(f_rt(), expected)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@given(shapes=shapes2, da=dtypes, db=dtypes, seed=seeds)
def test_div_rounding_mode(mode, shapes, da, db, seed):
    a, b = arrays(seed, shapes.input_shapes[0], shapes.input_shapes[1], da, db, "div")
    (ra, ta), (rb, tb) = both(a), both(b)
    compare(lambda: rt.div(ra, rb, rounding_mode=mode), lambda: torch.div(ta, tb, rounding_mode=mode), "div")
    compare(lambda: ra.div(rb, rounding_mode=mode), lambda: ta.div(tb, rounding_mode=mode), "div")


@pytest.mark.parametrize("op", UNARY)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5), da=dtypes, seed=seeds,
       transpose=st.booleans())
def test_unary(op, shape, da, seed, transpose):
    rng = np.random.default_rng(seed)
    a = random_array(rng, shape, da, special=True)
    if op in ("log", "sqrt", "rsqrt") and da in FLOATS and rng.random() < 0.7:
        a = np.abs(a)
    ra, ta = both(a)
    if transpose and a.ndim >= 2:  # strided input
        ra, ta = ra.transpose(0, 1), ta.transpose(0, 1)
    compare(lambda: getattr(rt, op)(ra), lambda: getattr(torch, op)(ta), op)
    compare(lambda: getattr(ra, op)(), lambda: getattr(ta, op)(), op)
    rc, tc = ra.clone(), ta.clone()

    def inplace_rt():
        r = getattr(rc, op + "_")()
        assert r is rc
        return r

    compare(inplace_rt, lambda: getattr(tc, op + "_")(), op)
    ro, to = rt.empty(0, dtype=ra.dtype), torch.empty(0, dtype=ta.dtype)
    compare(lambda: getattr(rt, op)(ra, out=ro), lambda: getattr(torch, op)(ta, out=to), op)


@pytest.mark.parametrize("name,f", [("neg", operator.neg), ("abs", abs), ("bitwise_not", operator.invert),
                                    ("pos", operator.pos)])
@pytest.mark.parametrize("da", DTYPES)
def test_unary_operators(name, f, da):
    a = random_array(np.random.default_rng(1), (3, 4), da, special=True)
    ra, ta = both(a)
    compare(lambda: f(ra), lambda: f(ta), name)


@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), da=dtypes, seed=seeds,
       lo=st.one_of(st.none(), st.integers(-5, 5), st.floats(-5, 5, width=32)),
       hi=st.one_of(st.none(), st.integers(-5, 5), st.floats(-5, 5, width=32)))
def test_clamp_scalar_bounds(shape, da, seed, lo, hi):
    a = random_array(np.random.default_rng(seed), shape, da, special=True, low=-8, high=8)
    ra, ta = both(a)
    compare(lambda: rt.clamp(ra, lo, hi), lambda: torch.clamp(ta, lo, hi), "clamp")
    compare(lambda: ra.clamp(min=lo, max=hi), lambda: ta.clamp(min=lo, max=hi), "clamp")
    compare(lambda: rt.clip(ra, lo, hi), lambda: torch.clip(ta, lo, hi), "clamp")
    rc, tc = ra.clone(), ta.clone()
    compare(lambda: rc.clamp_(lo, hi), lambda: tc.clamp_(lo, hi), "clamp")


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4), da=st.sampled_from(["int32", "int64", "float32", "float64"]),
       seed=seeds)
def test_clamp_tensor_bounds(shapes, da, seed):
    rng = np.random.default_rng(seed)
    a, lo, hi = (random_array(rng, s, da, special=True, low=-8, high=8) for s in shapes.input_shapes)
    (ra, ta), (rl, tl), (rh, th) = both(a), both(lo), both(hi)
    compare(lambda: rt.clamp(ra, rl, rh), lambda: torch.clamp(ta, tl, th), "clamp")
    compare(lambda: rt.clamp(ra, min=rl), lambda: torch.clamp(ta, min=tl), "clamp")
    compare(lambda: rt.clamp(ra, max=rh), lambda: torch.clamp(ta, max=th), "clamp")


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4), da=dtypes, db=dtypes,
       seed=seeds, scalar=st.one_of(st.integers(-3, 3), st.floats(-3, 3, width=32), st.booleans()))
def test_where(shapes, da, db, seed, scalar):
    rng = np.random.default_rng(seed)
    c = random_array(rng, shapes.input_shapes[0], "bool")
    a = random_array(rng, shapes.input_shapes[1], da, special=True)
    b = random_array(rng, shapes.input_shapes[2], db, special=True)
    (rc, tc), (ra, ta), (rb, tb) = both(c), both(a), both(b)
    compare(lambda: rt.where(rc, ra, rb), lambda: torch.where(tc, ta, tb), "where")
    compare(lambda: rt.where(rc, ra, scalar), lambda: torch.where(tc, ta, scalar), "where")
    compare(lambda: rt.where(rc, scalar, rb), lambda: torch.where(tc, scalar, tb), "where")
    compare(lambda: ra.where(rc, rb), lambda: ta.where(tc, tb), "where")
    got, expected = rt.where(rc), torch.where(tc)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert_same(g, e)


def test_where_condition_must_be_bool():
    with pytest.raises(RuntimeError):
        rt.where(rt.ones(2), 1.0, 2.0)


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_result_type_and_promote_types(da, db):
    ra, rb = rt.ones(2, dtype=getattr(rt, da)), rt.ones((), dtype=getattr(rt, db))
    ta, tb = torch.ones(2, dtype=getattr(torch, da)), torch.ones((), dtype=getattr(torch, db))
    assert dtype_name(rt.result_type(ra, rb)) == dtype_name(torch.result_type(ta, tb))
    assert dtype_name(rt.result_type(rb, ra)) == dtype_name(torch.result_type(tb, ta))
    for s in (True, 2, 2.5):
        assert dtype_name(rt.result_type(ra, s)) == dtype_name(torch.result_type(ta, s))
    assert dtype_name(rt.promote_types(getattr(rt, da), getattr(rt, db))) == dtype_name(
        torch.promote_types(getattr(torch, da), getattr(torch, db)))
    assert rt.can_cast(getattr(rt, da), getattr(rt, db)) == torch.can_cast(getattr(torch, da), getattr(torch, db))


@given(shapes=shapes2, seed=seeds, da=dtypes, db=dtypes)
def test_strided_and_broadcast_views(shapes, seed, da, db):
    """Operands that are transposed, sliced with steps and expanded views."""
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    big_a = random_array(rng, tuple(2 * s + 1 for s in sa), da)
    big_b = random_array(rng, tuple(2 * s + 1 for s in sb), db)
    (ra, ta), (rb, tb) = both(big_a), both(big_b)
    sl_a = tuple(slice(1, None, 2) for _ in sa)
    sl_b = tuple(slice(1, None, 2) for _ in sb)
    ra, ta, rb, tb = ra[sl_a], ta[sl_a], rb[sl_b], tb[sl_b]
    if len(sa) >= 2:  # same shape, column-major-like strides
        ra = ra.transpose(0, -1).contiguous().transpose(0, -1)
        ta = ta.transpose(0, -1).contiguous().transpose(0, -1)
    for op in ("add", "mul", "maximum", "lt", "bitwise_xor"):
        compare(lambda: getattr(rt, op)(ra, rb), lambda: getattr(torch, op)(ta, tb), op)
    ea, eb = ra.expand(shapes.result_shape), rb.expand(shapes.result_shape)
    fa, fb = ta.expand(shapes.result_shape), tb.expand(shapes.result_shape)
    compare(lambda: ea + eb, lambda: fa + fb, "add")


def test_large_tensors_run_threaded_and_match():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(1 << 18).astype(np.float32)
    b = rng.standard_normal(1 << 18).astype(np.float32)
    ra, rb = rt.from_numpy(a), rt.from_numpy(b)
    np.testing.assert_array_equal((ra + rb).numpy(), a + b)
    np.testing.assert_array_equal((ra * 2.0).numpy(), a * np.float32(2.0))
    c = ra.clone()
    c += rb
    np.testing.assert_array_equal(c.numpy(), a + b)


def test_seed_examples():
    t1 = rt.Tensor.zeros([2, 3])
    t2 = rt.Tensor.ones([2, 3])
    assert rt.add(t1, t2).tolist() == [[1.0] * 3] * 2
    assert rt.add_scalar(t1, 2).tolist() == [[2.0] * 3] * 2
    assert rt.mul_scalar(t2, 3).tolist() == [[3.0] * 3] * 2


def test_two_numbers_make_a_tensor():
    for a, b in ((1, 2), (1.5, 2), (True, 3), (2, 0.5)):
        assert_same(rt.add(a, b), torch.add(a, b))
        assert_same(rt.mul(a, b), torch.mul(a, b))
