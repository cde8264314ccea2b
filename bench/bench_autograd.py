#!/usr/bin/env python3
"""Autograd against torch: a small graph forward + backward, and the backward
of matmul, softmax and activations on 1000x1000 float32.

Each library runs alone in its own process (torch's OpenMP threads keep
spinning after its calls and would take the second core from our pool), at
the same thread count, in alternating rounds; the figures are medians.

    PYTHONPATH=build/python python3 bench/bench_autograd.py [--rounds 5] [--threads 1,2] [--json FILE]
"""
from __future__ import annotations

import json
import statistics

from isolated import arg_parser, run_worker

WORKER = r'''
import sys, time, json
import numpy as np
lib_name, threads, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if lib_name == "torch":
    import torch as L
    import torch.nn.functional as F
    L.set_num_threads(threads)
else:
    import rusttorch as L
    import rusttorch.nn.functional as F
    L.set_num_threads(threads)
rng = np.random.default_rng(0)
def leaf(*shape):
    return L.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
if case == "small_graph":
    a, b, c = leaf(16), leaf(16), leaf(16)
    def fn():
        ((a * b + a).exp() * c).sum().backward()
else:
    n = 1000
    x = leaf(n, n)
    g = L.tensor(rng.standard_normal((n, n)).astype(np.float32))
    if case == "matmul":
        w = leaf(n, n)
        y = x @ w
    elif case == "softmax":
        y = F.softmax(x, dim=-1)
    else:
        y = getattr(F, case)(x)
    def fn():
        y.backward(g, retain_graph=True)
print(json.dumps(timeit(fn) * 1e6))
'''

CASES = ["small_graph", "matmul", "softmax", "relu", "gelu", "sigmoid", "tanh", "silu"]


def run(lib: str, threads: int, case: str) -> float:
    return run_worker(WORKER, lib, threads, case)


def main() -> None:
    args = arg_parser(__doc__, CASES).parse_args()
    rows = []
    print(f"{'case':<12} {'thr':>3} {'torch us':>10} {'rusttorch us':>13} {'ratio':>7}")
    for threads in [int(t) for t in args.threads.split(",")]:
        for case in args.cases.split(","):
            t_torch, t_rt = [], []
            for _ in range(args.rounds):
                t_torch.append(run("torch", threads, case))
                t_rt.append(run("rusttorch", threads, case))
            mt, mr = statistics.median(t_torch), statistics.median(t_rt)
            rows.append({"case": case, "threads": threads, "torch_us": mt, "rusttorch_us": mr, "ratio": mt / mr})
            print(f"{case:<12} {threads:>3} {mt:>10.1f} {mr:>13.1f} {mt / mr:>6.2f}x", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
