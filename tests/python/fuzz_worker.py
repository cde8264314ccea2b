"""Child process of the differential fuzzer (test_fuzz.py), and the example
interpreter both sides share.

Run as a script it is the persistent worker: it imports only rusttorch and
numpy (plus the standard library), reads examples from stdin and writes the
results to stdout, as pickles in length-prefixed frames (8 bytes little-endian
length, then the pickle). A crash of rusttorch (abort, segfault) kills only
this process; the parent sees EOF and reports the example it was running.

Imported as a module (by the parent, the pytest process), it provides
`execute`, which runs one example against a library object (``rusttorch`` in
the worker, ``torch`` in the parent for the reference), and `payload`, which
turns the outcome into plain Python / NumPy values. Both sides run the very
same code, so the call forms cannot drift apart.

An example is a dict:

    {"op": str, "form": str,
     "inputs": [{"data": ndarray, "view": [step, ...]}, ...],
     "args": [value, ...], "kwargs": {name: value},
     "watch": [input index, ...],   # tensors to report after the call (in-place targets)
     "threads": int}

Values are Python numbers, None, slices, Ellipsis, lists/tuples of values and
the tags ("$in", i) (input i, a tensor after its view steps), ("$base", i)
(input i before the view steps: the tensor that owns the memory) and
("$dtype", name). View steps: ("t",), ("transpose", d0, d1),
("permute", dims), ("getitem", index) and ("expand", shape).
"""
from __future__ import annotations

import operator
import os
import pickle
import struct
import sys

import numpy as np

BINARY_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
    "&": operator.and_, "|": operator.or_, "^": operator.xor,
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge,
}
INPLACE_OPERATORS = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "&=": operator.iand,
    "|=": operator.ior, "^=": operator.ixor, "@=": operator.imatmul,
}
UNARY_OPERATORS = {"-x": operator.neg, "abs(x)": abs, "~x": operator.invert, "+x": operator.pos}


def make_tensor(lib, arr: np.ndarray, role="data"):
    arr = np.array(arr, copy=True)  # the example's array stays untouched
    t = lib.tensor(arr) if arr.ndim == 0 else lib.from_numpy(arr)
    # out= tensors own their storage: torch cannot resize one that NumPy owns
    return t.clone() if role == "out" else t


def apply_view(t, steps):
    for s in steps:
        kind = s[0]
        if kind == "t":
            t = t.t()
        elif kind == "transpose":
            t = t.transpose(s[1], s[2])
        elif kind == "permute":
            t = t.permute(*s[1])
        elif kind == "getitem":
            t = t[s[1]]
        elif kind == "expand":
            t = t.expand(*s[1])
        else:
            raise ValueError(f"unknown view step {s!r}")
    return t


def resolve(lib, v, views, bases):
    if isinstance(v, tuple):
        if len(v) == 2 and isinstance(v[0], str) and v[0].startswith("$"):
            tag, x = v
            if tag == "$in":
                return views[x]
            if tag == "$base":
                return bases[x]
            if tag == "$dtype":
                return getattr(lib, x)
            raise ValueError(f"unknown tag {tag}")
        return tuple(resolve(lib, x, views, bases) for x in v)
    if isinstance(v, list):
        return [resolve(lib, x, views, bases) for x in v]
    if isinstance(v, dict):
        return {k: resolve(lib, x, views, bases) for k, x in v.items()}
    return v


def execute(lib, F, ex):
    """Runs one example with `lib` (rusttorch or torch) and `F` (its nn.functional).

    Returns (result, watched, is_self): the call's return value, the watched
    tensors after the call (each (view, base)), and for each watched tensor
    whether the call returned that very object."""
    bases = [make_tensor(lib, i["data"], i.get("role", "data")) for i in ex["inputs"]]
    views = [apply_view(b, i["view"]) for b, i in zip(bases, ex["inputs"])]
    args = resolve(lib, ex.get("args", []), views, bases)
    kwargs = resolve(lib, ex.get("kwargs", {}), views, bases)
    op, form = ex["op"], ex["form"]
    if form == "func":
        r = getattr(lib, op)(*args, **kwargs)
    elif form == "F":
        r = getattr(F, op)(*args, **kwargs)
    elif form == "method":
        r = getattr(args[0], op)(*args[1:], **kwargs)
    elif form == "operator":
        r = BINARY_OPERATORS[op](args[0], args[1])
    elif form == "inplace_operator":
        r = INPLACE_OPERATORS[op](args[0], args[1])
    elif form == "unary_operator":
        r = UNARY_OPERATORS[op](args[0])
    elif form == "getitem":
        r = args[0][args[1]]
    elif form == "setitem":
        args[0][args[1]] = args[2]
        r = None
    elif form == "graph":
        r = run_graph(lib, F, ex["graph"], views)
    elif form == "_abort":  # test hooks of the harness (test_fuzz.py checks its crash and hang handling)
        os.abort()
    elif form == "_hang":
        import time
        time.sleep(3600)
    else:
        raise ValueError(f"unknown form {form}")
    watch = ex.get("watch", [])
    watched = [(views[i], bases[i]) for i in watch]
    is_self = [r is views[i] for i in watch]
    return r, watched, is_self


# ---------------------------------------------------------------- autograd graphs
def _view_inplace(a, b):
    """In-place ops through views of a tensor in the graph (torch's CopySlices)."""
    h = a * 1
    if h.ndim == 0 or h.numel() == 0:
        return h * b
    h[0] *= 2
    h.view(-1)[::2].add_(b.reshape(-1)[::2])
    h.transpose(0, -1).tanh_()
    return h


# Steps of a random graph: each op takes node indices (earlier inputs or
# results, so a node may be used by many later ones). Every op keeps the shape
# (keepdim reductions broadcast back), and keeps values bounded, so that the
# gradients compare with stated tolerances.
GRAPH_OPS = {
    "add": (2, lambda L, F, a, b: a + b),
    "sub_alpha": (2, lambda L, F, a, b: L.sub(a, b, alpha=0.5)),
    "mul": (2, lambda L, F, a, b: a * b),
    "div": (2, lambda L, F, a, b: a / (b.abs() + 1)),
    "maximum": (2, lambda L, F, a, b: L.maximum(a, b)),
    "where": (2, lambda L, F, a, b: L.where(a > b, a, b * 0.5)),
    "pow": (1, lambda L, F, a: (a.abs() + 0.5) ** 1.5),
    "tanh": (1, lambda L, F, a: a.tanh()),
    "sigmoid": (1, lambda L, F, a: a.sigmoid()),
    "exp": (1, lambda L, F, a: a.tanh().exp()),
    "log": (1, lambda L, F, a: (a.abs() + 1).log()),
    "sqrt": (1, lambda L, F, a: (a * a + 1).sqrt()),
    "sin": (1, lambda L, F, a: L.sin(a)),
    "relu": (1, lambda L, F, a: F.relu(a)),
    "gelu": (1, lambda L, F, a: F.gelu(a)),
    "gelu_tanh": (1, lambda L, F, a: F.gelu(a, approximate="tanh")),
    "silu": (1, lambda L, F, a: F.silu(a)),
    "softplus": (1, lambda L, F, a: F.softplus(a)),
    "leaky_relu": (1, lambda L, F, a: F.leaky_relu(a, 0.1)),
    "scale": (1, lambda L, F, a: a * -1.5 + 0.25),
    "sum_keep": (1, lambda L, F, a: a - a.sum(dim=-1, keepdim=True) * 0.1 if a.ndim else a * 1),
    "mean_keep": (1, lambda L, F, a: a * a.mean(dim=0, keepdim=True) if a.ndim else a * a),
    "amax_keep": (1, lambda L, F, a: a - a.amax(dim=-1, keepdim=True) if a.ndim else a * 1),
    "softmax": (1, lambda L, F, a: F.softmax(a, dim=-1)),
    "log_softmax": (1, lambda L, F, a: F.log_softmax(a, dim=0)),
    "transpose2": (1, lambda L, F, a: a.transpose(0, -1).exp().transpose(0, -1) if a.ndim else a.exp()),
    "reshape": (1, lambda L, F, a: a.reshape(-1).tanh().reshape(a.shape)),
    "cat_split": (2, lambda L, F, a, b: L.cat([a.unsqueeze(0), b.unsqueeze(0)], 0)[1] * a),
    "matmul_sq": (1, lambda L, F, a: (a @ a.transpose(-2, -1)).sum(dim=-1, keepdim=True) * a * 0.01
                  if a.ndim >= 2 else a * 1),
    "var_keep": (1, lambda L, F, a: a * a.var(dim=-1, keepdim=True) if a.ndim and a.shape[-1] > 1 else a * 1),
    "clamp": (1, lambda L, F, a: a.clamp(-0.8, 0.9)),
    "inplace": (2, lambda L, F, a, b: (a * 1).mul_(b).add_(0.5)),
    "view_inplace": (2, lambda L, F, a, b: _view_inplace(a, b)),
    "index": (1, lambda L, F, a: a[L.zeros(a.shape[0], dtype=L.int64)] * a if a.ndim else a * 1),
}


def run_graph(lib, F, graph, inputs):
    """Runs a random graph and backward; returns the inputs' gradients (None where unused)."""
    leaves = [t.requires_grad_() for t in inputs]
    nodes = list(leaves)
    for op, args in graph["steps"]:
        nargs, f = GRAPH_OPS[op]
        nodes.append(f(lib, F, *[nodes[i] for i in args[:nargs]]))
    loss = None
    for j, k in enumerate(graph["outputs"]):
        term = (nodes[k] * (0.5 + 0.25 * j)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    return tuple(t.grad for t in leaves)


def tensor_payload(t):
    name = str(t.dtype).split(".")[-1]
    return ("tensor", name, tuple(int(s) for s in t.shape), np.array(t.numpy(), copy=True))


def value_payload(r):
    """A plain description of a return value (tensors as NumPy arrays)."""
    if r is None:
        return ("none",)
    if isinstance(r, (bool, int, float)):
        return ("number", type(r).__name__, r)
    if isinstance(r, (tuple, list)):
        return ("tuple", tuple(value_payload(x) for x in r))
    if hasattr(r, "numpy") and hasattr(r, "dtype"):
        return tensor_payload(r)
    return ("object", type(r).__name__)


def payload(outcome):
    r, watched, is_self = outcome
    return {
        "result": value_payload(r),
        "watched": [(tensor_payload(v), tensor_payload(b)) for v, b in watched],
        "is_self": is_self,
    }


def error_payload(e: BaseException):
    return {"error": type(e).__name__, "mro": [c.__name__ for c in type(e).__mro__], "message": str(e)[:2000]}


# ---------------------------------------------------------------- the worker
def read_frame(f):
    head = f.read(8)
    if len(head) < 8:
        return None
    (n,) = struct.unpack("<Q", head)
    data = f.read(n)
    if len(data) < n:
        return None
    return pickle.loads(data)


def write_frame(f, obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(struct.pack("<Q", len(data)))
    f.write(data)
    f.flush()


def main() -> int:
    import warnings

    import rusttorch as rt
    import rusttorch.nn.functional as F

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the frames
    threads = int(os.environ.get("RUSTTORCH_FUZZ_THREADS", "2"))
    rt.set_num_threads(threads)
    write_frame(out, {"ready": True, "pid": os.getpid()})
    while True:
        msg = read_frame(inp)
        if msg is None or msg.get("cmd") == "exit":
            return 0
        if msg.get("cmd") == "modules":  # what this process imported (the harness checks: no torch)
            write_frame(out, {"modules": sorted({m.split(".")[0] for m in sys.modules})})
            continue
        ex = msg["ex"]
        want = ex.get("threads", threads)
        if want != threads:
            rt.set_num_threads(want)
            threads = want
        # Written before running, so the parent's stderr tail names the example of a crash.
        sys.stderr.write(f"[fuzz_worker] running {ex.get('desc', ex['op'])}\n")
        sys.stderr.flush()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reply = payload(execute(rt, F, ex))
        except Exception as e:  # noqa: BLE001
            reply = error_payload(e)
        write_frame(out, reply)


if __name__ == "__main__":
    sys.exit(main())
