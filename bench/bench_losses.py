#!/usr/bin/env python3
"""Fused losses against torch: forward + backward of cross_entropy on 256x1000
float32 logits (class indices), of cross_entropy over a strided class dim
(8x21x64x64, segmentation-shaped), and of binary_cross_entropy_with_logits on
1M float32 elements.

Each library runs alone in its own process (torch's OpenMP threads keep
spinning after its calls and would take the second core from our pool), at
the same thread count, in alternating rounds; the figures are medians.

    PYTHONPATH=build/python python3 bench/bench_losses.py [--rounds 5] [--threads 1,2] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

WORKER = r'''
import sys, time, json
import numpy as np
lib_name, threads, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if lib_name == "torch":
    import torch as L
    import torch.nn.functional as F
    cross_entropy, bce = F.cross_entropy, F.binary_cross_entropy_with_logits
else:
    import rusttorch as L
    import rusttorch.nn.functional as F
    # the functional wrappers when the package has them, else the _C entry points they call
    cross_entropy = getattr(F, "cross_entropy", None) or (
        lambda x, t: L._C._cross_entropy(x, t, None, "mean", -100, 0.0))
    bce = getattr(F, "binary_cross_entropy_with_logits", None) or (
        lambda x, t: L._C._binary_cross_entropy_with_logits(x, t, None, None, "mean"))
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
if case == "cross_entropy":
    x = leaf(256, 1000)
    t = L.tensor(rng.integers(0, 1000, 256))
    def fn():
        cross_entropy(x, t).backward()
elif case == "cross_entropy_2d":
    x = leaf(8, 21, 64, 64)
    t = L.tensor(rng.integers(0, 21, (8, 64, 64)))
    def fn():
        cross_entropy(x, t).backward()
else:
    x = leaf(1000, 1000)
    t = L.tensor(rng.random((1000, 1000)).astype(np.float32))
    def fn():
        bce(x, t).backward()
print(json.dumps(timeit(fn) * 1e6))
'''

CASES = ["cross_entropy", "cross_entropy_2d", "bce_with_logits"]


def run(lib: str, threads: int, case: str) -> float:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", WORKER, lib, str(threads), case], capture_output=True, text=True,
                         env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--json")
    args = p.parse_args()
    rows = []
    print(f"{'case':<17} {'thr':>3} {'torch us':>10} {'rusttorch us':>13} {'ratio':>7}")
    for threads in [int(t) for t in args.threads.split(",")]:
        for case in args.cases.split(","):
            t_torch, t_rt = [], []
            for _ in range(args.rounds):
                t_torch.append(run("torch", threads, case))
                t_rt.append(run("rusttorch", threads, case))
            mt, mr = statistics.median(t_torch), statistics.median(t_rt)
            rows.append({"case": case, "threads": threads, "torch_us": mt, "rusttorch_us": mr, "ratio": mt / mr})
            print(f"{case:<17} {threads:>3} {mt:>10.1f} {mr:>13.1f} {mt / mr:>6.2f}x", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
