"""Reverse-mode automatic differentiation, as torch.autograd.

The graph and the backward pass are in C++ (engine/autograd/); this package
holds torch's Python entry points around them.
"""
from __future__ import annotations

from .. import _C
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck

__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "backward", "enable_grad", "grad", "gradcheck",
    "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, _C.Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradients of ``tensors`` into the leaves' ``.grad``."""
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    _C._backward(tensors, grads, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple), leaving ``.grad`` alone."""
    if is_grads_batched:
        raise NotImplementedError("rusttorch.autograd.grad: is_grads_batched=True is not supported")
    outputs = _as_tuple(outputs)
    inputs_t = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    result = _C._grad(outputs, inputs_t, _as_tuple(grad_outputs), retain_graph, create_graph, allow_unused)
    if materialize_grads:
        result = tuple(g if g is not None else _C.zeros_like(i) for g, i in zip(result, inputs_t))
    return result
