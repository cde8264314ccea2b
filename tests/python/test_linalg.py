"""Matrix products (matmul and the @ operator, mm, bmm, mv, dot, outer,
addmm, baddbmm, nn.functional.linear), differential against torch."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rusttorch as rt
from helpers import assert_same, random_array, RAISED, torch_or_same_error

torch = pytest.importorskip("torch")

seeds = st.integers(0, 2**32 - 1)


def both(a):
    return (rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a.copy())), torch.from_numpy(np.array(a, copy=True))


def tol(dtype):
    return {"float32": (2e-5, 1e-4), "float64": (1e-12, 1e-11)}.get(dtype, (0, 0))


def compare(f_rt, f_torch, dtype):
    expected = torch_or_same_error(f_rt, f_torch)
    if expected is RAISED:
        return
    rtol, atol = tol(dtype)
    assert_same(f_rt(), expected, rtol=rtol, atol=atol)


@st.composite
def matmul_shapes(draw):
    kind = draw(st.sampled_from(["1x1", "2x1", "1x2", "2x2", "batched", "mismatch"]))
    n, k, m = (draw(st.integers(0, 9)) for _ in range(3))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    if kind == "1x1":
        return (k,), (k,)
    if kind == "2x1":
        return (n, k), (k,)
    if kind == "1x2":
        return (k,), (k, m)
    if kind == "2x2":
        return (n, k), (k, m)
    if kind == "batched":
        b2 = tuple(1 if draw(st.booleans()) else b for b in batch)
        return batch + (n, k), b2 + (k, m)
    return (n, k), (k + 1, m)


@given(shapes=matmul_shapes(), dtype=st.sampled_from(["float32", "float64", "int32", "int64", "bool"]), seed=seeds)
def test_matmul_and_operator(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    (ra, ta), (rb, tb) = both(random_array(rng, shapes[0], dtype, low=-5, high=5)), both(
        random_array(rng, shapes[1], dtype, low=-5, high=5))
    compare(lambda: rt.matmul(ra, rb), lambda: torch.matmul(ta, tb), dtype)
    compare(lambda: ra @ rb, lambda: ta @ tb, dtype)
    compare(lambda: ra.matmul(rb), lambda: ta.matmul(tb), dtype)


@given(n=st.integers(0, 12), k=st.integers(0, 12), m=st.integers(0, 12), b=st.integers(1, 3),
       dtype=st.sampled_from(["float32", "float64", "int64"]), seed=seeds, transpose=st.booleans())
def test_mm_family(n, k, m, b, dtype, seed, transpose):
    rng = np.random.default_rng(seed)
    r = lambda *s: both(random_array(rng, s, dtype, low=-5, high=5))  # noqa: E731
    (ra, ta), (rb, tb) = r(n, k), r(k, m)
    if transpose:  # strided operands
        (ra, ta), (rb, tb) = r(k, n), r(m, k)
        ra, ta, rb, tb = ra.t(), ta.t(), rb.t(), tb.t()
    compare(lambda: rt.mm(ra, rb), lambda: torch.mm(ta, tb), dtype)
    compare(lambda: ra.mm(rb), lambda: ta.mm(tb), dtype)
    (rv, tv), (rw, tw) = r(k), r(k)
    compare(lambda: rt.mv(ra, rv), lambda: torch.mv(ta, tv), dtype)
    compare(lambda: rt.dot(rv, rw), lambda: torch.dot(tv, tw), dtype)
    compare(lambda: rv.dot(rw), lambda: tv.dot(tw), dtype)
    (ro, to) = r(m)
    compare(lambda: rt.outer(rv, ro), lambda: torch.outer(tv, to), dtype)
    (rx, tx), (ry, ty) = r(b, n, k), r(b, k, m)
    compare(lambda: rt.bmm(rx, ry), lambda: torch.bmm(tx, ty), dtype)
    (rc, tc) = r(n, m)
    if dtype != "int64":
        compare(lambda: rt.addmm(rc, ra, rb, beta=0.5, alpha=2), lambda: torch.addmm(tc, ta, tb, beta=0.5, alpha=2), dtype)
    compare(lambda: rc.addmm(ra, rb), lambda: tc.addmm(ta, tb), dtype)
    (rd, td) = r(b, n, m)
    compare(lambda: rt.baddbmm(rd, rx, ry), lambda: torch.baddbmm(td, tx, ty), dtype)
    out_r, out_t = rt.empty(0, dtype=ra.dtype), torch.empty(0, dtype=ta.dtype)
    compare(lambda: rt.matmul(ra, rb, out=out_r), lambda: torch.matmul(ta, tb, out=out_t), dtype)


@given(batch=st.lists(st.integers(1, 3), max_size=2), k=st.integers(1, 8), n=st.integers(1, 8), bias=st.booleans(),
       seed=seeds)
def test_linear(batch, k, n, bias, seed):
    rng = np.random.default_rng(seed)
    (rx, tx) = both(random_array(rng, tuple(batch) + (k,), "float32"))
    (rw, tw) = both(random_array(rng, (n, k), "float32"))
    (rb, tb) = both(random_array(rng, (n,), "float32"))
    compare(lambda: rt.nn.functional.linear(rx, rw, rb if bias else None),
            lambda: torch.nn.functional.linear(tx, tw, tb if bias else None), "float32")


@given(n=st.integers(0, 5), k=st.integers(0, 5), m=st.integers(0, 5), b=st.integers(1, 3),
       dtype=st.sampled_from(["float32", "float64", "int64"]), seed=seeds,
       beta=st.sampled_from([1, 0, 0.5, 2]), alpha=st.sampled_from([1, -1, 1.5]), bcast=st.booleans())
def test_addmm_baddbmm_inplace(n, k, m, b, dtype, seed, beta, alpha, bcast):
    rng = np.random.default_rng(seed)
    (r1, t1) = both(random_array(rng, (n, k), dtype, low=-5, high=5))
    (r2, t2) = both(random_array(rng, (k, m), dtype, low=-5, high=5))
    (ri, ti) = both(random_array(rng, (m,) if bcast else (n, m), dtype, low=-5, high=5))
    (rb1, tb1) = both(random_array(rng, (b, n, k), dtype, low=-5, high=5))
    (rb2, tb2) = both(random_array(rng, (b, k, m), dtype, low=-5, high=5))
    (rbi, tbi) = both(random_array(rng, (m,) if bcast else (b, n, m), dtype, low=-5, high=5))
    if dtype == "int64":
        beta, alpha = int(beta), int(alpha)

    def ident(rself, f):
        def run():
            r = f()
            assert r is rself
            return r
        return run

    # in-place: self must have the result's shape (a broadcast self is refused, as torch)
    compare(ident(ri, lambda: ri.addmm_(r1, r2, beta=beta, alpha=alpha)),
            lambda: ti.addmm_(t1, t2, beta=beta, alpha=alpha), dtype)
    compare(lambda: ri, lambda: ti, dtype)
    compare(ident(rbi, lambda: rbi.baddbmm_(rb1, rb2, beta=beta, alpha=alpha)),
            lambda: tbi.baddbmm_(tb1, tb2, beta=beta, alpha=alpha), dtype)
    compare(lambda: rbi, lambda: tbi, dtype)


def test_matmul_errors_and_inplace():
    with pytest.raises(RuntimeError):
        rt.ones(2, 3) @ rt.ones(2, 3)
    with pytest.raises(RuntimeError):
        rt.mm(rt.ones(2), rt.ones(2))
    with pytest.raises(TypeError):
        rt.ones(2) @ 2
    x = rt.ones(2, 2)
    y = x
    x @= rt.eye(2)  # no in-place matmul: rebinds x, as torch
    assert y is not x and x.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_matmul_operator_at_sizes_that_release_the_gil():
    """`a @ b` once aborted the interpreter (the GIL released twice) from 32768
    operand elements on; run in a child process so a crash fails this test
    instead of killing the runner."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import numpy as np, rusttorch as rt
        rng = np.random.default_rng(0)
        for m, k, n in [(200, 200, 200), (300, 301, 302), (129, 257, 129), (64, 64, 64), (1, 5000, 1)]:
            a = rng.standard_normal((m, k)).astype(np.float32)
            b = rng.standard_normal((k, n)).astype(np.float32)
            ra, rb = rt.from_numpy(a), rt.from_numpy(b)
            for c in (ra @ rb, ra.__matmul__(rb), rb.__rmatmul__(ra)):
                np.testing.assert_allclose(c.numpy(), a.astype(np.float64) @ b, rtol=1e-4, atol=1e-3 * np.sqrt(k))
        x = rt.from_numpy(rng.standard_normal((257, 129)).astype(np.float32))
        np.testing.assert_allclose((x.t() @ x).numpy(), x.numpy().T.astype(np.float64) @ x.numpy(), rtol=1e-4, atol=0.05)
        y = rt.from_numpy(rng.standard_normal((4, 100, 100)).astype(np.float32))
        np.testing.assert_allclose((y @ y).numpy(), y.numpy().astype(np.float64) @ y.numpy(), rtol=1e-4, atol=0.01)
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "ok", f"exit {r.returncode}: {r.stderr[-2000:]}"
