"""Threads: the GIL is released while kernels run on large tensors, and
calls from several Python threads at once are safe and correct."""
from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import rusttorch as rt


def test_set_get_num_threads():
    n = rt.get_num_threads()
    assert n >= 1
    rt.set_num_threads(1)
    assert rt.get_num_threads() == 1
    a = rt.rand(100_000)
    assert np.allclose((a + a).numpy(), 2 * a.numpy())
    rt.set_num_threads(n)
    assert rt.get_num_threads() == n
    with pytest.raises(RuntimeError):
        rt.set_num_threads(0)


def test_concurrent_ops_from_threads_are_correct():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(50_000).astype(np.float32) for _ in range(8)]
    expected = [(a * 2 + 1) - a for a in arrays]
    errors = []

    def work(i):
        try:
            x = rt.from_numpy(arrays[i])
            for _ in range(30):
                small = rt.ones(16) + rt.ones(16)  # fast path, GIL held
                assert small.tolist() == [2.0] * 16
                y = (x * 2 + 1) - x  # large ops, GIL released
                np.testing.assert_array_equal(y.numpy(), expected[i])
                z = rt.zeros(1000)
                z[::2] = 1
                z += rt.arange(1000.0)
                assert z[2].item() == 3.0
                c = rt.cat([x[:10], x[10:20]])
                assert c.numel() == 20
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_shared_tensor_read_concurrently_and_inplace_disjoint_writes():
    base = rt.zeros(8, 100_000)
    src = rt.ones(100_000)

    def work(i):
        row = base[i]
        for _ in range(20):
            row += src
            _ = base + 1  # concurrent reads of the whole tensor

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (base.numpy() == 20).all()


def test_gil_released_during_large_kernels():
    """While one thread runs large ops, another Python thread keeps running."""
    x = rt.rand(4_000_000)
    stop = threading.Event()
    ticks = [0]

    def spin():
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0)

    n_threads = rt.get_num_threads()
    rt.set_num_threads(1)
    try:
        t = threading.Thread(target=spin)
        t.start()
        time.sleep(0.05)
        start_ticks = ticks[0]
        t0 = time.perf_counter()
        for _ in range(10):
            x.exp()
        elapsed = time.perf_counter() - t0
        progressed = ticks[0] - start_ticks
        stop.set()
        t.join()
    finally:
        rt.set_num_threads(n_threads)
    # With the GIL held for the whole loop the spinner could only run at the
    # interpreter's 5 ms switch points between ops (about 10 ticks).
    assert progressed > 10 * max(1, int(elapsed / 0.005)) or progressed > 1000, (progressed, elapsed)


def test_numpy_owner_released_from_other_threads():
    holders = []
    for _ in range(20):
        holders.append(rt.from_numpy(np.ones(100_000)))

    def drop():
        for h in holders:
            _ = h * 2  # kernels with the GIL released hold references to the numpy-owned storage
        holders.clear()

    t = threading.Thread(target=drop)
    t.start()
    t.join()
    assert holders == []


# ---------------------------------------------------------------- many threads, shared inputs
# Several Python threads run ops at once on SHARED input tensors, all large
# enough that the GIL is released inside (elementwise and reductions from 32768
# elements, activations from 4096, products from 2048 elements of both
# operands), plus out= into per-thread outputs, in-place ops and __setitem__ on
# per-thread tensors. Every result must be bit-identical to the same op run
# once beforehand on the main thread alone. The body runs in a child process,
# so a crash (an abort from a GIL misuse, a segfault) is a failing test that
# names what was running, not a dead test runner.
CONCURRENT_THREADS = 8
CONCURRENT_REPEATS = 8


def _shared_ops():
    """name -> zero-argument callable, over tensors shared by every thread."""
    import rusttorch.nn.functional as F

    rng = np.random.default_rng(7)

    def f32(*shape):
        return rt.from_numpy(rng.standard_normal(shape).astype(np.float32))

    X, Y = f32(100_000), f32(100_000)  # elementwise: >= 32768
    S = f32(5000)  # activations: >= 4096, below 32768
    M = f32(300, 400)  # reductions over dims, softmax
    A, B = f32(256, 256), f32(256, 256)
    A2, B2 = f32(200, 200), f32(200, 200)  # the 200 x 200 @ of the GIL bug
    P, Q = f32(40, 40), f32(40, 40)  # 3200 elements: products release the GIL from 2048
    bias = f32(256)
    batch_a, batch_b = f32(4, 64, 96), f32(4, 96, 80)
    I64 = rt.from_numpy(rng.integers(-100_000, 100_000, size=50_000))
    Xd = rt.from_numpy(rng.standard_normal(70_000))  # float64
    Xi = rt.from_numpy(rng.integers(-1000, 1000, size=80_000).astype(np.int32))
    mask = X > 0.3
    return {
        "add": lambda: X + Y,
        "sub_alpha": lambda: rt.sub(X, Y, alpha=0.5),
        "mul_scalar": lambda: X * 3.5,
        "div": lambda: X / Y,
        "floor_divide": lambda: rt.floor_divide(X, 0.7),
        "pow": lambda: rt.pow(X.abs(), 1.7),
        "maximum": lambda: rt.maximum(X, Y),
        "compare": lambda: X < Y,
        "int_ops": lambda: (Xi * 3 + 7) // 5,
        "where": lambda: rt.where(mask, X, Y),
        "clamp": lambda: X.clamp(-0.5, 0.5),
        "strided_add": lambda: M.t() + M.t(),
        "broadcast_mul": lambda: M * M[0],
        "cast": lambda: X.to(rt.float64),
        "exp": lambda: X.exp(),
        "log": lambda: X.abs().log(),
        "sin": lambda: rt.sin(Xd),
        "sigmoid": lambda: rt.sigmoid(S),
        "tanh": lambda: S.tanh(),
        "gelu": lambda: F.gelu(S),
        "gelu_tanh": lambda: F.gelu(X, approximate="tanh"),
        "silu": lambda: F.silu(S),
        "relu": lambda: F.relu(X),
        "softmax1": lambda: M.softmax(dim=1),
        "softmax0": lambda: M.softmax(dim=0),
        "log_softmax": lambda: F.log_softmax(M, dim=-1),
        "matmul_operator": lambda: A @ B,
        "matmul_operator_200": lambda: A2 @ B2,
        "matmul_transposed": lambda: rt.matmul(A, B.t()),
        "mm_small": lambda: rt.mm(P, Q),
        "mm_strided": lambda: rt.mm(A[::2, 1::2], B[1::2, ::2]),
        "bmm": lambda: rt.bmm(batch_a, batch_b),
        "batched_matmul": lambda: batch_a @ batch_b,
        "mv": lambda: rt.mv(A, B[0]),
        "dot": lambda: rt.dot(X, Y),
        "addmm": lambda: rt.addmm(bias, A, B, beta=0.5, alpha=2),
        "linear": lambda: F.linear(M[:, :256], A, bias),
        "sum": lambda: M.sum(),
        "sum_dim0": lambda: M.sum(dim=0),
        "sum_dim1": lambda: M.sum(dim=1, keepdim=True),
        "mean": lambda: X.mean(),
        "var": lambda: M.var(dim=1),
        "std": lambda: M.std(dim=0),
        "max_dim": lambda: M.max(dim=0),
        "amax": lambda: M.amax(dim=(0, 1)),
        "argmin": lambda: M.argmin(dim=1),
        "logsumexp": lambda: M.logsumexp(dim=1),
        "prod": lambda: (M[:8] * 0 + 1.01).prod(dim=1),
        "cumsum": lambda: M.cumsum(dim=1),
        "norm": lambda: M.norm(dim=0),
        "all": lambda: (X > -10).all(),
        "getitem_index": lambda: X[I64],
        "getitem_mask": lambda: X[mask],
        "getitem_2d": lambda: M[I64[:300] % 300, 5:],
        "getitem_view": lambda: M[::3, 1::2].contiguous(),
        "cat": lambda: rt.cat([X, Y]),
        # per-thread outputs and in-place targets, from the shared inputs
        "out_add": lambda: rt.add(X, Y, out=rt.empty(100_000)),
        "out_exp": lambda: rt.exp(X, out=rt.empty(0)),
        "out_sigmoid": lambda: rt.sigmoid(S, out=rt.empty(5000)),
        "out_matmul": lambda: rt.matmul(A, B, out=rt.empty(256, 256)),
        "out_addmm": lambda: rt.addmm(bias, A, B, out=rt.empty(256, 256)),
        "inplace_chain": lambda: _inplace_chain(X, Y),
        "inplace_activation": lambda: F.relu(X.clone(), inplace=True).sigmoid_(),
        "setitem": lambda: _setitem_chain(X, I64),
    }


def _inplace_chain(X, Y):
    t = X.clone()
    t.add_(Y, alpha=2)
    t *= 0.5
    t.exp_()
    t -= Y
    t.clamp_(-1, 1)
    return t


def _setitem_chain(X, I64):
    z = rt.zeros(100_000)
    z[I64] = 1.0
    z[::2] = X[::2]
    z[X > 1] = X[X > 1] * 2
    return z


def _as_arrays(r):
    if isinstance(r, tuple):
        return [a for x in r for a in _as_arrays(x)]
    return [np.array(r.numpy(), copy=True)]


def _same(a, b):
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _concurrency_body(n_threads=CONCURRENT_THREADS, repeats=CONCURRENT_REPEATS):
    """Runs in a child process; exit status 0 when every result matched."""
    import faulthandler
    import random
    import sys

    faulthandler.enable()
    rt.set_num_threads(2)
    ops = _shared_ops()
    expected = {name: _as_arrays(f()) for name, f in ops.items()}  # the main thread alone
    errors = []
    running = {}

    def work(tid):
        order = list(ops)
        random.Random(tid).shuffle(order)
        try:
            for rep in range(repeats):
                for name in order:
                    running[tid] = name
                    got = _as_arrays(ops[name]())
                    exp = expected[name]
                    if len(got) != len(exp) or not all(_same(g, e) for g, e in zip(got, exp)):
                        bad = [(g.shape, g.dtype, int(np.count_nonzero(g != e)) if g.shape == e.shape else None)
                               for g, e in zip(got, exp)]
                        errors.append(f"thread {tid} repeat {rep}: {name} differs from the single-thread result: {bad}")
            running[tid] = None
        except BaseException as e:  # noqa: BLE001
            errors.append(f"thread {tid}: {running.get(tid)} raised {type(e).__name__}: {e}")

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n_threads)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = {i: running.get(i) for i, t in enumerate(threads) if t.is_alive()}
    if stuck:
        errors.append(f"threads still running after 120 s (deadlock?): {stuck}")
    for e in errors:
        print(e)
    print(f"{len(ops)} ops x {n_threads} threads x {repeats} repeats: {len(errors)} errors")
    sys.stdout.flush()
    os._exit(1 if errors else 0)  # daemon threads may still be stuck: do not wait for them


def test_many_threads_on_shared_inputs_match_single_thread_results():
    import subprocess
    import sys

    env = os.environ.copy()
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(rt.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkg_root, os.path.dirname(os.path.abspath(__file__))] +
                                        [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    code = "import test_threads; test_threads._concurrency_body()"
    try:
        p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the concurrency child hung for 300 s\nstdout:\n{e.stdout}\nstderr:\n{e.stderr}")
    if p.returncode < 0:
        how = f"killed by signal {signal.Signals(-p.returncode).name}"
    else:
        how = f"exit code {p.returncode}"
    # On a crash, faulthandler's stderr dump shows each thread's line in _shared_ops (the op it ran).
    assert p.returncode == 0, (f"concurrency child failed ({how})\nstdout:\n{p.stdout[-6000:]}\n"
                               f"stderr:\n{p.stderr[-6000:]}")
