"""Threads: the GIL is released while kernels run on large tensors, and
calls from several Python threads at once are safe and correct."""
from __future__ import annotations

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
