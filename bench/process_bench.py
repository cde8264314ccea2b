"""The driver shared by the side-by-side benchmarks that time each library
alone in its own process (bench_autograd.py, bench_losses.py): torch's OpenMP
threads keep spinning after its calls and would take the second core from our
pool. A worker script runs after PRELUDE (which gives it `L`, the library,
`F`, its functional module, `case`, `rng`, `leaf` and `timeit`) and prints
microseconds per call; rounds alternate torch and rusttorch, and the figures
are medians."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import List

PRELUDE = r'''
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
def timeit(fn, min_time=0.3):
    fn(); fn()
    n, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t >= min_time:
            return t / n
        n *= 2
'''


def run(worker: str, lib: str, threads: int, case: str) -> float:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", PRELUDE + worker, lib, str(threads), case], capture_output=True, text=True,
                         env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(description: str, worker: str, cases: List[str]) -> None:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--cases", default=",".join(cases))
    p.add_argument("--json")
    args = p.parse_args()
    width = max(12, max(len(c) for c in args.cases.split(",")))
    rows = []
    print(f"{'case':<{width}} {'thr':>3} {'torch us':>10} {'rusttorch us':>13} {'ratio':>7}")
    for threads in [int(t) for t in args.threads.split(",")]:
        for case in args.cases.split(","):
            t_torch, t_rt = [], []
            for _ in range(args.rounds):
                t_torch.append(run(worker, "torch", threads, case))
                t_rt.append(run(worker, "rusttorch", threads, case))
            mt, mr = statistics.median(t_torch), statistics.median(t_rt)
            rows.append({"case": case, "threads": threads, "torch_us": mt, "rusttorch_us": mr, "ratio": mt / mr})
            print(f"{case:<{width}} {threads:>3} {mt:>10.1f} {mr:>13.1f} {mt / mr:>6.2f}x", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
