"""Tensor methods and functions written in Python on top of the native ops
(the ones that are not on any hot path), attached to rusttorch.Tensor."""
from __future__ import annotations

import builtins
from typing import Any, Optional, Sequence, Tuple, Union

from . import _C
from ._C import Size, Tensor, dtype

_Number = Union[builtins.int, builtins.float, builtins.bool]


# ---- functional forms of the views (torch.reshape(x, shape), ...) ----
def reshape(input: Tensor, shape: Sequence[builtins.int]) -> Tensor:
    return input.reshape(shape)


def transpose(input: Tensor, dim0: Optional[builtins.int] = None, dim1: Optional[builtins.int] = None) -> Tensor:
    """torch.transpose(input, dim0, dim1); with no dims, the RustTorch design's
    full transpose: every dim reversed (as numpy.transpose and Tensor.T)."""
    if dim0 is None and dim1 is None:
        if not isinstance(input, Tensor):
            raise TypeError(f"transpose(): argument 'input' must be Tensor, not {type(input).__name__}")
        return input.permute(dims=tuple(range(input.dim() - 1, -1, -1)))
    if dim0 is None or dim1 is None:
        raise TypeError("transpose() takes either no dims (reverse them all) or both dim0 and dim1")
    return input.transpose(dim0, dim1)


def swapaxes(input: Tensor, axis0: builtins.int, axis1: builtins.int) -> Tensor:
    return input.transpose(axis0, axis1)


def swapdims(input: Tensor, dim0: builtins.int, dim1: builtins.int) -> Tensor:
    return input.transpose(dim0, dim1)


def permute(input: Tensor, dims: Sequence[builtins.int]) -> Tensor:
    return input.permute(dims)


def unsqueeze(input: Tensor, dim: builtins.int) -> Tensor:
    return input.unsqueeze(dim)


def squeeze(input: Tensor, dim: Optional[Union[builtins.int, Sequence[builtins.int]]] = None) -> Tensor:
    return input.squeeze(dim)


def flatten(input: Tensor, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def t(input: Tensor) -> Tensor:
    return input.t()


def narrow(input: Tensor, dim: builtins.int, start: builtins.int, length: builtins.int) -> Tensor:
    return input.narrow(dim, start, length)


def select(input: Tensor, dim: builtins.int, index: builtins.int) -> Tensor:
    return input.select(dim, index)


def clone(input: Tensor) -> Tensor:
    return input.clone()


def numel(input: Tensor) -> builtins.int:
    return input.numel()


def is_floating_point(input: Tensor) -> builtins.bool:
    return input.is_floating_point()


def get_default_dtype() -> dtype:
    return _C.float32


def add_scalar(input: Tensor, value: _Number) -> Tensor:
    """The seed's name for ``input + value``."""
    return _C.add(input, value)


def mul_scalar(input: Tensor, value: _Number) -> Tensor:
    """The seed's name for ``input * value``."""
    return _C.mul(input, value)


def broadcast_to(input: Tensor, size: Sequence[builtins.int]) -> Tensor:
    return input.expand(size)


def broadcast_tensors(*tensors: Tensor) -> Tuple[Tensor, ...]:
    shape = _C.broadcast_shapes(*(x.shape for x in tensors))
    return tuple(x.expand(shape) for x in tensors)


def index_select(input: Tensor, dim: builtins.int, index: Tensor) -> Tensor:
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index.dtype not in (_C.int64, _C.int32):
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    if input.ndim == 0:
        return input[index.reshape(-1)].reshape(()) if index.numel() == 1 else input[index.reshape(-1)]
    dim = dim + input.ndim if dim < 0 else dim
    if not 0 <= dim < input.ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], but got {dim})")
    return input[(slice(None),) * dim + (index.reshape(-1),)]


def masked_fill(input: Tensor, mask: Tensor, value: Union[_Number, Tensor]) -> Tensor:
    if mask.dtype != _C.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {mask.dtype}")
    fill = value.to(input.dtype) if isinstance(value, Tensor) else _C.scalar_tensor(value, dtype=input.dtype)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")
    out = _C.where(mask, fill, input)
    return out if out.shape == input.shape else out.expand(input.shape).contiguous()


def exp_(input: Tensor) -> Tensor:
    return input.exp_()


def log_(input: Tensor) -> Tensor:
    return input.log_()


# ---- methods ----
def _write_result(self: Tensor, result: Tensor, name: str) -> Tensor:
    """The in-place form of an op: `result` into self, which must keep its shape and dtype."""
    if result.shape != self.shape:
        raise RuntimeError(f"{name}: the result of shape {list(result.shape)} cannot be written to a tensor "
                           f"of shape {list(self.shape)}")
    if result.dtype != self.dtype and not _C.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {str(result.dtype).split('.')[-1]} can't be cast to the desired output "
                           f"type {str(self.dtype).split('.')[-1]}")
    self.copy_(result)
    return self


def _addmm_(self: Tensor, mat1: Tensor, mat2: Tensor, *, beta: _Number = 1, alpha: _Number = 1) -> Tensor:
    return _write_result(self, _C.addmm(self, mat1, mat2, beta=beta, alpha=alpha), "addmm_")


def _baddbmm_(self: Tensor, batch1: Tensor, batch2: Tensor, *, beta: _Number = 1, alpha: _Number = 1) -> Tensor:
    return _write_result(self, _C.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha), "baddbmm_")


def _scan_dtype(self: Tensor, dtype: Optional[dtype]) -> dtype:
    if dtype is not None and dtype != self.dtype:
        raise RuntimeError(f"Bad in-place call: input tensor dtype {str(self.dtype).split('.')[-1]} and output "
                           f"tensor dtype {str(dtype).split('.')[-1]} should match")
    return self.dtype


def _cumsum_(self: Tensor, dim: builtins.int, *, dtype: Optional[dtype] = None) -> Tensor:
    return _write_result(self, self.cumsum(dim, dtype=_scan_dtype(self, dtype)), "cumsum_")


def _cumprod_(self: Tensor, dim: builtins.int, *, dtype: Optional[dtype] = None) -> Tensor:
    return _write_result(self, self.cumprod(dim, dtype=_scan_dtype(self, dtype)), "cumprod_")


def _masked_fill_(self: Tensor, mask: Tensor, value: Union[_Number, Tensor]) -> Tensor:
    self.copy_(masked_fill(self, mask, value))
    return self


def _new_tensor(self: Tensor, data: Any, dtype: Optional[dtype] = None) -> Tensor:
    return _C.tensor(data, dtype=self.dtype if dtype is None else dtype)


def _new_zeros(self: Tensor, *size: Any, dtype: Optional[dtype] = None) -> Tensor:
    return _C.zeros(*size, dtype=self.dtype if dtype is None else dtype)


def _new_ones(self: Tensor, *size: Any, dtype: Optional[dtype] = None) -> Tensor:
    return _C.ones(*size, dtype=self.dtype if dtype is None else dtype)


def _new_empty(self: Tensor, *size: Any, dtype: Optional[dtype] = None) -> Tensor:
    return _C.empty(*size, dtype=self.dtype if dtype is None else dtype)


def _new_full(self: Tensor, size: Sequence[builtins.int], fill_value: _Number,
              dtype: Optional[dtype] = None) -> Tensor:
    return _C.full(size, fill_value, dtype=self.dtype if dtype is None else dtype)


def _rebuild(data: Any, dtype_name: str, shape: Tuple[builtins.int, ...]) -> Tensor:
    """Loads pickles written before tensors pickled by their bytes (_pickle.py)."""
    return _C.tensor(data, dtype=getattr(_C, dtype_name)).reshape(shape)


def _deepcopy(self: Tensor, memo: Any) -> Tensor:
    return self.clone()


def _format(self: Tensor, spec: str) -> str:
    if self.ndim == 0:
        return format(self.item(), spec)
    return object.__format__(self, spec) if not spec else format(str(self), spec)


def zero_grads(params: Any, set_to_none: bool) -> None:
    """Module.zero_grad and Optimizer.zero_grad: drop the gradients, or zero them
    in place (detached from any graph, as torch does)."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            g = p.grad
            if g.grad_fn is not None:
                g = g.detach()
                p.grad = g
            g.zero_()


def _sample_into(self: Tensor, draw: Tensor, name: str) -> Tensor:
    """Writes a fresh draw into self, out of the graph (torch's samplers are in-place and not recorded)."""
    if _C.is_grad_enabled() and self.requires_grad and self.is_leaf:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if not self.is_floating_point():
        raise NotImplementedError(f"\"{name}\" not implemented for '{str(self.dtype).split('.')[-1]}'")
    prev = _C.is_grad_enabled()
    _C._set_grad_enabled(False)
    try:
        self.copy_(draw)
    finally:
        _C._set_grad_enabled(prev)
    return self


def _uniform_(self: Tensor, from_: _Number = 0.0, to: _Number = 1.0, *, generator: Any = None) -> Tensor:
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    dt = self.dtype if self.is_floating_point() else _C.float32
    u = _C.rand(self.shape, dtype=dt, generator=generator)
    return _sample_into(self, u.mul_(to - from_).add_(from_), "check_uniform_bounds")


def _normal_(self: Tensor, mean: _Number = 0.0, std: _Number = 1.0, *, generator: Any = None) -> Tensor:
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dt = self.dtype if self.is_floating_point() else _C.float32
    z = _C.randn(self.shape, dtype=dt, generator=generator)
    return _sample_into(self, z.mul_(std).add_(mean), "normal_kernel_cpu")


def _index_select_method(self: Tensor, dim: builtins.int, index: Tensor) -> Tensor:
    return index_select(self, dim, index)


def _masked_fill_method(self: Tensor, mask: Tensor, value: Union[_Number, Tensor]) -> Tensor:
    return masked_fill(self, mask, value)


for _name, _fn in {
    "addmm_": _addmm_,
    "baddbmm_": _baddbmm_,
    "cumsum_": _cumsum_,
    "cumprod_": _cumprod_,
    "masked_fill": _masked_fill_method,
    "masked_fill_": _masked_fill_,
    "index_select": _index_select_method,
    "uniform_": _uniform_,
    "normal_": _normal_,
    "new_tensor": _new_tensor,
    "new_zeros": _new_zeros,
    "new_ones": _new_ones,
    "new_empty": _new_empty,
    "new_full": _new_full,
    "__copy__": Tensor.clone,
    "__deepcopy__": _deepcopy,
    "__format__": _format,
}.items():
    setattr(Tensor, _name, _fn)

# The seed's static constructors: rusttorch.Tensor.zeros([2, 3]), ...
for _name in ("zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand", "randn", "randint",
              "tensor", "from_numpy"):
    setattr(Tensor, _name, staticmethod(getattr(_C, _name)))

Size.__module__ = "rusttorch"
del _name, _fn
