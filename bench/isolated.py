"""Shared by the benchmarks that run each library alone in its own process
(bench_autograd.py, bench_optim.py): the worker's timing loop, one worker run,
and the common command line.

torch's OpenMP threads keep spinning after its calls and would take the second
core from our pool, so a worker imports one library, times one case at one
thread count and prints microseconds per call; the driver alternates the
libraries over rounds and takes medians.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

# Appended to each worker's source: timeit(fn) -> seconds per call (doubling
# the repetitions until a batch takes min_time).
TIMEIT = r'''
import time as _time
def timeit(fn, min_time=0.3):
    fn(); fn()
    n = 1
    while True:
        t0 = _time.perf_counter()
        for _ in range(n):
            fn()
        t = _time.perf_counter() - t0
        if t >= min_time:
            return t / n
        n *= 2
'''


def run_worker(worker: str, lib: str, threads: int, case: str) -> float:
    """Runs `worker` (Python source that prints a number last) as
    `python -c worker lib threads case` with OMP_NUM_THREADS=threads."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", TIMEIT + worker, lib, str(threads), case], capture_output=True,
                         text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{lib} {case} ({threads} threads) failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def arg_parser(doc: str, cases) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--cases", default=",".join(cases))
    p.add_argument("--json")
    return p
