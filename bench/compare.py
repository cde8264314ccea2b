#!/usr/bin/env python3
"""Side-by-side timing of rusttorch against PyTorch and NumPy, in one process,
at equal thread counts.

Each (op, size, threads) row: inputs are the same float32 data for all three
libraries; rusttorch's result is checked against torch's before anything is
timed; each library is warmed up, then timed as the median of REPEATS runs of a
loop calibrated to ~20 ms. The ratio is torch_time / rusttorch_time (> 1 means
rusttorch is faster).

  python3 bench/compare.py                 # 1 thread and all cores, every op and size
  python3 bench/compare.py --quick         # under a minute
  python3 bench/compare.py --ops add,matmul --sizes 1000x1000 --threads 1
  python3 bench/compare.py --json out.json --plot out.png --markdown out.md
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

import rusttorch

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # numpy's BLAS then runs with its own thread count
    threadpool_limits = None

SIZES = {"16": (4, 4), "100x100": (100, 100), "500x500": (500, 500), "1000x1000": (1000, 1000),
         "4096x4096": (4096, 4096)}
QUICK_SIZES = ["16", "100x100", "1000x1000"]


def _np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_gelu(x):
    from math import sqrt
    try:
        from scipy.special import erf  # noqa: F401
    except ImportError:
        return None
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))


# name -> (arity, rusttorch fn, torch fn, numpy fn or None)
# Functions get the library module and the inputs; they return the result.
def _ops():
    F = lambda lib: lib.nn.functional  # noqa: E731
    return {
        "add": (2, lambda r, a, b: r.add(a, b), lambda t, a, b: t.add(a, b), lambda a, b: np.add(a, b)),
        "sub": (2, lambda r, a, b: r.sub(a, b), lambda t, a, b: t.sub(a, b), lambda a, b: np.subtract(a, b)),
        "mul": (2, lambda r, a, b: r.mul(a, b), lambda t, a, b: t.mul(a, b), lambda a, b: np.multiply(a, b)),
        "div": (2, lambda r, a, b: r.div(a, b), lambda t, a, b: t.div(a, b), lambda a, b: np.divide(a, b)),
        "add_scalar": (1, lambda r, a: r.add(a, 2.5), lambda t, a: t.add(a, 2.5), lambda a: a + np.float32(2.5)),
        "mul_scalar": (1, lambda r, a: r.mul(a, 2.5), lambda t, a: t.mul(a, 2.5), lambda a: a * np.float32(2.5)),
        "maximum": (2, lambda r, a, b: r.maximum(a, b), lambda t, a, b: t.maximum(a, b), lambda a, b: np.maximum(a, b)),
        "exp": (1, lambda r, a: r.exp(a), lambda t, a: t.exp(a), lambda a: np.exp(a)),
        "log": (1, lambda r, a: r.log(a), lambda t, a: t.log(a), lambda a: np.log(a)),
        "sqrt": (1, lambda r, a: r.sqrt(a), lambda t, a: t.sqrt(a), lambda a: np.sqrt(a)),
        "gt": (2, lambda r, a, b: r.gt(a, b), lambda t, a, b: t.gt(a, b), lambda a, b: np.greater(a, b)),
        "where": (2, lambda r, a, b: r.where(a > 0, a, b), lambda t, a, b: t.where(a > 0, a, b),
                  lambda a, b: np.where(a > 0, a, b)),
        "sum": (1, lambda r, a: r.sum(a), lambda t, a: t.sum(a), lambda a: a.sum()),
        "mean": (1, lambda r, a: r.mean(a), lambda t, a: t.mean(a), lambda a: a.mean()),
        "max": (1, lambda r, a: r.max(a), lambda t, a: t.max(a), lambda a: a.max()),
        "min": (1, lambda r, a: r.min(a), lambda t, a: t.min(a), lambda a: a.min()),
        "sum_dim": (1, lambda r, a: r.sum(a, dim=1), lambda t, a: t.sum(a, dim=1), lambda a: a.sum(axis=1)),
        "mean_dim": (1, lambda r, a: r.mean(a, dim=1), lambda t, a: t.mean(a, dim=1), lambda a: a.mean(axis=1)),
        "sum_dim0": (1, lambda r, a: r.sum(a, dim=0), lambda t, a: t.sum(a, dim=0), lambda a: a.sum(axis=0)),
        "relu": (1, lambda r, a: r.relu(a), lambda t, a: t.relu(a), lambda a: np.maximum(a, np.float32(0))),
        "leaky_relu": (1, lambda r, a: F(r).leaky_relu(a, 0.01), lambda t, a: F(t).leaky_relu(a, 0.01),
                       lambda a: np.where(a > 0, a, a * np.float32(0.01))),
        "sigmoid": (1, lambda r, a: r.sigmoid(a), lambda t, a: t.sigmoid(a), lambda a: 1 / (1 + np.exp(-a))),
        "tanh": (1, lambda r, a: r.tanh(a), lambda t, a: t.tanh(a), lambda a: np.tanh(a)),
        "gelu": (1, lambda r, a: F(r).gelu(a), lambda t, a: F(t).gelu(a), None),
        "silu": (1, lambda r, a: F(r).silu(a), lambda t, a: F(t).silu(a), lambda a: a / (1 + np.exp(-a))),
        "softmax": (1, lambda r, a: r.softmax(a, dim=-1), lambda t, a: t.softmax(a, dim=-1), _np_softmax),
        "log_softmax": (1, lambda r, a: F(r).log_softmax(a, dim=-1), lambda t, a: F(t).log_softmax(a, dim=-1), None),
        # added since the seed
        "prod_dim": (1, lambda r, a: r.prod(a, dim=1), lambda t, a: t.prod(a, dim=1), lambda a: a.prod(axis=1)),
        "amax_dim": (1, lambda r, a: r.amax(a, dim=1), lambda t, a: t.amax(a, dim=1), lambda a: a.max(axis=1)),
        "argmax_dim": (1, lambda r, a: r.argmax(a, dim=1), lambda t, a: t.argmax(a, dim=1), lambda a: a.argmax(axis=1)),
        "var_dim": (1, lambda r, a: r.var(a, dim=1), lambda t, a: t.var(a, dim=1), lambda a: a.var(axis=1, ddof=1)),
        "std": (1, lambda r, a: r.std(a), lambda t, a: t.std(a), lambda a: a.std(ddof=1)),
        "norm": (1, lambda r, a: r.norm(a), lambda t, a: t.norm(a), lambda a: np.linalg.norm(a)),
        "logsumexp": (1, lambda r, a: r.logsumexp(a, dim=1), lambda t, a: t.logsumexp(a, dim=1), None),
        "cumsum": (1, lambda r, a: r.cumsum(a, dim=1), lambda t, a: t.cumsum(a, dim=1), lambda a: a.cumsum(axis=1)),
        "elu": (1, lambda r, a: F(r).elu(a), lambda t, a: F(t).elu(a), None),
        "softplus": (1, lambda r, a: F(r).softplus(a), lambda t, a: F(t).softplus(a), None),
        "mish": (1, lambda r, a: F(r).mish(a), lambda t, a: F(t).mish(a), None),
        "hardswish": (1, lambda r, a: F(r).hardswish(a), lambda t, a: F(t).hardswish(a), None),
        "gelu_tanh": (1, lambda r, a: F(r).gelu(a, approximate="tanh"), lambda t, a: F(t).gelu(a, approximate="tanh"),
                      None),
        "erf": (1, lambda r, a: r.erf(a), lambda t, a: t.erf(a), None),
        "sin": (1, lambda r, a: r.sin(a), lambda t, a: t.sin(a), lambda a: np.sin(a)),
        "softmax_dim0": (1, lambda r, a: r.softmax(a, dim=0), lambda t, a: t.softmax(a, dim=0), None),
        "linear": (2, lambda r, a, b: F(r).linear(a, b), lambda t, a, b: F(t).linear(a, b), lambda a, b: a @ b.T),
        "matmul": (2, lambda r, a, b: r.matmul(a, b), lambda t, a, b: t.matmul(a, b), lambda a, b: a @ b),
        "transpose": (1, lambda r, a: a.t().contiguous(), lambda t, a: a.t().contiguous(),
                      lambda a: np.ascontiguousarray(a.T)),
        "reshape": (1, lambda r, a: a.reshape(-1), lambda t, a: a.reshape(-1), lambda a: a.reshape(-1)),
    }


SEED_OPS = ["add", "mul", "sub", "div", "add_scalar", "mul_scalar", "sum", "mean", "max", "min", "sum_dim",
            "mean_dim", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "matmul", "transpose", "reshape"]


def median_time(fn, budget_s):
    """Median seconds per call over repeats of a loop calibrated to ~20 ms."""
    fn()  # warm-up (allocator caches, lazy init)
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(0.02 / one))
    repeats = max(3, min(15, int(budget_s / max(one * number, 1e-9))))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def to_numpy(x):
    if isinstance(x, (float, int, bool)):
        return np.asarray(x)
    if isinstance(x, torch.Tensor):
        return x.numpy()
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


def check(name, got, want):
    g, w = to_numpy(got).astype(np.float64), to_numpy(want).astype(np.float64)
    if g.shape != w.shape:
        raise AssertionError(f"{name}: shape {g.shape} != torch {w.shape}")
    tol = 1e-3 if name in ("matmul", "linear", "sum", "mean", "sum_dim", "mean_dim", "sum_dim0", "prod_dim", "var_dim",
                           "std", "norm", "logsumexp", "cumsum") else 1e-5
    if not np.allclose(g, w, rtol=tol, atol=tol, equal_nan=True):
        raise AssertionError(f"{name}: rusttorch differs from torch (max abs diff {np.nanmax(np.abs(g - w))})")


def run(args):
    ops = _ops()
    names = args.ops.split(",") if args.ops else (SEED_OPS if args.quick else list(ops))
    sizes = args.sizes.split(",") if args.sizes else (QUICK_SIZES if args.quick else list(SIZES))
    all_threads = os.cpu_count() or 1
    threads = sorted({all_threads if t == "all" else int(t) for t in args.threads.split(",")})
    budget = 0.05 if args.quick else 0.3
    rng = np.random.default_rng(0)
    rows = []
    for nt in threads:
        torch.set_num_threads(nt)
        rusttorch.set_num_threads(nt)
        limiter = threadpool_limits(limits=nt) if threadpool_limits else None
        for size in sizes:
            shape = SIZES[size]
            a_np = rng.standard_normal(shape, dtype=np.float32)
            b_np = rng.standard_normal(shape, dtype=np.float32)
            if size == "4096x4096":
                pass
            for name in names:
                if name not in ops:
                    print(f"unknown op {name}", file=sys.stderr)
                    continue
                arity, rfn, tfn, nfn = ops[name]
                if name in ("matmul", "linear") and size == "4096x4096" and args.quick:
                    continue
                a_in = np.abs(a_np) + np.float32(0.1) if name in ("log", "sqrt") else a_np
                b_in = np.abs(b_np) + np.float32(0.5) if name == "div" else b_np
                ra, rb = rusttorch.from_numpy(a_in), rusttorch.from_numpy(b_in)
                ta, tb = torch.from_numpy(a_in), torch.from_numpy(b_in)
                r_args, t_args, n_args = ((ra, rb), (ta, tb), (a_in, b_in)) if arity == 2 else ((ra,), (ta,), (a_in,))
                try:
                    got = rfn(rusttorch, *r_args)
                except (AttributeError, NotImplementedError) as e:
                    print(f"skip {name}: rusttorch lacks it ({e})", file=sys.stderr)
                    continue
                want = tfn(torch, *t_args)
                check(name, got, want)
                rt = median_time(lambda: rfn(rusttorch, *r_args), budget)
                tt = median_time(lambda: tfn(torch, *t_args), budget)
                nt_time = median_time(lambda: nfn(*n_args), budget) if nfn else None
                row = {"op": name, "size": size, "threads": nt, "rusttorch_s": rt, "torch_s": tt,
                       "numpy_s": nt_time, "ratio_vs_torch": tt / rt,
                       "ratio_vs_numpy": (nt_time / rt) if nt_time else None}
                rows.append(row)
                print_row(row)
        if limiter:
            limiter.unregister()
    return rows


def fmt_t(s):
    if s is None:
        return "-"
    return f"{s * 1e6:.1f}us" if s < 1e-3 else f"{s * 1e3:.2f}ms"


HEADER = f"{'op':<12} {'size':>10} {'thr':>3} {'rusttorch':>10} {'torch':>10} {'numpy':>10} {'vs torch':>9} {'vs numpy':>9}"


def print_row(r):
    if not getattr(print_row, "header", False):
        print(HEADER)
        print("-" * len(HEADER))
        print_row.header = True
    vn = f"{r['ratio_vs_numpy']:.2f}x" if r["ratio_vs_numpy"] else "-"
    print(f"{r['op']:<12} {r['size']:>10} {r['threads']:>3} {fmt_t(r['rusttorch_s']):>10} {fmt_t(r['torch_s']):>10} "
          f"{fmt_t(r['numpy_s']):>10} {r['ratio_vs_torch']:>8.2f}x {vn:>9}", flush=True)


def write_markdown(rows, path):
    """One line per (op, size): times at each thread count and the ratio vs torch."""
    threads = sorted({r["threads"] for r in rows})
    by_key = {}
    for r in rows:
        by_key.setdefault((r["op"], r["size"]), {})[r["threads"]] = r
    head = "| op | size | " + " | ".join(f"{t} thr: rusttorch / torch / numpy | vs torch" for t in threads) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(threads))]
    for (op, size), per in by_key.items():
        cells = []
        for t in threads:
            r = per.get(t)
            if r is None:
                cells += ["-", "-"]
                continue
            cells.append(f"{fmt_t(r['rusttorch_s'])} / {fmt_t(r['torch_s'])} / {fmt_t(r['numpy_s'])}")
            cells.append(f"**{r['ratio_vs_torch']:.2f}x**" if r["ratio_vs_torch"] >= 1 else f"{r['ratio_vs_torch']:.2f}x")
        lines.append(f"| {op} | {size} | " + " | ".join(cells) + " |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    threads = sorted({r["threads"] for r in rows})
    fig, axes = plt.subplots(len(threads), 1, figsize=(max(10, len(rows) * 0.12), 4.5 * len(threads)), squeeze=False)
    for ax, nt in zip(axes[:, 0], threads):
        sub = [r for r in rows if r["threads"] == nt]
        labels = [f"{r['op']}\n{r['size']}" for r in sub]
        ratios = [r["ratio_vs_torch"] for r in sub]
        colors = ["tab:green" if x >= 1 else "tab:red" for x in ratios]
        ax.bar(range(len(sub)), ratios, color=colors)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xticks(range(len(sub)))
        ax.set_xticklabels(labels, rotation=90, fontsize=6)
        ax.set_ylabel("torch time / rusttorch time")
        ax.set_title(f"rusttorch vs torch {torch.__version__}, {nt} thread(s), float32 (above 1: rusttorch faster)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ops", help="comma-separated op names (default: all)")
    p.add_argument("--sizes", help=f"comma-separated sizes from {','.join(SIZES)}")
    p.add_argument("--threads", default="1,all", help="comma-separated thread counts; 'all' = every core")
    p.add_argument("--quick", action="store_true", help="the seed's ops, fewer sizes and repeats: under a minute")
    p.add_argument("--json", help="write the rows to this JSON file")
    p.add_argument("--plot", help="draw the ratios to this PNG file")
    p.add_argument("--markdown", help="write the table as Markdown (for the README) to this file")
    args = p.parse_args()
    print(f"# rusttorch {getattr(rusttorch, '__version__', '?')} ({rusttorch.backends.cpu.get_cpu_capability()}) "
          f"vs torch {torch.__version__} vs numpy {np.__version__}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    rows = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d"), "cpu_capability": rusttorch.backends.cpu.get_cpu_capability(),
                       "torch": torch.__version__, "numpy": np.__version__, "rows": rows}, f, indent=1)
    if args.plot:
        plot(rows, args.plot)
    if args.markdown:
        write_markdown(rows, args.markdown)
    slower = [r for r in rows if r["ratio_vs_torch"] < 1]
    print(f"\n{len(rows)} rows; rusttorch faster than torch in {len(rows) - len(slower)}; "
          f"geometric mean ratio {np.exp(np.mean([np.log(r['ratio_vs_torch']) for r in rows])):.2f}x" if rows else "no rows")


if __name__ == "__main__":
    main()
