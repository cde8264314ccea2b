#!/usr/bin/env python3
"""Optimizer steps against torch: Adam over 1M float32 params (one tensor, and
20 tensors of 50k) against torch's default Adam (the for-loop) and
Adam(fused=True), and SGD with momentum over the same params against torch's
default SGD and SGD(fused=True). rusttorch runs its fused kernels
(_C._fused_adam_, _C._fused_sgd_) with the state kept in Python lists, as an
optimizer class would.

Each library runs alone in its own process (torch's OpenMP threads keep
spinning after its calls and would take the second core from our pool), at
the same thread count, in alternating rounds; the figures are medians. The
bytes a step must move (each parameter, gradient and state element read once
and each written one stored once) over its time give its bandwidth, printed
next to that of a large rusttorch add into a reused output (three streams, the
memory roof of this machine).

    PYTHONPATH=build/python python3 bench/bench_optim.py [--rounds 5] [--threads 1,2] [--json FILE]
"""
from __future__ import annotations

import json
import os
import statistics

from isolated import arg_parser, run_worker

WORKER = r'''
import sys, time, json
lib, threads, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
N = 1_000_000
opt_name, layout = case.split("_")
sizes = [N] if layout == "1x1M" else [N // 20] * 20
if lib.startswith("torch"):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    params = [torch.randn(n, requires_grad=True) for n in sizes]
    for p, n in zip(params, sizes):
        p.grad = torch.randn(n)
    kw = {"fused": True} if lib == "torch_fused" else {}
    if opt_name == "adam":
        opt = torch.optim.Adam(params, lr=1e-3, **kw)
    else:
        opt = torch.optim.SGD(params, lr=1e-3, momentum=0.9, **kw)
    step = opt.step
elif lib == "stream":  # a + b into a reused c: 3 streams of 16M float32
    import rusttorch as rt
    rt.set_num_threads(threads)
    a, b, c = rt.randn(1 << 24), rt.randn(1 << 24), rt.zeros(1 << 24)
    def step():
        rt.add(a, b, out=c)
else:
    import rusttorch as rt
    rt.set_num_threads(threads)
    params = [rt.randn(n) for n in sizes]
    grads = [rt.randn(n) for n in sizes]
    if opt_name == "adam":
        exp_avgs = [rt.zeros(n) for n in sizes]
        exp_avg_sqs = [rt.zeros(n) for n in sizes]
        steps = [0.0] * len(sizes)
        def step():
            for i in range(len(steps)):
                steps[i] += 1
            rt._C._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=1e-3, beta1=0.9, beta2=0.999,
                               weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False,
                               decoupled_weight_decay=False)
    else:
        bufs = [rt.zeros(n) for n in sizes]
        state = {"first": True}
        def step():
            rt._C._fused_sgd_(params, grads, bufs, [state["first"]] * len(sizes), lr=1e-3, momentum=0.9,
                              dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False)
            state["first"] = False
print(json.dumps(timeit(step) * 1e6))
'''

CASES = ["adam_1x1M", "adam_20x50k", "sgd_1x1M", "sgd_20x50k"]
LIBS = ["torch", "torch_fused", "rusttorch"]
# Bytes one step moves per parameter element (float32): reads and writes of each stream.
BYTES = {"adam": 4 * (4 + 3), "sgd": 4 * (3 + 2)}


def run(lib: str, threads: int, case: str) -> float:
    return run_worker(WORKER, lib, threads, case)


def main() -> None:
    args = arg_parser(__doc__, CASES).parse_args()
    rows = []
    print(f"{'case':<12} {'thr':>3} {'torch us':>9} {'fused us':>9} {'rusttorch us':>13} {'vs torch':>9} "
          f"{'vs fused':>9} {'GB/s':>6} {'roof GB/s':>9}")
    for threads in [int(t) for t in args.threads.split(",")]:
        roof_us = statistics.median(run("stream", threads, "stream_x") for _ in range(args.rounds))
        roof = 3 * 4 * (1 << 24) / roof_us / 1e3
        for case in args.cases.split(","):
            times = {lib: [] for lib in LIBS}
            for _ in range(args.rounds):
                for lib in LIBS:
                    times[lib].append(run(lib, threads, case))
            med = {lib: statistics.median(t) for lib, t in times.items()}
            best = {lib: min(t) for lib, t in times.items()}
            gbs = BYTES[case.split("_")[0]] * 1_000_000 / med["rusttorch"] / 1e3
            row = {"case": case, "threads": threads, "torch_us": med["torch"], "torch_fused_us": med["torch_fused"],
                   "rusttorch_us": med["rusttorch"], "ratio_vs_torch": med["torch"] / med["rusttorch"],
                   "ratio_vs_torch_fused": med["torch_fused"] / med["rusttorch"], "rusttorch_gb_s": gbs,
                   "add_roof_gb_s": roof, "min_us": best,
                   "loadavg_1min": os.getloadavg()[0]}  # other processes on the machine skew the 2-thread runs
            rows.append(row)
            print(f"{case:<12} {threads:>3} {med['torch']:>9.1f} {med['torch_fused']:>9.1f} {med['rusttorch']:>13.1f} "
                  f"{row['ratio_vs_torch']:>8.2f}x {row['ratio_vs_torch_fused']:>8.2f}x {gbs:>6.1f} {roof:>9.1f}",
                  flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
