"""Sorting, selection and searching against torch 2.13: sort, argsort, msort,
topk, kthvalue, searchsorted, bucketize, gather, scatter_add (native) and
median, nanmedian, quantile, nanquantile, mode, unique, unique_consecutive
(rusttorch/_sorting.py).

Random data with fixed seeds, with ties, NaN, +-0.0 and +-inf, every dtype
torch takes (the same exception type where it refuses one), every option,
empty and 0-d tensors, transposed views, sizes around the vector widths and
one row of 300k elements (the multi-thread paths), every ISA of this CPU, 1,
2 and 7 threads giving the same bits, torch's errors, and the gradients
(against torch's, and gradcheck in float64).

Stable sorts must give torch's exact indices. Where torch leaves the index
of a tie unspecified (topk, kthvalue, unstable sorts, mode past 16
elements), the values must be torch's and input.gather(dim, indices) must
give them back."""
from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import rusttorch as rt
from helpers import DTYPES, FLOATS, NUMERIC, isa, random_array, threads

torch = pytest.importorskip("torch")

ISAS = rt.backends.cpu.get_available_cpu_capabilities()
SIZES = [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 4099]
BIG = 300_000  # one row: the sorts' multi-thread path
NAN = float("nan")
INF = float("inf")


# ---------------------------------------------------------------- helpers
def R(a, requires_grad=False):
    """The rusttorch copy of a numpy array (or of a torch tensor)."""
    if isinstance(a, torch.Tensor):
        a = a.detach().numpy()
    a = np.array(a, copy=True)
    r = rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a)
    return r.requires_grad_() if requires_grad else r


def T(a, requires_grad=False):
    t = torch.from_numpy(np.array(a, copy=True))
    return t.requires_grad_() if requires_grad else t


def N(x):
    """A numpy copy of a rusttorch or torch tensor."""
    return np.array(x.detach().numpy(), copy=True)


def tie_array(rng, shape, dtype):
    """Few distinct values (many ties); floats include NaN, +-0.0 and +-inf."""
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype in ("int32", "int64"):
        return rng.integers(-3, 4, size=shape).astype(dtype)
    pool = np.array([-2.5, -1.0, -0.0, 0.0, 1.0, 2.5, INF, -INF, NAN], dtype=dtype)
    return rng.choice(pool, size=shape)


def data(rng, shape, dtype, kind):
    if kind == "ties":
        return tie_array(rng, shape, dtype)
    if kind == "special":
        return random_array(rng, shape, dtype, special=True)
    if kind == "wide" and dtype in ("int32", "int64"):  # the whole range, sign bit included
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return random_array(rng, shape, dtype)


def distinct(rng, shape, dtype="float64"):
    """Values at least 0.5 apart (no ties: gradients and gradcheck are well defined)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.5 + rng.random(n) * 0.1 - n / 4).reshape(shape).astype(dtype)


def assert_bits(r, t, what=""):
    """Same dtype, shape and values; NaN where torch has NaN; the same sign of zero."""
    assert isinstance(r, rt.Tensor), (what, type(r))
    assert str(r.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (what, r.dtype, t.dtype)
    assert tuple(r.shape) == tuple(t.shape), (what, tuple(r.shape), tuple(t.shape))
    a, b = N(r), N(t)
    np.testing.assert_array_equal(a, b, err_msg=what)
    if a.dtype.kind == "f":
        ok = np.isnan(b) | (np.signbit(a) == np.signbit(b))
        assert ok.all(), (what, "sign of zero", a[~ok], b[~ok])


def assert_values(r, t, what=""):
    """Same dtype, shape and values (NaN where torch has NaN); the sign of a zero may differ
    (an unstable sort of torch's may swap -0.0 and +0.0)."""
    assert str(r.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (what, r.dtype, t.dtype)
    assert tuple(r.shape) == tuple(t.shape), (what, tuple(r.shape), tuple(t.shape))
    np.testing.assert_array_equal(N(r), N(t), err_msg=what)


def assert_close(r, t, rtol, atol=0.0, what=""):
    assert tuple(r.shape) == tuple(t.shape), (what, tuple(r.shape), tuple(t.shape))
    assert str(r.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (what, r.dtype, t.dtype)
    np.testing.assert_allclose(N(r), N(t), rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def assert_selects(x, dim, values, indices, what=""):
    """indices are int64, in range, and x.gather(dim, indices) is values (bit for bit)."""
    assert indices.dtype is rt.int64, (what, indices.dtype)
    assert tuple(indices.shape) == tuple(values.shape), what
    if x.dim() == 0:
        assert N(indices).tolist() == 0, what
        assert_bits(values, T(N(x)), what)
        return
    got = x.detach().gather(dim, indices if indices.dim() == x.dim() else indices.unsqueeze(dim))
    got = got.reshape(list(values.shape))
    assert_bits(got, T(N(values)), what)


def expect_error(f_rt, f_torch, match_torch_message=False):
    """Both raise the same exception type (and, when asked, the same message)."""
    try:
        f_torch()
    except Exception as e:  # noqa: BLE001
        expected, message = type(e), str(e)
    else:
        raise AssertionError("torch did not raise")
    with pytest.raises(expected) as info:
        f_rt()
    if match_torch_message:
        assert str(info.value) == message, (str(info.value), message)


def variants(rng, dtype, kind, sizes=SIZES):
    """(numpy array, dim, transposed?) triples: 1-D of every size, 2-D along
    each dim, a transposed view, a 3-D tensor and a 0-d one."""
    out = []
    for n in sizes:
        out.append((data(rng, (n,), dtype, kind), -1, False))
    for n in (5, 33, 130):
        a = data(rng, (3, n), dtype, kind)
        out += [(a, 1, False), (a, 0, False), (a, -2, False)]
        out.append((data(rng, (n, 4), dtype, kind), 1, True))  # the (4, n) transposed view, along n
        out.append((data(rng, (n, 4), dtype, kind), 0, True))
    out.append((data(rng, (2, 5, 6), dtype, kind), 1, False))
    out.append((data(rng, (), dtype, kind), 0, False))
    out.append((data(rng, (), dtype, kind), -1, False))
    return out


def both(a, transposed):
    r, t = R(a), T(a)
    return (r.transpose(0, 1), t.transpose(0, 1)) if transposed else (r, t)


def grad_pair(a, f_rt, f_torch, what=""):
    """d(sum(f(x) * w))/dx against torch, w a random upstream gradient."""
    xr, xt = R(a, True), T(a, True)
    out_r, out_t = f_rt(xr), f_torch(xt)
    w = np.random.default_rng(7).standard_normal(tuple(out_t.shape)).astype(a.dtype)
    (out_t * T(w)).sum().backward()
    (out_r * R(w)).sum().backward()
    assert xr.grad is not None, what
    np.testing.assert_allclose(N(xr.grad), N(xt.grad), rtol=1e-6, atol=1e-6, err_msg=what)


# ---------------------------------------------------------------- sort, argsort, msort
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["random", "ties", "special", "wide"])
def test_sort(dtype, kind):
    rng = np.random.default_rng(DTYPES.index(dtype) * 10 + len(kind))
    for a, dim, tr in variants(rng, dtype, kind):
        r, t = both(a, tr)
        for descending in (False, True):
            what = f"{dtype} {kind} shape={a.shape} dim={dim} T={tr} desc={descending}"
            exp = torch.sort(t, dim=dim, descending=descending, stable=True)
            got = rt.sort(r, dim, descending, stable=True)
            assert type(got).__name__ == "sort" and type(got).__module__ == "rusttorch.return_types"
            assert got.values is got[0] and got.indices is got[1]
            assert_bits(got.values, exp.values, what)
            assert_bits(got.indices, exp.indices, what)
            # the unstable form: torch's values, indices that select them
            got = rt.sort(r, dim, descending)
            assert_values(got.values, torch.sort(t, dim, descending).values, what)
            assert_selects(r, dim, got.values, got.indices, what)
            # methods and argsort
            assert_bits(r.sort(dim=dim, descending=descending, stable=True).indices, exp.indices, what)
            assert_bits(rt.argsort(r, dim, descending, stable=True), exp.indices, what)
            assert_bits(r.argsort(dim, descending=descending, stable=True), exp.indices, what)
            assert_bits(rt.argsort(r, dim=dim, descending=descending), exp.indices, what + " argsort (stable anyway)")
        if a.ndim:
            assert_bits(rt.msort(r), torch.sort(t, dim=0, stable=True).values, what)
            assert_values(r.msort(), t.msort(), what)


def test_sort_defaults_and_empty():
    rng = np.random.default_rng(1)
    a = random_array(rng, (4, 6), "float32", special=True)
    assert_values(rt.sort(R(a)).values, torch.sort(T(a)).values)
    assert_bits(R(a).sort().indices, T(a).sort(stable=True).indices)
    assert_bits(rt.argsort(R(a)), torch.argsort(T(a), stable=True))
    for dtype in DTYPES:
        for shape, dim in [((0,), 0), ((2, 0), 1), ((2, 0), 0), ((0, 3), 1)]:
            a = np.zeros(shape, dtype=dtype)
            got, exp = rt.sort(R(a), dim), torch.sort(T(a), dim)
            assert_bits(got.values, exp.values)
            assert_bits(got.indices, exp.indices)
            assert_bits(rt.argsort(R(a), dim, True), torch.argsort(T(a), dim, True))
            assert_bits(rt.msort(R(a)), torch.msort(T(a)))


def test_sort_nan_and_signed_zero_order():
    a = np.array([NAN, 1.0, -0.0, INF, 0.0, -INF, NAN, -0.0, 2.0, 0.0], dtype=np.float32)
    for dtype in FLOATS:
        for descending in (False, True):
            got = rt.sort(R(a.astype(dtype)), descending=descending)
            exp = torch.sort(T(a.astype(dtype)), descending=descending, stable=True)
            assert_bits(got.values, exp.values)
            assert_bits(got.indices, exp.indices)


def test_sort_errors():
    a = np.arange(6.0).reshape(2, 3)
    expect_error(lambda: rt.sort(R(a), 2), lambda: torch.sort(T(a), 2), match_torch_message=True)
    expect_error(lambda: rt.sort(R(a), -3), lambda: torch.sort(T(a), -3), match_torch_message=True)
    expect_error(lambda: rt.argsort(R(a), 5), lambda: torch.argsort(T(a), 5))
    expect_error(lambda: rt.sort(R(np.float32(1)), 1), lambda: torch.sort(T(np.float32(1)), 1))
    expect_error(lambda: rt.sort(a), lambda: torch.sort(a))  # not a tensor


# ---------------------------------------------------------------- topk
@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("kind", ["random", "ties", "special"])
def test_topk(dtype, kind):
    rng = np.random.default_rng(100 + NUMERIC.index(dtype) * 10 + len(kind))
    for a, dim, tr in variants(rng, dtype, kind, sizes=[1, 2, 3, 8, 9, 16, 17, 33, 65, 129, 257, 1000, 4099]):
        r, t = both(a, tr)
        n = a.shape[dim] if a.ndim else 1
        if tr:
            n = a.shape[1 - (dim % 2)]
        for k, largest in itertools.product(sorted({0, 1, 2, n // 3, n // 2, n - 1, n} & set(range(n + 1))),
                                            (True, False)):
            what = f"{dtype} {kind} shape={a.shape} dim={dim} T={tr} k={k} largest={largest}"
            exp = torch.topk(t, k, dim, largest, True)
            if a.ndim == 0 and k == 0:
                continue  # see test_topk_zero_d
            got = rt.topk(r, k, dim, largest, True)
            assert type(got).__name__ == "topk" and type(got).__module__ == "rusttorch.return_types"
            np.testing.assert_array_equal(N(got.values), N(exp.values), err_msg=what)
            assert_selects(r, dim, got.values, got.indices, what)
            idx = N(got.indices)
            if idx.ndim and k:  # distinct indices in each row
                s = np.sort(np.moveaxis(idx, dim, -1), axis=-1)
                assert (np.diff(s, axis=-1) != 0).all(), what
            got = r.topk(k, dim=dim, largest=largest, sorted=False)  # any order: the same multiset
            exp_sorted = torch.sort(exp.values, dim).values
            assert_selects(r, dim, got.values, got.indices, what + " unsorted")
            np.testing.assert_array_equal(N(rt.sort(got.values, dim).values), N(exp_sorted), err_msg=what)


def test_topk_defaults_and_empty():
    rng = np.random.default_rng(2)
    a = random_array(rng, (5, 9), "float64", special=True)
    np.testing.assert_array_equal(N(rt.topk(R(a), 3).values), N(torch.topk(T(a), 3).values))
    np.testing.assert_array_equal(N(R(a).topk(4, 0).values), N(T(a).topk(4, 0).values))
    for shape, k, dim in [((0,), 0, 0), ((2, 0), 0, 1), ((0, 3), 2, 1), ((2, 0), 1, 0)]:
        got, exp = rt.topk(R(np.zeros(shape)), k, dim), torch.topk(T(np.zeros(shape)), k, dim)
        assert_bits(got.values, exp.values)
        assert_bits(got.indices, exp.indices)


def test_topk_zero_d():
    for k in (0, 1):
        a = np.float32(3.5)
        got, exp = rt.topk(R(a), k), torch.topk(T(a), k)
        assert_bits(got.values, exp.values, f"k={k}")
        assert_bits(got.indices, exp.indices, f"k={k}")


def test_topk_errors():
    a = np.arange(12.0).reshape(3, 4)
    expect_error(lambda: rt.topk(R(a), 5), lambda: torch.topk(T(a), 5), match_torch_message=True)
    expect_error(lambda: rt.topk(R(a), -1), lambda: torch.topk(T(a), -1), match_torch_message=True)
    expect_error(lambda: rt.topk(R(a), 4, 0), lambda: torch.topk(T(a), 4, 0))
    expect_error(lambda: rt.topk(R(a), 1, 2), lambda: torch.topk(T(a), 1, 2))
    expect_error(lambda: rt.topk(R(a), 1, -3), lambda: torch.topk(T(a), 1, -3))
    expect_error(lambda: rt.topk(R(np.float32(1)), 2), lambda: torch.topk(T(np.float32(1)), 2))
    b = np.array([True, False, True])
    expect_error(lambda: rt.topk(R(b), 1), lambda: torch.topk(T(b), 1))


# ---------------------------------------------------------------- kthvalue
@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("kind", ["random", "ties", "special"])
def test_kthvalue(dtype, kind):
    rng = np.random.default_rng(200 + NUMERIC.index(dtype) * 10 + len(kind))
    for a, dim, tr in variants(rng, dtype, kind, sizes=[1, 2, 3, 8, 9, 16, 17, 33, 65, 129, 257, 1000, 4099]):
        r, t = both(a, tr)
        n = (a.shape[1 - (dim % 2)] if tr else a.shape[dim]) if a.ndim else 1
        for k, keepdim in itertools.product(sorted({1, 2, n // 2, (n + 1) // 2, n - 1, n} & set(range(1, n + 1))),
                                            (False, True)):
            what = f"{dtype} {kind} shape={a.shape} dim={dim} T={tr} k={k} keepdim={keepdim}"
            exp = torch.kthvalue(t, k, dim, keepdim)
            got = rt.kthvalue(r, k, dim, keepdim)
            assert type(got).__name__ == "kthvalue" and type(got).__module__ == "rusttorch.return_types"
            np.testing.assert_array_equal(N(got.values), N(exp.values), err_msg=what)
            assert tuple(got.values.shape) == tuple(exp.values.shape), what
            assert_selects(r, dim, got.values, got.indices, what)
        got = r.kthvalue(1, dim=dim)
        np.testing.assert_array_equal(N(got.values), N(t.kthvalue(1, dim=dim).values))


def test_kthvalue_defaults_empty_errors():
    a = np.array([[3.0, 1.0, 2.0], [0.0, -1.0, 5.0]])
    np.testing.assert_array_equal(N(rt.kthvalue(R(a), 2).values), N(torch.kthvalue(T(a), 2).values))
    got, exp = rt.kthvalue(R(np.zeros((2, 0))), 1, 0), torch.kthvalue(T(np.zeros((2, 0))), 1, 0)
    assert_bits(got.values, exp.values)
    assert_bits(got.indices, exp.indices)
    expect_error(lambda: rt.kthvalue(R(a), 4), lambda: torch.kthvalue(T(a), 4), match_torch_message=True)
    expect_error(lambda: rt.kthvalue(R(a), 0), lambda: torch.kthvalue(T(a), 0), match_torch_message=True)
    expect_error(lambda: rt.kthvalue(R(a), 1, 2), lambda: torch.kthvalue(T(a), 1, 2))
    expect_error(lambda: rt.kthvalue(R(np.zeros(0)), 1), lambda: torch.kthvalue(T(np.zeros(0)), 1))
    expect_error(lambda: rt.kthvalue(R(np.zeros((2, 0))), 1, 1), lambda: torch.kthvalue(T(np.zeros((2, 0))), 1, 1))
    expect_error(lambda: rt.kthvalue(R(np.float64(2)), 2), lambda: torch.kthvalue(T(np.float64(2)), 2))
    b = np.array([True, False])
    expect_error(lambda: rt.kthvalue(R(b), 1), lambda: torch.kthvalue(T(b), 1))


# ---------------------------------------------------------------- searchsorted, bucketize
def sorted_rows(rng, shape, dtype, kind):
    """Sorted boundaries, without NaN (see test_searchsorted_nan_boundaries); the values may hold NaN."""
    a = data(rng, shape, dtype, kind)
    if a.dtype.kind == "f":
        a[np.isnan(a)] = INF
    return np.sort(a, axis=-1)


def test_searchsorted_nan_boundaries():
    """NaN in the boundaries (sorted last, as torch.sort puts them): torch's binary search
    reads a NaN boundary as below every value (!(bd >= v) holds)."""
    v = np.array([1.0, NAN, -INF, INF, 2.5, 0.0], dtype=np.float32)
    for s in ([1.0, NAN], [NAN], [1.0, 2.0, NAN, NAN, NAN], [-INF, 0.0, 3.0, NAN]):
        s = np.array(s, dtype=np.float32)
        for right in (False, True):
            assert_bits(rt.searchsorted(R(s), R(v), right=right), torch.searchsorted(T(s), T(v), right=right),
                        f"boundaries={s.tolist()} right={right}")
            assert_bits(rt.bucketize(R(v), R(s), right=right), torch.bucketize(T(v), T(s), right=right),
                        f"bucketize boundaries={s.tolist()} right={right}")


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("kind", ["random", "ties", "special"])
def test_searchsorted(dtype, kind):
    rng = np.random.default_rng(300 + NUMERIC.index(dtype) * 10 + len(kind))
    cases = []
    for n in [1, 2, 3, 7, 8, 9, 16, 17, 33, 64, 65, 257, 1000]:
        cases.append((sorted_rows(rng, (n,), dtype, kind), data(rng, (int(rng.integers(1, 40)),), dtype, kind)))
        cases.append((sorted_rows(rng, (n,), dtype, kind), data(rng, (3, 5), dtype, kind)))  # 1-D boundaries
        cases.append((sorted_rows(rng, (3, n), dtype, kind), data(rng, (3, 6), dtype, kind)))  # row-wise
    cases.append((sorted_rows(rng, (2, 3, 9), dtype, kind), data(rng, (2, 3, 4), dtype, kind)))
    cases.append((sorted_rows(rng, (5,), dtype, kind), data(rng, (), dtype, kind)))  # 0-d values
    cases.append((sorted_rows(rng, (5,), dtype, kind), data(rng, (0,), dtype, kind)))  # empty values
    cases.append((sorted_rows(rng, (2, 5), dtype, kind), data(rng, (2, 0), dtype, kind)))
    for s, v in cases:
        for right, out_int32 in itertools.product((False, True), (False, True)):
            what = f"{dtype} {kind} sorted={s.shape} values={v.shape} right={right} int32={out_int32}"
            exp = torch.searchsorted(T(s), T(v), out_int32=out_int32, right=right)
            assert_bits(rt.searchsorted(R(s), R(v), out_int32=out_int32, right=right), exp, what)
            assert_bits(rt.searchsorted(R(s), R(v), out_int32=out_int32, side="right" if right else "left"), exp, what)
            if right:
                assert_bits(rt.searchsorted(R(s), R(v), out_int32=out_int32, right=True, side="right"), exp, what)
        # an unsorted sequence with its sorter (argsort); non-contiguous values
        u = np.ascontiguousarray(rng.permuted(s, axis=-1))
        sorter = torch.argsort(T(u), dim=-1, stable=True)
        for right in (False, True):
            exp = torch.searchsorted(T(u), T(v), right=right, sorter=sorter)
            assert_bits(rt.searchsorted(R(u), R(v), right=right, sorter=R(sorter)), exp, "sorter " + dtype)
        if v.ndim == 2 and s.ndim == 1:
            vt = np.ascontiguousarray(v.T)
            assert_bits(rt.searchsorted(R(s), R(vt).transpose(0, 1)), torch.searchsorted(T(s), T(vt).transpose(0, 1)))


def test_searchsorted_scalars_and_mixed_dtypes():
    rng = np.random.default_rng(301)
    s = np.sort(rng.integers(-5, 6, size=11)).astype(np.float32)
    for value in (2, 2.5, -10, 100, True, NAN, INF):
        for right in (False, True):
            exp = torch.searchsorted(T(s), value, right=right)
            assert_bits(rt.searchsorted(R(s), value, right=right), exp, f"value={value}")
    for sd, vd in itertools.product(NUMERIC, NUMERIC):
        s = np.sort(rng.integers(-5, 6, size=9)).astype(sd)
        v = (rng.integers(-12, 12, size=7) / 2).astype(vd)
        try:
            exp = torch.searchsorted(T(s), T(v))
        except Exception as e:  # noqa: BLE001
            with pytest.raises(type(e)):
                rt.searchsorted(R(s), R(v))
            continue
        assert_bits(rt.searchsorted(R(s), R(v)), exp, f"{sd} {vd}")


def test_searchsorted_errors():
    s = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    v = np.array([2.0], dtype=np.float32)
    expect_error(lambda: rt.searchsorted(R(s), R(v), side="left", right=True),
                 lambda: torch.searchsorted(T(s), T(v), side="left", right=True), match_torch_message=True)
    expect_error(lambda: rt.searchsorted(R(s), R(v), side="foo"), lambda: torch.searchsorted(T(s), T(v), side="foo"),
                 match_torch_message=True)
    bad = np.array([0, 2, 3])
    expect_error(lambda: rt.searchsorted(R(s), R(v), sorter=R(bad)),
                 lambda: torch.searchsorted(T(s), T(v), sorter=T(bad)))
    bad = np.array([0, 2, -1])
    expect_error(lambda: rt.searchsorted(R(s), R(v), sorter=R(bad)),
                 lambda: torch.searchsorted(T(s), T(v), sorter=T(bad)))
    bad = np.array([0, 2])
    expect_error(lambda: rt.searchsorted(R(s), R(v), sorter=R(bad)),
                 lambda: torch.searchsorted(T(s), T(v), sorter=T(bad)))
    bad = np.array([0, 2, 1], dtype=np.int32)
    expect_error(lambda: rt.searchsorted(R(s), R(v), sorter=R(bad)),
                 lambda: torch.searchsorted(T(s), T(v), sorter=T(bad)))
    # a sorter with a repeated index is not a permutation: rusttorch refuses it (torch reads it as it is)
    with pytest.raises(RuntimeError, match="permutation"):
        rt.searchsorted(R(s), R(v), sorter=R(np.array([0, 0, 1])))
    expect_error(lambda: rt.searchsorted(R(np.ones((2, 3))), R(np.ones((3, 2)))),
                 lambda: torch.searchsorted(T(np.ones((2, 3))), T(np.ones((3, 2)))))
    expect_error(lambda: rt.searchsorted(R(np.ones((2, 3))), 1.0), lambda: torch.searchsorted(T(np.ones((2, 3))), 1.0))
    expect_error(lambda: rt.searchsorted(R(np.float32(1)), R(v)), lambda: torch.searchsorted(T(np.float32(1)), T(v)))
    b = np.array([False, True])
    expect_error(lambda: rt.searchsorted(R(b), R(b)), lambda: torch.searchsorted(T(b), T(b)))
    expect_error(lambda: rt.searchsorted(R(s), "x"), lambda: torch.searchsorted(T(s), "x"))


@pytest.mark.parametrize("dtype", NUMERIC)
def test_bucketize(dtype):
    rng = np.random.default_rng(400 + NUMERIC.index(dtype))
    for kind, n in itertools.product(["random", "ties", "special"], [1, 2, 5, 8, 9, 17, 64, 65, 300]):
        bnd = sorted_rows(rng, (n,), dtype, kind)
        for shape in [(7,), (3, 4), (), (0,), (2, 3, 5)]:
            v = data(rng, shape, dtype, kind)
            for right, out_int32 in itertools.product((False, True), (False, True)):
                exp = torch.bucketize(T(v), T(bnd), out_int32=out_int32, right=right)
                what = f"{dtype} {kind} n={n} shape={shape} right={right} int32={out_int32}"
                assert_bits(rt.bucketize(R(v), R(bnd), out_int32=out_int32, right=right), exp, what)
                assert_bits(R(v).bucketize(R(bnd), out_int32=out_int32, right=right), exp, what)
        v = data(rng, (6, 3), dtype, kind)
        assert_bits(rt.bucketize(R(v).transpose(0, 1), R(bnd)), torch.bucketize(T(v).transpose(0, 1), T(bnd)))
    for value in (2, -1.5, 1000):
        bnd = np.sort(rng.integers(-5, 6, size=10)).astype(dtype)
        assert_bits(rt.bucketize(value, R(bnd)), torch.bucketize(value, T(bnd)), f"value={value}")


def test_bucketize_errors():
    expect_error(lambda: rt.bucketize(R(np.ones(2)), R(np.ones((2, 2)))),
                 lambda: torch.bucketize(T(np.ones(2)), T(np.ones((2, 2)))), match_torch_message=True)
    b = np.array([False, True])
    expect_error(lambda: rt.bucketize(R(b), R(b)), lambda: torch.bucketize(T(b), T(b)))


# ---------------------------------------------------------------- gather, scatter_add
def random_index(rng, in_shape, dim, dtype="int64", smaller=True):
    shape = [int(rng.integers(0 if smaller else 1, s + 1)) if smaller else s for s in in_shape]
    shape[dim] = int(rng.integers(1, 2 * in_shape[dim] + 2))
    return rng.integers(0, in_shape[dim], size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather(dtype):
    rng = np.random.default_rng(500 + DTYPES.index(dtype))
    for shape in [(1,), (7,), (17,), (4, 9), (9, 4), (2, 3, 5), (3, 1, 33)]:
        a = data(rng, shape, dtype, "special")
        for dim in range(-len(shape), len(shape)):
            for index_dtype in ("int64", "int32"):
                idx = random_index(rng, shape, dim, index_dtype)
                what = f"{dtype} shape={shape} dim={dim} index={idx.shape} {index_dtype}"
                exp = torch.gather(T(a), dim, T(idx))
                assert_bits(rt.gather(R(a), dim, R(idx)), exp, what)
                assert_bits(R(a).gather(dim, R(idx)), exp, what)
            if len(shape) == 2:  # transposed views of the input and the index
                idx = np.ascontiguousarray(random_index(rng, shape, dim, smaller=False).T)
                at = np.ascontiguousarray(a.T)
                exp = torch.gather(T(at).transpose(0, 1), dim, T(idx).transpose(0, 1))
                assert_bits(rt.gather(R(at).transpose(0, 1), dim, R(idx).transpose(0, 1)), exp, what + " T")
    a = data(rng, (), dtype, "random")
    assert_bits(rt.gather(R(a), 0, R(np.array(0))), torch.gather(T(a), 0, T(np.array(0))))
    assert_bits(rt.gather(R(a), 0, R(np.zeros(3, np.int64))), torch.gather(T(a), 0, T(np.zeros(3, np.int64))))
    a = data(rng, (2, 3), dtype, "random")
    for idx in (np.zeros((0, 1), np.int64), np.zeros((2, 0), np.int64)):
        assert_bits(rt.gather(R(a), 1, R(idx)), torch.gather(T(a), 1, T(idx)))


def test_gather_errors():
    a = np.arange(6.0).reshape(2, 3)
    for idx, dim in [(np.array([[3]]), 1), (np.array([[-1]]), 1), (np.array([0]), 1),
                     (np.zeros((3, 1), np.int64), 1), (np.zeros((2, 1), np.int64), 2), (np.array([[0.0]]), 1)]:
        expect_error(lambda: rt.gather(R(a), dim, R(idx)), lambda: torch.gather(T(a), dim, T(idx)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter_add(dtype):
    rng = np.random.default_rng(600 + DTYPES.index(dtype))
    for shape in [(1,), (7,), (17,), (4, 9), (9, 4), (2, 3, 5), (3, 1, 33)]:
        # integer-valued data: every order of the additions gives the same sum
        a = data(rng, shape, dtype, "ties" if dtype == "bool" else "random")
        if dtype in FLOATS:
            a = np.round(a)
        for dim in range(-len(shape), len(shape)):
            for index_dtype in ("int64", "int32"):
                idx = random_index(rng, shape, dim, index_dtype)
                src_shape = [s + int(rng.integers(0, 2)) for s in idx.shape]  # src may be larger
                src = np.round(data(rng, src_shape, dtype, "random"))
                src = src.astype(dtype)
                what = f"{dtype} shape={shape} dim={dim} index={idx.shape} {index_dtype}"
                exp = torch.scatter_add(T(a), dim, T(idx), T(src))
                assert_bits(rt.scatter_add(R(a), dim, R(idx), R(src)), exp, what)
                assert_bits(R(a).scatter_add(dim, R(idx), R(src)), exp, what)
        if len(shape) == 2:  # transposed views of the index and the source
            idx = random_index(rng, shape, 1, smaller=False)
            src = np.round(data(rng, idx.shape, dtype, "random")).astype(dtype)
            ic, sc = np.ascontiguousarray(idx.T), np.ascontiguousarray(src.T)
            exp = torch.scatter_add(T(a), 1, T(ic).transpose(0, 1), T(sc).transpose(0, 1))
            got = rt.scatter_add(R(a), 1, R(ic).transpose(0, 1), R(sc).transpose(0, 1))
            assert_bits(got, exp, what + " T")
    a = data(rng, (), dtype, "random")
    s = data(rng, (), dtype, "random")
    assert_bits(rt.scatter_add(R(a), 0, R(np.array(0)), R(s)), torch.scatter_add(T(a), 0, T(np.array(0)), T(s)))


def test_scatter_add_errors():
    a = np.arange(6.0).reshape(2, 3)
    one = np.ones((1, 1))
    for idx, src, dim in [(np.array([[3]]), one, 1), (np.array([[-1]]), one, 1),
                          (np.array([[0, 1, 1, 1]]), np.ones((1, 2)), 1), (np.array([[0]]), one.astype(np.float32), 1),
                          (np.array([[0]]), one, 2), (np.array([0]), one, 1)]:
        expect_error(lambda: rt.scatter_add(R(a), dim, R(idx), R(src)),
                     lambda: torch.scatter_add(T(a), dim, T(idx), T(src)))


# ---------------------------------------------------------------- median, nanmedian
@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("kind", ["random", "ties", "special"])
def test_median(dtype, kind):
    rng = np.random.default_rng(700 + NUMERIC.index(dtype) * 10 + len(kind))
    for a, dim, tr in variants(rng, dtype, kind, sizes=[1, 2, 3, 4, 8, 9, 16, 17, 33, 65, 128, 257, 1000, 4099]):
        r, t = both(a, tr)
        for fn in ("median", "nanmedian"):
            what = f"{fn} {dtype} {kind} shape={a.shape} dim={dim} T={tr}"
            np.testing.assert_array_equal(N(getattr(rt, fn)(r)), N(getattr(torch, fn)(t)), err_msg=what)
            assert getattr(rt, fn)(r).dtype == r.dtype
            np.testing.assert_array_equal(N(getattr(r, fn)()), N(getattr(t, fn)()), err_msg=what)
            for keepdim in (False, True):
                exp = getattr(torch, fn)(t, dim, keepdim)
                got = getattr(rt, fn)(r, dim, keepdim)
                assert type(got).__name__ == fn and type(got).__module__ == "rusttorch.return_types"
                assert_bits(got.values, exp.values, what + f" keepdim={keepdim}")
                assert_bits(got.indices, exp.indices, what + f" keepdim={keepdim}")
            got = getattr(r, fn)(dim=dim, keepdim=True)
            assert_bits(got.indices, getattr(t, fn)(dim=dim, keepdim=True).indices, what)


def test_median_nan_rows():
    rng = np.random.default_rng(701)
    for n in range(1, 21):  # an all-NaN row: torch's nanmedian index comes from std::nth_element
        a = np.full((2, n), NAN, dtype=np.float32)
        a[1, rng.integers(0, n)] = 1.0
        for fn in ("median", "nanmedian"):
            got, exp = getattr(rt, fn)(R(a), 1), getattr(torch, fn)(T(a), 1)
            assert_bits(got.values, exp.values, f"{fn} n={n}")
            assert_bits(got.indices, exp.indices, f"{fn} n={n}")
            np.testing.assert_array_equal(N(getattr(rt, fn)(R(a[0]))), N(getattr(torch, fn)(T(a[0]))))
    a = np.array([[1.0, NAN, 3.0, NAN, 2.0], [NAN, 5.0, 4.0, 0.0, 0.0]])
    for fn in ("median", "nanmedian"):
        for dim in (0, 1):
            got, exp = getattr(rt, fn)(R(a), dim), getattr(torch, fn)(T(a), dim)
            assert_bits(got.values, exp.values)
            assert_bits(got.indices, exp.indices)


def test_median_empty_zero_d_and_errors():
    for dtype in NUMERIC + ["bool"]:
        e = np.zeros(0, dtype=dtype)
        for fn in ("median", "nanmedian"):  # torch: NaN cast to the dtype
            assert_bits(getattr(rt, fn)(R(e)), getattr(torch, fn)(T(e)), f"{fn} empty {dtype}")
    for fn in ("median", "nanmedian"):
        for shape, dim in [((2, 0), 0), ((0, 3), 1)]:
            got, exp = getattr(rt, fn)(R(np.zeros(shape)), dim), getattr(torch, fn)(T(np.zeros(shape)), dim)
            assert_bits(got.values, exp.values)
            assert_bits(got.indices, exp.indices)
            got = getattr(rt, fn)(R(np.zeros(shape)), dim, keepdim=True)
            assert_bits(got.values, getattr(torch, fn)(T(np.zeros(shape)), dim, keepdim=True).values)
        for dim, keepdim in itertools.product((0, -1), (False, True)):
            a = np.float32(2.5)
            got, exp = getattr(rt, fn)(R(a), dim, keepdim), getattr(torch, fn)(T(a), dim, keepdim)
            assert_bits(got.values, exp.values)
            assert_bits(got.indices, exp.indices)
        a = np.arange(6.0).reshape(2, 3)
        for call in (lambda m, x: getattr(m, fn)(x, 2), lambda m, x: getattr(m, fn)(x, -3),
                     lambda m, x: getattr(m, fn)(x, keepdim=True), lambda m, x: getattr(m, fn)(x, None),
                     lambda m, x: getattr(m, fn)(x, 1.0), lambda m, x: getattr(m, fn)(x, 0, True, 3),
                     lambda m, x: getattr(m, fn)(x, dim=0, foo=1)):
            expect_error(lambda: call(rt, R(a)), lambda: call(torch, T(a)))
        expect_error(lambda: getattr(rt, fn)(R(np.zeros((2, 0))), 1),
                     lambda: getattr(torch, fn)(T(np.zeros((2, 0))), 1),
                     match_torch_message=True)
        b = np.array([True, False, True])
        expect_error(lambda: getattr(rt, fn)(R(b)), lambda: getattr(torch, fn)(T(b)), match_torch_message=True)
        expect_error(lambda: getattr(rt, fn)(R(b), 0), lambda: getattr(torch, fn)(T(b), 0), match_torch_message=True)
    assert_bits(rt.median(R(np.arange(6.0).reshape(2, 3)), np.int64(1)).values,
                torch.median(T(np.arange(6.0).reshape(2, 3)), 1).values)


# ---------------------------------------------------------------- quantile, nanquantile
INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]
Q_TOL = {"float32": 2e-6, "float64": 1e-14}  # torch's lerp may fuse (fma) or not


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
def test_quantile(dtype, fn):
    rng = np.random.default_rng(800 + FLOATS.index(dtype) * 2 + (fn == "nanquantile"))
    # q's on the exact ranks of a 5- or 9-element row, and half-way between (nearest: half to even)
    qs = [0.0, 1.0, 0.5, 0.25, 0.125, 0.375, 0.625, 0.875, 0.3, 1 / 3, 0.7, 0.99, 1e-7]
    inputs = [(data(rng, (n,), dtype, kind), None, False) for n in (1, 2, 5, 9, 17, 100)
              for kind in ("random", "special")]
    inputs += [(data(rng, (4, 9), dtype, kind), d, False) for d in (None, 0, 1, -1)
               for kind in ("random", "ties", "special")]
    inputs += [(data(rng, (2, 5, 3), dtype, "special"), d, False) for d in (None, 1, 2)]
    inputs += [(data(rng, (), dtype, "random"), d, False) for d in (None, 0, -1)]
    inputs += [(data(rng, (6, 5), dtype, "special"), d, True) for d in (None, 0, 1)]  # a (5, 6) transposed view
    a = data(rng, (3, 8), dtype, "random")
    a[0] = NAN  # an all-NaN row
    a[1, ::3] = NAN
    inputs += [(a, 1, False), (a, 0, False), (a, None, False)]
    for a, dim, tr in inputs:
        xr, xt = both(a, tr)
        qsets = [q for q in qs] + [np.array(qs[:5], dtype=dtype), np.array(0.4, dtype=dtype), np.zeros(0, dtype=dtype)]
        for q, keepdim, interp in itertools.product(qsets, (False, True), INTERPOLATIONS):
            what = f"{fn} {dtype} shape={a.shape} T={tr} dim={dim} q={q} keepdim={keepdim} {interp}"
            qr, qt = (R(q), T(q)) if isinstance(q, np.ndarray) else (q, q)
            exp = getattr(torch, fn)(xt, qt, dim, keepdim, interpolation=interp)
            got = getattr(rt, fn)(xr, qr, dim, keepdim, interpolation=interp)
            if interp in ("lower", "higher", "nearest", "midpoint"):  # torch's sort may swap -0.0 and +0.0
                assert_values(got, exp, what)
            else:
                scale = float(np.nanmax(np.abs(np.where(np.isinf(a), 0, a)), initial=1.0))
                assert_close(got, exp, Q_TOL[dtype], Q_TOL[dtype] * scale, what)
        got = getattr(R(a), fn)(0.5, dim, keepdim=True)
        assert_close(got, getattr(T(a), fn)(0.5, dim, keepdim=True), Q_TOL[dtype], Q_TOL[dtype] * 100)


def test_quantile_inf_and_defaults():
    a = np.array([1.0, INF, -INF, 2.0, 3.0], dtype=np.float32)
    for q in (0.0, 0.1, 0.5, 0.75, 0.9, 1.0):
        for interp in INTERPOLATIONS:
            assert_bits(rt.quantile(R(a), q, interpolation=interp), torch.quantile(T(a), q, interpolation=interp),
                        f"q={q} {interp}")
            assert_bits(rt.quantile(R(a[[0, 1]]), q, interpolation=interp),
                        torch.quantile(T(a[[0, 1]]), q, interpolation=interp))
    b = np.arange(12.0).reshape(3, 4)
    assert_bits(rt.quantile(R(b), 0.5), torch.quantile(T(b), 0.5))
    assert_bits(rt.quantile(R(b), q=0.5, dim=0), torch.quantile(T(b), q=0.5, dim=0))
    assert_bits(rt.nanquantile(R(b), 1), torch.nanquantile(T(b), 1))
    assert_bits(rt.quantile(R(b), True), torch.quantile(T(b), True))


def test_quantile_errors():
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    q2 = np.array([[0.5]], dtype=np.float32)
    cases = [
        (x, 1.5, {}), (x, -0.1, {}), (x, NAN, {}), (x, INF, {}), (x, 2, {}), (x, -1 + 1e-7, {}),
        (x, np.array([0.5, 1.5], np.float32), {}), (x, np.array([NAN], np.float32), {}),
        (x.astype(np.int64), 0.5, {}), (x, np.array([0.5]), {}), (x, q2, {}), (np.zeros(0, np.float32), 0.5, {}),
        (x, 0.5, {"interpolation": "foo"}), (x, 0.5, {"dim": 1}), (np.zeros((2, 0), np.float32), 0.5, {"dim": 0}),
        (x.astype(np.int64), 1.5, {}), (np.zeros(0, np.int64), 0.5, {}), (x.astype(np.int64), q2, {}),
        (x, np.array([1.5], np.float32), {"interpolation": "foo"}), (x, np.array([1.5], np.float32), {"dim": 3}),
        (x, 0.5, {"dim": 3, "interpolation": "foo"}), (x, np.array([0.5], np.int64), {}),
    ]
    for fn in ("quantile", "nanquantile"):
        for a, q, kw in cases:
            qr, qt = (R(q), T(q)) if isinstance(q, np.ndarray) else (q, q)
            expect_error(lambda: getattr(rt, fn)(R(a), qr, **kw), lambda: getattr(torch, fn)(T(a), qt, **kw),
                         match_torch_message=True)
        for q in ([0.5], None, "0.5"):
            expect_error(lambda: getattr(rt, fn)(R(x), q), lambda: getattr(torch, fn)(T(x), q))
        expect_error(lambda: getattr(rt, fn)(R(x), 0.5, 0, True, "linear"),
                     lambda: getattr(torch, fn)(T(x), 0.5, 0, True, "linear"))


# ---------------------------------------------------------------- mode
@pytest.mark.parametrize("dtype", DTYPES)
def test_mode(dtype):
    rng = np.random.default_rng(900 + DTYPES.index(dtype))
    cases = []
    for n in [1, 2, 3, 5, 8, 15, 16, 17, 31, 64, 200, 1000]:
        for hi in (2, 4, 50):
            a = rng.integers(0, hi, size=n) - hi // 2
            cases.append((a.astype(dtype) if dtype != "bool" else a > 0, -1, False))
    for n in (5, 16, 40):
        a = rng.integers(-2, 3, size=(3, n))
        a = a.astype(dtype) if dtype != "bool" else a > 0
        cases += [(a, 1, False), (a, 0, False), (a, 0, True), (a, 1, True)]
    if dtype in FLOATS:  # -0.0 and +0.0 are one value (torch's ==)
        cases.append((np.array([0.0, -0.0, 1.0, 1.0, -0.0, 2.0, INF, INF, INF, -INF], dtype=dtype), 0, False))
    cases.append((np.ones((), dtype=dtype), 0, False))
    for a, dim, tr in cases:
        r, t = both(a, tr)
        size = (a.shape[1 - (dim % 2)] if tr else a.shape[dim]) if a.ndim else 1
        for keepdim in (False, True):
            what = f"{dtype} shape={a.shape} dim={dim} T={tr} keepdim={keepdim}"
            exp = torch.mode(t, dim, keepdim)
            got = rt.mode(r, dim, keepdim)
            assert type(got).__name__ == "mode" and type(got).__module__ == "rusttorch.return_types"
            np.testing.assert_array_equal(N(got.values), N(exp.values), err_msg=what)
            assert_selects(r, dim, got.values, got.indices, what)
            if size <= 16:  # torch's std::sort is an insertion sort there: the last occurrence
                assert_bits(got.indices, exp.indices, what)
            else:  # rusttorch: always the last occurrence
                rows = np.moveaxis(N(r), dim, -1)
                v = N(got.values if not keepdim else got.values.squeeze(dim))
                last = rows.shape[-1] - 1 - np.argmax((rows == v[..., None])[..., ::-1], axis=-1)
                np.testing.assert_array_equal(N(got.indices if not keepdim else got.indices.squeeze(dim)), last,
                                              err_msg=what)
    a = np.array([[1, 2, 2], [3, 3, 1]])
    assert_bits(rt.mode(R(a)).values, torch.mode(T(a)).values)
    assert_bits(R(a).mode(0).indices, T(a).mode(0).indices)


def test_mode_empty_and_errors():
    got, exp = rt.mode(R(np.zeros((2, 0))), 0), torch.mode(T(np.zeros((2, 0))), 0)
    assert_bits(got.values, exp.values)
    assert_bits(got.indices, exp.indices)
    expect_error(lambda: rt.mode(R(np.zeros(0))), lambda: torch.mode(T(np.zeros(0))), match_torch_message=True)
    expect_error(lambda: rt.mode(R(np.zeros((2, 0))), 1),
                 lambda: torch.mode(T(np.zeros((2, 0))), 1), match_torch_message=True)
    expect_error(lambda: rt.mode(R(np.ones((2, 3))), 5),
                 lambda: torch.mode(T(np.ones((2, 3))), 5), match_torch_message=True)
    expect_error(lambda: rt.mode(R(np.ones(3)), 0.5), lambda: torch.mode(T(np.ones(3)), 0.5))


# ---------------------------------------------------------------- unique, unique_consecutive
def check_arity(got, exp, what):
    """The same result arity (a tensor or a tuple) and values; a unique value of -0.0 and +0.0 may be either
    (torch's is the first of its unstable sort)."""
    if isinstance(exp, torch.Tensor):
        assert isinstance(got, rt.Tensor), what
        got, exp = (got,), (exp,)
    assert isinstance(got, tuple) and len(got) == len(exp), (what, type(got))
    for g, e in zip(got, exp):
        assert_values(g, e, what)


def check_unique(got, exp, a, what):
    """unique(..., return_inverse=True) against torch: each NaN is a value of its own, and torch numbers
    them in the order of its unstable sort; rusttorch's NaNs keep their order. So at the NaNs, the
    inverse must give the same set of indices (and point at NaNs)."""
    nan = np.isnan(a) if a.dtype.kind == "f" else np.zeros(a.shape, bool)
    if not nan.any():
        return check_arity(got, exp, what)
    gi, ei = N(got[1]), N(exp[1])
    np.testing.assert_array_equal(gi[~nan], ei[~nan], err_msg=what)
    assert sorted(gi[nan].tolist()) == sorted(ei[nan].tolist()), what
    assert np.isnan(N(got[0])[gi[nan]]).all(), what
    check_arity(got[:1] + got[2:], exp[:1] + exp[2:], what)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unique_flat(dtype):
    rng = np.random.default_rng(1000 + DTYPES.index(dtype))
    cases = [data(rng, (n,), dtype, kind) for n in (1, 2, 7, 8, 9, 16, 17, 64, 65, 1000, 4099)
             for kind in ("random", "ties", "special", "wide")]
    cases += [data(rng, (3, 5, 4), dtype, "ties"), data(rng, (), dtype, "random"), np.zeros((0,), dtype=dtype),
              np.zeros((2, 0, 3), dtype=dtype)]
    for a in cases:
        for sorted_, inverse, counts in itertools.product((True, False), (False, True), (False, True)):
            what = f"{dtype} shape={a.shape} sorted={sorted_} inverse={inverse} counts={counts}"
            exp = torch.unique(T(a), sorted=sorted_, return_inverse=inverse, return_counts=counts)
            got = rt.unique(R(a), sorted=sorted_, return_inverse=inverse, return_counts=counts)
            (check_unique if inverse else check_arity)(*((got, exp, a, what) if inverse else (got, exp, what)))
            exp = torch.unique_consecutive(T(a), return_inverse=inverse, return_counts=counts)
            got = rt.unique_consecutive(R(a), return_inverse=inverse, return_counts=counts)
            check_arity(got, exp, "consecutive " + what)
        check_unique(R(a).unique(True, True, True), T(a).unique(True, True, True), a, what)
        check_arity(R(a).unique_consecutive(True, True), T(a).unique_consecutive(True, True), what)
    b = data(rng, (6, 9), dtype, "ties")  # transposed views
    check_unique(rt.unique(R(b).transpose(0, 1), return_inverse=True, return_counts=True),
                 torch.unique(T(b).transpose(0, 1), return_inverse=True, return_counts=True), b.T, "T")
    check_arity(rt.unique_consecutive(R(b).transpose(0, 1), return_inverse=True, return_counts=True),
                torch.unique_consecutive(T(b).transpose(0, 1), return_inverse=True, return_counts=True), "T")
    check_unique(rt.unique(R(b), True, True), torch.unique(T(b), True, True), b, "positional")


def test_unique_composed_path(monkeypatch):
    """unique(dim=None) composed from _sort_values and _unique_consecutive_flat (a build without
    _C._unique_flat) gives the same results."""
    rng = np.random.default_rng(1050)
    cases = [(dt, data(rng, shape, dt, kind)) for dt in DTYPES for shape in [(0,), (), (9,), (3, 40), (5000,)]
             for kind in ("ties", "wide")]
    expected = [[rt.unique(R(a), return_inverse=i, return_counts=c) for i, c in itertools.product((0, 1), (0, 1))]
                for _, a in cases]
    if hasattr(rt._C, "_unique_flat"):
        monkeypatch.delattr(rt._C, "_unique_flat")
    for (dt, a), exp in zip(cases, expected):
        for (i, c), e in zip(itertools.product((0, 1), (0, 1)), exp):
            got = rt.unique(R(a), return_inverse=i, return_counts=c)
            got, e = (got, e) if isinstance(got, tuple) else ((got,), (e,))
            assert len(got) == len(e)
            for g, x in zip(got, e):
                assert g.dtype == x.dtype and tuple(g.shape) == tuple(x.shape), (dt, a.shape, i, c)
                np.testing.assert_array_equal(N(g), N(x), err_msg=f"{dt} {a.shape} {i} {c}")
        check_unique(rt.unique(R(a), return_inverse=True, return_counts=True),
                     torch.unique(T(a), return_inverse=True, return_counts=True), a, f"composed {dt}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_unique_dim(dtype):
    rng = np.random.default_rng(1100 + DTYPES.index(dtype))
    kind = "ties" if dtype in ("bool", "int32", "int64") else "random"
    cases = []
    for shape in [(1,), (9,), (6, 3), (3, 6), (8, 2, 3), (2, 3, 2), (40, 2)]:
        a = data(rng, shape, dtype, kind)
        if dtype in FLOATS:  # few distinct values, no NaN (torch orders NaN slices arbitrarily)
            a = rng.choice(np.array([-1.5, 0.0, 2.0], dtype=dtype), size=shape)
        if len(shape) > 1:
            a = np.concatenate([a, a[:1]], axis=0)  # a repeated slice
        cases += [(a, d) for d in range(-len(shape), len(shape))]
    cases += [(np.zeros((0, 3), dtype=dtype), 0), (np.zeros((2, 0, 3), dtype=dtype), 1)]
    for a, d in cases:
        for inverse, counts in itertools.product((False, True), (False, True)):
            what = f"{dtype} shape={a.shape} dim={d} inverse={inverse} counts={counts}"
            exp = torch.unique(T(a), sorted=True, return_inverse=inverse, return_counts=counts, dim=d)
            got = rt.unique(R(a), return_inverse=inverse, return_counts=counts, dim=d)
            check_arity(got, exp, what)
            got = rt.unique(R(a), sorted=False, return_inverse=inverse, return_counts=counts, dim=d)
            check_arity(got, exp, what + " sorted=False")
            exp = torch.unique_consecutive(T(a), return_inverse=inverse, return_counts=counts, dim=d)
            got = rt.unique_consecutive(R(a), return_inverse=inverse, return_counts=counts, dim=d)
            check_arity(got, exp, "consecutive " + what)
        check_arity(R(a).unique(dim=d, return_counts=True), T(a).unique(dim=d, return_counts=True), what)
        check_arity(R(a).unique_consecutive(dim=d), T(a).unique_consecutive(dim=d), what)
    a = data(rng, (5, 4), dtype, kind)
    check_arity(rt.unique(R(a).transpose(0, 1), dim=1, return_inverse=True),
                torch.unique(T(a).transpose(0, 1), dim=1, return_inverse=True), "T")


def test_unique_nan_and_signed_zero():
    a = np.array([3.0, NAN, 1.0, NAN, -0.0, 0.0, INF, -0.0, NAN, 1.0], dtype=np.float32)
    for inverse, counts in itertools.product((False, True), (False, True)):
        exp = torch.unique(T(a), return_inverse=inverse, return_counts=counts)  # each NaN is its own value
        got = rt.unique(R(a), return_inverse=inverse, return_counts=counts)
        got, exp = (got, exp) if isinstance(got, tuple) else ((got,), (exp,))
        for g, e in zip(got, exp):
            np.testing.assert_array_equal(N(g), N(e))  # -0.0 or +0.0: either is torch's == value
        exp = torch.unique_consecutive(T(a), return_inverse=inverse, return_counts=counts)
        check_arity(rt.unique_consecutive(R(a), return_inverse=inverse, return_counts=counts), exp, "consecutive")


def test_unique_errors():
    a = np.ones((2, 3))
    for fn in ("unique", "unique_consecutive"):
        for x, kw in [(np.float32(3), {"dim": 0}), (a, {"dim": 2}), (a, {"dim": -3}), (np.zeros((3, 0)), {"dim": 0}),
                      (np.zeros((0, 0)), {"dim": 0}), (np.zeros((0, 3)), {"dim": 1}), (a, {"dim": 0.0})]:
            expect_error(lambda: getattr(rt, fn)(R(x), **kw), lambda: getattr(torch, fn)(T(x), **kw),
                         match_torch_message=True)
    expect_error(lambda: rt.unique(R(a), dim=True), lambda: torch.unique(T(a), dim=True), match_torch_message=True)


def test_int_arguments_refuse_bool_and_float():
    """torch's parser refuses a bool (or a float) where it takes an int (dim, k)."""
    x = np.arange(6.0).reshape(2, 3)
    i = np.zeros((2, 1), np.int64)
    calls = {
        "sort dim=True": lambda m, X, I: m.sort(X, True),
        "argsort dim=True": lambda m, X, I: m.argsort(X, True),
        "topk dim=True": lambda m, X, I: m.topk(X, 1, True),
        "topk k=True": lambda m, X, I: m.topk(X, True),
        "kthvalue dim=True": lambda m, X, I: m.kthvalue(X, 1, True),
        "gather dim=True": lambda m, X, I: m.gather(X, True, I),
        "scatter_add dim=True": lambda m, X, I: m.scatter_add(X, True, I, X),
        "sort dim=1.0": lambda m, X, I: m.sort(X, 1.0),
        "topk k=1.0": lambda m, X, I: m.topk(X, 1.0),
        "kthvalue k=1.0": lambda m, X, I: m.kthvalue(X, 1.0),
        "median dim=True": lambda m, X, I: m.median(X, True),
        "nanmedian dim=True": lambda m, X, I: m.nanmedian(X, True),
        "mode dim=True": lambda m, X, I: m.mode(X, True),
    }
    failures = []
    for name, call in calls.items():
        try:
            expect_error(lambda: call(rt, R(x), R(i)), lambda: call(torch, T(x), T(i)))
        except BaseException as e:  # noqa: BLE001  (collect them all, then report)
            failures.append(f"{name}: {type(e).__name__} {e}".splitlines()[0])
    assert not failures, failures


# ---------------------------------------------------------------- large rows, threads, ISAs
def big_inputs():
    rng = np.random.default_rng(1234)
    f = rng.standard_normal(BIG).astype(np.float32)
    f[rng.integers(0, BIG, 500)] = NAN
    f[rng.integers(0, BIG, 500)] = -0.0
    i = rng.integers(-1000, 1000, BIG).astype(np.int64)
    d = np.round(rng.standard_normal((2, BIG // 2)) * 100).astype(np.float64)
    return f, i, d


def big_results(f, i, d):
    """Every op on the large rows, as numpy arrays."""
    F, I, D = R(f), R(i), R(d)
    out = {}
    for name, x in (("f", F), ("i", I), ("d", D)):
        s = rt.sort(x, stable=True)
        out[name + ".sort"] = (N(s.values), N(s.indices))
        out[name + ".sort.desc"] = tuple(N(t) for t in rt.sort(x, descending=True))
        out[name + ".argsort"] = N(rt.argsort(x, stable=True))
        out[name + ".topk"] = tuple(N(t) for t in rt.topk(x, 1000))
        out[name + ".topk.small"] = tuple(N(t) for t in rt.topk(x, 77, largest=False, sorted=True))
        out[name + ".kth"] = tuple(N(t) for t in rt.kthvalue(x, x.shape[-1] // 3))
        out[name + ".median"] = tuple(N(t) for t in rt.median(x, -1))
        out[name + ".nanmedian"] = tuple(N(t) for t in rt.nanmedian(x, -1))
        out[name + ".median.all"] = N(rt.median(x))
        out[name + ".unique"] = tuple(N(t) for t in rt.unique(x, return_inverse=True, return_counts=True))
        out[name + ".unique.counts"] = tuple(N(t) for t in rt.unique(x, return_counts=True))
        out[name + ".mode"] = tuple(N(t) for t in rt.mode(x))
    bounds = rt.sort(R(np.where(np.isnan(f), INF, f))).values  # no NaN boundary: see test_searchsorted_nan_boundaries
    out["searchsorted"] = N(rt.searchsorted(bounds, F, right=True))
    out["searchsorted.i"] = N(rt.searchsorted(rt.sort(I).values, I))
    out["bucketize"] = N(rt.bucketize(D, rt.sort(D[0]).values))
    perm = rt.argsort(F)
    out["gather"] = N(F.gather(0, perm))
    out["scatter_add"] = N(rt.zeros(2000, dtype=rt.int64).scatter_add(0, I + 1000, I))
    for interp in INTERPOLATIONS:
        out["quantile." + interp] = N(rt.quantile(D, R(np.array([0.1, 0.5, 0.9])), 1, interpolation=interp))
        out["nanquantile." + interp] = N(rt.nanquantile(F, 0.3, interpolation=interp))
    return out


def compare_results(a, b):
    assert a.keys() == b.keys()
    for k in a:
        for x, y in zip(a[k] if isinstance(a[k], tuple) else (a[k],), b[k] if isinstance(b[k], tuple) else (b[k],)):
            assert x.dtype == y.dtype and x.shape == y.shape, k
            if x.dtype.kind == "f":  # the same bits (NaN payloads aside)
                x, y = x.reshape(-1), y.reshape(-1)
                same = (x.view(np.uint8).reshape(x.size, -1) == y.view(np.uint8).reshape(y.size, -1)).all(-1)
                assert (same | (np.isnan(x) & np.isnan(y))).all(), k
            else:
                np.testing.assert_array_equal(x, y, err_msg=k)


def test_large_rows_against_torch_and_threads():
    f, i, d = big_inputs()
    with threads(1):
        one = big_results(f, i, d)
    for n in (2, 7):
        with threads(n):
            compare_results(big_results(f, i, d), one)
    for name, a in (("f", f), ("i", i), ("d", d)):
        t = T(a)
        s = torch.sort(t, stable=True)
        np.testing.assert_array_equal(one[name + ".sort"][0], N(s.values), err_msg=name)
        np.testing.assert_array_equal(one[name + ".sort"][1], N(s.indices), err_msg=name)
        np.testing.assert_array_equal(one[name + ".sort.desc"][1],
                                      N(torch.sort(t, descending=True, stable=True).indices))
        np.testing.assert_array_equal(one[name + ".topk"][0], N(torch.topk(t, 1000).values))
        np.testing.assert_array_equal(one[name + ".topk.small"][0], N(torch.topk(t, 77, largest=False).values))
        np.testing.assert_array_equal(one[name + ".kth"][0], N(torch.kthvalue(t, t.shape[-1] // 3).values))
        for fn in ("median", "nanmedian"):
            e = getattr(torch, fn)(t, -1)
            np.testing.assert_array_equal(one[name + "." + fn][0], N(e.values), err_msg=name + fn)
            np.testing.assert_array_equal(one[name + "." + fn][1], N(e.indices), err_msg=name + fn)
        np.testing.assert_array_equal(one[name + ".median.all"], N(torch.median(t)))
        got = tuple(R(x) for x in one[name + ".unique"])
        check_unique(got, torch.unique(t, return_inverse=True, return_counts=True), a, name + " unique")
        check_arity(tuple(R(x) for x in one[name + ".unique.counts"]), torch.unique(t, return_counts=True), name)
        np.testing.assert_array_equal(one[name + ".mode"][0], N(torch.mode(t).values))
    bounds = torch.sort(T(np.where(np.isnan(f), INF, f))).values
    np.testing.assert_array_equal(one["searchsorted"], N(torch.searchsorted(bounds, T(f), right=True)))
    np.testing.assert_array_equal(one["bucketize"], N(torch.bucketize(T(d), torch.sort(T(d[0])).values)))
    for interp in ("lower", "higher", "nearest", "midpoint"):
        np.testing.assert_array_equal(one["quantile." + interp],
                                      N(torch.quantile(T(d), T(np.array([0.1, 0.5, 0.9])), 1, interpolation=interp)))
        np.testing.assert_array_equal(one["nanquantile." + interp],
                                      N(torch.nanquantile(T(f), 0.3, interpolation=interp)))


def isa_battery(rng):
    for dtype in DTYPES:
        for n in (1, 7, 8, 9, 16, 17, 33, 64, 65, 129, 257, 1000, 4099, 70_000):
            a = data(rng, (n,), dtype, "ties" if n % 2 else "special")
            r, t = R(a), T(a)
            what = f"{rt.backends.cpu.get_cpu_capability()} {dtype} n={n}"
            for descending in (False, True):
                s, e = rt.sort(r, descending=descending), torch.sort(t, descending=descending, stable=True)
                assert_bits(s.values, e.values, what)
                assert_bits(s.indices, e.indices, what)
            assert_values(rt._C._sort_values(r), torch.sort(t).values, what + " _sort_values")
            assert_values(rt._C._sort_values(r, descending=True), torch.sort(t, descending=True).values, what)
            check_arity(rt.unique(r, return_counts=True), torch.unique(t, return_counts=True), what + " unique")
            if dtype == "bool":
                continue
            k = max(1, n // 3)
            np.testing.assert_array_equal(N(rt.topk(r, k).values), N(torch.topk(t, k).values), err_msg=what)
            kv = rt.kthvalue(r, k)
            np.testing.assert_array_equal(N(kv.values), N(torch.kthvalue(t, k).values), err_msg=what)
            assert_selects(r, -1, kv.values, kv.indices, what)
            assert_bits(rt.median(r, 0).indices, torch.median(t, 0).indices, what)
            np.testing.assert_array_equal(N(rt.median(r)), N(torch.median(t)), err_msg=what)
            srt = np.sort(a[~np.isnan(a)]) if dtype in FLOATS else np.sort(a)  # see test_searchsorted_nan_boundaries
            assert_bits(rt.searchsorted(R(srt), r), torch.searchsorted(T(srt), t), what)
            assert_bits(rt.searchsorted(R(srt), r, right=True), torch.searchsorted(T(srt), t, right=True), what)


@pytest.mark.parametrize("name", ISAS)
def test_every_isa(name):
    with isa(name):
        isa_battery(np.random.default_rng(77))


def test_sort_target_follows_isa():
    expected = {"scalar": {"EMU128"}, "sse42": {"SSE4", "SSSE3"}, "avx2": {"AVX2"}, "avx512": {"AVX3"},
                "neon": {"NEON"}}
    for name in ISAS:
        with isa(name):
            assert rt._C._sort_target() in expected.get(name, {rt._C._sort_target()}), (name, rt._C._sort_target())


# ---------------------------------------------------------------- autograd
def test_grad_sort_topk_kthvalue():
    rng = np.random.default_rng(1300)
    a = distinct(rng, (4, 9))
    for dim, desc in itertools.product((0, 1, -1), (False, True)):
        grad_pair(a, lambda x: rt.sort(x, dim, desc).values, lambda x: torch.sort(x, dim, desc).values, f"sort {dim}")
        grad_pair(a,
                  lambda x: x.sort(dim, stable=True).values,
                                   lambda x: x.sort(dim=dim, stable=True).values, f"sort {dim}")
        for k, largest, sorted_ in itertools.product((1, 3), (True, False), (True, False)):
            grad_pair(a, lambda x: rt.topk(x, k, dim, largest, sorted_).values.sum(dim),
                      lambda x: torch.topk(x, k, dim, largest, sorted_).values.sum(dim), f"topk {dim} {k}")
            grad_pair(a, lambda x: rt.topk(x, k, dim, largest, True).values,
                      lambda x: torch.topk(x, k, dim, largest, True).values, f"topk {dim} {k}")
        for k, keepdim in itertools.product((1, 2, 4), (False, True)):
            grad_pair(a, lambda x: rt.kthvalue(x, k, dim, keepdim).values,
                      lambda x: torch.kthvalue(x, k, dim, keepdim).values, f"kthvalue {dim} {k}")
    grad_pair(a.astype(np.float32), lambda x: rt.msort(x), lambda x: torch.msort(x), "msort")
    # ties with a stable sort: the gradients follow torch's stable indices
    t = tie_array(rng, (3, 20), "float64")
    t[np.isnan(t) | np.isinf(t)] = 4.0
    grad_pair(t,
              lambda x: rt.sort(x, 1, stable=True).values, lambda x: torch.sort(x, dim=1, stable=True).values, "ties")


def test_grad_gather_scatter_add():
    rng = np.random.default_rng(1301)
    a = rng.standard_normal((4, 6))
    idx = rng.integers(0, 6, size=(4, 9))  # repeated indices: gather's gradient accumulates
    grad_pair(a, lambda x: rt.gather(x, 1, R(idx)), lambda x: torch.gather(x, 1, T(idx)), "gather")
    idx0 = rng.integers(0, 4, size=(7, 6))
    grad_pair(a, lambda x: x.gather(0, R(idx0)), lambda x: x.gather(0, T(idx0)), "gather 0")
    src = rng.standard_normal((4, 5))
    sidx = rng.integers(0, 6, size=(4, 5))
    grad_pair(a,
              lambda x: rt.scatter_add(x, 1, R(sidx), R(src)), lambda x: torch.scatter_add(x, 1, T(sidx), T(src)), "sa")
    grad_pair(src,
              lambda s: rt.scatter_add(R(a), 1, R(sidx), s), lambda s: torch.scatter_add(T(a), 1, T(sidx), s), "src")
    # src larger than index: torch's backward refuses it (a gradient of the index's shape);
    # rusttorch gives the indexed part the gradient and the rest zeros
    big = R(rng.standard_normal((4, 8)), True)
    w = rng.standard_normal((4, 6))
    (R(a).scatter_add(1, R(sidx), big) * R(w)).sum().backward()
    expect = np.zeros((4, 8))
    expect[:, :5] = np.take_along_axis(w, sidx, 1)
    np.testing.assert_allclose(N(big.grad), expect, rtol=1e-12)


def test_grad_median_nanmedian_mode():
    rng = np.random.default_rng(1302)
    a = distinct(rng, (5, 8))
    t = tie_array(rng, (5, 8), "float64")
    t[np.isinf(t)] = 3.0
    tn = t.copy()
    tn[np.isnan(tn)] = 0.0
    for x in (a, t, tn):
        for fn in ("median", "nanmedian"):
            # global: torch spreads the gradient evenly over the elements equal to the median (NaN: the NaNs)
            grad_pair(x, lambda v: getattr(rt, fn)(v), lambda v: getattr(torch, fn)(v), f"{fn} all")
            for dim, keepdim in itertools.product((0, 1, -1), (False, True)):
                grad_pair(x, lambda v: getattr(rt, fn)(v, dim, keepdim).values,
                          lambda v: getattr(torch, fn)(v, dim, keepdim).values, f"{fn} {dim}")
    m = rng.integers(0, 3, size=(4, 12)).astype(np.float64)  # rows of <= 16: torch's mode index is defined
    for dim in (0, 1):
        grad_pair(m, lambda v: rt.mode(v, dim).values, lambda v: torch.mode(v, dim).values, f"mode {dim}")
    grad_pair(np.float64(2.5), lambda v: rt.median(v), lambda v: torch.median(v), "0-d")
    grad_pair(np.float64(2.5), lambda v: rt.median(v, 0).values, lambda v: torch.median(v, 0).values, "0-d dim")


def test_grad_quantile():
    rng = np.random.default_rng(1303)
    a = distinct(rng, (4, 7))
    an = a.copy()
    an[1, 2] = NAN
    an[3, :] = NAN
    q1 = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    for x, fn in ((a, "quantile"), (a, "nanquantile"), (an, "nanquantile"), (an, "quantile")):
        for q, dim, keepdim, interp in itertools.product((0.3, 0.5, q1), (None, 0, 1), (False, True), INTERPOLATIONS):
            qr, qt = (R(q), T(q)) if isinstance(q, np.ndarray) else (q, q)
            grad_pair(x, lambda v: getattr(rt, fn)(v, qr, dim, keepdim, interpolation=interp),
                      lambda v: getattr(torch, fn)(v, qt, dim, keepdim, interpolation=interp),
                      f"{fn} q={q} dim={dim} {interp}")
    # the gradient with respect to q (linear: through the weights)
    qq = np.array([0.1, 0.45, 0.8])
    qr, qt = R(qq, True), T(qq, True)
    rt.quantile(R(a), qr, 1).sum().backward()
    torch.quantile(T(a), qt, 1).sum().backward()
    np.testing.assert_allclose(N(qr.grad), N(qt.grad), rtol=1e-10)


def test_gradcheck():
    rng = np.random.default_rng(1304)
    gc = rt.autograd.gradcheck
    a = R(distinct(rng, (3, 4)), True)
    idx = R(rng.integers(0, 4, size=(3, 5)))
    sidx = R(rng.integers(0, 3, size=(2, 4)))
    src = R(rng.standard_normal((2, 4)), True)
    checks = {
        "sort": lambda x: rt.sort(x, 1).values,
        "sort desc": lambda x: rt.sort(x, 0, descending=True).values,
        "msort": lambda x: rt.msort(x),
        "topk": lambda x: rt.topk(x, 2, 1).values,
        "topk small": lambda x: rt.topk(x, 2, 0, largest=False, sorted=False).values,
        "kthvalue": lambda x: rt.kthvalue(x, 2, 1, True).values,
        "gather": lambda x: rt.gather(x, 1, idx),
        "median": lambda x: rt.median(x),
        "median dim": lambda x: rt.median(x, 0).values,
        "nanmedian dim": lambda x: rt.nanmedian(x, 1).values,
        "mode": lambda x: rt.mode(x, 1).values,
        "quantile": lambda x: rt.quantile(x, R(np.array([0.2, 0.7])), 1),
        "quantile all": lambda x: rt.quantile(x, 0.4),
        "nanquantile midpoint": lambda x: rt.nanquantile(x, 0.5, 0, interpolation="midpoint"),
        "quantile nearest": lambda x: rt.quantile(x, 0.3, 1, interpolation="nearest"),
    }
    for name, f in checks.items():
        assert gc(f, (a,), eps=1e-6, atol=1e-6, rtol=1e-4), name
    assert gc(lambda x, s: rt.scatter_add(x, 0, sidx, s), (a, src), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_no_grad_results():
    x = R(np.array([3.0, 1.0, 2.0, 1.0]), True)
    for out in (rt.unique(x), rt.unique_consecutive(x), rt.sort(x).indices, rt.argsort(x), rt.topk(x, 2).indices,
                rt.searchsorted(x.detach(), x), rt.bucketize(x, rt.tensor([1.0, 2.0])), rt.median(x, 0).indices):
        assert not out.requires_grad
    for out in (rt.median(x), rt.nanmedian(x, 0).values, rt.quantile(x, 0.5), rt.mode(x).values, rt.sort(x).values):
        assert out.requires_grad
    with rt.no_grad():
        assert not rt.median(x).requires_grad


def test_exports():
    for name in ("median", "nanmedian", "quantile", "nanquantile", "mode", "unique", "unique_consecutive"):
        assert name in rt.__all__ and callable(getattr(rt, name)) and callable(getattr(rt.Tensor, name)), name
    assert re.match(r"<function", repr(rt.Tensor.median))
