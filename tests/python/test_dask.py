"""Dask arrays of rusttorch chunks (threaded scheduler): the chunks stay
tensors, and each graph gives the values (and dtypes) of the same graph on
NumPy chunks, random data with a fixed seed."""
from __future__ import annotations

import subprocess
import sys
import threading

import dask
import dask.array as da
import numpy as np
import pytest

import rusttorch as rt
import rusttorch.dask as rtd
from rusttorch._numpy_protocol import fallback_counts

RNG = np.random.default_rng(2024)
A = RNG.standard_normal((70, 45)).astype(np.float32)
B = RNG.standard_normal((45, 33)).astype(np.float32)


def pair(a, chunks):
    return da.from_array(rt.from_numpy(a.copy()), chunks=chunks), da.from_array(a, chunks=chunks)


X, XN = pair(A, (16, 20))
Y, YN = pair(B, (20, 15))
I, IN = pair((A * 10).astype(np.int32), (25, 9))

GRAPHS = {
    "add": lambda x, y, i: x + x * 2,
    "mixed scalars": lambda x, y, i: (x - 1.5) / 3 + 2 * x,
    "exp": lambda x, y, i: da.exp(x),
    "log of abs": lambda x, y, i: da.log(abs(x) + 1),
    "sum axis 0": lambda x, y, i: x.sum(axis=0),
    "sum axis 1 keepdims": lambda x, y, i: x.sum(axis=1, keepdims=True),
    "sum": lambda x, y, i: x.sum(),
    "mean": lambda x, y, i: x.mean(),
    "mean axis 1": lambda x, y, i: x.mean(axis=1),
    "var": lambda x, y, i: x.var(axis=0),
    "std ddof": lambda x, y, i: x.std(ddof=1),
    "max": lambda x, y, i: x.max(axis=1),
    "min": lambda x, y, i: x.min(),
    "prod": lambda x, y, i: (1 + x / 50).prod(axis=0),
    "argmax": lambda x, y, i: x.argmax(axis=0),
    "argmin all": lambda x, y, i: x.argmin(),
    "matmul": lambda x, y, i: x @ y,
    "tensordot": lambda x, y, i: da.tensordot(x, y, axes=1),
    "transpose": lambda x, y, i: x.T,
    "T matmul": lambda x, y, i: x.T @ x,
    "slice": lambda x, y, i: x[3:61:4, 7:],
    "int index": lambda x, y, i: x[5],
    "fancy index": lambda x, y, i: x[[0, 17, 69, 17]],
    "rechunk": lambda x, y, i: x.rechunk((33, 7)),
    "reshape": lambda x, y, i: x.rechunk((10, 45)).reshape(7, 10, 45),
    "concatenate": lambda x, y, i: da.concatenate([x, x[:10]], axis=0),
    "stack": lambda x, y, i: da.stack([x, -x], axis=1),
    "where": lambda x, y, i: da.where(x > 0, x, 0.25),
    "clip": lambda x, y, i: da.clip(x, -0.5, 1.0),
    "compare": lambda x, y, i: (x > 0.3).sum(axis=0),
    "any": lambda x, y, i: (x > 2.5).any(axis=1),
    "astype": lambda x, y, i: x.astype(np.float64).sum(axis=1),
    "cumsum": lambda x, y, i: x.cumsum(axis=0),
    "int sum": lambda x, y, i: i.sum(axis=0),
    "int mean": lambda x, y, i: i.mean(),
    "int div": lambda x, y, i: da.true_divide(i, 7),
    "int matmul": lambda x, y, i: i.T @ i,
    "zeros_like": lambda x, y, i: da.zeros_like(x) + x,
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_graph_matches_numpy_chunks(name):
    f = GRAPHS[name]
    before = fallback_counts.copy()
    with dask.config.set(scheduler="threads"):
        got = f(X, Y, I)
        want = f(XN, YN, IN).compute()
        res = got.compute()
    assert isinstance(res, rt.Tensor), type(res)
    r = res.numpy()
    assert r.dtype == want.dtype and r.shape == want.shape
    assert np.dtype(got.dtype) == want.dtype  # the graph's declared dtype is the chunks' dtype
    if want.dtype.kind == "f":
        np.testing.assert_allclose(r, want, rtol=2e-5, atol=2e-5)
    else:
        np.testing.assert_array_equal(r, want)
    # Only NumPy's handling of empty meta arrays and dask's own index bookkeeping may fall back.
    extra = set(fallback_counts - before) - {"max", "min", "unravel_index", "ravel_multi_index", "asarray"}
    assert not extra, f"fell back to NumPy: {extra}"


def test_chunks_stay_tensors():
    assert type(X.blocks[0, 0].compute()) is rt.Tensor
    assert type((X + 1).blocks[1, 1].compute()) is rt.Tensor
    assert type(X._meta) is rt.Tensor and X.dtype == np.float32 and X.dtype == rt.float32
    assert "rusttorch.Tensor" in repr(X)
    assert all(type(b) is rt.Tensor for b in dask.compute(*[X.blocks[i, j] for i in range(2) for j in range(2)]))


def test_tensor_operands_with_dask_arrays():
    t = rt.from_numpy(A[0].copy())
    r = (X + t).compute()  # a tensor operand in a dask expression
    np.testing.assert_allclose(r.numpy(), A + A[0], rtol=1e-6)
    r2 = (t + X).compute()  # the tensor on the left: it defers to dask
    np.testing.assert_allclose(r2.numpy(), A + A[0], rtol=1e-6)
    assert isinstance(np.add(t, X), da.Array)


def test_python_operators_on_chunks_follow_torch_promotion():
    # Documented limitation: dask applies Python operators to the chunks, and a
    # tensor's operators are torch's (int32 / int -> float32), while Dask declares
    # NumPy's dtype (float64). The NumPy functions follow NumPy's rules.
    r = (I / 7).compute()
    assert r.dtype == rt.float32 and (I / 7).dtype == np.float64
    np.testing.assert_allclose(r.numpy(), (IN / 7).compute(), rtol=1e-6)
    assert da.true_divide(I, 7).compute().dtype == rt.float64


def test_tokenize_by_content():
    t = rt.from_numpy(A.copy())
    assert dask.base.tokenize(t) == dask.base.tokenize(rt.from_numpy(A.copy()))
    u = rt.from_numpy(A.copy())
    u[0, 0] = 5.0
    assert dask.base.tokenize(t) != dask.base.tokenize(u)


def test_randn_chunks_are_seeded_and_made_in_tasks():
    x = rtd.randn((40, 30), (16, 16), seed=3)
    assert type(x._meta) is rt.Tensor and x.chunks == ((16, 16, 8), (16, 14))
    a, b = x.compute(scheduler="threads"), x.compute(scheduler="sync")
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # independent of the scheduler and thread timing
    assert abs(float(a.mean())) < 0.3 and 0.7 < float(a.std()) < 1.3
    c = rtd.randn((40, 30), (16, 16), seed=4).compute()
    assert not np.array_equal(a.numpy(), c.numpy())


def test_threads_per_task_during_local_computes():
    seen = []

    def probe(b):
        seen.append(rt.get_num_threads())
        return b

    rt.set_num_threads(2)
    try:
        X.map_blocks(probe, meta=X._meta).compute(scheduler="threads")
        assert seen and set(seen) == {1}  # one rusttorch thread per Dask thread
        assert rt.get_num_threads() == 2  # restored afterwards
        rtd.set_threads_per_task(None)
        seen.clear()
        X.map_blocks(probe, meta=X._meta).compute(scheduler="threads")
        assert set(seen) == {2}  # left alone
        with pytest.raises(ValueError):
            rtd.set_threads_per_task(0)
    finally:
        rtd.set_threads_per_task(1)


def test_threads_restored_after_errors_and_concurrent_computes():
    rt.set_num_threads(2)

    def boom(b):
        raise ZeroDivisionError("in a task")

    with pytest.raises(ZeroDivisionError):
        X.map_blocks(boom, meta=X._meta).compute(scheduler="threads")
    assert rt.get_num_threads() == 2
    results = []
    threads = [threading.Thread(target=lambda: results.append((X @ Y).sum().compute(scheduler="threads")))
               for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 3 and rt.get_num_threads() == 2


def test_import_without_dask_and_lazy_registration():
    code = ("import sys; sys.modules['dask'] = None; import rusttorch as rt, numpy as np;"
            "assert 'rusttorch.dask' not in sys.modules; print(np.sum(rt.ones(3)).item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "3.0", out.stderr
    code = ("import rusttorch as rt, sys; assert 'rusttorch.dask' not in sys.modules;"
            "import dask.array as da; x = da.from_array(rt.ones(4, 4), chunks=2);"
            "assert 'rusttorch.dask' in sys.modules; print(type(x.blocks[0, 0].compute()).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "Tensor", out.stderr
