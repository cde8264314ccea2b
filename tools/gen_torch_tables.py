#!/usr/bin/env python3
"""Writes the tables the C++ tests check our promotion and broadcasting
against, computed by torch itself (so the expectations are torch's, not ours).

usage: python3 tools/gen_torch_tables.py [OUTDIR]   (default tests/data)
Rows:
  promotion.txt: KIND_A DTYPE_A KIND_B DTYPE_B RESULT
      KIND: tensor (1-d), zerodim (0-d tensor), scalar (Python number)
  broadcast.txt: SHAPE_A | SHAPE_B | RESULT-or-error
"""
import itertools
import os
import random
import sys

import torch

DTYPES = {"bool": torch.bool, "int32": torch.int32, "int64": torch.int64,
          "float32": torch.float32, "float64": torch.float64}
SCALARS = {"bool": True, "int64": 3, "float32": 2.5}  # Python bool, int, float


def operand(kind, name):
    if kind == "scalar":
        return SCALARS[name]
    if kind == "zerodim":
        return torch.tensor(1, dtype=DTYPES[name])
    return torch.ones(2, dtype=DTYPES[name])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data")
    os.makedirs(out, exist_ok=True)
    kinds = [("tensor", n) for n in DTYPES] + [("zerodim", n) for n in DTYPES] + [("scalar", n) for n in SCALARS]
    with open(os.path.join(out, "promotion.txt"), "w") as f:
        f.write(f"# torch {torch.__version__}: torch.result_type(a, b)\n")
        for (ka, na), (kb, nb) in itertools.product(kinds, kinds):
            if ka == "scalar" and kb == "scalar":
                continue
            r = torch.result_type(operand(ka, na), operand(kb, nb))
            f.write(f"{ka} {na} {kb} {nb} {str(r).replace('torch.', '')}\n")
    rng = random.Random(1234)
    with open(os.path.join(out, "broadcast.txt"), "w") as f:
        f.write(f"# torch {torch.__version__}: torch.broadcast_shapes(a, b)\n")
        for _ in range(400):
            a = [rng.choice([0, 1, 1, 2, 3, 4]) for _ in range(rng.randint(0, 4))]
            b = [rng.choice([0, 1, 1, 2, 3, 4]) for _ in range(rng.randint(0, 4))]
            try:
                r = " ".join(map(str, torch.broadcast_shapes(a, b)))
            except RuntimeError:
                r = "error"
            f.write(f"{' '.join(map(str, a))} | {' '.join(map(str, b))} | {r}\n")


if __name__ == "__main__":
    main()
