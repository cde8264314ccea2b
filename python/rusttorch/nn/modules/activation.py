"""A module for every activation: each holds its options and calls nn.functional."""
from __future__ import annotations

from typing import Optional

from ... import _C
from ..._C import Tensor
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = [
    "ReLU", "ReLU6", "ELU", "CELU", "SELU", "SiLU", "Mish", "GELU", "LeakyReLU", "Hardtanh", "Hardsigmoid",
    "Hardswish", "Softplus", "Softsign", "Sigmoid", "LogSigmoid", "Tanh", "Softmax", "LogSoftmax", "Softmin",
    "Tanhshrink", "Threshold", "Hardshrink", "Softshrink", "PReLU", "GLU",
]


class _Inplace(Module):
    """An activation with only the inplace flag."""

    _fn = staticmethod(F.relu)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


def _activation(name: str, base: type, fn: object, doc: str) -> type:
    """A module class calling fn (a class per activation, as torch has)."""
    return type(name, (base,), {"_fn": staticmethod(fn), "__doc__": doc, "__module__": __name__})


class _NoArgs(Module):
    _fn = staticmethod(F.sigmoid)

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)


class _InplaceNoRepr(_Inplace):
    def extra_repr(self) -> str:  # torch prints no inplace flag for these
        return ""


ReLU = _activation("ReLU", _Inplace, F.relu, "max(0, x)")
ReLU6 = _activation("ReLU6", _Inplace, F.relu6, "min(max(0, x), 6)")
SELU = _activation("SELU", _Inplace, F.selu, "scale * elu(x, alpha) with the self-normalizing constants")
SiLU = _activation("SiLU", _Inplace, F.silu, "x * sigmoid(x)")
Mish = _activation("Mish", _Inplace, F.mish, "x * tanh(softplus(x))")
Hardsigmoid = _activation("Hardsigmoid", _InplaceNoRepr, F.hardsigmoid, "clamp(x / 6 + 1/2, 0, 1)")
Hardswish = _activation("Hardswish", _InplaceNoRepr, F.hardswish, "x * hardsigmoid(x)")
Sigmoid = _activation("Sigmoid", _NoArgs, F.sigmoid, "1 / (1 + exp(-x))")
Tanh = _activation("Tanh", _NoArgs, F.tanh, "tanh(x)")
LogSigmoid = _activation("LogSigmoid", _NoArgs, F.logsigmoid, "log(sigmoid(x))")
Softsign = _activation("Softsign", _NoArgs, F.softsign, "x / (1 + |x|)")
Tanhshrink = _activation("Tanhshrink", _NoArgs, F.tanhshrink, "x - tanh(x)")


class ELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if max_val <= min_val:
            raise AssertionError("max_val must be greater than min_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _DimModule(Module):
    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimModule):
    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_DimModule):
    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmin(_DimModule):
    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)


class GLU(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Hardshrink(Module):
    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class PReLU(Module):
    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: object = None,
                 dtype: object = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(_C.full((num_parameters,), init, **({} if dtype is None else {"dtype": dtype})))

    def reset_parameters(self) -> None:
        from .. import init as _init

        _init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
