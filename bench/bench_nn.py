#!/usr/bin/env python3
"""Training against torch: one MLP training step, the Adam and SGD updates,
the fused losses forward + backward (issue 14's targets), float32.

Each library alone in its own process, alternating rounds, medians
(bench/separate_processes.py). The `*_vs_fused` cases run torch's
`fused=True` optimizer against ours.

    PYTHONPATH=build/python python3 bench/bench_nn.py [--rounds 5] [--threads 1,2] [--cases ...] [--json FILE]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from separate_processes import main  # noqa: E402

WORKER = r'''
nn, optim = L.nn, L.optim
fused = case.endswith("_vs_fused") and lib_name == "torch"
base = case[:-len("_vs_fused")] if case.endswith("_vs_fused") else case
def tensor(*shape):
    return L.from_numpy(rng.standard_normal(shape).astype(np.float32))
def params(sizes):
    ps = [nn.Parameter(tensor(n)) for n in sizes]
    for p in ps:
        p.grad = tensor(p.numel())
    return ps
def opt_kw():
    return {"fused": True} if fused else ({"foreach": False} if lib_name == "torch" else {})
if base == "train_step":  # MLP 784-256-10, batch 256: zero_grad, forward, cross_entropy, backward, SGD momentum
    L.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = tensor(256, 784)
    y = L.from_numpy(rng.integers(0, 10, size=256))
    def fn():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
elif base in ("adam_1m", "adam_1m_20", "sgd_1m"):  # one update of 1M parameters (1 or 20 tensors)
    ps = params([1 << 20] if base != "adam_1m_20" else [(1 << 20) // 20] * 20)
    opt = (optim.SGD(ps, lr=1e-3, momentum=0.9, **opt_kw()) if base == "sgd_1m"
           else optim.Adam(ps, lr=1e-3, **opt_kw()))
    opt.step()
    def fn():
        opt.step()
elif base == "cross_entropy":  # forward + backward of 256 x 1000 logits
    z = tensor(256, 1000).requires_grad_()
    y = L.from_numpy(rng.integers(0, 1000, size=256))
    def fn():
        z.grad = None
        F.cross_entropy(z, y).backward()
elif base == "bce_with_logits":  # forward + backward of 1M logits
    z = tensor(1 << 20).requires_grad_()
    t = L.from_numpy(rng.random(1 << 20).astype(np.float32))
    def fn():
        z.grad = None
        F.binary_cross_entropy_with_logits(z, t).backward()
else:
    raise SystemExit(f"unknown case {case}")
print(timeit(fn))
'''

CASES = ["train_step", "adam_1m", "adam_1m_20", "adam_1m_vs_fused", "adam_1m_20_vs_fused", "sgd_1m",
         "sgd_1m_vs_fused", "cross_entropy", "bce_with_logits"]

if __name__ == "__main__":
    main(__doc__, WORKER, CASES)
