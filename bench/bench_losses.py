#!/usr/bin/env python3
"""Fused losses against torch: forward + backward of cross_entropy on 256x1000
float32 logits (class indices), of cross_entropy over a strided class dim
(8x21x64x64, segmentation-shaped), and of binary_cross_entropy_with_logits on
1M float32 elements; the gradient is reset between calls.
isolated.compare times each library in its own process (medians of
alternating rounds). Run: PYTHONPATH=build/python python3 bench/bench_losses.py,
with --rounds N, --threads 1,2, --cases ... and --json FILE.
"""
from __future__ import annotations

from isolated import compare

WORKER = r'''
if case == "cross_entropy":
    x = leaf(256, 1000)
    t = L.tensor(rng.integers(0, 1000, 256))
    def fn():
        x.grad = None
        F.cross_entropy(x, t).backward()
elif case == "cross_entropy_2d":
    x = leaf(8, 21, 64, 64)
    t = L.tensor(rng.integers(0, 21, (8, 64, 64)))
    def fn():
        x.grad = None
        F.cross_entropy(x, t).backward()
else:
    x = leaf(1000, 1000)
    t = L.tensor(rng.random((1000, 1000)).astype(np.float32))
    def fn():
        x.grad = None
        F.binary_cross_entropy_with_logits(x, t).backward()
print(json.dumps(timeit(fn) * 1e6))
'''

CASES = ["cross_entropy", "cross_entropy_2d", "bce_with_logits"]


if __name__ == "__main__":
    compare(__doc__, WORKER, CASES)
