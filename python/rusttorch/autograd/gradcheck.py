"""gradcheck: analytical gradients (backward) against central finite differences."""
from __future__ import annotations

import numpy as np

from .. import _C


class GradcheckError(RuntimeError):
    pass


def _tensors(x):
    return (x,) if isinstance(x, _C.Tensor) else tuple(x)


def _flat_outputs(func, inputs):
    outs = _tensors(func(*inputs))
    return [o for o in outs if isinstance(o, _C.Tensor) and o.is_floating_point()]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_ignored):
    """True when the Jacobian from backward matches central differences of
    ``func`` at ``inputs`` (use float64 inputs) within atol + rtol * |numerical|."""
    from . import grad
    from .grad_mode import no_grad

    inputs = _tensors(inputs)
    wrt = [i for i, t in enumerate(inputs) if isinstance(t, _C.Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    with no_grad():
        outs = _flat_outputs(func, inputs)
    n_out = [o.numel() for o in outs]
    # Numerical Jacobian, one column per input element.
    numerical = []
    for i in wrt:
        x = inputs[i]
        data = x.data  # an alias: writes through it perturb x, whatever its layout
        cols = np.zeros((sum(n_out), x.numel()))
        for j, idx in enumerate(np.ndindex(*x.shape)):
            orig = data[idx].item()
            with no_grad():
                data[idx] = orig + eps
                plus = np.concatenate([o.detach().reshape(-1).numpy().astype(np.float64)
                                       for o in _flat_outputs(func, inputs)] or [np.zeros(0)])
                data[idx] = orig - eps
                minus = np.concatenate([o.detach().reshape(-1).numpy().astype(np.float64)
                                        for o in _flat_outputs(func, inputs)] or [np.zeros(0)])
                data[idx] = orig
            cols[:, j] = (plus - minus) / (2 * eps)
        numerical.append(cols)
    # Analytical Jacobian, one row per output element.
    outs = _flat_outputs(func, inputs)
    analytical = [np.zeros((sum(n_out), inputs[i].numel())) for i in wrt]
    row = 0
    for o in outs:
        for k in range(o.numel()):
            go = _C.zeros_like(o)
            go.reshape(-1)[k] = 1.0
            if o.requires_grad:
                gs = grad((o,), tuple(inputs[i] for i in wrt), (go,), retain_graph=True, allow_unused=True)
                for a, g in zip(analytical, gs):
                    if g is not None:  # in row-major order of the input, as the numerical columns
                        a[row] = g.detach().contiguous().reshape(-1).numpy()
            row += 1
    for n, a, i in zip(numerical, analytical, wrt):
        bad = np.abs(a - n) > atol + rtol * np.abs(n)
        if bad.any():
            if not raise_exception:
                return False
            r, c = np.argwhere(bad)[0]
            raise GradcheckError(f"Jacobian mismatch for output {r} with respect to input {i}, element {c}: "
                                 f"numerical {n[r, c]!r}, analytical {a[r, c]!r}")
    return True
