"""NumPy's protocols on rusttorch.Tensor (NEP 13 __array_ufunc__, NEP 18
__array_function__): results are tensors with NumPy's values and dtypes, on
random data against NumPy itself. Native paths are checked to be native
(fallback_counts), the fallback to be NumPy's answer."""
from __future__ import annotations

import numpy as np
import pytest

import rusttorch as rt
from rusttorch._numpy_protocol import fallback_counts

RNG = np.random.default_rng(1234)
DTYPES = [np.float32, np.float64, np.int32, np.int64, np.bool_]


def sample(shape, dtype, rng=RNG):
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind == "i":
        return rng.integers(-50, 50, size=shape).astype(dtype)
    return (rng.standard_normal(shape) * 3).astype(dtype)


def tol(dtype):
    return dict(rtol=2e-6, atol=1e-6) if np.dtype(dtype) == np.float32 else dict(rtol=1e-12, atol=1e-12)


RT_DTYPES = {np.dtype(d) for d in DTYPES}


def check(got, want, native=True, before=None, **kw):
    want = np.asarray(want)
    if want.dtype in RT_DTYPES:
        assert isinstance(got, rt.Tensor), type(got)
        g = got.numpy()
    else:  # a dtype rusttorch lacks (int8, float16...): NumPy's own array
        assert isinstance(got, np.ndarray), type(got)
        g = got
    assert g.dtype == want.dtype, (g.dtype, want.dtype)
    assert g.shape == want.shape, (g.shape, want.shape)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(g, want, equal_nan=True, **(kw or tol(want.dtype)))
    else:
        np.testing.assert_array_equal(g, want)
    if native and before is not None:
        assert fallback_counts == before, f"fell back to NumPy: {dict(fallback_counts - before)}"


def snap():
    return fallback_counts.copy()


# ---------------------------------------------------------------- dtypes
def test_dtypes_are_numpy_compatible_and_stay_torch_like():
    for r, n in [(rt.float32, np.float32), (rt.float64, np.float64), (rt.int32, np.int32),
                 (rt.int64, np.int64), (rt.bool, np.bool_)]:
        nd = np.dtype(n)
        assert np.dtype(r) == nd and r == nd and nd == r and r == n
        assert hash(r) == hash(nd) and {nd: 1}[r] == 1
        assert (r.kind, r.char, r.itemsize, r.type, r.name, r.str) == (nd.kind, nd.char, nd.itemsize, nd.type,
                                                                      nd.name, nd.str)
        assert repr(r).startswith("rusttorch.")
    assert rt.float32 != rt.float64 and rt.float32 != np.float64 and rt.float32 != None  # noqa: E711
    assert rt.zeros(2).dtype == rt.float32 and str(rt.float32) == "rusttorch.float32"
    assert np.zeros(2, dtype=rt.int32).dtype == np.int32
    assert np.result_type(rt.int32, rt.float32) == np.float64  # NumPy's rule, not torch's
    # dtype= of the native functions takes NumPy dtypes too; strings stay refused as in torch
    assert rt.zeros(2, dtype=np.float64).dtype == rt.float64 and rt.ones(2).sum(dtype=np.dtype("f8")).dtype == rt.float64
    with pytest.raises(TypeError):
        rt.zeros(2, dtype="float32")


def test_array_attributes():
    t = rt.from_numpy(sample((3, 4), np.float32))
    assert t.ndim == 2 and t.nbytes == 48 and t.__array_priority__ > 0
    a = np.asarray(t)
    assert np.shares_memory(a, t.numpy()) and a.dtype == np.float32


@pytest.mark.parametrize("src", DTYPES)
@pytest.mark.parametrize("dst", DTYPES + [np.float16, np.uint8])
def test_astype(src, dst):
    a = sample((5, 3), src)
    t = rt.from_numpy(a.copy())
    got = t.astype(dst)
    want = a.astype(dst)
    if np.dtype(dst) in (np.float16, np.uint8):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype  # dtypes rusttorch lacks: NumPy arrays
        np.testing.assert_array_equal(got, want)
    else:
        check(got, want)
        assert got.data_ptr() != t.data_ptr()
    assert t.astype(t.dtype, copy=False) is t
    if np.dtype(src) == np.float64 and np.dtype(dst) == np.int32:
        with pytest.raises(TypeError):
            t.astype(dst, casting="safe")


# ---------------------------------------------------------------- ufuncs
BINARY = [np.add, np.subtract, np.multiply, np.true_divide, np.maximum, np.minimum, np.equal, np.not_equal,
          np.less, np.less_equal, np.greater, np.greater_equal, np.logical_and, np.logical_or, np.logical_xor,
          np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.fmod, np.power]
UNARY = [np.negative, np.absolute, np.logical_not, np.invert, np.exp, np.expm1, np.log, np.log1p, np.log2,
         np.sqrt, np.sin, np.cos, np.tanh]


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", [np.float32, np.int32, np.int64, np.bool_])
def test_binary_ufuncs_match_numpy(ufunc, da, db):
    a, b = sample((4, 5), da), sample((5,), db)
    if ufunc in (np.fmod, np.true_divide) and np.dtype(db).kind != "f":
        b = np.where(b == 0, 1, b).astype(db)
    try:
        with np.errstate(all="ignore"):
            want = ufunc(a, b)
    except (TypeError, ValueError) as e:  # no loop: rusttorch must raise the same
        with pytest.raises(type(e)):
            ufunc(rt.from_numpy(a.copy()), rt.from_numpy(b.copy()))
        return
    with np.errstate(all="ignore"):
        got = ufunc(rt.from_numpy(a.copy()), rt.from_numpy(b.copy()))
        mixed = ufunc(rt.from_numpy(a.copy()), b)  # tensor and ndarray
    kw = dict(rtol=1e-5, atol=1e-6) if ufunc is np.power else {}
    check(got, want, **kw)
    check(mixed, want, **kw)


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
@pytest.mark.parametrize("dt", DTYPES)
def test_unary_ufuncs_match_numpy(ufunc, dt):
    a = sample((3, 7), dt)
    if ufunc in (np.log, np.log2, np.sqrt, np.log1p) and np.dtype(dt).kind == "f":
        a = np.abs(a)
    try:
        with np.errstate(all="ignore"):
            want = ufunc(a)
    except TypeError:
        with pytest.raises(TypeError):
            ufunc(rt.from_numpy(a.copy()))
        return
    with np.errstate(all="ignore"):
        got = ufunc(rt.from_numpy(a.copy()))
    if want.dtype == np.float16:  # exp(bool) is float16 in NumPy: no such tensor dtype, a NumPy array
        assert isinstance(got, np.ndarray) and got.dtype == np.float16
        return
    check(got, want, rtol=4e-7 if want.dtype == np.float32 else 1e-15, atol=1e-30)


def test_ufunc_special_values():
    a = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40, -3.5, 2.0], dtype=np.float32)
    t = rt.from_numpy(a.copy())
    with np.errstate(all="ignore"):
        for u in (np.exp, np.log, np.sqrt, np.negative, np.absolute, np.tanh):
            check(u(t), u(a), rtol=4e-7, atol=0)
        for u in (np.maximum, np.minimum, np.true_divide, np.add):
            check(u(t, rt.from_numpy(a[::-1].copy())), u(a, a[::-1]), rtol=4e-7, atol=0)
    # NumPy's sign(nan) is nan: that ufunc is not native and goes through NumPy
    check(np.sign(t), np.sign(a))


def test_python_scalars_are_weak_and_promotion_is_numpys():
    i32 = rt.from_numpy(sample((6,), np.int32))
    f32 = rt.from_numpy(sample((6,), np.float32))
    b = rt.from_numpy(sample((6,), np.bool_))
    before = snap()
    check(np.add(i32, 1.5), np.add(i32.numpy(), 1.5), before=before)  # int32 + float -> float64
    check(np.multiply(f32, 2), np.multiply(f32.numpy(), 2), before=before)  # stays float32
    check(np.add(2, f32), np.add(2, f32.numpy()), before=before)  # scalar first
    check(np.true_divide(i32, i32 + 100), np.true_divide(i32.numpy(), i32.numpy() + 100), before=before)
    check(np.add(b, 1), np.add(b.numpy(), 1), before=before)
    check(np.add(f32, np.float64(1.0)), np.add(f32.numpy(), np.float64(1.0)), before=before)  # NumPy scalar: strong
    check(np.add(i32, i32.to(rt.int64)), np.add(i32.numpy(), i32.numpy().astype(np.int64)), before=before)
    with pytest.raises(OverflowError):
        np.add(i32, 2**40)  # NumPy's NEP 50 error for a Python int out of range
    assert isinstance(f32 + np.ones(6), rt.Tensor)  # tensor op ndarray: the tensor's operator
    left = np.arange(6, dtype=np.int64) + f32  # ndarray op tensor: NumPy's np.add, NumPy's dtype
    check(left, np.arange(6, dtype=np.int64) + f32.numpy())
    assert (f32 + np.arange(6, dtype=np.int64)).dtype == rt.float32  # torch's rule on the tensor's side
    r = np.ones(6, dtype=np.float32) * f32
    check(r, np.ones(6, dtype=np.float32) * f32.numpy())


def test_ufuncs_on_0d_and_empty():
    z = rt.tensor(2.5)
    before = snap()
    check(np.add(z, 3), np.add(np.array(2.5, np.float32), 3), before=before)
    check(np.exp(z), np.exp(np.array(2.5, np.float32)), before=before)
    check(np.multiply(z, rt.from_numpy(sample((2, 3), np.float32, np.random.default_rng(5)))),
          np.multiply(np.float32(2.5), sample((2, 3), np.float32, np.random.default_rng(5))), before=before)
    e = rt.zeros(0, 3)
    check(np.exp(e), np.exp(np.zeros((0, 3), np.float32)), before=before)
    check(np.add(e, rt.ones(3, dtype=rt.int64)), np.add(np.zeros((0, 3), np.float32), np.ones(3, np.int64)))
    check(np.less(e, 1), np.less(np.zeros((0, 3), np.float32), 1), before=before)


def test_ufunc_out_and_dtype():
    a, b = sample((3, 4), np.float32), sample((3, 4), np.float32)
    ta, tb = rt.from_numpy(a.copy()), rt.from_numpy(b.copy())
    before = snap()
    out = rt.empty(3, 4)
    r = np.add(ta, tb, out=out)
    assert r is out
    check(out, a + b, before=before)
    out64 = rt.empty(3, 4, dtype=rt.float64)  # f32 result cast into an f64 out (same_kind)
    assert np.multiply(ta, tb, out=out64) is out64
    check(out64, np.multiply(a, b, out=np.empty((3, 4), np.float64)))
    nout = np.empty((3, 4), np.float32)  # a NumPy out
    assert np.subtract(ta, tb, out=nout) is nout
    np.testing.assert_allclose(nout, a - b, rtol=1e-6)
    np.exp(ta, out=ta)  # in place, aliasing its input
    check(ta, np.exp(a))
    iout = rt.empty(3, 4, dtype=rt.int32)
    with pytest.raises(TypeError):  # float -> int32 is not same_kind: NumPy's UFuncTypeError
        np.add(tb, tb, out=iout)
    check(np.add(tb, tb, dtype=np.float64), np.add(b, b, dtype=np.float64))
    check(np.add(rt.from_numpy(np.arange(4, dtype=np.int32)), 1, dtype=rt.float32),
          np.add(np.arange(4, dtype=np.int32), 1, dtype=np.float32))
    # out larger than the inputs (NumPy broadcasts them into it): through NumPy, into the tensor
    big = rt.zeros(2, 3, 4)
    assert np.add(rt.from_numpy(b.copy()), 1, out=big) is big
    check(big, np.broadcast_to(b + 1, (2, 3, 4)))


def test_ufunc_methods():
    a = sample((4, 6), np.float64)
    t = rt.from_numpy(a.copy())
    before = snap()
    check(np.add.reduce(t, axis=1), np.add.reduce(a, axis=1), before=before)
    check(np.maximum.reduce(t, axis=None), np.maximum.reduce(a, axis=None), before=before)
    check(np.multiply.reduce(t, axis=0, keepdims=True), np.multiply.reduce(a, axis=0, keepdims=True))
    # methods without a native path: NumPy's answer, as tensors
    check(np.add.reduceat(t, [0, 2, 3], axis=1), np.add.reduceat(a, [0, 2, 3], axis=1))
    check(np.add.accumulate(t, axis=0), np.add.accumulate(a, axis=0))
    check(np.multiply.outer(t[0], t[1]), np.multiply.outer(a[0], a[1]))
    u = rt.from_numpy(a.copy())
    np.add.at(u, (0, [1, 1, 2]), 1.0)  # in place through a zero-copy view
    w = a.copy()
    np.add.at(w, (0, [1, 1, 2]), 1.0)
    check(u, w)
    assert fallback_counts["add.reduceat"] >= 1 and fallback_counts["add.at"] >= 1


def test_matmul_ufunc():
    a, b = sample((3, 4, 5), np.float32), sample((5, 2), np.float32)
    before = snap()
    check(np.matmul(rt.from_numpy(a), rt.from_numpy(b)), np.matmul(a, b), before=before, rtol=1e-5, atol=1e-5)
    check(rt.from_numpy(a) @ b, a @ b, rtol=1e-5, atol=1e-5)
    ai, bi = sample((3, 4), np.int32), sample((4,), np.int64)
    check(np.matmul(rt.from_numpy(ai), rt.from_numpy(bi)), np.matmul(ai, bi))  # NumPy's int64 result
    with pytest.raises(ValueError):
        np.matmul(rt.from_numpy(a), rt.from_numpy(a))  # shapes: NumPy's error


def test_unknown_operand_types_defer():
    class Other:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return "other"

        def __array_function__(self, func, types, args, kwargs):
            return "other"

    t = rt.ones(2)
    assert np.add(t, Other()) == "other"
    assert np.concatenate([t, Other()]) == "other"


# ---------------------------------------------------------------- functions
REDUCTIONS = [np.sum, np.mean, np.max, np.min, np.prod, np.var, np.std, np.all, np.any]


@pytest.mark.parametrize("f", REDUCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (2, 0, 1), 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(f, dt, axis, keepdims):
    a = sample((4, 5, 6), dt)
    if f is np.prod and np.dtype(dt).kind == "f":
        a = (1 + a / 30).astype(dt)
    with np.errstate(all="ignore"):
        try:
            want = f(a, axis=axis, keepdims=keepdims)
        except TypeError as e:
            with pytest.raises(type(e)):
                f(rt.from_numpy(a.copy()), axis=axis, keepdims=keepdims)
            return
        got = f(rt.from_numpy(a.copy()), axis=axis, keepdims=keepdims)
    check(got, want, rtol=3e-6 if np.asarray(want).dtype == np.float32 else 1e-12, atol=1e-5)


def test_reduction_native_paths_and_dtype():
    a = sample((64, 33), np.float32)
    t = rt.from_numpy(a)
    before = snap()
    for f in (np.sum, np.mean, np.max, np.min, np.var, np.std, np.prod, np.argmax, np.argmin):
        f(t, axis=0)
    check(np.sum(t, axis=(0, 1), dtype=np.float64), np.sum(a, dtype=np.float64, axis=(0, 1)), before=before)
    check(np.mean(t, dtype=rt.float64), np.mean(a, dtype=np.float64), before=before)
    check(np.var(t, axis=1, ddof=1), np.var(a, axis=1, ddof=1), before=before, rtol=1e-5)
    check(np.std(t, axis=0, correction=1), np.std(a, axis=0, correction=1), rtol=1e-5)
    ints = sample((50,), np.int32)
    check(np.sum(rt.from_numpy(ints)), np.sum(ints), before=before)  # int32 sums to int64, as NumPy


def test_big_outer_sum_is_accurate():
    a = np.random.default_rng(7).standard_normal((2048, 2100), dtype=np.float32)  # above the row-block threshold
    got = np.sum(rt.from_numpy(a), axis=0)
    np.testing.assert_allclose(got.numpy(), a.astype(np.float64).sum(axis=0), rtol=1e-5, atol=2e-5)
    odd = a[:1500]  # rows not a multiple of the block
    np.testing.assert_allclose(np.sum(rt.from_numpy(np.ascontiguousarray(odd)), axis=0).numpy(),
                               odd.astype(np.float64).sum(axis=0), rtol=1e-5, atol=2e-5)


def test_reduction_edge_cases():
    e = rt.zeros(0, 3)
    check(np.sum(e, axis=0), np.sum(np.zeros((0, 3), np.float32), axis=0))
    check(np.sum(e), np.float32(0))
    with pytest.raises(ValueError):
        np.max(e, axis=0)  # NumPy's "zero-size array to reduction operation"
    z = rt.tensor(2.5)
    check(np.sum(z), np.sum(np.float32(2.5)))
    check(np.mean(z, keepdims=True), np.mean(np.array(2.5, np.float32), keepdims=True))
    check(np.sum(z, axis=0), np.sum(np.array(2.5, np.float32), axis=0))  # NumPy lets a 0-d array take axis 0
    t = rt.from_numpy(sample((3, 4), np.float32))
    with pytest.raises(np.exceptions.AxisError):
        np.sum(t, axis=2)
    with pytest.raises(ValueError):
        np.sum(t, axis=(0, 0))
    check(np.sum(t, axis=()), np.sum(t.numpy(), axis=()))  # reduces nothing (torch's () would reduce all)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        check(np.var(t, axis=0, ddof=3), np.var(t.numpy(), axis=0, ddof=3))  # too few: NumPy's inf/nan and warning
    nan = rt.tensor([1.0, np.nan, 3.0, np.nan])
    check(np.max(nan), np.max(nan.numpy()))
    check(np.argmax(nan), np.argmax(nan.numpy()))
    check(np.argmin(nan), np.argmin(nan.numpy()))
    ties = rt.tensor([[3, 1, 3], [0, 0, -1]], dtype=rt.int32)
    for f in (np.argmax, np.argmin):
        for axis in (None, 0, 1, -1):
            for kd in (False, True):
                check(f(ties, axis=axis, keepdims=kd), f(ties.numpy(), axis=axis, keepdims=kd))
    big = rt.tensor([3**20, 3**20, 7], dtype=rt.int64)  # integer products wrap exactly, as NumPy
    check(np.prod(big), np.prod(big.numpy()))
    c = sample((4, 5), np.float32)
    check(np.cumsum(rt.from_numpy(c)), np.cumsum(c), rtol=1e-5, atol=1e-5)
    check(np.cumsum(rt.from_numpy(c.astype(np.int32)), axis=0), np.cumsum(c.astype(np.int32), axis=0))


@pytest.mark.parametrize("dt", DTYPES)
def test_concatenate_stack(dt):
    a, b = sample((2, 3), dt), sample((4, 3), np.float32)
    ta, tb = rt.from_numpy(a.copy()), rt.from_numpy(b.copy())
    check(np.concatenate([ta, tb]), np.concatenate([a, b]))  # NumPy's promotion (int32 + f32 -> f64)
    check(np.concatenate([ta, b], axis=-2), np.concatenate([a, b], axis=-2))  # mixed with ndarray
    check(np.concatenate([ta, ta], axis=1), np.concatenate([a, a], axis=1))
    check(np.concatenate([ta, tb], axis=None), np.concatenate([a, b], axis=None))
    check(np.concatenate([ta, tb], dtype=np.float64), np.concatenate([a, b], dtype=np.float64))
    check(np.stack([ta, ta, ta], axis=1), np.stack([a, a, a], axis=1))
    check(np.stack([ta, ta], axis=-1), np.stack([a, a], axis=-1))
    with pytest.raises(ValueError):
        np.concatenate([ta, tb], axis=1)  # shapes: NumPy's error
    with pytest.raises(ValueError):
        np.stack([ta, tb])
    check(np.concatenate([rt.zeros(0, 3), ta]), np.concatenate([np.zeros((0, 3), np.float32), a]))


def test_tensordot_dot():
    a, b = sample((3, 4, 5), np.float64), sample((5, 4, 2), np.float64)
    ta, tb = rt.from_numpy(a), rt.from_numpy(b)
    before = snap()
    for axes in (1, ([1, 2], [1, 0]), ((2,), (0,)), ([-1], [0]), 0):
        check(np.tensordot(ta, tb, axes=axes), np.tensordot(a, b, axes=axes), before=before)
    ai = sample((3, 4), np.int32)
    check(np.tensordot(rt.from_numpy(ai), rt.from_numpy(ai), axes=([0], [0])),
          np.tensordot(ai, ai, axes=([0], [0])))
    with pytest.raises(ValueError):
        np.tensordot(ta, tb, axes=([0], [0]))
    check(np.tensordot(rt.zeros(3, 0), rt.zeros(0, 2), axes=1), np.zeros((3, 2), np.float32))
    check(np.dot(ta[0], tb[:, 0, :]), np.dot(a[0], b[:, 0, :]))
    c = sample((2, 5, 3), np.float64)
    check(np.dot(ta, rt.from_numpy(c)), np.dot(a, c))  # N-d dot: NumPy's rule, through NumPy
    with pytest.raises(ValueError):
        np.dot(ta, tb)


def test_where_clip():
    a = sample((4, 5), np.float32)
    t = rt.from_numpy(a.copy())
    before = snap()
    check(np.where(t > 0, t, 0), np.where(a > 0, a, 0), before=before)
    check(np.where(t > 0, t, 0.5), np.where(a > 0, a, 0.5), before=before)
    check(np.where(t > 0, 1, 2), np.where(a > 0, 1, 2), before=before)  # two Python ints: int64
    check(np.where(t, t, -t), np.where(a, a, -a))  # non-bool condition
    check(np.where(t > 0, t, a.astype(np.float64)), np.where(a > 0, a, a.astype(np.float64)))
    check(np.where(rt.tensor([True, False, True]), rt.tensor([1, 2, 3], dtype=rt.int32), 7.5),
          np.where([True, False, True], np.array([1, 2, 3], np.int32), 7.5))
    nz = np.where(t > 0)  # one argument: nonzero, NumPy's tuple of index tensors
    want = np.where(a > 0)
    assert len(nz) == 2 and all(isinstance(x, rt.Tensor) for x in nz)
    for g, w in zip(nz, want):
        np.testing.assert_array_equal(g.numpy(), w)
    before = snap()
    check(np.clip(t, -1, 1.5), np.clip(a, -1, 1.5), before=before)
    check(np.clip(t, None, 0.5), np.clip(a, None, 0.5), before=before)
    check(np.clip(t, 2, -2), np.clip(a, 2, -2), before=before)  # lo > hi: hi everywhere, as NumPy
    i = rt.from_numpy(sample((6,), np.int32))
    check(np.clip(i, 0.5, 10.5), np.clip(i.numpy(), 0.5, 10.5))  # NEP 50: float64
    check(np.clip(i, -3, 3), np.clip(i.numpy(), -3, 3))
    lo = rt.from_numpy(sample((5,), np.float32))
    check(np.clip(t, lo, lo + 1), np.clip(a, lo.numpy(), lo.numpy() + 1))
    n = rt.tensor([np.nan, 1.0, -5.0])
    check(np.clip(n, -2, 2), np.clip(n.numpy(), -2, 2))
    check(np.clip(n, np.nan, 2), np.clip(n.numpy(), np.nan, 2))


def test_shape_functions():
    a = sample((2, 3, 4), np.float64)
    t = rt.from_numpy(a.copy())
    before = snap()
    check(np.transpose(t), np.transpose(a), before=before)
    check(np.transpose(t, (1, 0, 2)), np.transpose(a, (1, 0, 2)), before=before)
    check(np.transpose(t, (-1, 0, 1)), np.transpose(a, (-1, 0, 1)), before=before)
    check(np.reshape(t, (4, -1)), np.reshape(a, (4, -1)), before=before)
    check(np.reshape(np.transpose(t), 24), np.reshape(np.transpose(a), 24), before=before)
    check(np.ravel(t), np.ravel(a), before=before)
    check(np.squeeze(t[:1]), np.squeeze(a[:1]), before=before)
    check(np.expand_dims(t, (0, -1)), np.expand_dims(a, (0, -1)), before=before)
    check(np.broadcast_to(t[0, 0], (3, 4)), np.broadcast_to(a[0, 0], (3, 4)), before=before)
    check(np.copy(t), a, before=before)
    check(np.reshape(t, (4, 6), order="F"), np.reshape(a, (4, 6), order="F"))  # through NumPy
    with pytest.raises(ValueError):
        np.transpose(t, (0, 1))
    with pytest.raises(ValueError):
        np.reshape(t, (5, 5))
    check(np.flip(t, 0), np.flip(a, 0))  # negative strides: NumPy, copied into a tensor


def test_take():
    a = sample((5, 6), np.float32)
    t = rt.from_numpy(a.copy())
    before = snap()
    for idx, axis in (([0, 4, -1], 0), ([[1, 2], [5, -6]], 1), (3, 0), ([], 1), (np.array([7, 0], np.uint8), None),
                      (rt.tensor([2, 2]), -1)):
        np_idx = idx.numpy() if isinstance(idx, rt.Tensor) else idx
        check(np.take(t, idx, axis=axis), np.take(a, np_idx, axis=axis), before=before)
    with pytest.raises(IndexError):
        np.take(t, [6], axis=1)
    with pytest.raises(IndexError):
        np.take(t, [-7], axis=1)
    check(np.take(t, [1.9], axis=1), np.take(a, [1.9], axis=1))  # NumPy's own cast of float indices
    check(np.take(t, [7, -1], axis=1, mode="wrap"), np.take(a, [7, -1], axis=1, mode="wrap"))


@pytest.mark.parametrize("dt", DTYPES)
def test_like_functions(dt):
    t = rt.from_numpy(sample((2, 3), dt))
    a = t.numpy()
    before = snap()
    for f in (np.zeros_like, np.ones_like):
        check(f(t), f(a), before=before)
        check(f(t, dtype=np.float64, shape=(4,)), f(a, dtype=np.float64, shape=(4,)), before=before)
    e = np.empty_like(t, dtype=rt.int32)
    assert isinstance(e, rt.Tensor) and e.shape == (2, 3) and e.dtype == rt.int32
    check(np.full_like(t, 7), np.full_like(a, 7), before=before)
    check(np.full_like(t, 2.7, dtype=np.int32), np.full_like(a, 2.7, dtype=np.int32), before=before)
    check(np.full_like(t, True, shape=(0, 2)), np.full_like(a, True, shape=(0, 2)), before=before)
    h = np.zeros_like(t, dtype=np.float16)  # a dtype rusttorch lacks: NumPy's array
    assert isinstance(h, np.ndarray) and h.dtype == np.float16
    with pytest.raises(TypeError):
        np.empty_like(t, dtype=[("a", np.float32), ("b", np.int64)])  # structured: refused, as CuPy


def test_fallback_returns_tensors_when_it_can():
    a = sample((4, 5), np.float64)
    t = rt.from_numpy(a.copy())
    check(np.median(t, axis=0), np.median(a, axis=0))
    check(np.sort(t, axis=1), np.sort(a, axis=1))
    m = np.median(t)
    assert isinstance(m, rt.Tensor) and m.ndim == 0 and float(m) == pytest.approx(float(np.median(a)))
    assert np.allclose(t, a) is True  # Python results pass through
    assert np.shape(t) == (4, 5)
    c = np.fft.fft(t[0])
    assert isinstance(c, np.ndarray) and c.dtype == np.complex128  # complex: NumPy's array
    parts = np.split(t, [1, 3])
    assert isinstance(parts, list) and all(isinstance(p, rt.Tensor) for p in parts)
    tr = np.swapaxes(t, 0, 1)  # a view: the tensor shares the memory
    tr[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    with pytest.raises(ValueError):
        np.percentile(t, 150)  # NumPy's error from the fallback


def test_methods_take_numpys_axis_and_keepdims_as_torch_does():
    torch = pytest.importorskip("torch")  # torch is a test dependency (tools/setup.sh)
    a = sample((3, 4, 5), np.float32)
    t, tt = rt.from_numpy(a.copy()), torch.from_numpy(a.copy())
    for name in ("sum", "mean", "amax", "amin", "all", "any", "var", "std"):
        for kw in ({"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"axis": -1, "keepdims": False}):
            got = getattr(t, name)(**kw)
            want = getattr(tt, name)(**kw)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(getattr(rt, name)(t, **kw).numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    for name in ("argmax", "argmin", "prod"):
        got, want = getattr(t, name)(axis=2, keepdims=True), getattr(tt, name)(axis=2, keepdims=True)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5)
    assert t.sum(axis=0, dtype=np.float64).dtype == rt.float64
    with pytest.raises(TypeError):
        t.sum(dim=0, axis=1)


def test_numpy_integer_index_arrays_of_any_width_are_positions():
    a = sample((6, 4), np.float32)
    t = rt.from_numpy(a.copy())
    for dt in (np.uint8, np.uint16, np.uint32, np.int8, np.int16, np.int32, np.int64):
        idx = np.array([5, 0, 2, 2], dtype=dt)
        np.testing.assert_array_equal(t[idx].numpy(), a[idx])
        np.testing.assert_array_equal(t[:, idx[:2] % 4].numpy(), a[:, idx[:2] % 4])
    with pytest.raises((TypeError, IndexError)):
        t[np.array([1], dtype=np.uint64)]  # not safely castable to int64: refused, never wrapped
    np.testing.assert_array_equal(t[np.array([True, False] * 3)].numpy(), a[np.array([True, False] * 3)])
