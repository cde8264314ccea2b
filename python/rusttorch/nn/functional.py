"""rusttorch.nn.functional: the functional neural-network ops, with
torch.nn.functional's names and signatures."""
from __future__ import annotations

import warnings
from typing import Optional

from .. import _C
from .._C import Tensor, dtype

__all__ = [
    "linear", "relu", "relu_", "relu6", "elu", "elu_", "celu", "celu_", "selu", "selu_", "silu", "mish", "gelu",
    "leaky_relu", "leaky_relu_", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "softplus", "softsign",
    "sigmoid", "logsigmoid", "tanh", "softmax", "log_softmax",
]


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``input @ weight.T + bias``; input (..., in), weight (out, in) or (in), bias (out)."""
    return _C._linear(input, weight, bias)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.relu_(input) if inplace else _C.relu(input)


def relu_(input: Tensor) -> Tensor:
    return _C.relu_(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.relu6_(input) if inplace else _C.relu6(input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _C.elu_(input, alpha) if inplace else _C.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _C.elu_(input, alpha)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _C.celu_(input, alpha) if inplace else _C.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _C.celu_(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.selu_(input) if inplace else _C.selu(input)


def selu_(input: Tensor) -> Tensor:
    return _C.selu_(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.silu_(input) if inplace else _C.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.mish_(input) if inplace else _C.mish(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    return _C.gelu(input, approximate=approximate)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _C.leaky_relu_(input, negative_slope) if inplace else _C.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _C.leaky_relu_(input, negative_slope)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _C.hardtanh_(input, min_val, max_val) if inplace else _C.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    # torch does not check the bounds here: min(max(x, min_val), max_val) is max_val when they cross
    min_val = min(min_val, max_val)
    return _C.hardtanh_(input, min_val, max_val)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.hardsigmoid_(input) if inplace else _C.hardsigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _C.hardswish_(input) if inplace else _C.hardswish(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _C.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    return _C.softsign(input)


def sigmoid(input: Tensor) -> Tensor:
    return _C.sigmoid(input)


def logsigmoid(input: Tensor) -> Tensor:
    return _C.logsigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _C.tanh(input)


def _softmax_dim(ndim: int, name: str) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
            dtype: Optional[dtype] = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim(input.ndim, "softmax")
    return _C.softmax(input, dim, dtype)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3,
                dtype: Optional[dtype] = None) -> Tensor:
    if dim is None:
        dim = _softmax_dim(input.ndim, "log_softmax")
    return _C.log_softmax(input, dim, dtype)
