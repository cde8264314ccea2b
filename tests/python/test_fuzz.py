"""Differential fuzzer: rusttorch against torch 2.13, with crash isolation.

Hypothesis draws examples (op, call form, dtypes, shapes on both sides of the
engine's size thresholds, layouts: contiguous, transposed/permuted, sliced
with steps, expanded, 0-d, empty) and runs each one twice: in a persistent
child process (fuzz_worker.py, which imports only rusttorch and numpy) for
rusttorch, and in this process for the torch reference. Both run the same
interpreter (fuzz_worker.execute), so the call forms are identical. A crash of
rusttorch (abort, segfault) or a hang kills only the worker: the test fails
with a message naming the example, the signal or exit code and the worker's
stderr tail, and a fresh worker serves the next example.

Results must match torch: same dtype, same shape, same values (integers and
bools exactly, floats within tolerances stated per op family below, NaN equal
to NaN, infinities exactly); where torch raises, rusttorch must raise the
same exception type (or a subclass).

Documented exceptions (the rest is compared as it is): non-empty out= tensors
of the wrong shape are not drawn (torch resizes them with a warning, rusttorch
refuses them by design); mixed-dtype products only for non-empty operands
(torch skips its dtype check on empty ones); products only of values that
cannot overflow midway (inf * 0 makes the result depend on the evaluation
order); torch's TypeError for a Python number where it wants a tensor
(maximum(t, 2)) is a superset, not a mismatch; torch does not bounds-check an
index tensor when the result is empty.

Environment:
  RUSTTORCH_FUZZ_EXAMPLES=N   examples per test (default 600; the module
                              takes about a minute on 2 cores when everything passes)
  RUSTTORCH_FUZZ_TIMEOUT=S    seconds per example before the worker counts as hung (60)
  RUSTTORCH_FUZZ_SURVEY=FILE  triage: log every mismatch to FILE (and the examples to
                              FILE.pkl) and go on instead of failing
  RUSTTORCH_FUZZ_STATS=1      print how many examples of each op/form/outcome ran
  RUSTTORCH_HYPOTHESIS_NO_SHRINK=1 (conftest.py) reports the first failing example as found
"""
from __future__ import annotations

import math
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import fuzz_worker as fw
import rusttorch as rt
from helpers import random_array

torch = pytest.importorskip("torch")
import torch.nn.functional as tF  # noqa: E402

WORKER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_worker.py")
EXAMPLE_TIMEOUT_S = float(os.environ.get("RUSTTORCH_FUZZ_TIMEOUT", "60"))
_N = int(os.environ.get("RUSTTORCH_FUZZ_EXAMPLES", "0"))


def budget(default: int):
    return settings(max_examples=_N or default)


# ====================================================================== worker
class WorkerDied(Exception):
    pass


class Worker:
    """A persistent fuzz_worker.py child; restarted after a crash."""

    def __init__(self):
        self.proc = None
        self.err = None
        self.starts = 0
        self.crashes = 0

    def _env(self):
        env = os.environ.copy()
        # The rusttorch this process imported, first: the child must test the same build.
        pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(rt.__file__)))
        paths = [pkg_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        env.setdefault("PYTHONFAULTHANDLER", "1")  # a Python-level traceback on SIGSEGV/SIGABRT
        return env

    def start(self):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, WORKER_PATH], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=self._env())
        self.starts += 1
        try:
            hello = self._read_frame(time.monotonic() + 120)
        except (EOFError, TimeoutError):
            self.proc.kill()
            raise self._died("the worker did not start (no ready message)") from None
        if not hello.get("ready"):
            raise RuntimeError(f"fuzz worker did not start: {hello!r}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _read_exact(self, n, deadline):
        fd = self.proc.stdout.fileno()
        parts, got = [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            b = os.read(fd, min(n - got, 1 << 22))
            if not b:
                raise EOFError
            parts.append(b)
            got += len(b)
        return b"".join(parts)

    def _read_frame(self, deadline):
        (n,) = struct.unpack("<Q", self._read_exact(8, deadline))
        return pickle.loads(self._read_exact(n, deadline))

    def stderr_tail(self, chars=3000):
        if self.err is None:
            return ""
        try:
            self.err.flush()
            self.err.seek(0, os.SEEK_END)
            size = self.err.tell()
            self.err.seek(max(0, size - chars))
            return self.err.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return "<stderr unavailable>"

    def _died(self, what):
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        if rc is not None and rc < 0:
            try:
                status = f"killed by signal {signal.Signals(-rc).name} ({-rc})"
            except ValueError:
                status = f"killed by signal {-rc}"
        else:
            status = f"exit code {rc}"
        tail = self.stderr_tail()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self.proc = None
        self.crashes += 1
        return WorkerDied(f"{what}: the worker process died, {status}\n--- worker stderr (tail) ---\n{tail}")

    def run(self, ex, timeout=EXAMPLE_TIMEOUT_S):
        if not self.alive():
            self.start()
        # A plain dict: pickling the Example subclass would make the worker import this module (and torch).
        msg = ex if ex.get("cmd") else {"cmd": "run", "ex": dict(ex)}
        data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(struct.pack("<Q", len(data)) + data)
            self.proc.stdin.flush()
            return self._read_frame(time.monotonic() + timeout)
        except (EOFError, BrokenPipeError, ConnectionResetError):
            raise self._died("crash") from None
        except TimeoutError:
            self.proc.kill()
            raise self._died(f"hang: no reply within {timeout:.0f} s (killed)") from None

    def close(self):
        """Asks the worker to exit (at the end of the module), kills it if it does not."""
        if self.proc is None:
            return
        try:
            if self.alive():
                data = pickle.dumps({"cmd": "exit"})
                self.proc.stdin.write(struct.pack("<Q", len(data)) + data)
                self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        self.proc = None


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()
    if os.environ.get("RUSTTORCH_FUZZ_STATS"):
        for k in sorted(STATS, key=str):
            print("STATS", k, STATS[k])
        STATS.clear()


# ====================================================================== examples
class Example(dict):
    """An example (a plain dict for the worker) whose repr is a readable summary."""

    def __repr__(self):
        return describe(self)


def IN(i):
    return ("$in", i)


def BASE(i):
    return ("$base", i)


def DT(name):
    return ("$dtype", name)


def inp(data, view=(), role="data"):
    return {"data": data, "view": list(view), "role": role}


def torch_view(spec):
    d = np.asarray(spec["data"])
    t = torch.tensor(d) if d.ndim == 0 else torch.from_numpy(d)
    return fw.apply_view(t, spec["view"])


def short(v):
    if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) and v[0].startswith("$"):
        return {"$in": "in{}", "$base": "base{}", "$dtype": "{}"}[v[0]].format(v[1])
    if isinstance(v, tuple):
        return "(" + ", ".join(short(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(short(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={short(x)}" for k, x in v.items()) + "}"
    if isinstance(v, slice):
        return f"{'' if v.start is None else v.start}:{'' if v.stop is None else v.stop}" + (
            "" if v.step is None else f":{v.step}")
    if v is Ellipsis:
        return "..."
    return repr(v)


def describe(ex):
    parts = [f"op={ex['op']!r} form={ex['form']!r} threads={ex.get('threads')}"]
    for i, spec in enumerate(ex["inputs"]):
        d = np.asarray(spec["data"])
        try:
            v = torch_view(spec)
            lay = f"shape={tuple(v.shape)} strides={tuple(v.stride())}"
        except Exception as e:  # noqa: BLE001  (a view the example means to fail)
            lay = f"view error {type(e).__name__}"
        steps = " ".join(short(s) for s in spec["view"]) or "contiguous"
        parts.append(f"in{i}: {d.dtype} {lay} base={d.shape} view=[{steps}] role={spec.get('role')}")
    parts.append(f"args={short(ex.get('args', []))} kwargs={short(ex.get('kwargs', {}))}")
    if ex.get("watch"):
        parts.append(f"watch={ex['watch']}")
    if ex.get("graph"):
        parts.append(f"graph={ex['graph']}")
    return "Example(" + "; ".join(parts) + f"; seed={ex.get('seed')})"


def finish(ex):
    ex = Example(ex)
    ex["desc"] = describe(ex)
    return ex


# ====================================================================== reference and comparison
def run_torch(ex):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fw.payload(fw.execute(torch, tF, ex))
    except Exception as e:  # noqa: BLE001
        return fw.error_payload(e)


EPS = {"float32": float(np.finfo(np.float32).eps), "float64": float(np.finfo(np.float64).eps)}

# (rtol, atol) per tolerance family and float dtype; "mass" families add
# mass_k * eps * mass, mass being the same op on |inputs| in float64 (the
# classic bound of a sum: a term computed wrongly shows far beyond it).
TOL = {
    "exact": {"float32": (0.0, 0.0), "float64": (0.0, 0.0)},
    # basic arithmetic, comparisons, rounding division, remainders
    "arith": {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-14)},
    # exp, log, pow, sin, tanh, gelu, ...: float32 within a few ulp of float64, as torch
    "transc": {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-14)},
    "softmax": {"float32": (1e-5, 1e-7), "float64": (1e-12, 1e-15)},
    "log_softmax": {"float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)},
    # sums: torch's cascade sum in float vs rusttorch's pairwise sum in double accumulators
    "sum": {"float32": (1e-6, 1e-6), "float64": (1e-13, 1e-14)},
    "lse": {"float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12)},
    "var": {"float32": (1e-4, 1e-6), "float64": (1e-10, 1e-13)},
    "norm": {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-14)},
    "prod": {"float32": (1e-5, 1e-30), "float64": (1e-12, 1e-300)},
    "matmul": {"float32": (1e-5, 1e-6), "float64": (1e-12, 1e-14)},
    # gradients of random graphs: errors compound along the chain of float32 ops
    "grad": {"float32": (2e-4, 2e-5), "float64": (1e-9, 1e-11)},
}


def tolerance(ex, dtype):
    fam = ex.get("tol", "arith")
    if dtype not in EPS:
        return 0.0, 0.0, 0.0
    rtol, atol = TOL[fam][dtype]
    mk = 0.0
    if fam == "sum":
        mk = 16.0
    elif fam == "matmul":
        mk = 2.0 * (ex.get("K", 1) + 2)
    elif fam == "prod":
        # a product of R factors (cumprod: up to R) is exact to about R roundings
        rtol = min(0.05, max(rtol, 4 * EPS[dtype] * ex.get("R", 1)))
    elif fam == "var":
        scale = ex.get("scale", 1.0)
        atol = atol * max(1.0, scale) ** ex.get("power", 2)
    return rtol, atol, mk


def compute_dtype(ex, result_dtype):
    """The float dtype the op computes in: a float64 result (an out= tensor, a dtype=
    argument) of float32 or integer inputs is computed in float32 by torch (and rusttorch)."""
    if result_dtype != "float64" or ex.get("kwargs", {}).get("dtype") == DT("float64"):
        return result_dtype
    data = [np.asarray(i["data"]).dtype for i in ex["inputs"] if i.get("role") == "data"]
    return "float64" if data and all(d == np.float64 for d in data) else "float32"


def mass_of(ex):
    """The op on |inputs| in float64 (and |alpha|, |beta|): the scale of the rounding error."""
    m = dict(ex)
    m["inputs"] = [dict(s, data=np.abs(np.asarray(s["data"]).astype(np.float64))) if s.get("role") != "index" else s
                   for s in ex["inputs"]]
    kw = dict(ex.get("kwargs", {}))
    for k in ("alpha", "beta"):
        if isinstance(kw.get(k), (int, float)) and not isinstance(kw.get(k), bool):
            kw[k] = abs(kw[k])
    kw.pop("dtype", None)
    m["kwargs"] = kw
    out = run_torch(m)
    if "error" in out:
        return None, None

    def arr(v):
        while v[0] == "tuple":
            v = v[1][0]
        return np.nan_to_num(v[3].astype(np.float64), nan=0.0) if v[0] == "tensor" else None

    if out["watched"]:  # the mass of an out= / in-place target, and of its base (written through the view)
        return arr(out["watched"][0][0]), arr(out["watched"][0][1])
    return arr(out["result"]), None


class Mismatch(AssertionError):
    pass


def compare_arrays(where, got, exp, rtol, atol, mk, mass, dtype):
    if got.shape != exp.shape:
        raise Mismatch(f"{where}: shape {got.shape} != torch's {exp.shape}")
    if exp.dtype.kind in "biu" or (rtol == 0 and atol == 0 and mk == 0):
        if exp.dtype.kind in "biu":
            bad = got != exp
        else:
            bad = ~((got == exp) | (np.isnan(got) & np.isnan(exp)))
    else:
        a, b = got.astype(np.float64), exp.astype(np.float64)
        na, nb = np.isnan(a), np.isnan(b)
        bad = na != nb
        num = ~na & ~nb
        inf = num & (np.isinf(a) | np.isinf(b))
        bad |= inf & (a != b)
        fin = num & ~inf
        tol = atol + rtol * np.abs(b)
        if mk and mass is not None and mass.shape == b.shape:
            tol = tol + mk * EPS[dtype] * mass
        with np.errstate(invalid="ignore"):
            bad |= fin & ~(np.abs(a - b) <= tol)
    if np.any(bad):
        idx = np.argwhere(bad)[:5]
        rows = []
        for i in idx:
            i = tuple(int(x) for x in i)
            rows.append(f"  at {i}: rusttorch {got[i]!r}, torch {exp[i]!r}")
        raise Mismatch(f"{where}: {int(np.count_nonzero(bad))} of {bad.size} elements differ "
                       f"(rtol={rtol:g}, atol={atol:g}, mass_k={mk:g}):\n" + "\n".join(rows))


def compare_values(where, got, exp, ex, mass):
    if got[0] != exp[0]:
        raise Mismatch(f"{where}: rusttorch returned a {got[0]} ({got[1:2]}), torch a {exp[0]} ({exp[1:2]})")
    kind = exp[0]
    if kind == "tuple":
        if len(got[1]) != len(exp[1]):
            raise Mismatch(f"{where}: tuple of {len(got[1])} != torch's {len(exp[1])}")
        for j, (g, e) in enumerate(zip(got[1], exp[1])):
            compare_values(f"{where}[{j}]", g, e, ex, mass if j == 0 else None)
    elif kind == "tensor":
        _, gdt, gshape, garr = got
        _, edt, eshape, earr = exp
        if gdt != edt:
            raise Mismatch(f"{where}: dtype {gdt} != torch's {edt}")
        if gshape != eshape:
            raise Mismatch(f"{where}: shape {gshape} != torch's {eshape}")
        cdt = compute_dtype(ex, edt)
        rtol, atol, mk = tolerance(ex, cdt)
        compare_arrays(where, garr, earr, rtol, atol, mk, mass, cdt)
    elif kind == "number":
        if got[1] != exp[1] or not (got[2] == exp[2] or (got[2] != got[2] and exp[2] != exp[2])):
            raise Mismatch(f"{where}: {got[1]} {got[2]!r} != torch's {exp[1]} {exp[2]!r}")


# torch refuses some Python-number operands at argument parsing (maximum(t, 2)):
# rusttorch accepting them is a superset, not a discrepancy.
TORCH_ARG_TYPE_ERRORS = ("must be Tensor, not", "received an invalid combination of arguments",
                         "missing 1 required positional argument")


STATS = {}  # (op, outcome) -> count; printed at the end with RUSTTORCH_FUZZ_STATS=1


SURVEY = os.environ.get("RUSTTORCH_FUZZ_SURVEY")  # a file: log mismatches there and go on (triage)


def check(worker, ex):
    if SURVEY:
        try:
            _check(worker, ex)
        except AssertionError as e:
            with open(SURVEY, "a") as f:
                f.write(str(e).split("\nFalsifying")[0] + "\n\n")
            with open(SURVEY + ".pkl", "ab") as f:  # the examples themselves, to replay
                pickle.dump(dict(ex), f)
        return
    _check(worker, ex)


def _check(worker, ex):
    plain = dict(ex)
    exp = run_torch(plain)
    key = (ex["op"], ex["form"], "error " + exp["error"] if "error" in exp else "ok",
           max((np.asarray(i["data"]).size for i in ex["inputs"]), default=0) >= 32768)
    STATS[key] = STATS.get(key, 0) + 1
    try:
        got = worker.run(plain)
    except WorkerDied as e:
        raise AssertionError(f"rusttorch CRASHED on {describe(ex)}\n{e}") from None
    where = describe(ex)
    if "error" in exp:
        if "error" in got:
            if exp["error"] not in got["mro"]:
                raise Mismatch(f"{where}\ntorch raised {exp['error']}: {exp['message'][:300]}\n"
                               f"rusttorch raised {got['error']}: {got['message'][:300]}")
            return
        if exp["error"] == "TypeError" and any(s in exp["message"] for s in TORCH_ARG_TYPE_ERRORS):
            return
        raise Mismatch(f"{where}\ntorch raised {exp['error']}: {exp['message'][:300]}\nrusttorch did not raise "
                       f"(returned {summary(got)})")
    if "error" in got:
        if got["error"] == "IndexError" and "out of bounds" in got["message"] and empty_selection(plain, exp):
            return  # torch bounds-checks index tensors in the kernel only: an empty selection skips it
        raise Mismatch(f"{where}\ntorch returned {summary(exp)}\nrusttorch raised {got['error']}: "
                       f"{got['message'][:500]}")
    fam = ex.get("tol", "arith")
    mass, base_mass = mass_of(plain) if fam in ("sum", "matmul") else (None, None)
    try:
        compare_values("result", got["result"], exp["result"], ex, mass)
        for j, ((gv, gb), (ev, eb)) in enumerate(zip(got["watched"], exp["watched"])):
            compare_values(f"watched in{ex['watch'][j]} (after the call)", gv, ev, ex, mass)
            compare_values(f"base of in{ex['watch'][j]} (after the call)", gb, eb, ex, base_mass)
        if got["is_self"] != exp["is_self"]:
            raise Mismatch(f"returned-self flags {got['is_self']} != torch's {exp['is_self']}")
    except Mismatch as m:
        raise Mismatch(f"{where}\n{m}") from None


def empty_selection(ex, exp):
    """Whether torch's __getitem__ of the example's index selects nothing."""
    if ex["form"] == "getitem":
        sel = exp["result"]
    elif ex["form"] == "setitem":
        sel = run_torch(dict(ex, form="getitem", args=ex["args"][:2], watch=[]))
        sel = sel.get("result", ("error",))
    else:
        return False
    return sel[0] == "tensor" and sel[3].size == 0


def summary(p):
    if "error" in p:
        return f"{p['error']}: {p['message'][:200]}"
    v = p["result"]
    if v[0] == "tensor":
        return f"tensor {v[1]} {v[2]}"
    return str(v[0])


# ====================================================================== strategies
# Sizes on both sides of every threshold of the engine: the serial/parallel
# grains (kGrainCheap 32768, kGrainTranscendental 4096), the GIL release
# (32768 elementwise/reductions, 4096 activations), reduction chunks (kRowChunk
# and kColChunkElems 2^16, kColTile 512, kernel blocks of 512), the tensor
# iterator's 1024-element buffers and 128 x 64 blocks, vector widths.
SIZE_POINTS = [1, 2, 3, 0, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257,
               511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097, 8192, 16383, 16384, 32767,
               32768, 32769, 65535, 65536, 65537, 131072, 262143, 262144]
CAP = 1 << 18
DTYPES = ["float32", "float64", "int32", "int64", "bool"]
seeds = st.integers(0, 2**32 - 1)
threads_st = st.sampled_from([2, 1])


# Element counts on both sides of the numel thresholds, for shapes built to have them exactly.
NUMEL_POINTS = [1, 0, 2, 3, 5, 8, 17, 64, 100, 127, 128, 129, 513, 1000, 1023, 1024, 1025, 2047, 2048, 2049,
                4095, 4096, 4097, 8192, 16384, 32767, 32768, 32769, 40000, 65535, 65536, 65537, 100000, 131072,
                262144]
DIM_FACTORS = [1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 511, 512, 513, 1024]


@st.composite
def shapes(draw, min_dims=0, max_dims=4, cap=CAP, points=SIZE_POINTS):
    """Shapes whose dims sit near the thresholds, or whose element count does."""
    nd = draw(st.integers(min_dims, max_dims))
    big = draw(st.integers(0, 9)) < 4  # Hypothesis favours small draws: ask for large counts outright
    if nd and (big or draw(st.integers(0, 2))):
        # an exact element count from NUMEL_POINTS, factored into nd dims
        n = draw(st.sampled_from([p for p in NUMEL_POINTS if p <= cap and (p >= 4095 or not big)]))
        if n == 0:
            shape = [draw(st.sampled_from([0, 1, 3, 64])) for _ in range(nd)]
            shape[draw(st.integers(0, nd - 1))] = 0
            return tuple(shape)
        dims, left = [], n
        for _ in range(nd - 1):
            f = draw(st.sampled_from([x for x in DIM_FACTORS if left % x == 0]))
            dims.append(f)
            left //= f
        dims.insert(draw(st.integers(0, nd - 1)), left)
        return tuple(dims)
    shape, left = [], cap
    for _ in range(nd):
        s = draw(st.sampled_from([p for p in points if p <= max(left, 1)]))
        shape.append(s)
        if s:
            left //= s
    order = draw(st.permutations(range(nd)))
    return tuple(shape[i] for i in order)


@st.composite
def layouts(draw, shape, allow_expand=True, cap=2 * CAP):
    """(base shape, view steps) such that base.<steps> has `shape`."""
    nd = len(shape)
    kinds = ["contiguous"]
    if nd >= 1:
        kinds += ["sliced"]
    if nd >= 2:
        kinds += ["transposed", "permuted", "transposed+sliced"]
    if allow_expand and nd >= 1:
        kinds += ["expanded"]
    kind = draw(st.sampled_from(kinds))
    if kind == "contiguous":
        return tuple(shape), []
    if kind == "expanded":
        drop = draw(st.integers(0, nd))
        base = [1 if draw(st.booleans()) else s for s in shape[drop:]]
        return tuple(base), [("expand", tuple(shape))]
    perm = list(range(nd))
    if kind.startswith("transposed"):
        perm[-1], perm[-2] = perm[-2], perm[-1]
    elif kind == "permuted":
        perm = list(draw(st.permutations(range(nd))))
    pre = [0] * nd
    for i in range(nd):
        pre[perm[i]] = shape[i]
    base, steps = list(pre), []
    if "sliced" in kind:
        idx = [slice(None)] * nd
        for d in sorted(draw(st.sets(st.integers(0, nd - 1), min_size=1, max_size=min(2, nd)))):
            step, off = draw(st.sampled_from([2, 3, 1])), draw(st.sampled_from([0, 1]))
            base[d] = off + pre[d] * step + draw(st.sampled_from([0, 1]))
            idx[d] = slice(off, off + pre[d] * step, step)
        if math.prod(base) <= cap:
            steps.append(("getitem", tuple(idx)))
        else:
            base = list(pre)
    if perm != list(range(nd)):
        if nd == 2:
            steps.append(("t",))
        elif kind.startswith("transposed"):
            steps.append(("transpose", -1, -2))
        else:
            steps.append(("permute", tuple(perm)))
    return tuple(base), steps


def values(rng, shape, dtype, kind="normal"):
    """Random values; kinds: normal, special (inf, nan, -0), unit (|x| in [0.5, 2]), small, positive."""
    if kind in ("pow2", "pow2special"):
        # +-1 with a rare 2, 1/2 or 0: every product is exact in any order and stays far from
        # overflow (intermediate overflow makes a product depend on the evaluation order:
        # inf * 0 = nan in one order, 0 in another)
        r = rng.random(size=shape)
        a = np.where(r < 0.01, 2.0, np.where(r < 0.02, 0.5, np.where(r < 0.021, 0.0, 1.0)))
        a = (a * rng.choice([-1.0, 1.0], size=shape)).astype(dtype) if dtype != "bool" else a.astype(dtype)
        if kind == "pow2special" and a.size and dtype in ("float32", "float64"):
            flat = a.reshape(-1)
            k = rng.integers(1, 4)
            flat[rng.integers(0, flat.size, size=k)] = rng.choice(np.array([np.inf, -np.inf, np.nan], dtype=dtype),
                                                                   size=k)
        return a
    if kind == "special":
        return random_array(rng, shape, dtype, special=True)
    if kind == "unit" and dtype in ("float32", "float64"):
        return (rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)).astype(dtype)
    if kind in ("small", "unit"):
        return random_array(rng, shape, dtype, low=-3, high=4)
    if kind == "positive":
        return np.abs(random_array(rng, shape, dtype, low=0, high=50)).astype(dtype)
    return random_array(rng, shape, dtype)


@st.composite
def tensor_input(draw, rng, shape, dtype, kind="normal", allow_expand=True, role="data"):
    base, steps = draw(layouts(shape, allow_expand=allow_expand))
    return inp(values(rng, base, dtype, kind), steps, role)


@st.composite
def broadcast_shape(draw, shape, mismatch_p=True):
    """A shape that broadcasts to `shape` (leading dims dropped, some dims 1), rarely one that does not."""
    nd = len(shape)
    drop = draw(st.integers(0, nd)) if draw(st.booleans()) else 0
    s = [1 if draw(st.integers(0, 3)) == 0 else x for x in shape[drop:]]
    if mismatch_p and s and draw(st.integers(0, 19)) == 0:
        d = draw(st.integers(0, len(s) - 1))
        if s[d] not in (0, 1):
            s[d] += 1
    return tuple(s)


python_scalars = st.one_of(
    st.booleans(), st.integers(-7, 7), st.floats(-8, 8, width=32),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), -0.0, 0.5, 1e10, 2**31, 2**40, -(2**31) - 1]))

# ---------------------------------------------------------------- elementwise binary
BINARY = ["add", "sub", "mul", "div", "floor_divide", "remainder", "fmod", "pow", "maximum", "minimum",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
          "bitwise_and", "bitwise_or", "bitwise_xor"]
SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floor_divide": "//", "remainder": "%", "pow": "**",
          "bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^", "eq": "==", "ne": "!=", "lt": "<",
          "le": "<=", "gt": ">", "ge": ">="}
ISYMBOL = {"add": "+=", "sub": "-=", "mul": "*=", "div": "/=", "floor_divide": "//=", "remainder": "%=",
           "pow": "**=", "bitwise_and": "&=", "bitwise_or": "|=", "bitwise_xor": "^="}
ARITH_EXACT = {"eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and",
               "bitwise_or", "bitwise_xor", "maximum", "minimum"}


def binary_tol(op):
    return "exact" if op in ARITH_EXACT else "transc" if op == "pow" else "arith"


def binary_values(rng, shape, dtype, op, which, kind):
    if op == "pow":  # integer powers in range; negative integer exponents now and then
        if which == "a":
            return random_array(rng, shape, dtype, special=kind == "special", low=-6, high=7)
        lo = -2 if rng.random() < 0.1 else 0
        b = random_array(rng, shape, dtype, special=kind == "special", low=lo, high=5)
        if dtype in ("float32", "float64"):
            with np.errstate(invalid="ignore"):  # inf % 4 is nan, as wanted
                b = (np.abs(b) % 4).astype(dtype)
        return b
    return values(rng, shape, dtype, kind)


def binary_kwargs(draw, op, form):
    kw = {}
    if form in ("func", "method", "out", "inplace_method"):
        if op in ("add", "sub") and draw(st.integers(0, 3)) == 0:
            kw["alpha"] = draw(st.sampled_from([2, -1, 0.5, True, 0]))
        if op == "div" and draw(st.booleans()):
            kw["rounding_mode"] = draw(st.sampled_from([None, "trunc", "floor"]))
    return kw


@st.composite
def binary_examples(draw):
    op = draw(st.sampled_from(BINARY))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    shape = draw(shapes())
    da, db = draw(st.sampled_from(DTYPES)), draw(st.sampled_from(DTYPES))
    kind = draw(st.sampled_from(["normal", "special", "small"]))
    other = draw(st.sampled_from(["tensor", "tensor", "scalar", "0d"]))
    base_a, steps_a = draw(layouts(shape))
    inputs = [inp(binary_values(rng, base_a, da, op, "a", kind), steps_a)]
    if other == "scalar":
        b = draw(python_scalars)
        if op == "pow" and isinstance(b, int) and not isinstance(b, bool):
            b = b % 4 if draw(st.integers(0, 9)) else -1
    else:
        bshape = () if other == "0d" else draw(broadcast_shape(shape))
        base_b, steps_b = draw(layouts(bshape))
        inputs.append(inp(binary_values(rng, base_b, db, op, "b", kind), steps_b))
        b = IN(1)
    forms = ["func", "method"] + (["operator"] * 2 if op in SYMBOL else [])
    if other == "scalar" and op in SYMBOL:
        forms.append("roperator")
    form = draw(st.sampled_from(forms))
    kw = binary_kwargs(draw, op, form)
    if form == "roperator":
        ex = dict(op=SYMBOL[op], form="operator", args=[b, IN(0)])
    elif form == "operator":
        ex = dict(op=SYMBOL[op], form="operator", args=[IN(0), b])
    elif form == "method":
        ex = dict(op=op, form="method", args=[IN(0), b], kwargs=kw)
    else:
        ex = dict(op=op, form="func", args=[IN(0), b], kwargs=kw)
    ex.update(inputs=inputs, threads=draw(threads_st), seed=seed, tol=binary_tol(op))
    return finish(ex)


def _fixed(op, form, arrays, args, kwargs=None, tol="arith", threads=2, views=None, **extra):
    ex = dict(op=op, form=form, inputs=[inp(a, (views or {}).get(i, ())) for i, a in enumerate(arrays)], args=args,
              kwargs=kwargs or {}, threads=threads, seed=None, tol=tol, **extra)
    return finish(ex)


_rng0 = np.random.default_rng(1234)
# Outputs of 8 MiB and more are written with streaming stores (engine/op_util.h): one
# example past it (float64 1024 x 1024), beyond the drawn sizes' 2^18 cap.
_STREAM_ADD = _fixed("+", "operator", [_rng0.standard_normal((1024, 1024)), _rng0.standard_normal((1, 1024))],
                     [IN(0), IN(1)])


@budget(600)
@example(ex=_STREAM_ADD)
@given(ex=binary_examples())
def test_fuzz_elementwise_binary(worker, ex):
    check(worker, ex)


# ---------------------------------------------------------------- unary, activations
# op -> (call forms, tolerance family); "-x", "abs(x)", "~x" are the operators
UNARY = {
    "neg": (["func", "method", "-x"], "exact"),
    "abs": (["func", "method", "abs(x)"], "exact"),
    "sign": (["func", "method"], "exact"),
    "exp": (["func", "method"], "transc"),
    "log": (["func", "method"], "transc"),
    "sqrt": (["func", "method"], "transc"),
    "rsqrt": (["func", "method"], "transc"),
    "logical_not": (["func", "method"], "exact"),
    "bitwise_not": (["func", "method", "~x"], "exact"),
    "relu": (["func", "method", "F"], "exact"),
    "sigmoid": (["func", "method", "F"], "transc"),
    "tanh": (["func", "method", "F"], "transc"),
    "gelu": (["F"], "transc"),
    "silu": (["F"], "transc"),
    "softplus": (["F"], "transc"),
    "elu": (["F"], "transc"),
    "leaky_relu": (["F"], "arith"),
    "hardtanh": (["F"], "exact"),
    "relu6": (["F"], "exact"),
    "selu": (["F"], "transc"),
    "mish": (["F"], "transc"),
    "hardsigmoid": (["F"], "arith"),
    "hardswish": (["F"], "arith"),
    "logsigmoid": (["F"], "transc"),
    "softsign": (["F"], "arith"),
    "expm1": (["func", "method"], "transc"),
    "log1p": (["func", "method"], "transc"),
    "log2": (["func", "method"], "transc"),
    "sin": (["func", "method"], "transc"),
    "cos": (["func", "method"], "transc"),
    "erf": (["func", "method"], "transc"),
    "softmax": (["func", "method", "F"], "softmax"),
    "log_softmax": (["func", "method", "F"], "log_softmax"),
    "clamp": (["func", "method"], "exact"),
}
UNARY_OPERATOR = {"-x", "abs(x)", "~x"}


def unary_kwargs(draw, op, ndim):
    if op == "gelu":
        return {"approximate": draw(st.sampled_from(["none", "tanh"]))} if draw(st.booleans()) else {}
    if op == "softplus" and draw(st.booleans()):
        return {"beta": draw(st.sampled_from([1.0, 2.0, 0.5])), "threshold": draw(st.sampled_from([20.0, 1.0, 5.0]))}
    if op in ("elu",) and draw(st.booleans()):
        return {"alpha": draw(st.sampled_from([1.0, 0.5, 2.0]))}
    if op == "leaky_relu" and draw(st.booleans()):
        return {"negative_slope": draw(st.sampled_from([0.01, 0.2, -0.5]))}
    if op == "hardtanh" and draw(st.booleans()):
        lo = draw(st.sampled_from([-1.0, -2.0, 0.0]))
        return {"min_val": lo, "max_val": lo + draw(st.sampled_from([1.0, 2.0, 0.5]))}
    if op in ("softmax", "log_softmax"):
        nd = max(ndim, 1)
        kw = {"dim": draw(st.integers(-nd, nd - 1)) if draw(st.integers(0, 19)) else nd}
        if draw(st.integers(0, 3)) == 0:
            kw["dtype"] = DT(draw(st.sampled_from(["float64", "float32"])))
        return kw
    if op == "clamp":
        lo = draw(st.one_of(st.none(), st.sampled_from([-1, 0, -2.5, 0.5])))
        hi = draw(st.one_of(st.none(), st.sampled_from([1, 3, 2.5, -1])))
        kw = {}
        if lo is not None:
            kw["min"] = lo
        if hi is not None or lo is None and draw(st.booleans()):
            kw["max"] = hi
        return kw
    return {}


@st.composite
def unary_examples(draw):
    op = draw(st.sampled_from(sorted(UNARY)))
    forms, tol = UNARY[op]
    form = draw(st.sampled_from(forms))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    shape = draw(shapes())
    dtype = draw(st.sampled_from(DTYPES))
    kind = draw(st.sampled_from(["normal", "special", "small", "positive"]))
    x = draw(tensor_input(rng, shape, dtype, kind))
    kw = unary_kwargs(draw, op, len(shape))
    if form in UNARY_OPERATOR:
        ex = dict(op=form, form="unary_operator", args=[IN(0)])
    elif form == "method":
        ex = dict(op=op, form="method", args=[IN(0)], kwargs=kw)
    else:
        ex = dict(op=op, form=form, args=[IN(0)], kwargs=kw)
    ex.update(inputs=[x], threads=draw(threads_st), seed=seed, tol=tol)
    return finish(ex)


# 8 MiB of float32 output (streaming stores), transcendental kernel.
_STREAM_EXP = _fixed("exp", "method", [_rng0.standard_normal((2048, 1024)).astype(np.float32)], [IN(0)],
                     tol="transc")


@budget(600)
@example(ex=_STREAM_EXP)
@given(ex=unary_examples())
def test_fuzz_unary_activation(worker, ex):
    check(worker, ex)


# ---------------------------------------------------------------- reductions
# op -> (dim: "opt" | "req" | "int" (int required) | "optint" (None or int), tuple dims allowed,
#        dtype= allowed, tolerance family)
REDUCTIONS = {
    "sum": ("opt", True, True, "sum"),
    "mean": ("opt", True, True, "sum"),
    "prod": ("optint", False, True, "prod"),
    "max": ("maxmin", False, False, "exact"),
    "min": ("maxmin", False, False, "exact"),
    "amax": ("opt", True, False, "exact"),
    "amin": ("opt", True, False, "exact"),
    "argmax": ("optint", False, False, "exact"),
    "argmin": ("optint", False, False, "exact"),
    "var": ("opt", True, False, "var"),
    "std": ("opt", True, False, "var"),
    "logsumexp": ("req", True, False, "lse"),
    "cumsum": ("int", False, True, "sum"),
    "cumprod": ("int", False, True, "prod"),
    "all": ("opt", True, False, "exact"),
    "any": ("opt", True, False, "exact"),
    "norm": ("opt", True, False, "norm"),
}
# Reduction shapes: sizes around the reduction plan's switches (rows over kRowChunk
# 2^16, column blocks of kColChunkElems 2^16 elements, lane tiles of kColTile 512,
# lanes < 4096, R > 64, kernel blocks of 512) as well as the generic points.
RED_POINTS = SIZE_POINTS + [100, 1000, 3000, 4100, 70000, 131073]


@st.composite
def reduction_examples(draw):
    op = draw(st.sampled_from(sorted(REDUCTIONS)))
    dim_kind, tuple_ok, dtype_ok, tol = REDUCTIONS[op]
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    shape = draw(shapes(points=RED_POINTS))
    nd = len(shape)
    dtype = draw(st.sampled_from(["float32"] + DTYPES))
    kind = draw(st.sampled_from(["normal", "special", "small", "unit"]))
    if op in ("prod", "cumprod") and math.prod(shape) > 16:
        kind = draw(st.sampled_from(["pow2", "pow2special"]))  # no overflow along the way (values())
    x = draw(tensor_input(rng, shape, dtype, kind))
    kw = {}
    args = [IN(0)]
    ndw = max(nd, 1)
    one_dim = st.integers(-ndw, ndw - 1) if draw(st.integers(0, 29)) else st.just(ndw)  # rarely out of range

    dim = None
    if dim_kind in ("opt", "optint", "maxmin"):
        choice = draw(st.sampled_from(["none", "int", "tuple"] if tuple_ok and nd >= 1 else ["none", "int"]))
    elif dim_kind == "req":
        choice = draw(st.sampled_from(["int", "tuple"] if nd >= 1 else ["int"]))
    else:
        choice = "int"
    if choice == "int":
        dim = draw(one_dim)
    elif choice == "tuple":
        dim = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=min(nd, 3), unique=True)))
        if draw(st.integers(0, 29)) == 0:
            dim = dim + dim[:1]  # a repeated dim: an error in both
    keepdim = draw(st.booleans())
    if dim_kind == "maxmin":
        if dim is not None:
            if draw(st.booleans()):
                args = [IN(0), dim]
            else:
                kw["dim"] = dim
            kw["keepdim"] = keepdim
    elif dim_kind == "int":
        if draw(st.booleans()):
            args = [IN(0), dim]
        else:
            kw["dim"] = dim
    else:
        if dim is not None or dim_kind == "req":
            kw["dim"] = dim
        # torch's signatures take keepdim only with a dim (argmax/argmin: also without)
        if (dim is not None or op in ("argmax", "argmin")) and draw(st.booleans()):
            kw["keepdim"] = keepdim
    if dtype_ok and draw(st.booleans()):
        kw["dtype"] = DT(draw(st.sampled_from(["float64", "float64", "float32", "int64", "int32", "bool"])))
    if op in ("var", "std"):
        c = draw(st.sampled_from(["none", "unbiased", "correction"]))
        if c == "unbiased":
            kw["unbiased"] = draw(st.booleans())
        elif c == "correction":
            kw["correction"] = draw(st.sampled_from([0, 1, 2]))
    if op == "norm" and draw(st.booleans()):
        kw["p"] = draw(st.sampled_from([1, 2, float("inf"), 3.0]))
    form = draw(st.sampled_from(["func", "method"]))
    # reduced element count (the tolerance of products)
    if dim is None:
        R = max(1, math.prod(shape))
    else:
        dims = dim if isinstance(dim, tuple) else (dim,)
        R = max(1, math.prod(shape[d] for d in {d % ndw for d in dims if -ndw <= d < ndw}) if nd else 1)
    d = np.asarray(x["data"])
    scale = float(np.nanmax(np.abs(d[np.isfinite(d)]))) if d.dtype.kind == "f" and np.isfinite(d).any() else 1.0
    ex = dict(op=op, form=form, args=args, kwargs=kw, inputs=[x], threads=draw(threads_st), seed=seed, tol=tol, R=R,
              scale=scale, power=1 if op == "std" else 2)
    return finish(ex)


@budget(600)
@given(ex=reduction_examples())
def test_fuzz_reductions(worker, ex):
    check(worker, ex)


# ---------------------------------------------------------------- matmul and linalg
# GEMM switches (engine/gemm_driver.cpp): kParallelMacs 2^18 (64^3), kDirectMacs
# 160^3, kSkinnyRows 40, kDotRowsSmall 4, the 1-8-row paths, microkernel tiles;
# the GIL is released from 2048 elements (sum of both operands).
MAT_POINTS = [1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 39, 40, 41, 63, 64, 65, 100, 127, 128, 129,
              159, 160, 161, 200, 255, 256, 300]
MATMUL_SHAPES = ["1x1", "2x1", "1x2", "2x2", "2x2", "bx2", "2xb", "bxb", "bxb", "bx1", "1xb"]
LINALG = ["matmul", "matmul", "matmul", "mm", "bmm", "mv", "dot", "addmm", "linear", "outer"]


@st.composite
def batch_dims(draw, common, cap):
    s = list(common[draw(st.integers(0, len(common))):]) if draw(st.booleans()) else list(common)
    s = [1 if draw(st.integers(0, 3)) == 0 else x for x in s]
    while s and math.prod(s) > cap:
        s = s[1:]
    return tuple(s)


@st.composite
def linalg_examples(draw):
    kind = draw(st.sampled_from(LINALG))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    dims = st.sampled_from(MAT_POINTS)
    M, K, N = draw(dims), draw(dims), draw(dims)
    dt = draw(st.sampled_from(["float32", "float32", "float32", "float64", "int32", "int64"]))
    # Mixed dtypes (an error in both) only for non-empty operands: torch skips its dtype check
    # when a batch or matrix is empty (bmm(float32 [0,2,3], int64 [0,3,4]) gives int64).
    mixed = draw(st.integers(0, 9)) == 0 and 0 not in (M, K, N)
    dt2 = draw(st.sampled_from(DTYPES)) if mixed else dt
    vkind = "special" if draw(st.integers(0, 9)) == 0 else "small"
    K2 = K + 1 if draw(st.integers(0, 19)) == 0 else K  # a mismatched contraction now and then
    common = tuple(draw(st.lists(st.sampled_from([1, 2, 3, 4]), min_size=1, max_size=2)))

    def operand(shape, dtype, role="data"):
        base, steps = draw(layouts(shape))
        return inp(values(rng, base, dtype, vkind), steps, role)

    kwargs, args, form = {}, [IN(0), IN(1)], draw(st.sampled_from(["func", "method"]))
    if kind == "matmul":
        sk = draw(st.sampled_from(MATMUL_SHAPES))
        a_shape = {"1": (K,), "2": (M, K)}.get(sk[0])
        b_shape = {"1": (K2,), "2": (K2, N)}.get(sk[2])
        if a_shape is None:
            a_shape = draw(batch_dims(common, CAP // max(M * K, 1))) + (M, K)
        if b_shape is None:
            b_shape = draw(batch_dims(common, CAP // max(K2 * N, 1))) + (K2, N)
        inputs = [operand(a_shape, dt), operand(b_shape, dt2)]
        form = draw(st.sampled_from(["func", "method", "operator", "operator"]))
        op = "@" if form == "operator" else "matmul"
    elif kind in ("mm", "bmm", "mv", "dot", "outer"):
        B = draw(st.sampled_from([1, 2, 3] if mixed else [1, 2, 3, 0]))
        while B > 1 and B * max(M * K, K * N) > CAP:
            B -= 1
        a_shape, b_shape = {"mm": ((M, K), (K2, N)), "bmm": ((B, M, K), (B, K2, N)), "mv": ((M, K), (K2,)),
                            "dot": ((K,), (K2,)), "outer": ((M,), (N,))}[kind]
        if draw(st.integers(0, 19)) == 0:  # wrong rank: an error in both
            a_shape = a_shape[1:] if len(a_shape) > 1 else (1,) + a_shape
        inputs = [operand(a_shape, dt), operand(b_shape, dt2)]
        op = kind
    elif kind == "addmm":
        c_shape = draw(st.sampled_from([(M, N), (N,), (1, N), (M, 1), ()]))
        inputs = [operand((M, K), dt), operand((K2, N), dt2), operand(c_shape, dt)]
        args = [IN(2), IN(0), IN(1)]
        op = "addmm"
        if dt in ("float32", "float64"):
            beta, alpha = draw(st.sampled_from([1, 0, 0.5, -1, 2])), draw(st.sampled_from([1, 0.5, -2, 0]))
        else:
            beta, alpha = draw(st.sampled_from([1, 0, -1, 2])), draw(st.sampled_from([1, -2, 0, 3]))
        if draw(st.booleans()):
            kwargs["beta"] = beta
        if draw(st.booleans()):
            kwargs["alpha"] = alpha
    else:  # linear: input (..., K), weight (N, K), bias (N,) or None
        lead = draw(batch_dims(common, CAP // max(M * K, 1))) + ((M,) if draw(st.booleans()) else ())
        inputs = [operand(lead + (K,), dt), operand((N, K2), dt2)]
        if draw(st.booleans()):
            inputs.append(operand((N,), dt))
            args = [IN(0), IN(1), IN(2)]
        form, op = "F", "linear"
    if form == "operator":
        ex = dict(op=op, form="operator", args=args)
    else:
        ex = dict(op=op, form=form, args=args, kwargs=kwargs)
    ex.update(inputs=inputs, threads=draw(threads_st), seed=seed, tol="matmul", K=K)
    return finish(ex)


def _mm_example(n, op="@", form="operator", dtype=np.float32):
    r = np.random.default_rng(n)
    a, b = (r.standard_normal((n, n)).astype(dtype) for _ in range(2))
    return _fixed(op, form, [a, b], [IN(0), IN(1)], tol="matmul", K=n)


@budget(600)
@example(ex=_mm_example(200))  # 80000 elements: above the 32768 of the GIL release of the operator path
@example(ex=_mm_example(200, "matmul", "func"))
@given(ex=linalg_examples())
def test_fuzz_matmul_linalg(worker, ex):
    check(worker, ex)


# ---------------------------------------------------------------- indexing
IDX_POINTS = [1, 2, 3, 0, 4, 5, 7, 8, 9, 16, 17, 31, 33, 64, 65, 128, 129, 512, 513, 1024, 4096, 32768, 32769,
              65536]


@st.composite
def index_items(draw, rng, shape, for_set):
    """An index for a tensor of `shape` (an item or a tuple of items) and the
    arrays (masks, integer index tensors) it refers to as inputs 1, 2, ..."""
    nd = len(shape)
    numel = math.prod(shape)
    item_kind = st.sampled_from(["int", "slice", "slice", "none", "bool", "mask", "tensor", "list"])
    use_ellipsis = draw(st.integers(0, 3)) == 0
    too_many = draw(st.integers(0, 19)) == 0  # more indices than dims: IndexError in both
    front = draw(st.lists(item_kind, max_size=nd + 1 if too_many else max(nd, 1)))
    back = draw(st.lists(item_kind, max_size=2)) if use_ellipsis else []

    def width(k):  # dims an item consumes
        if k == "mask":
            return draw(st.integers(1, max(1, min(2, nd))))
        return 0 if k in ("none", "bool") else 1

    front = [(k, width(k)) for k in front]
    back = [(k, width(k)) for k in back]
    arrays, adv = [], []  # adv: (position in items, kind, dim size)

    def size_at(d):
        return shape[d] if 0 <= d < nd else 3

    def make(k, w, d, pos):
        s = size_at(d)
        if k == "int":
            if draw(st.integers(0, 19)) == 0:
                return s  # out of range
            return draw(st.integers(-s, s - 1)) if s > 0 else 0
        if k == "slice":
            steps = [None, 1, 2, 3, 7, None, 2] + ([-1] if draw(st.integers(0, 29)) == 0 else [])
            bound = st.one_of(st.none(), st.integers(-s - 2, s + 2))
            return slice(draw(bound), draw(bound), draw(st.sampled_from(steps)))
        if k == "none":
            return None
        if k == "bool":
            return draw(st.booleans())
        if k == "mask":
            mshape = tuple(size_at(d + q) for q in range(w))
            if draw(st.integers(0, 19)) == 0:
                mshape = mshape[:-1] + (mshape[-1] + 1,)  # a mask that does not match: IndexError in both
            p = draw(st.sampled_from([0.5, 0.1, 0.9]))
            arrays.append((rng.random(mshape) < p).astype(np.bool_))
            return IN(len(arrays))  # input 0 is the indexed tensor
        adv.append((pos, k, s))
        return None  # filled in below

    items, d = [], 0
    for k, w in front:
        items.append(make(k, w, d, len(items)))
        d += w
    if use_ellipsis:
        # One ellipsis: torch's results for several are accidents of its
        # implementation (a 4-d x[..., ..., 0, 0, 0, 0] works, x[..., ..., [], []]
        # is "too many indices"); test_views_indexing pins the simple cases.
        items.append(Ellipsis)
        d = nd - sum(w for _, w in back)
        for k, w in back:
            items.append(make(k, w, d, len(items)))
            d += w
    # integer index arrays: one length for all (they broadcast), bounded so the result stays small
    if adv:
        cap_len = min(max(1, CAP // max(1, numel // max(s, 1))) for _, _, s in adv)
        L = draw(st.sampled_from([p for p in [1, 2, 3, 0, 5, 17, 100, 4096, 40000] if p <= cap_len] or [1]))
        two_d = L > 1 and L % 2 == 0 and draw(st.integers(0, 4)) == 0
        as_int32 = draw(st.integers(0, 3)) == 0
        for pos, k, s in adv:
            if s == 0:
                idx = np.zeros(0, dtype=np.int64) if draw(st.booleans()) else np.zeros(L, np.int64)
            elif for_set:  # unique positions: duplicate writes have no defined order
                idx = rng.permutation(s)[:L].astype(np.int64)
            else:
                idx = rng.integers(0, s, size=L).astype(np.int64)
            if s:
                idx = np.where(rng.random(idx.shape) < 0.3, idx - s, idx)  # negative indices
                if idx.size and draw(st.integers(0, 29)) == 0:
                    idx[0] = s  # out of bounds: IndexError in both
            if k == "list":
                items[pos] = [int(v) for v in idx[:4]]
                continue
            if two_d and idx.size == L:
                idx = idx.reshape(2, -1)
            arrays.append(idx.astype(np.int32) if as_int32 else idx)
            items[pos] = IN(len(arrays))
    index = items[0] if len(items) == 1 and draw(st.booleans()) else tuple(items)
    return index, arrays


@st.composite
def index_examples(draw):
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    shape = draw(shapes(points=IDX_POINTS))
    dtype = draw(st.sampled_from(DTYPES))
    is_set = draw(st.booleans())
    x = draw(tensor_input(rng, shape, dtype, "normal", allow_expand=True))
    index, arrays = draw(index_items(rng, shape, is_set))
    inputs = [x] + [inp(a, (), "index") for a in arrays]
    threads = draw(threads_st)
    if not is_set:
        ex = dict(op="getitem", form="getitem", args=[IN(0), index], inputs=inputs, threads=threads, seed=seed,
                  tol="exact")
        return finish(ex)
    # __setitem__: a number, or a tensor broadcastable to the indexed result's shape
    vkind = draw(st.sampled_from(["scalar", "tensor", "tensor", "0d"]))
    if vkind == "scalar":
        value = draw(st.one_of(st.booleans(), st.integers(-5, 5), st.floats(-4, 4, width=32),
                               st.sampled_from([float("nan"), float("inf"), 2**40]) if draw(st.integers(0, 9)) == 0
                               else st.just(1)))
    else:
        try:
            probe = torch.empty(shape)[fw.resolve(torch, index, [None] + [torch.from_numpy(a) for a in arrays], [])]
            rshape = tuple(probe.shape)
        except Exception:  # noqa: BLE001  (an index both must refuse)
            rshape = (2,)
        vshape = () if vkind == "0d" else draw(broadcast_shape(rshape))
        vdt = draw(st.sampled_from(DTYPES))
        base, steps = draw(layouts(vshape, allow_expand=True))
        inputs.append(inp(values(rng, base, vdt, "small"), steps))
        value = IN(len(inputs) - 1)
    ex = dict(op="setitem", form="setitem", args=[IN(0), index, value], inputs=inputs, watch=[0], threads=threads,
              seed=seed, tol="exact")
    return finish(ex)


@budget(600)
@given(ex=index_examples())
def test_fuzz_indexing(worker, ex):
    check(worker, ex)


# ---------------------------------------------------------------- in-place and out=
INPLACE_BINARY = [op for op in BINARY if hasattr(torch.Tensor, op + "_")]
INPLACE_UNARY = {  # method_ form; tolerance family
    "neg": "exact", "abs": "exact", "sign": "exact", "exp": "transc", "log": "transc", "sqrt": "transc",
    "rsqrt": "transc", "relu": "exact", "sigmoid": "transc", "tanh": "transc", "sin": "transc", "cos": "transc",
    "expm1": "transc", "log1p": "transc", "erf": "transc", "logical_not": "exact", "bitwise_not": "exact",
    "clamp": "exact",
}
F_INPLACE = {"relu": "exact", "leaky_relu": "arith", "elu": "transc", "hardtanh": "exact"}
UNARY_OUT = {  # rusttorch.<op>(x, out=o) where torch has out= too
    "exp": "transc", "log": "transc", "sqrt": "transc", "rsqrt": "transc", "neg": "exact", "abs": "exact",
    "sign": "exact", "sigmoid": "transc", "tanh": "transc", "sin": "transc", "cos": "transc", "expm1": "transc",
    "log1p": "transc", "erf": "transc", "log2": "transc", "logical_not": "exact", "bitwise_not": "exact",
    "clamp": "exact",
}
LINALG_OUT = ["matmul", "mm", "bmm", "mv", "addmm", "dot"]


@st.composite
def out_tensor(draw, rng, result_shape, result_dtype):
    """An out= tensor: the result's shape (any layout) or empty (resized), of some dtype."""
    dt = result_dtype if draw(st.booleans()) else draw(st.sampled_from(DTYPES))
    if draw(st.integers(0, 4)) == 0:
        return inp(np.zeros((0,), dtype=dt), (), "out")
    base, steps = draw(layouts(result_shape, allow_expand=draw(st.integers(0, 9)) == 0))
    return inp(values(rng, base, dt, "small"), steps, "out")


def torch_result_meta(ex):
    """Shape and dtype of the result torch computes for `ex` (for sizing out=), or None."""
    r = run_torch(ex)
    if "error" in r or r["result"][0] != "tensor":
        return None
    return r["result"][2], r["result"][1]


@st.composite
def inplace_out_examples(draw):
    kind = draw(st.sampled_from(["binary_inplace", "binary_inplace", "unary_inplace", "F_inplace", "binary_out",
                                 "binary_out", "unary_out", "linalg_out"]))
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    threads = draw(threads_st)
    vk = draw(st.sampled_from(["normal", "special", "small"]))
    if kind == "binary_inplace":
        op = draw(st.sampled_from(INPLACE_BINARY))
        shape = draw(shapes())
        da, db = draw(st.sampled_from(DTYPES)), draw(st.sampled_from(DTYPES))
        base, steps = draw(layouts(shape, allow_expand=draw(st.integers(0, 9)) == 0))
        inputs = [inp(binary_values(rng, base, da, op, "a", vk), steps)]
        other = draw(st.sampled_from(["tensor", "tensor", "scalar", "0d", "self"]))
        if other == "scalar":
            b = draw(python_scalars)
            if op == "pow" and isinstance(b, int) and not isinstance(b, bool):
                b = b % 4
        elif other == "self":
            b = IN(0)
        else:
            if other == "0d":
                bshape = ()
            elif draw(st.integers(0, 9)) == 0:
                bshape = (2,) + shape  # broadcasts beyond self: an error in both
            else:
                bshape = draw(broadcast_shape(shape))
            bb, bs = draw(layouts(bshape))
            inputs.append(inp(binary_values(rng, bb, db, op, "b", vk), bs))
            b = IN(1)
        form = draw(st.sampled_from(["inplace_method", "inplace_operator"] if op in ISYMBOL else ["inplace_method"]))
        if form == "inplace_operator":
            ex = dict(op=ISYMBOL[op], form="inplace_operator", args=[IN(0), b])
        else:
            ex = dict(op=op + "_", form="method", args=[IN(0), b], kwargs=binary_kwargs(draw, op, "inplace_method"))
        ex.update(tol=binary_tol(op))
    elif kind in ("unary_inplace", "F_inplace"):
        table = INPLACE_UNARY if kind == "unary_inplace" else F_INPLACE
        op = draw(st.sampled_from(sorted(table)))
        shape = draw(shapes())
        dtype = draw(st.sampled_from(DTYPES))
        base, steps = draw(layouts(shape, allow_expand=draw(st.integers(0, 9)) == 0))
        inputs = [inp(values(rng, base, dtype, vk if vk != "small" else "positive"), steps)]
        kw = unary_kwargs(draw, op, len(shape))
        if kind == "unary_inplace":
            ex = dict(op=op + "_", form="method", args=[IN(0)], kwargs=kw)
        else:
            kw["inplace"] = True
            ex = dict(op=op, form="F", args=[IN(0)], kwargs=kw)
        ex.update(tol=table[op])
    elif kind == "binary_out":
        op = draw(st.sampled_from(BINARY))
        shape = draw(shapes())
        da, db = draw(st.sampled_from(DTYPES)), draw(st.sampled_from(DTYPES))
        ba, sa = draw(layouts(shape))
        bshape = draw(broadcast_shape(shape))
        bb, sb = draw(layouts(bshape))
        inputs = [inp(binary_values(rng, ba, da, op, "a", vk), sa), inp(binary_values(rng, bb, db, op, "b", vk), sb)]
        ex = dict(op=op, form="func", args=[IN(0), IN(1)], kwargs=binary_kwargs(draw, op, "func"), inputs=inputs)
        ex.update(tol=binary_tol(op))
    elif kind == "unary_out":
        op = draw(st.sampled_from(sorted(UNARY_OUT)))
        shape = draw(shapes())
        dtype = draw(st.sampled_from(DTYPES))
        base, steps = draw(layouts(shape))
        inputs = [inp(values(rng, base, dtype, vk if vk != "small" else "positive"), steps)]
        ex = dict(op=op, form="func", args=[IN(0)], kwargs=unary_kwargs(draw, op, len(shape)), inputs=inputs)
        ex.update(tol=UNARY_OUT[op])
    else:
        op = draw(st.sampled_from(LINALG_OUT))
        dims = st.sampled_from(MAT_POINTS)
        M, K, N = draw(dims), draw(dims), draw(dims)
        dt = draw(st.sampled_from(["float32", "float64", "int64"]))
        B = draw(st.sampled_from([1, 2, 3]))
        while B > 1 and B * max(M * K, K * N) > CAP:
            B -= 1
        shapes_ = {"matmul": [(M, K), (K, N)], "mm": [(M, K), (K, N)], "bmm": [(B, M, K), (B, K, N)],
                   "mv": [(M, K), (K,)], "addmm": [(M, K), (K, N), (N,)], "dot": [(K,), (K,)]}[op]
        inputs = []
        for s in shapes_:
            b_, st_ = draw(layouts(s))
            inputs.append(inp(values(rng, b_, dt, "small"), st_))
        args = [IN(2), IN(0), IN(1)] if op == "addmm" else [IN(0), IN(1)]
        ex = dict(op=op, form="func", args=args, kwargs={}, inputs=inputs, tol="matmul", K=K)
    if kind in ("binary_out", "unary_out", "linalg_out"):
        meta = torch_result_meta(dict(ex, threads=threads, seed=seed))
        rshape, rdtype = meta if meta else ((3,), "float32")
        ex["inputs"] = ex["inputs"] + [draw(out_tensor(rng, rshape, rdtype))]
        o = len(ex["inputs"]) - 1
        ex["kwargs"] = dict(ex["kwargs"], out=IN(o))
        ex["watch"] = [o]
    else:
        ex["watch"] = [0]
        ex["inputs"] = inputs
    ex.update(threads=threads, seed=seed)
    return finish(ex)


@budget(600)
@given(ex=inplace_out_examples())
def test_fuzz_inplace_and_out(worker, ex):
    check(worker, ex)


# ---------------------------------------------------------------- autograd graphs
@st.composite
def graph_examples(draw):
    """Random small graphs: 1-3 leaves, 1-8 ops whose arguments are any earlier
    node (so nodes are reached by several paths), backward of a weighted sum
    of 1-2 nodes; the leaves' gradients are compared with torch's."""
    seed = draw(seeds)
    rng = np.random.default_rng(seed)
    dtype = draw(st.sampled_from(["float32", "float64"]))
    shape = tuple(draw(st.lists(st.sampled_from([1, 2, 3, 5, 8, 17, 64]), min_size=0, max_size=3)))
    n_in = draw(st.integers(1, 3))
    inputs = [inp(rng.standard_normal(shape).astype(dtype)) for _ in range(n_in)]
    names = sorted(fw.GRAPH_OPS)
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(names))
        n_nodes = n_in + len(steps)
        steps.append((op, [draw(st.integers(0, n_nodes - 1)) for _ in range(fw.GRAPH_OPS[op][0])]))
    n_nodes = n_in + len(steps)
    outputs = sorted({n_nodes - 1, draw(st.integers(0, n_nodes - 1))})
    ex = dict(op="graph", form="graph", inputs=inputs, args=[], graph={"steps": steps, "outputs": outputs},
              tol="grad", threads=draw(st.sampled_from([1, 2])), seed=seed)
    return finish(ex)


@budget(300)
@given(ex=graph_examples())
def test_fuzz_autograd_graph(worker, ex):
    check(worker, ex)


# ---------------------------------------------------------------- the harness itself
def test_worker_crash_and_hang_are_reported_and_worker_restarts():
    """A worker that dies mid-example gives an error naming the signal and the
    stderr tail (with the example's description), one that hangs is killed at
    the timeout, and the next example gets a fresh worker."""
    ok = _fixed("add", "func", [np.arange(5.0)], [IN(0), 1])
    w = Worker()
    try:
        with pytest.raises(WorkerDied, match=r"(?s)signal SIGABRT.*running Example\(op='_abort'"):
            w.run(finish(dict(op="_abort", form="_abort", inputs=[], args=[], threads=2)))
        assert w.run(dict(ok))["result"][0] == "tensor"  # a fresh worker
        assert not [m for m in w.run({"cmd": "modules"})["modules"] if m == "torch"]  # rusttorch and numpy only
        with pytest.raises(WorkerDied, match="hang"):
            w.run(finish(dict(op="_hang", form="_hang", inputs=[], args=[], threads=2)), timeout=3)
        r = w.run(dict(ok))
        np.testing.assert_array_equal(r["result"][3], np.arange(5.0) + 1)
        assert w.starts == 3 and w.crashes == 2
    finally:
        w.close()
