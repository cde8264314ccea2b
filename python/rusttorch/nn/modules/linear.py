"""Identity, Linear, Bilinear."""
from __future__ import annotations

import math
from typing import Any, Optional

from ... import _C
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import empty_parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear"]


def _factory(dtype: Any, device: Any) -> dict:
    if device is not None and not str(device).startswith("cpu"):
        from .module import _check_device

        _check_device(device)
    return {} if dtype is None else {"dtype": dtype}



def reset_weight_and_bias(weight: Tensor, bias: Optional[Tensor]) -> None:
    """torch's default initialisation of Linear and Conv: kaiming_uniform_(a=sqrt(5)), bias uniform by fan_in."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)

class Identity(Module):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x W^T + b, with torch's default initialisation (kaiming_uniform_ with
    a=sqrt(5) for W, U(-1/sqrt(in), 1/sqrt(in)) for b)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = _factory(dtype, device)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = empty_parameter((out_features, in_features), **kw)
        self.register_parameter("bias", empty_parameter((out_features,), bias, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return _C._linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        kw = _factory(dtype, device)
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = empty_parameter((out_features, in1_features, in2_features), **kw)
        self.register_parameter("bias", empty_parameter((out_features,), bias, **kw))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
