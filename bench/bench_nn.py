#!/usr/bin/env python3
"""One training step against torch: zero_grad, forward, cross_entropy,
backward and the optimizer step of an MLP 784-256-10 on a batch of 256,
float32 (issue 14's target: >= 1.5x torch). The losses and the optimizer
updates alone: bench_losses.py, bench_optim.py.

Each library alone in its own process, alternating rounds, medians
(bench/isolated.py).

    PYTHONPATH=build/python python3 bench/bench_nn.py [--rounds 5] [--threads 1,2] [--json FILE]
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from isolated import compare  # noqa: E402

WORKER = r'''
nn, optim = L.nn, L.optim
L.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
kw = {"foreach": False} if lib_name == "torch" else {}  # torch's CPU default
opt = (optim.SGD(model.parameters(), lr=0.01, momentum=0.9, **kw) if case == "train_step_sgd"
       else optim.Adam(model.parameters(), lr=1e-3, **kw))
x = L.from_numpy(rng.standard_normal((256, 784)).astype(np.float32))
y = L.from_numpy(rng.integers(0, 10, size=256))
def fn():
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
print(timeit(fn) * 1e6)
'''

CASES = ["train_step_sgd", "train_step_adam"]

if __name__ == "__main__":
    compare(__doc__, WORKER, CASES)
