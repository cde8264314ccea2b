#!/usr/bin/env python3
"""The performance targets the issues set, measured against torch in one
process at equal thread counts (1 and 2), each result checked against torch
before it is timed (bench/compare.py's timing and checking).

Every row prints rusttorch's time, torch's time, the ratio torch/rusttorch, the
target and whether it is met. Bandwidth targets compare against this machine's
copy bandwidth measured in the same run (the fastest of torch's copy_, NumPy's
copyto and rusttorch's copy_ of 64 MiB into an existing buffer; loads and
stores each counted once), not against a figure from a datasheet.

    PYTHONPATH=build/python python3 bench/targets.py [--threads 1,2] [--only softmax,gemm] [--json out.json]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

import rusttorch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import check, median_time  # noqa: E402

BUDGET = 0.4  # seconds of timed repeats per library and row


def randn(*shape):
    return np.random.default_rng(len(shape) + shape[0]).standard_normal(shape, dtype=np.float32)


class Rows:
    def __init__(self):
        self.rows = []

    def ratio(self, group, name, threads, rfn, tfn, target, flops=None):
        """Target: torch_time / rusttorch_time >= target."""
        kind = name.split()[0]  # compare.check's tolerance is per op name
        check({"mm": "matmul", "linear": "matmul"}.get(kind, kind), rfn(), tfn())
        rt, tt = median_time(rfn, BUDGET), median_time(tfn, BUDGET)
        extra = f"{flops / rt / 1e9:6.1f} GFLOP/s" if flops else ""
        self._add(group, name, threads, rt, tt, tt / rt, f">= {target:.2f}x torch", tt / rt >= target, extra)

    def bandwidth(self, group, name, threads, rfn, tfn, nbytes, copy_gbs, target):
        """Target: rusttorch's bytes/s >= target * the measured copy bandwidth."""
        rt, tt = median_time(rfn, BUDGET), median_time(tfn, BUDGET)
        gbs = nbytes / rt / 1e9
        self._add(group, name, threads, rt, tt, tt / rt, f">= {target:.0%} of copy ({copy_gbs:.1f} GB/s)",
                  gbs >= target * copy_gbs, f"{gbs:6.1f} GB/s, torch {nbytes / tt / 1e9:.1f}")

    def _add(self, group, name, threads, rt, tt, ratio, target, met, extra):
        row = dict(group=group, name=name, threads=threads, rusttorch_s=rt, torch_s=tt, ratio=ratio,
                   target=target, met=bool(met), extra=extra)
        self.rows.append(row)
        print(f"{group:<6} {name:<22} {threads:>3} {rt * 1e3:9.3f}ms {tt * 1e3:9.3f}ms {ratio:7.2f}x  "
              f"{'MET ' if met else 'MISS'} {target:<34} {extra}", flush=True)


def copy_bandwidth():
    """GB/s of the fastest 64 MiB float32 copy into an existing buffer (read + write)."""
    src, dst = randn(1 << 24), np.empty(1 << 24, dtype=np.float32)
    ts, td, rs, rd = torch.from_numpy(src), torch.from_numpy(dst), rusttorch.from_numpy(src), rusttorch.from_numpy(dst)
    best = min(median_time(f, BUDGET) for f in (lambda: td.copy_(ts), lambda: np.copyto(dst, src), lambda: rd.copy_(rs)))
    return 2 * src.nbytes / best / 1e9


def memory(rows, nt, copy_gbs):
    n = 1 << 24
    a, b = randn(n), randn(n)
    ra, rb, ta, tb = rusttorch.from_numpy(a), rusttorch.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    check("add", rusttorch.add(ra, rb), torch.add(ta, tb))
    rows.bandwidth("mem", "add 16M fresh", nt, lambda: rusttorch.add(ra, rb), lambda: torch.add(ta, tb),
                   3 * n * 4, copy_gbs, 0.9)
    rout, tout = rusttorch.empty(n), torch.empty(n)
    rows.bandwidth("mem", "add 16M out=", nt, lambda: rusttorch.add(ra, rb, out=rout),
                   lambda: torch.add(ta, tb, out=tout), 3 * n * 4, copy_gbs, 0.9)
    check("sum", rusttorch.sum(ra), torch.sum(ta))
    rows.bandwidth("reduce", "sum 16M", nt, lambda: rusttorch.sum(ra), lambda: torch.sum(ta), n * 4, copy_gbs, 0.9)


def reductions(rows, nt):
    x = randn(4096, 4096)
    rx, tx = rusttorch.from_numpy(x), torch.from_numpy(x)
    for op in ("sum", "mean"):
        for d in (0, 1):
            rows.ratio("reduce", f"{op} dim{d} 4096^2", nt, lambda: getattr(rusttorch, op)(rx, dim=d),
                       lambda: getattr(torch, op)(tx, dim=d), 1.2)


def softmax(rows, nt):
    for n in (2048, 4096):
        x = randn(n, n)
        rx, tx = rusttorch.from_numpy(x), torch.from_numpy(x)
        rows.ratio("act", f"softmax {n}^2", nt, lambda: rusttorch.softmax(rx, dim=-1), lambda: torch.softmax(tx, dim=-1),
                   2.0)


def activations(rows, nt):
    RF, TF = rusttorch.nn.functional, torch.nn.functional
    for label, n in (("1M", 1 << 20), ("16M", 1 << 24)):
        x = randn(n) * np.float32(3)
        rx, tx = rusttorch.from_numpy(x), torch.from_numpy(x)
        for op in ("gelu", "tanh", "sigmoid", "silu"):
            rows.ratio("act", f"{op} {label}", nt, lambda: getattr(RF, op)(rx), lambda: getattr(TF, op)(tx), 1.5)


def gemm(rows, nt):
    def mm_row(m, k, n, target, name, linear=False):
        a, b = randn(m, k), randn(n, k) if linear else randn(k, n)
        ra, rb, ta, tb = rusttorch.from_numpy(a), rusttorch.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
        if linear:
            rf, tf = lambda: rusttorch.nn.functional.linear(ra, rb), lambda: torch.nn.functional.linear(ta, tb)
        else:
            rf, tf = lambda: rusttorch.matmul(ra, rb), lambda: torch.matmul(ta, tb)
        rows.ratio("gemm", name, nt, rf, tf, target, flops=2.0 * m * k * n)

    for s in (256, 512, 1024, 2048):
        mm_row(s, s, s, 0.9, f"mm {s}^3")
    for s in (8, 16, 32, 64):
        mm_row(s, s, s, 1.5, f"mm {s}^3")
    for m in (1, 2, 4, 8):
        mm_row(m, 1024, 1024, 1.5, f"mm {m}x1024x1024")
        mm_row(m, 1024, 1024, 1.5, f"linear {m}x1024x1024", linear=True)


GROUPS = {"memory": memory, "reductions": reductions, "softmax": softmax, "activations": activations, "gemm": gemm}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--only", help=f"comma-separated groups from {','.join(GROUPS)}")
    p.add_argument("--json", help="write the rows to this JSON file")
    args = p.parse_args()
    groups = args.only.split(",") if args.only else list(GROUPS)
    print(f"# rusttorch ({rusttorch.backends.cpu.get_cpu_capability()}) vs torch {torch.__version__}; "
          f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"{'group':<6} {'case':<22} {'thr':>3} {'rusttorch':>11} {'torch':>11} {'ratio':>8}  target")
    rows = Rows()
    for nt in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(nt)
        rusttorch.set_num_threads(nt)
        copy_gbs = copy_bandwidth()
        print(f"# {nt} thread(s): copy bandwidth {copy_gbs:.1f} GB/s")
        for g in groups:
            if g == "memory":
                memory(rows, nt, copy_gbs)
            else:
                GROUPS[g](rows, nt)
    met = sum(r["met"] for r in rows.rows)
    print(f"\n{met} of {len(rows.rows)} targets met")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "torch": torch.__version__, "rows": rows.rows}, f,
                      indent=1)


if __name__ == "__main__":
    main()
