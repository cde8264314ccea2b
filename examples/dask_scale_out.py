"""Scale out with Dask: an array larger than a worker's memory, made of
rusttorch chunks drawn on the workers, reduced and multiplied there.

    python3 examples/dask_scale_out.py                        # a LocalCluster: 2 worker processes, loopback
    python3 examples/dask_scale_out.py --scheduler tcp://HOST:8786 --n 65536   # an existing cluster

On several machines (rusttorch and dask[distributed] installed on each):

    dask scheduler --host HOST                                    # on one machine
    dask worker tcp://HOST:8786 --nthreads 8 --memory-limit 16GiB  # on every machine

The client only builds the graph and, here, checks the result: it never holds
the array. The check regenerates one block at a time (the chunks are seeded
per block) and accumulates NumPy's float64 answer.
"""
from __future__ import annotations

import argparse
import json
import time

import dask
import numpy as np

import rusttorch as rt
import rusttorch.dask as rtd


def parse_bytes(s: str) -> int:
    units = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
    for u, m in units.items():
        if s.endswith(u):
            return int(float(s[: -len(u)]) * m)
    return int(s)


def reference(n, chunk, k, seed_x, seed_v):
    """NumPy's float64 x.sum(axis=0) and x @ v, block by block (never all of x at once)."""
    nb = -(-n // chunk)
    v = np.concatenate([rtd._randn_block(rtd.block_seed(seed_v, i), (min(chunk, n - i * chunk), k),
                                         rt.float32).numpy() for i in range(nb)]).astype(np.float64)
    s = np.zeros(n)
    m = np.zeros((n, k))
    for i in range(nb):
        for j in range(nb):
            rows, cols = slice(i * chunk, min(n, (i + 1) * chunk)), slice(j * chunk, min(n, (j + 1) * chunk))
            xb = rtd._randn_block(rtd.block_seed(seed_x, i * nb + j), (rows.stop - rows.start, cols.stop - cols.start),
                                  rt.float32).numpy().astype(np.float64)
            s[cols] += xb.sum(axis=0)
            m[rows] += xb @ v[cols]
    return s, m


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scheduler", help="address of a running dask scheduler (default: start a LocalCluster)")
    ap.add_argument("--n", type=int, default=16384, help="x is n x n float32")
    ap.add_argument("--chunk", type=int, default=2048)
    ap.add_argument("--k", type=int, default=16, help="v is n x k")
    ap.add_argument("--memory-limit", default="700MiB", help="per LocalCluster worker")
    ap.add_argument("--no-check", action="store_true", help="skip the NumPy check in the client")
    args = ap.parse_args(argv)
    from distributed import Client, LocalCluster

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, memory_limit=args.memory_limit)
        client = Client(cluster)
    try:
        rtd.install(client)  # rusttorch threads per worker = its Dask threads
        workers = client.scheduler_info()["workers"]
        limit = min(w["memory_limit"] for w in workers.values())
        threads = client.run(rt.get_num_threads)
        x = rtd.randn((args.n, args.n), args.chunk, seed=1)
        v = rtd.randn((args.n, args.k), (args.chunk, args.k), seed=2)
        t0 = time.perf_counter()
        s, m = dask.compute(x.sum(axis=0), x @ v)
        elapsed = time.perf_counter() - t0
        summary = {"workers": len(workers), "worker_memory_limit": limit, "array_bytes": x.nbytes,
                   "rusttorch_threads": sorted(threads.values()),
                   "dask_threads": sorted(w["nthreads"] for w in workers.values()),
                   "result_types": [type(s).__name__, type(m).__name__], "seconds": round(elapsed, 3)}
        if not args.no_check:
            s_ref, m_ref = reference(args.n, args.chunk, args.k, 1, 2)
            summary["sum_rel_err"] = float(np.max(np.abs(s.numpy() - s_ref)) / np.max(np.abs(s_ref)))
            summary["matmul_rel_err"] = float(np.max(np.abs(m.numpy() - m_ref)) / np.max(np.abs(m_ref)))
        print(json.dumps(summary))
        return summary
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    main()
