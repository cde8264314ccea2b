"""Gradient clipping by total norm or by value."""
from __future__ import annotations

import math
from typing import Iterable, Union

from ... import _C
from ..._C import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "get_total_norm", "clip_grads_with_norm_"]

_Params = Union[Tensor, Iterable[Tensor]]


def _as_list(tensors: _Params) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: _Params) -> list:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def get_total_norm(tensors: _Params, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: object = None) -> Tensor:
    """The norm of the per-tensor norms (torch's definition)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _C.tensor(0.0)
    if norm_type == math.inf and any(t.numel() == 0 for t in tensors):
        raise RuntimeError("_foreach_norm cannot compute the infinity norm on an empty tensor because the operation "
                           "does not have an identity")
    norms = [t.norm(norm_type) if t.numel() else _C.zeros((), dtype=t.dtype) for t in tensors]
    if norm_type == math.inf:
        total = _C.stack([n.to(norms[0].dtype) for n in norms]).amax()
    else:
        total = _C.stack([n.to(norms[0].dtype) for n in norms]).norm(norm_type)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters: _Params, max_norm: float, total_norm: Tensor, foreach: object = None) -> None:
    grads = _grads(parameters)
    if not grads:
        return
    coef = float(max_norm) / (float(total_norm) + 1e-6)
    if coef < 1.0:  # torch multiplies by clamp(coef, max=1): a no-op when it is 1
        with no_grad():
            for g in grads:
                g.mul_(coef)


def clip_grad_norm_(parameters: _Params, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: object = None) -> Tensor:
    parameters = _as_list(parameters)
    grads = _grads(parameters)
    if not grads:
        return _C.tensor(0.0)
    with no_grad():
        total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters: _Params, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: object = None) -> Tensor:
    import warnings

    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters: _Params, clip_value: float, foreach: object = None) -> None:
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
