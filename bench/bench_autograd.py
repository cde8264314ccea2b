#!/usr/bin/env python3
"""Autograd against torch: a small graph forward + backward, and the backward
of matmul, softmax and activations on 1000x1000 float32.

Each library runs alone in its own process (torch's OpenMP threads keep
spinning after its calls and would take the second core from our pool), at
the same thread count, in alternating rounds; the figures are medians.

    PYTHONPATH=build/python python3 bench/bench_autograd.py [--rounds 5] [--threads 1,2] [--json FILE]
"""
from __future__ import annotations

from isolated import compare

WORKER = r'''
if case == "small_graph":
    a, b, c = leaf(16), leaf(16), leaf(16)
    def fn():
        ((a * b + a).exp() * c).sum().backward()
else:
    n = 1000
    x = leaf(n, n)
    g = L.tensor(rng.standard_normal((n, n)).astype(np.float32))
    if case == "matmul":
        w = leaf(n, n)
        y = x @ w
    elif case == "softmax":
        y = F.softmax(x, dim=-1)
    else:
        y = getattr(F, case)(x)
    def fn():
        y.backward(g, retain_graph=True)
print(json.dumps(timeit(fn) * 1e6))
'''

CASES = ["small_graph", "matmul", "softmax", "relu", "gelu", "sigmoid", "tanh", "silu"]


if __name__ == "__main__":
    compare(__doc__, WORKER, CASES)
