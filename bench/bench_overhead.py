#!/usr/bin/env python3
"""Per-call overhead of a tiny op from Python: rusttorch vs NumPy vs torch.

Times an add of two 16-element float32 tensors (the issue's yardstick) and a
few other tiny calls, each as the median over repeats of timeit loops, all in
one process so the three libraries see the same machine load.

    PYTHONPATH=build/python python3 bench/bench_overhead.py [--repeat 15] [--number 20000]
"""
from __future__ import annotations

import argparse
import statistics
import timeit

import numpy as np

import rusttorch as rt

try:
    import torch
except ImportError:  # torch is optional here
    torch = None


def bench(stmt, number: int, repeat: int) -> float:
    """Median seconds per call, in microseconds."""
    times = timeit.repeat(stmt, number=number, repeat=repeat)
    return statistics.median(times) / number * 1e6


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--number", type=int, default=20000)
    p.add_argument("--n", type=int, default=16, help="elements per operand")
    args = p.parse_args()
    n, number, repeat = args.n, args.number, args.repeat

    na = np.random.default_rng(0).random(n, dtype=np.float32)
    nb = np.random.default_rng(1).random(n, dtype=np.float32)
    ra, rb = rt.from_numpy(na.copy()), rt.from_numpy(nb.copy())
    rows = []
    ops = {
        "add(a, b)": (lambda: rt.add(ra, rb), lambda: np.add(na, nb),
                      (lambda ta=torch.from_numpy(na.copy()), tb=torch.from_numpy(nb.copy()): torch.add(ta, tb))
                      if torch else None),
        "a + b": (lambda: ra + rb, lambda: na + nb,
                  (lambda ta=torch.from_numpy(na.copy()), tb=torch.from_numpy(nb.copy()): ta + tb) if torch else None),
        "a * 2.0": (lambda: ra * 2.0, lambda: na * np.float32(2.0),
                    (lambda ta=torch.from_numpy(na.copy()): ta * 2.0) if torch else None),
        "a += b": (lambda ia=rt.zeros(n): ia.add_(rb), lambda ia=np.zeros(n, dtype=np.float32): np.add(ia, nb, out=ia),
                   (lambda ta=torch.zeros(n), tb=torch.from_numpy(nb.copy()): ta.add_(tb)) if torch else None),
        "exp(a)": (lambda: rt.exp(ra), lambda: np.exp(na),
                   (lambda ta=torch.from_numpy(na.copy()): torch.exp(ta)) if torch else None),
        "a[1:5]": (lambda: ra[1:5], lambda: na[1:5], (lambda ta=torch.from_numpy(na.copy()): ta[1:5]) if torch else None),
        "zeros(n)": (lambda: rt.zeros(n), lambda: np.zeros(n, dtype=np.float32),
                     (lambda: torch.zeros(n)) if torch else None),
    }
    baseline = bench(lambda: None, number, repeat)
    for name, (f_rt, f_np, f_torch) in ops.items():
        rows.append((name, bench(f_rt, number, repeat), bench(f_np, number, repeat),
                     bench(f_torch, number, repeat) if f_torch else float("nan")))
    print(f"per-call time in microseconds, {n} float32 elements, median of {repeat} x {number} calls "
          f"(empty lambda: {baseline:.3f} us; capability {rt.backends.cpu.get_cpu_capability()})")
    print(f"{'op':<12}{'rusttorch':>12}{'numpy':>12}{'torch':>12}{'rt/numpy':>10}")
    for name, r, a, t in rows:
        print(f"{name:<12}{r:12.3f}{a:12.3f}{t:12.3f}{r / a:10.2f}")


if __name__ == "__main__":
    main()
