"""Dask arrays of rusttorch chunks vs NumPy chunks (issue 17's target).

x.sum(axis=0) and (x * y + 1).sum() of 16k x 16k float32 arrays in 256 MiB
chunks, the same values in both chunk types, data already in memory
(persisted), median of repeats. Threaded scheduler (one thread per core), and
a 2-worker LocalCluster (loopback, 1 thread each) with --cluster.

    python3 bench/dask_compare.py [--n 16384] [--chunk 8192] [--repeat 5] [--cluster]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import dask
import dask.array as da
import numpy as np

import rusttorch as rt
import rusttorch.dask as rtd
from rusttorch._numpy_protocol import fallback_counts


def timed(f, repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), r


def cases(x, y):
    return {"x.sum(axis=0)": lambda: x.sum(axis=0).compute(),
            "(x * y + 1).sum()": lambda: (x * y + 1).sum().compute()}


def to_numpy_chunks(a):
    return a.map_blocks(lambda b: np.array(b), dtype=np.float32, meta=np.empty((0, 0), np.float32))


def run(x, y, repeat, label):
    xn, yn = dask.persist(to_numpy_chunks(x), to_numpy_chunks(y))
    rows = []
    for (name, f_rt), f_np in zip(cases(x, y).items(), cases(xn, yn).values()):
        f_rt(), f_np()  # warm-up: page faults, allocator caches, worker imports
        t_rt, r_rt = timed(f_rt, repeat)
        t_np, r_np = timed(f_np, repeat)
        a, b = np.asarray(r_rt, dtype=np.float64), np.asarray(r_np, dtype=np.float64)
        err = float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))
        rows.append({"setting": label, "case": name, "rusttorch_s": t_rt, "numpy_s": t_np,
                     "ratio": t_np / t_rt, "max_rel_diff": err})
        print(f"{label:18s} {name:20s} rusttorch {t_rt * 1e3:8.1f} ms  numpy {t_np * 1e3:8.1f} ms  "
              f"ratio {t_np / t_rt:5.2f}x  (results agree to {err:.1e})", flush=True)
    del xn, yn
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=16384)
    ap.add_argument("--chunk", type=int, default=8192)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cluster", action="store_true", help="also a 2-worker LocalCluster")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    n, c = args.n, args.chunk
    print(f"{n} x {n} float32, chunks {c} x {c} ({c * c * 4 / 2**20:.0f} MiB), {os.cpu_count()} CPUs")
    rows = []
    with dask.config.set(scheduler="threads"):
        x, y = dask.persist(rtd.randn((n, n), c, seed=1), rtd.randn((n, n), c, seed=2))
        assert type(x.blocks[0, 0].compute()) is rt.Tensor
        rows += run(x, y, args.repeat, "threads")
        del x, y
    if args.cluster:
        from distributed import Client, LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, memory_limit="8GiB") as cluster, Client(cluster) as client:
            rtd.install(client)
            x, y = dask.persist(rtd.randn((n, n), c, seed=1), rtd.randn((n, n), c, seed=2))
            rows += run(x, y, args.repeat, "LocalCluster 2x1")
            del x, y
    print("NumPy fallbacks in this process:", dict(fallback_counts) or "none")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
