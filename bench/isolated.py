"""Shared by the benchmarks that run each library alone in its own process
(bench_autograd.py, bench_losses.py, bench_optim.py, bench_nn.py, compare.py):
the worker's timing loop, the worker's environment, one worker run (a number,
or a stream of JSON lines), the CPU's name, the common command line, and the
torch-vs-rusttorch comparison loop.

torch's OpenMP threads keep spinning after its calls and would take the second
core from our pool, so a worker imports one library, times one case at one
thread count and prints microseconds per call; the driver alternates the
libraries over rounds and takes medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import platform
import subprocess
import sys
import tempfile

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


def worker_env(threads: int) -> dict:
    """This process's environment with the OpenMP, MKL and OpenBLAS pools
    sized to `threads` (read when a worker loads those libraries; a worker
    still calls its library's set_num_threads)."""
    n = str(threads)
    return dict(os.environ, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n)


def cpu_model() -> str:
    """The CPU's name from /proc/cpuinfo ("model name"; platform.processor()
    is often empty on Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_worker(worker: str, lib: str, threads: int, case: str) -> float:
    """Runs `worker` (Python source that prints a number last) as
    `python -c worker lib threads case` with worker_env(threads)."""
    env = worker_env(threads)
    out = subprocess.run([sys.executable, "-c", TIMEIT + worker, lib, str(threads), case], capture_output=True,
                         text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{lib} {case} ({threads} threads) failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


def stream_worker(argv: list, threads: int, label: str):
    """Runs `python argv...` with worker_env(threads) and yields each line of
    its standard output that is a JSON object, as soon as it is printed. Exits
    with the worker's standard error if it fails."""
    with tempfile.TemporaryFile("w+") as err:  # a file: a pipe could fill up and block the worker
        p = subprocess.Popen([sys.executable, *argv], stdout=subprocess.PIPE, stderr=err, text=True,
                             env=worker_env(threads))
        try:
            for line in p.stdout:
                if line.startswith("{"):
                    yield json.loads(line)
        finally:
            p.stdout.close()
            rc = p.wait()
        if rc != 0:
            err.seek(0)
            sys.exit(f"{label} failed (exit {rc}):\n{err.read()}")


def arg_parser(doc: str, cases) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--cases", default=",".join(cases))
    p.add_argument("--json")
    return p


# A worker prelude for comparisons of torch and rusttorch: L is the library
# named by argv[1], F its functional module, at argv[2] threads; `case` is
# argv[3]; leaf(*shape) a float32 standard-normal leaf that requires grad.
TORCH_OR_RUSTTORCH = r'''
import sys, time, json
import numpy as np
lib_name, threads, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if lib_name == "torch":
    import torch as L
    import torch.nn.functional as F
else:
    import rusttorch as L
    import rusttorch.nn.functional as F
L.set_num_threads(threads)
rng = np.random.default_rng(0)
def leaf(*shape):
    return L.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
'''


def compare(doc: str, worker: str, cases) -> None:
    """The command line of a torch-vs-rusttorch benchmark: for each thread
    count and case, alternating rounds of TORCH_OR_RUSTTORCH + worker under
    each library; prints (and with --json writes) the medians and ratios."""
    args = arg_parser(doc, cases).parse_args()
    width = max([12] + [len(c) for c in args.cases.split(",")])
    rows = []
    print(f"{'case':<{width}} {'thr':>3} {'torch us':>10} {'rusttorch us':>13} {'ratio':>7}")
    for threads in [int(t) for t in args.threads.split(",")]:
        for case in args.cases.split(","):
            t_torch, t_rt = [], []
            for _ in range(args.rounds):
                t_torch.append(run_worker(TORCH_OR_RUSTTORCH + worker, "torch", threads, case))
                t_rt.append(run_worker(TORCH_OR_RUSTTORCH + worker, "rusttorch", threads, case))
            mt, mr = statistics.median(t_torch), statistics.median(t_rt)
            rows.append({"case": case, "threads": threads, "torch_us": mt, "rusttorch_us": mr, "ratio": mt / mr})
            print(f"{case:<{width}} {threads:>3} {mt:>10.1f} {mr:>13.1f} {mt / mr:>6.2f}x", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
