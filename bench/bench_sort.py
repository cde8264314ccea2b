#!/usr/bin/env python3
"""The sorting family against torch: sort (values and indices) of 1M float32,
argsort of 1M int64 (full range, and in [0, 1e6)), sort and topk (k=10) of
each row of 1000x1000 float32, median of 1M float32, unique with counts of 1M
int64 in [0, 1e6), and, for information, kthvalue (k=500) of each row of
1000x1000, searchsorted of 1M float32 queries in 1M sorted float32, a stable
descending sort of 1M float32 and a gather of 1M along dim 1 of 1000x1000.
The data come from numpy with a fixed seed, the same for both libraries.

Each library runs alone in its own process (torch's OpenMP threads keep
spinning after its calls and would take the second core from our pool), at
the same thread count, in alternating rounds (isolated.run_worker); the
figures are medians, the ratio is torch time / rusttorch time, and a case
with a target says whether the ratio reaches it. A case whose op rusttorch
does not have yet (a missing attribute) is reported as n/a.

    PYTHONPATH=build/python python3 bench/bench_sort.py [--rounds 5] [--threads 1,2] [--cases ...]
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

# After TORCH_OR_RUSTTORCH (L, rng, case) and a line setting MIN_TIME. Prints
# microseconds per call, or nan (n/a) when rusttorch lacks the op.
WORKER = r'''
def need(obj, name):
    if not hasattr(obj, name):
        print(json.dumps(float("nan")))
        sys.exit(0)
N = 1_000_000
def floats(*shape):
    return L.tensor(rng.standard_normal(shape).astype(np.float32))
if case == "sort_1M":
    x = floats(N)
    fn = lambda: x.sort()
elif case == "argsort_i64_1M":
    x = L.tensor(rng.integers(-2**62, 2**62, N))
    fn = lambda: x.argsort()
elif case == "argsort_i64_1M_small":
    x = L.tensor(rng.integers(0, N, N))
    fn = lambda: x.argsort()
elif case == "sort_rows_1000x1000":
    x = floats(1000, 1000)
    fn = lambda: x.sort(dim=1)
elif case == "topk10_rows_1000x1000":
    x = floats(1000, 1000)
    fn = lambda: x.topk(10, dim=1)
elif case == "median_1M":
    x = floats(N)
    need(x, "median")
    fn = lambda: x.median()
elif case == "unique_counts_1M":
    x = L.tensor(rng.integers(0, N, N))
    need(L, "unique")
    fn = lambda: L.unique(x, return_counts=True)
elif case == "kthvalue500_rows_1000x1000":
    x = floats(1000, 1000)
    fn = lambda: x.kthvalue(500, dim=1)
elif case == "searchsorted_1M_1M":
    s = L.tensor(np.sort(rng.standard_normal(N).astype(np.float32)))
    q = floats(N)
    need(L, "searchsorted")
    fn = lambda: L.searchsorted(s, q)
elif case == "sort_stable_desc_1M":
    x = floats(N)
    fn = lambda: x.sort(descending=True, stable=True)
elif case == "gather_dim1_1000x1000":
    x = floats(1000, 1000)
    idx = L.tensor(rng.integers(0, 1000, (1000, 1000)))
    fn = lambda: x.gather(1, idx)
else:
    sys.exit(f"unknown case {case}")
print(json.dumps(timeit(fn, MIN_TIME) * 1e6))
'''

# case -> the ratio (torch time / rusttorch time) it should reach, None where informational.
TARGETS = {
    "sort_1M": 10.0,
    "argsort_i64_1M": 5.0,
    "argsort_i64_1M_small": None,
    "sort_rows_1000x1000": 5.0,
    "topk10_rows_1000x1000": 3.0,
    "median_1M": 3.0,
    "unique_counts_1M": 3.0,
    "kthvalue500_rows_1000x1000": None,
    "searchsorted_1M_1M": None,
    "sort_stable_desc_1M": None,
    "gather_dim1_1000x1000": None,
}
CASES = list(TARGETS)
MIN_TIME = {True: 0.05, False: 0.3}  # seconds per timing batch, by --quick

META = r'''
import json, torch, rusttorch as rt
print(json.dumps({"torch": torch.__version__, "sort_target": rt._C._sort_target()}))
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


def write_markdown(rows, info, path) -> None:
    lines = [f"Sorting family, torch {info['torch']} vs rusttorch (Highway sort target {info['sort_target']}); "
             f"{info['cpu']}, {info['cores']} cores; {info['date']}; medians of {info['rounds']} rounds, "
             "each library alone in its own process; ratio = torch time / rusttorch time.", "",
             "| case | threads | torch µs | rusttorch µs | ratio | target |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = fmt_ratio(r["ratio"])
        if r["ratio"] is not None and r["ratio"] >= 1:
            ratio = f"**{ratio}**"
        lines.append(f"| {r['case']} | {r['threads']} | {fmt_us(r['torch_us'])} | {fmt_us(r['rusttorch_us'])} | "
                     f"{ratio} | {target_cell(r)} |")
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
            "sort_target": meta["sort_target"], "torch": meta["torch"], "rounds": rounds,
            "min_time_s": MIN_TIME[args.quick],
            "isolated": "each library timed alone in its own process; medians over alternating rounds"}
    print(f"{info['cpu']}, {info['cores']} cores; torch {info['torch']}; Highway sort target {info['sort_target']}; "
          f"{rounds} round(s), {info['min_time_s']} s batches")
    width = max(len(c) for c in cases)
    header = f"{'case':<{width}} {'thr':>3} {'torch µs':>10} {'rusttorch µs':>13} {'ratio':>7}  target"
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
                   "min_us": {"torch": min(t_torch), "rusttorch": None if mr is None else min(t_rt)},
                   "loadavg_1min": os.getloadavg()[0]}  # other processes on the machine skew the 2-thread runs
            rows.append(row)
            print(f"{case:<{width}} {threads:>3} {fmt_us(mt):>10} {fmt_us(mr):>13} {fmt_ratio(ratio):>7}  "
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
