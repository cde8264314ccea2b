#!/usr/bin/env python3
"""Side-by-side timing of rusttorch against PyTorch and NumPy at equal thread
counts, each library alone in its own process.

torch's OpenMP threads keep spinning after its calls and would take the second
core from rusttorch's pool, so nothing is timed in a process that has loaded
another library. First one check process (it imports rusttorch and torch, and
times nothing) compares rusttorch's result with torch's for every (op, size,
threads) row. Then, per thread count and round, one worker process per library
(torch, rusttorch, numpy, in that order every round) imports that library
alone and times every row: inputs are the same float32 data in every process,
each call is warmed up, then timed as the median of a few runs of a loop
calibrated to ~10-20 ms. A row's time is the median over the rounds of its
per-round times; the ratio is torch_time / rusttorch_time (> 1 means rusttorch
is faster).

  python3 bench/compare.py                 # 1 thread and all cores, every op and size (about 11 minutes on 2 cores)
  python3 bench/compare.py --quick         # the seed's ops, 3 sizes, 3 rounds: about a minute
  python3 bench/compare.py --ops add,matmul --sizes 1000x1000 --threads 1 --rounds 7
  python3 bench/compare.py --json out.json --plot out.png --markdown out.md
      (--plot also writes out_seed.png: the seed's ops at the largest size, per thread count)

Worker protocol (internal): `compare.py --worker LIB --threads N --rows
op:size,op:size... [--quick]` with LIB torch, rusttorch or numpy prints one
JSON object per row, {"op", "size", "threads", "lib", "s"} (seconds per call),
as each row is timed; `--worker check` prints {"meta": {...versions}} and then
{"op", "size", "threads", "status": "ok" | "skip" | "mismatch", "error"} per
row and thread count.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from isolated import cpu_model, stream_worker  # noqa: E402

SIZES = {"16": (4, 4), "100x100": (100, 100), "500x500": (500, 500), "1000x1000": (1000, 1000),
         "4096x4096": (4096, 4096)}
QUICK_SIZES = ["16", "100x100", "1000x1000"]
LIBS = ["torch", "rusttorch", "numpy"]
# A worker's timing of one row: the median of REPEATS runs of a loop of about
# LOOP_S seconds (one call, timed once, when a call alone takes longer).
LOOP_S = {True: 0.01, False: 0.02}  # by --quick
REPEATS = 3


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


def median_time(fn, budget_s, loop_s=0.02):
    """Median seconds per call over repeats of a loop calibrated to ~loop_s
    (as many repeats as fit in budget_s, 3 to 15). bench/targets.py uses it."""
    fn()  # warm-up (allocator caches, lazy init)
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    number = max(1, int(loop_s / one))
    return loop_median(fn, number, max(3, min(15, int(budget_s / max(one * number, 1e-9)))))


def loop_median(fn, number, repeats):
    """Median seconds per call over `repeats` loops of `number` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def round_time(fn, loop_s, repeats=REPEATS):
    """One worker's time for one row: one warm-up call, then the median of
    `repeats` loops of about loop_s; a call that alone takes longer than the
    repeats would is timed once (the median over the rounds smooths it)."""
    fn()  # warm-up (allocator caches, lazy init)
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    if one >= loop_s * repeats:
        return one
    return loop_median(fn, max(1, int(loop_s / one)), repeats)


def to_numpy(x):
    if isinstance(x, (float, int, bool)):
        return np.asarray(x)
    if hasattr(x, "numpy"):  # a torch or rusttorch tensor
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


# ---- the rows and their inputs (the same in every process) ----

def select_rows(args, ops):
    """The (op, size) pairs the command line asks for, sizes outer."""
    names = args.ops.split(",") if args.ops else (SEED_OPS if args.quick else list(ops))
    sizes = args.sizes.split(",") if args.sizes else (QUICK_SIZES if args.quick else list(SIZES))
    for name in names:
        if name not in ops:
            print(f"unknown op {name} (known: {','.join(ops)})", file=sys.stderr)
    for size in sizes:
        if size not in SIZES:
            sys.exit(f"unknown size {size} (known: {','.join(SIZES)})")
    return [(name, size) for size in sizes for name in names if name in ops
            and not (name in ("matmul", "linear") and size == "4096x4096" and args.quick)]


def base_inputs(size):
    """Two float32 standard-normal arrays of `size`, seeded by the size."""
    rng = np.random.default_rng(list(SIZES).index(size))
    shape = SIZES[size]
    return rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape, dtype=np.float32)


def op_inputs(name, size, cache):
    """The op's numpy inputs (positive for log and sqrt, a divisor away from 0)."""
    if size not in cache:
        cache.clear()  # one size at a time: the 4096x4096 arrays are 64 MiB each
        cache[size] = base_inputs(size)
    a, b = cache[size]
    a_in = np.abs(a) + np.float32(0.1) if name in ("log", "sqrt") else a
    b_in = np.abs(b) + np.float32(0.5) if name == "div" else b
    return a_in, b_in


def parse_rows(text):
    return [tuple(item.split(":", 1)) for item in text.split(",") if item]


def format_rows(rows):
    return ",".join(f"{op}:{size}" for op, size in rows)


# ---- the worker processes ----

def emit(obj):
    print(json.dumps(obj), flush=True)


def worker_check(rows, threads):
    """Compares rusttorch with torch on every row at every thread count; times nothing."""
    import torch

    import rusttorch
    ops = _ops()
    emit({"meta": {"rusttorch": getattr(rusttorch, "__version__", "?"),
                   "cpu_capability": rusttorch.backends.cpu.get_cpu_capability(),
                   "torch": torch.__version__, "numpy": np.__version__}})
    cache = {}
    for nt in threads:
        torch.set_num_threads(nt)
        rusttorch.set_num_threads(nt)
        for name, size in rows:
            arity, rfn, tfn, _ = ops[name]
            a, b = op_inputs(name, size, cache)
            args = (a, b)[:arity]
            out = {"op": name, "size": size, "threads": nt, "status": "ok", "error": None}
            try:
                got = rfn(rusttorch, *[rusttorch.from_numpy(x) for x in args])
            except (AttributeError, NotImplementedError) as e:
                out.update(status="skip", error=f"rusttorch lacks it ({e})")
                emit(out)
                continue
            try:
                check(name, got, tfn(torch, *[torch.from_numpy(x) for x in args]))
            except AssertionError as e:
                out.update(status="mismatch", error=str(e))
            emit(out)


def worker_time(lib, rows, threads, quick):
    """Imports `lib` alone, at `threads` threads, and times every row."""
    ops = _ops()
    if lib == "torch":
        import torch as mod
        mod.set_num_threads(threads)
        convert = mod.from_numpy
    elif lib == "rusttorch":
        import rusttorch as mod
        mod.set_num_threads(threads)
        convert = mod.from_numpy
    elif lib == "numpy":
        try:
            from threadpoolctl import threadpool_limits
            threadpool_limits(limits=threads)
        except ImportError:  # numpy's BLAS then keeps the OMP/MKL/OPENBLAS_NUM_THREADS of the environment
            pass
        mod, convert = None, None
    else:
        sys.exit(f"unknown worker {lib}")
    cache = {}
    loop_s = LOOP_S[quick]
    for name, size in rows:
        arity, rfn, tfn, nfn = ops[name]
        args = op_inputs(name, size, cache)[:arity]
        if lib == "numpy":
            fn = (lambda f, xs: lambda: f(*xs))(nfn, args)
        else:
            f = rfn if lib == "rusttorch" else tfn
            xs = [convert(x) for x in args]
            fn = (lambda f, xs: lambda: f(mod, *xs))(f, xs)
        emit({"op": name, "size": size, "threads": threads, "lib": lib, "s": round_time(fn, loop_s)})
    if lib != "torch" and "torch" in sys.modules:
        sys.exit(f"the {lib} worker imported torch: its timings would share the cores with torch's threads")


# ---- the driver ----

def thread_counts(text):
    all_threads = os.cpu_count() or 1
    return sorted({all_threads if t == "all" else int(t) for t in text.split(",")})


def run_check(rows, threads, quick):
    """Runs the check process; returns (meta, rows rusttorch has). Exits on a mismatch."""
    t0 = time.perf_counter()
    argv = [os.path.abspath(__file__), "--worker", "check", "--threads", ",".join(map(str, threads)),
            "--rows", format_rows(rows)] + (["--quick"] if quick else [])
    meta, skipped, bad, n, ok = None, set(), [], 0, 0
    for rec in stream_worker(argv, max(threads), "the check process"):
        if "meta" in rec:
            meta = rec["meta"]
            print(f"# rusttorch {meta['rusttorch']} ({meta['cpu_capability']}) vs torch {meta['torch']} "
                  f"vs numpy {meta['numpy']}; {cpu_model()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}",
                  flush=True)
            continue
        n += 1
        ok += rec["status"] == "ok"
        if rec["status"] == "skip":
            if (rec["op"], rec["size"]) not in skipped:
                print(f"skip {rec['op']} {rec['size']}: {rec['error']}", file=sys.stderr)
            skipped.add((rec["op"], rec["size"]))
        elif rec["status"] == "mismatch":
            bad.append(rec)
            print(f"MISMATCH {rec['op']} {rec['size']} at {rec['threads']} thread(s): {rec['error']}", file=sys.stderr)
    if bad:
        sys.exit(f"{len(bad)} of {n} checks differ from torch beyond the tolerance; nothing was timed")
    kept = [r for r in rows if r not in skipped]
    print(f"checked {n} (op, size, threads) results against torch in {time.perf_counter() - t0:.1f} s: "
          f"{ok} agree, {len(skipped)} rows skipped", flush=True)
    return meta, kept


def run(args):
    """Checks, then times every row in worker processes; returns (meta, rows)."""
    ops = _ops()
    rows = select_rows(args, ops)
    threads = thread_counts(args.threads)
    rounds = args.rounds or (3 if args.quick else 5)
    if not rows:
        sys.exit("no rows to run")
    meta, rows = run_check(rows, threads, args.quick)
    meta["rounds"] = rounds
    np_rows = [r for r in rows if ops[r[0]][3] is not None]
    print(f"timing {len(rows)} rows x {len(threads)} thread count(s), {rounds} rounds; "
          f"each round runs torch, rusttorch, numpy, each alone in its own process", flush=True)
    tty = sys.stdout.isatty()
    out = []
    t_start = time.perf_counter()
    for nt in threads:
        times = {}  # (lib, op, size) -> [seconds per round]
        for rnd in range(1, rounds + 1):
            for lib in LIBS:
                lib_rows = np_rows if lib == "numpy" else rows
                if not lib_rows:
                    continue
                t0 = time.perf_counter()
                argv = [os.path.abspath(__file__), "--worker", lib, "--threads", str(nt),
                        "--rows", format_rows(lib_rows)] + (["--quick"] if args.quick else [])
                label = f"  {nt} thr, round {rnd}/{rounds}, {lib:<9}"
                if tty:
                    print(f"{label} 0/{len(lib_rows)} rows", end="", flush=True)
                for k, rec in enumerate(stream_worker(argv, nt, f"the {lib} worker ({nt} threads)"), 1):
                    times.setdefault((lib, rec["op"], rec["size"]), []).append(rec["s"])
                    if tty:
                        print(f"\r{label} {k}/{len(lib_rows)} rows", end="", flush=True)
                print(f"{chr(13) if tty else ''}{label} {len(lib_rows)} rows in {time.perf_counter() - t0:5.1f} s "
                      f"(total {time.perf_counter() - t_start:5.0f} s)", flush=True)
        for name, size in rows:
            med = {lib: statistics.median(times[(lib, name, size)]) if (lib, name, size) in times else None
                   for lib in LIBS}
            rt, tt, nt_time = med["rusttorch"], med["torch"], med["numpy"]
            row = {"op": name, "size": size, "threads": nt, "rusttorch_s": rt, "torch_s": tt, "numpy_s": nt_time,
                   "ratio_vs_torch": tt / rt, "ratio_vs_numpy": (nt_time / rt) if nt_time else None}
            out.append(row)
            print_row(row)
        print_row.header = False
    return meta, out


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


def plot(rows, path, meta):
    """The heatmap of ratios to `path` and the seed's ops as bars beside it
    (bench/compare_plot.py); returns the paths written."""
    from compare_plot import plot_all
    return plot_all(rows, path, meta, list(_ops()), list(SIZES), SEED_OPS)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ops", help="comma-separated op names (default: all)")
    p.add_argument("--sizes", help=f"comma-separated sizes from {','.join(SIZES)}")
    p.add_argument("--threads", default="1,all", help="comma-separated thread counts; 'all' = every core")
    p.add_argument("--quick", action="store_true", help="the seed's ops, 3 sizes, shorter loops: about a minute")
    p.add_argument("--rounds", type=int, help="rounds of alternating worker processes (default 3 with --quick, else 5)")
    p.add_argument("--json", help="write the rows to this JSON file")
    p.add_argument("--plot", help="draw the ratios to this PNG file (and the seed's ops to NAME_seed.png)")
    p.add_argument("--markdown", help="write the table as Markdown (for the README) to this file")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # internal: see the protocol above
    p.add_argument("--rows", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        rows = parse_rows(args.rows)
        if args.worker == "check":
            worker_check(rows, [int(t) for t in args.threads.split(",")])
        else:
            worker_time(args.worker, rows, int(args.threads), args.quick)
        return
    if args.rounds is not None and args.rounds < 1:
        p.error("--rounds must be at least 1")
    t0 = time.perf_counter()
    meta, rows = run(args)
    info = {"date": time.strftime("%Y-%m-%d"), "cpu": cpu_model(), "cores": os.cpu_count(),
            "cpu_capability": meta["cpu_capability"], "rusttorch": meta["rusttorch"], "torch": meta["torch"],
            "numpy": meta["numpy"], "rounds": meta["rounds"],
            "isolated": "each library timed alone in its own process; medians over rounds"}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(info, rows=rows), f, indent=1)
    if args.plot:
        for path in plot(rows, args.plot, info):
            print(f"wrote {path}")
    if args.markdown:
        write_markdown(rows, args.markdown)
    slower = [r for r in rows if r["ratio_vs_torch"] < 1]
    print(f"\n{len(rows)} rows; rusttorch faster than torch in {len(rows) - len(slower)}; "
          f"geometric mean ratio {np.exp(np.mean([np.log(r['ratio_vs_torch']) for r in rows])):.2f}x; "
          f"{time.perf_counter() - t0:.0f} s" if rows else "no rows")


if __name__ == "__main__":
    main()
