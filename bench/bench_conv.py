#!/usr/bin/env python3
"""Convolution and pooling against torch (float32, NCHW): conv2d 3x3 of
8x64x56x56 by 64x64x3x3 with padding 1 (forward, and the backward of input
and weight through autograd.grad with y computed once outside the timed
call), conv2d 1x1 of 8x256x14x14 to 64 channels, depthwise 3x3 of
8x128x56x56 (groups 128, padding 1), max_pool2d 2x2 of 8x64x56x56 and, for
information, avg_pool2d 2x2 and max_pool2d 3x3 stride 2 padding 1 of the same
input. The data come from numpy with a fixed seed, the same for both
libraries; the convolutions also get GFLOP/s (2 multiply-adds' worth of FLOP
per weight tap and output element; the backward counts two such products,
grad of input and grad of weight).

Each library runs alone in its own process (torch's OpenMP threads keep
spinning after its calls and would take the second core from our pool), at
the same thread count, in alternating rounds (isolated.run_worker); the
figures are medians, the ratio is torch time / rusttorch time, and a case
with a target says whether the ratio reaches it. A case whose op rusttorch
does not have yet (a missing attribute) is reported as n/a.

    PYTHONPATH=build/python python3 bench/bench_conv.py [--rounds 5] [--threads 1,2] [--cases ...]
        [--quick] [--json FILE] [--markdown FILE]

--quick (1 round, 0.05 s timing batches) is a smoke run of about a minute.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import time

from isolated import TORCH_OR_RUSTTORCH, arg_parser, cpu_model, run_worker, stream_worker

# After TORCH_OR_RUSTTORCH (L, F, rng, case, leaf) and a line setting
# MIN_TIME. Prints microseconds per call, or nan (n/a) when rusttorch lacks
# the op.
WORKER = r'''
def need(obj, name):
    if not hasattr(obj, name):
        print(json.dumps(float("nan")))
        sys.exit(0)
def floats(*shape):
    return L.tensor(rng.standard_normal(shape).astype(np.float32))
if case == "conv2d_3x3":
    need(F, "conv2d")
    x, w = floats(8, 64, 56, 56), floats(64, 64, 3, 3)
    fn = lambda: F.conv2d(x, w, padding=1)
elif case == "conv2d_1x1":
    need(F, "conv2d")
    x, w = floats(8, 256, 14, 14), floats(64, 256, 1, 1)
    fn = lambda: F.conv2d(x, w)
elif case == "depthwise_3x3":
    need(F, "conv2d")
    x, w = floats(8, 128, 56, 56), floats(128, 1, 3, 3)
    fn = lambda: F.conv2d(x, w, padding=1, groups=128)
elif case == "conv2d_3x3_backward":
    need(F, "conv2d")
    x, w = leaf(8, 64, 56, 56), leaf(64, 64, 3, 3)
    y = F.conv2d(x, w, padding=1)
    g = floats(*y.shape)
    fn = lambda: L.autograd.grad(y, (x, w), g, retain_graph=True)
elif case == "max_pool2d_2x2":
    need(F, "max_pool2d")
    x = floats(8, 64, 56, 56)
    fn = lambda: F.max_pool2d(x, 2)
elif case == "avg_pool2d_2x2":
    need(F, "avg_pool2d")
    x = floats(8, 64, 56, 56)
    fn = lambda: F.avg_pool2d(x, 2)
elif case == "max_pool2d_3x3_s2_p1":
    need(F, "max_pool2d")
    x = floats(8, 64, 56, 56)
    fn = lambda: F.max_pool2d(x, 3, stride=2, padding=1)
else:
    sys.exit(f"unknown case {case}")
print(json.dumps(timeit(fn, MIN_TIME) * 1e6))
'''

# case -> the ratio (torch time / rusttorch time) it should reach, None where informational.
TARGETS = {
    "conv2d_3x3": 0.9,
    "conv2d_1x1": 1.0,
    "depthwise_3x3": 1.5,
    "conv2d_3x3_backward": 0.9,
    "max_pool2d_2x2": 3.0,
    "avg_pool2d_2x2": None,
    "max_pool2d_3x3_s2_p1": None,
}
CASES = list(TARGETS)
# case -> FLOP per call (2 per multiply-add), for the GFLOP/s columns; the pools have none.
FLOP = {
    "conv2d_3x3": 2 * 8 * 64 * 64 * 9 * 56 * 56,
    "conv2d_1x1": 2 * 8 * 64 * 256 * 14 * 14,
    "depthwise_3x3": 2 * 8 * 128 * 9 * 56 * 56,
    "conv2d_3x3_backward": 2 * (2 * 8 * 64 * 64 * 9 * 56 * 56),  # grad of input + grad of weight
}
MIN_TIME = {True: 0.05, False: 0.3}  # seconds per timing batch, by --quick

META = r'''
import json, torch, rusttorch as rt
print(json.dumps({"torch": torch.__version__, "cpu_capability": rt._C._get_cpu_capability()}))
'''


def target_cell(row) -> str:
    if row["target"] is None:
        return "-"
    if row["ratio"] is None:
        return f"n/a (>= {row['target']:g}x)"
    return f"{'met' if row['met'] else 'MISSED'} (>= {row['target']:g}x)"


def fmt_us(t) -> str:
    return "n/a" if t is None else f"{t:.1f}"


def fmt_ratio(r) -> str:
    return "n/a" if r is None else f"{r:.2f}x"


def gflops(case, t_us):
    """GFLOP/s of `case` at t_us microseconds per call, None for a pool or n/a."""
    return None if case not in FLOP or t_us is None else FLOP[case] / t_us / 1e3


def fmt_gflops(g) -> str:
    return "-" if g is None else f"{g:.1f}"


def write_markdown(rows, info, path) -> None:
    lines = [f"Convolution and pooling, torch {info['torch']} vs rusttorch (CPU capability "
             f"{info['cpu_capability']}); {info['cpu']}, {info['cores']} cores; {info['date']}; medians of "
             f"{info['rounds']} rounds, each library alone in its own process; ratio = torch time / rusttorch "
             "time; GFLOP/s for the convolutions (2 FLOP per multiply-add; the backward counts grad of input "
             "and of weight).", "",
             "| case | threads | torch µs | rusttorch µs | ratio | torch GFLOP/s | rusttorch GFLOP/s | target |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = fmt_ratio(r["ratio"])
        if r["ratio"] is not None and r["ratio"] >= 1:
            ratio = f"**{ratio}**"
        lines.append(f"| {r['case']} | {r['threads']} | {fmt_us(r['torch_us'])} | {fmt_us(r['rusttorch_us'])} | "
                     f"{ratio} | {fmt_gflops(r['torch_gflops'])} | {fmt_gflops(r['rusttorch_gflops'])} | "
                     f"{target_cell(r)} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main() -> None:
    p = arg_parser(__doc__, CASES)
    p.set_defaults(rounds=None)
    p.add_argument("--quick", action="store_true", help="1 round (unless --rounds) and 0.05 s timing batches")
    p.add_argument("--markdown", help="write the table as Markdown to this file")
    args = p.parse_args()
    rounds = args.rounds or (1 if args.quick else 5)
    cases = args.cases.split(",")
    unknown = [c for c in cases if c not in TARGETS]
    if unknown:
        p.error(f"unknown cases {unknown}; known: {','.join(CASES)}")
    thread_counts = [int(t) for t in args.threads.split(",")]
    worker = TORCH_OR_RUSTTORCH + f"MIN_TIME = {MIN_TIME[args.quick]}\n" + WORKER

    t0 = time.perf_counter()
    meta = next(stream_worker(["-c", META], 1, "rusttorch/torch version check"))
    info = {"date": time.strftime("%Y-%m-%d"), "cpu": cpu_model(), "cores": os.cpu_count(),
            "cpu_capability": meta["cpu_capability"], "torch": meta["torch"], "rounds": rounds,
            "min_time_s": MIN_TIME[args.quick], "flop": FLOP,
            "isolated": "each library timed alone in its own process; medians over alternating rounds"}
    print(f"{info['cpu']}, {info['cores']} cores; torch {info['torch']}; rusttorch CPU capability "
          f"{info['cpu_capability']}; {rounds} round(s), {info['min_time_s']} s batches")
    width = max(len(c) for c in cases)
    header = (f"{'case':<{width}} {'thr':>3} {'torch µs':>10} {'rusttorch µs':>13} {'ratio':>7} "
              f"{'GFLOP/s t/r':>13}  target")
    rows = []
    total, done = len(cases) * len(thread_counts), 0
    for threads in thread_counts:
        print(f"\n{threads} thread(s)\n{header}\n{'-' * (len(header) + 12)}", flush=True)
        for case in cases:
            t_torch, t_rt = [], []
            for _ in range(rounds):
                t_torch.append(run_worker(worker, "torch", threads, case))
                t_rt.append(run_worker(worker, "rusttorch", threads, case))
                if math.isnan(t_rt[-1]):  # rusttorch lacks the op: one torch time is enough
                    break
            done += 1
            mt = statistics.median(t_torch)
            mr = None if math.isnan(t_rt[-1]) else statistics.median(t_rt)
            target = TARGETS[case]
            ratio = None if mr is None else mt / mr
            row = {"case": case, "threads": threads, "torch_us": mt, "rusttorch_us": mr, "ratio": ratio,
                   "target": target, "met": None if target is None or ratio is None else ratio >= target,
                   "torch_gflops": gflops(case, mt), "rusttorch_gflops": gflops(case, mr),
                   "min_us": {"torch": min(t_torch), "rusttorch": None if mr is None else min(t_rt)},
                   "loadavg_1min": os.getloadavg()[0]}  # other processes on the machine skew the 2-thread runs
            rows.append(row)
            gf = ("" if case not in FLOP else
                  f"{fmt_gflops(row['torch_gflops'])}/{fmt_gflops(row['rusttorch_gflops'])}")
            print(f"{case:<{width}} {threads:>3} {fmt_us(mt):>10} {fmt_us(mr):>13} {fmt_ratio(ratio):>7} {gf:>13}  "
                  f"{target_cell(row):<20} [{done}/{total}, {time.perf_counter() - t0:.0f} s]", flush=True)

    print("\ntargets:")
    for case in cases:
        if TARGETS[case] is None:
            continue
        cells = [f"{r['threads']} thr " + ("n/a" if r["ratio"] is None else
                                            f"{fmt_ratio(r['ratio'])} {'met' if r['met'] else 'MISSED'}")
                 for r in rows if r["case"] == case]
        print(f"  {case:<{width}} >= {TARGETS[case]:g}x: " + ", ".join(cells))
    print(f"{time.perf_counter() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(info, rows=rows), f, indent=1)
    if args.markdown:
        write_markdown(rows, info, args.markdown)


if __name__ == "__main__":
    main()
