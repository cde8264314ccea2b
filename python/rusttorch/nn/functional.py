"""rusttorch.nn.functional: the functional neural-network ops, with
torch.nn.functional's names and signatures."""
from __future__ import annotations

from typing import Optional

from .. import _C
from .._C import Tensor

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``input @ weight.T + bias``; input (..., in), weight (out, in) or (in), bias (out)."""
    return _C._linear(input, weight, bias)
