"""The padding layers: constant (and zero), reflection, replication and
circular padding of the last 1, 2 or 3 dims, as torch.nn's (each calls
rusttorch.nn.functional.pad)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Tuple

from ..._C import Tensor
from .._padding import pad
from .module import Module

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
    "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
]


def _padding_tuple(padding: Any, n: int) -> Tuple[int, ...]:
    """torch's _ntuple: an iterable as it is (its length unchecked), a number n times."""
    return tuple(padding) if isinstance(padding, Iterable) else (padding,) * n


class _PadNd(Module):
    """Holds padding (a tuple of 2 * _dims ints) and calls pad with _mode."""

    _mode = "constant"
    _dims = 1
    _what = "with value"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__ is None and not cls.__name__.startswith("_"):  # the public classes: a docstring of their own
            d = cls._dims
            sides = ("left, right", "left, right, top, bottom", "left, right, top, bottom, front, back")[d - 1]
            what = cls._what if d > 1 else cls._what.replace("their", "its")
            inputs = "" if cls._mode == "constant" else f" (of a {d + 1}-D or {d + 2}-D input)"
            cls.__doc__ = (f"Pads the last {f'{d} dims' if d > 1 else 'dim'}{inputs} {what}: padding an int "
                           f"(every side) or ({sides}).")

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _padding_tuple(padding, 2 * self._dims)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"
    _what = "circularly"

    def _check_input_dim(self, input: Tensor) -> None:
        d = self._dims
        if input.dim() not in (d + 1, d + 2):
            raise ValueError(f"expected {d + 1}D or {d + 2}D input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return super().forward(input)


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"
    _what = "with their reflection about the edge (each pad less than its dim)"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"
    _what = "with copies of their edge"


class _ZeroPad:
    """Mixed into the ConstantPad classes: value 0.0, printed as padding only."""

    _what = "with zeros"

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)  # type: ignore[call-arg]

    def extra_repr(self) -> str:
        return f"{self.padding}"  # type: ignore[attr-defined]


class CircularPad1d(_CircularPadNd):
    _dims = 1


class CircularPad2d(_CircularPadNd):
    _dims = 2


class CircularPad3d(_CircularPadNd):
    _dims = 3


class ConstantPad1d(_ConstantPadNd):
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    _dims = 3


class ReflectionPad1d(_ReflectionPadNd):
    _dims = 1


class ReflectionPad2d(_ReflectionPadNd):
    _dims = 2


class ReflectionPad3d(_ReflectionPadNd):
    _dims = 3


class ReplicationPad1d(_ReplicationPadNd):
    _dims = 1


class ReplicationPad2d(_ReplicationPadNd):
    _dims = 2


class ReplicationPad3d(_ReplicationPadNd):
    _dims = 3


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    pass


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    pass


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    pass
