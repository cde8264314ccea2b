"""nn.Parameter: a Tensor that a Module registers as one of its parameters."""
from __future__ import annotations

from .. import _C
from .._C import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that Module attributes
    register as parameters. It shares its storage with ``data``."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> "Parameter":
        if data is None:
            data = _C.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, not {type(data).__name__}")
        return _C._make_subclass(cls, data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __deepcopy__(self, memo: dict) -> "Parameter":
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.data.clone(), self.requires_grad)
        return memo[id(self)]

    def __reduce_ex__(self, protocol: int):
        return (_rebuild_parameter, (self.data, self.requires_grad))


def empty_parameter(shape: tuple, present: bool = True, **factory: object) -> "Parameter | None":
    """An uninitialised Parameter of a shape, or None when the layer goes without it (bias=False)."""
    return Parameter(_C.empty(shape, **factory)) if present else None


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class Buffer(Tensor):
    """torch.nn.Buffer: a tensor that, assigned to a Module attribute, registers
    as a buffer (persistent unless persistent=False)."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> "Buffer":
        if data is None:
            data = _C.empty(0)
        t = _C._make_subclass(cls, data, data.requires_grad)
        t.persistent = persistent
        return t
