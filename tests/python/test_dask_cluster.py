"""A real dask.distributed cluster on this machine (2 worker processes,
loopback only): examples/dask_scale_out.py builds an array larger than one
worker's memory limit from rusttorch chunks drawn on the workers, computes
x.sum(axis=0) and x @ v there, and checks them against NumPy (float64, block
by block). Then no worker process may be left behind."""
from __future__ import annotations

import importlib.util
import os
import time

import psutil

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "dask_scale_out.py")


def load_example():
    spec = importlib.util.spec_from_file_location("dask_scale_out", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def alive_worker(p):
    """A nanny or worker process (spawned by multiprocessing); multiprocessing's
    own resource tracker lives as long as this process and is not one."""
    try:
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        return "resource_tracker" not in " ".join(p.cmdline())
    except psutil.NoSuchProcess:
        return False


def test_local_cluster_scale_out():
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    t0 = time.monotonic()
    s = load_example().main(["--n", "12288", "--chunk", "2048", "--k", "8", "--memory-limit", "450MiB"])
    assert time.monotonic() - t0 < 90
    assert s["workers"] == 2 and s["dask_threads"] == [1, 1]
    assert s["rusttorch_threads"] == [1, 1]  # one rusttorch thread per Dask thread on each worker
    assert s["array_bytes"] > s["worker_memory_limit"]  # does not fit in one worker
    assert s["result_types"] == ["Tensor", "Tensor"]
    # float32 chunks, double accumulation in the sums, float32 GEMM over K = 12288
    assert s["sum_rel_err"] < 1e-5 and s["matmul_rel_err"] < 1e-5
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        left = {p.pid for p in me.children(recursive=True) if p.pid not in before and alive_worker(p)}
        if not left:
            break
        time.sleep(0.2)
    assert not left, f"worker processes left behind: {left}"
