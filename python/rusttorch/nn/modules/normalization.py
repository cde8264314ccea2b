"""LayerNorm and RMSNorm over the trailing normalized_shape dims."""
from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence, Union

from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import empty_parameter
from .module import Module

__all__ = ["LayerNorm", "RMSNorm"]


def _shape(normalized_shape: Union[int, Sequence[int]]) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class _Norm(Module):
    """The normalized shape, eps and the optional elementwise weight (and bias)."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: Optional[float], elementwise_affine: bool,
                 bias: bool, dtype: Any) -> None:
        super().__init__()
        kw = {} if dtype is None else {"dtype": dtype}
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.register_parameter("weight", empty_parameter(self.normalized_shape, elementwise_affine, **kw))
        if bias is not None:
            self.register_parameter("bias", empty_parameter(self.normalized_shape, elementwise_affine and bias, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if getattr(self, "bias", None) is not None:
            init.zeros_(self.bias)


class LayerNorm(_Norm):
    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(normalized_shape, eps, elementwise_affine, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(_Norm):
    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: Optional[float] = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(normalized_shape, eps, elementwise_affine, None, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
