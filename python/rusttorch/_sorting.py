"""The sort-based reductions of torch written over the native sorting ops:
median, nanmedian, quantile, nanquantile, mode, unique and unique_consecutive
(functions and Tensor methods), with torch 2.13's signatures, results, errors
and gradients.

They compose differentiable native ops (kthvalue, sort values, gather,
arithmetic), so backward comes from theirs; only the global median, whose
gradient torch spreads evenly over the elements equal to it, has its own."""
from __future__ import annotations

import builtins
import collections
import math
import operator
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _C
from ._C import Tensor
from .autograd.function import Function

_NAN = builtins.float("nan")
_FLOATS = (_C.float32, _C.float64)
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _return_type(name: str) -> Any:
    t = collections.namedtuple(name, ("values", "indices"))  # type: ignore[misc]
    t.__module__ = "rusttorch.return_types"
    return t


_median_t = _return_type("median")
_nanmedian_t = _return_type("nanmedian")
_mode_t = _return_type("mode")


class _NoDim:
    """The default of median's dim: median(input) is the global median."""

    def __repr__(self) -> str:
        return "<no dim>"


_NO_DIM: Any = _NoDim()


def _index(value: Any, fn: str, arg: str, pos: Optional[builtins.int]) -> builtins.int:
    """An int argument, as torch's parser takes it (bool and float refused)."""
    if isinstance(value, builtins.bool) or not hasattr(type(value), "__index__"):
        where = "" if pos is None else f" (position {pos})"
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be int, not {type(value).__name__}")
    return operator.index(value)


def _wrap_dim(dim: builtins.int, ndim: builtins.int) -> builtins.int:
    """torch's maybe_wrap_dim: a 0-d tensor takes dims -1 and 0."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _wrap_dim_no_scalar(dim: builtins.int, ndim: builtins.int) -> builtins.int:
    """unique(dim=...) and unique_consecutive(dim=...): a 0-d tensor has no dim."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _check_tensor(input: Any, fn: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _has_nan(x: Tensor) -> builtins.bool:
    """Whether a floating tensor holds a NaN (max propagates NaN; one fast pass)."""
    return x.dtype in _FLOATS and x.numel() > 0 and math.isnan(x.max().item())


def _reduced_empty(x: Tensor, d: builtins.int, keepdim: builtins.bool) -> Tuple[Tensor, Tensor]:
    shape = list(x.shape)
    if keepdim:
        shape[d] = 1
    else:
        del shape[d]
    return _C.empty(shape, dtype=x.dtype), _C.empty(shape, dtype=_C.int64)


def _libstdcxx_nth_of_equal(n: builtins.int, nth: builtins.int) -> builtins.int:
    """The index std::nth_element (libstdc++'s introselect) leaves at `nth` when
    all n elements are equivalent: torch.nanmedian's index in an all-NaN row."""
    idx = list(range(n))
    first, last = 0, n
    depth = 2 * (n.bit_length() - 1)
    while last - first > 3 and depth > 0:
        depth -= 1
        mid = first + (last - first) // 2
        idx[first], idx[mid] = idx[mid], idx[first]  # __move_median_to_first: no comparison holds
        lo, hi = first + 1, last
        while True:  # __unguarded_partition around idx[first]
            hi -= 1
            if not lo < hi:
                break
            idx[lo], idx[hi] = idx[hi], idx[lo]
            lo += 1
        if lo <= nth:
            first = lo
        else:
            last = lo
    return idx[nth]


# ---------------------------------------------------------------- median
class _GlobalMedian(Function):
    """median()/nanmedian() over all elements; torch's evenly_distribute_backward:
    the gradient goes in equal parts to the elements equal to the result (to
    the NaNs when it is NaN)."""

    @staticmethod
    def forward(ctx: Any, input: Tensor, ignore_nan: builtins.bool) -> Tensor:  # type: ignore[override]
        value = _median_all_value(input, ignore_nan)
        ctx.save_for_backward(input, value)
        return value

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tuple[Optional[Tensor], None]:  # type: ignore[override]
        input, value = ctx.saved_tensors
        v = value.item()
        mask = (input != input) if v != v else (input == value)
        share = grad / mask.sum()
        return _C.where(mask, share, _C.zeros([], dtype=grad.dtype)), None


def _median_all_value(input: Tensor, ignore_nan: builtins.bool) -> Tensor:
    n = input.numel()
    if n == 0:  # torch: at::full({}, NaN).to(dtype)
        return _C.full([], _NAN).to(input.dtype)
    if input.dtype == _C.bool:
        raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
    x = input.detach().reshape(-1)
    k = (n - 1) // 2 + 1
    if _has_nan(x):
        if not ignore_nan:
            return _C.full([], _NAN, dtype=input.dtype)
        valid = n - builtins.int((x != x).sum().item())
        k = (valid - 1) // 2 + 1 if valid > 0 else 1  # all NaN: the first (a NaN)
    return _C.kthvalue(x, k).values  # a radix select, not a sort


def _median_dim(input: Tensor, dim: Any, keepdim: builtins.bool, ignore_nan: builtins.bool) -> Tuple[Tensor, Tensor]:
    name = "nanmedian" if ignore_nan else "median"
    d = _wrap_dim(_index(dim, name, "dim", 2), input.dim())
    if input.dtype == _C.bool:
        raise NotImplementedError("\"median_out\" not implemented for 'Bool'")
    scalar = input.dim() == 0
    x = input.reshape(1) if scalar else input
    keepdim = builtins.bool(keepdim) and not scalar
    size = x.shape[d]
    if size == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")  # nanmedian's too
    if x.numel() == 0:
        return _reduced_empty(x, d, keepdim)
    xd = x.detach()
    if not _has_nan(xd):
        # the ((size - 1) // 2)-th in stable order: kthvalue's index among ties, as torch's
        idx = _C.kthvalue(xd, (size - 1) // 2 + 1, d, True).indices
    elif not ignore_nan:  # a row with a NaN: its first NaN
        isnan = xd != xd
        idx = _C.kthvalue(xd, (size - 1) // 2 + 1, d, True).indices
        idx = _C.where(isnan.any(d, keepdim=True), isnan.long().argmax(d, keepdim=True), idx)
    else:  # the median of each row's non-NaN values (NaN sorts last)
        valid = (xd == xd).sum(d, keepdim=True)
        pos = _C.where(valid > 0, _C.floor_divide(valid - 1, 2), _C.zeros([], dtype=_C.int64))
        idx = _C.argsort(xd, d, stable=True).gather(d, pos)
        all_nan = valid == 0
        if all_nan.any().item():
            idx = _C.where(all_nan, _C.full([], _libstdcxx_nth_of_equal(size, 0), dtype=_C.int64), idx)
    values = x.gather(d, idx)  # differentiable: the gradient goes to idx, as torch's
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return values, idx


def median(input: Tensor, dim: Any = _NO_DIM, keepdim: builtins.bool = False) -> Any:
    """torch.median(input) (the lower median; NaN if there is one) or
    torch.median(input, dim, keepdim=False) -> (values, indices)."""
    _check_tensor(input, "median")
    if dim is _NO_DIM:
        if keepdim:
            raise TypeError('median() missing 1 required positional arguments: "dim"')
        if input.requires_grad and _C.is_grad_enabled():
            return _GlobalMedian.apply(input, False)
        return _median_all_value(input, False)
    return _median_t(*_median_dim(input, dim, keepdim, False))


def nanmedian(input: Tensor, dim: Any = _NO_DIM, keepdim: builtins.bool = False) -> Any:
    """torch.nanmedian: median ignoring NaN (NaN where a row is all NaN)."""
    _check_tensor(input, "nanmedian")
    if dim is _NO_DIM:
        if keepdim:
            raise TypeError('nanmedian() missing 1 required positional arguments: "dim"')
        if input.requires_grad and _C.is_grad_enabled():
            return _GlobalMedian.apply(input, True)
        return _median_all_value(input, True)
    return _nanmedian_t(*_median_dim(input, dim, keepdim, True))


# ---------------------------------------------------------------- quantile
def _quantile(input: Tensor, q: Any, dim: Optional[builtins.int], keepdim: builtins.bool, interpolation: str,
              ignore_nan: builtins.bool) -> Tensor:
    # torch's quantile_impl, in its order of checks.
    _check_tensor(input, "nanquantile" if ignore_nan else "quantile")
    if isinstance(q, Tensor):
        qt = q
    elif isinstance(q, (builtins.int, builtins.float)):
        qf = builtins.float(q)
        if not 0.0 <= qf <= 1.0:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {qf:g}")
        qt = None
    else:
        raise TypeError(f"quantile() received an invalid combination of arguments - got (Tensor, q={type(q).__name__})"
                        ", but expected one of:\n"
                        " * (Tensor input, Tensor q, int dim = None, bool keepdim = False, *, "
                        "str interpolation = \"linear\", Tensor out = None)\n"
                        " * (Tensor input, float q, int dim = None, bool keepdim = False, *, "
                        "str interpolation = \"linear\", Tensor out = None)\n")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if qt is not None and qt.dim() > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in _FLOATS:
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if qt is not None and qt.dtype != input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if not isinstance(interpolation, str):
        raise TypeError(f"quantile(): argument 'interpolation' must be str, not {type(interpolation).__name__}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if dim is None:
        x, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(_index(dim, "quantile", "dim", 3), input.dim())
        x = input.reshape(1) if input.dim() == 0 else input
    if qt is not None:
        qs = qt.detach().reshape(-1).tolist()
        if not builtins.all(0.0 <= v <= 1.0 for v in qs):
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
    n = x.shape[d]
    if n > 1 << 24:
        raise RuntimeError("quantile() input tensor is too large")
    scalar_q = qt is None or qt.dim() == 0
    if qt is None:
        qt = _C.tensor([qf], dtype=input.dtype)  # q rounded to the input's dtype, as torch's scalar_tensor
    nq = qt.numel()
    qshape = [1] * x.dim()
    qshape[d] = nq
    full = list(x.shape)
    full[d] = nq
    qt = qt.reshape(qshape)

    # torch's quantile_compute: ranks in the input's dtype, then gathers of the sorted values.
    srt = x.sort(d).values  # NaN last; differentiable
    sd = srt.detach()
    if ignore_nan:  # ranks over each row's non-NaN values; an all-NaN row gets rank 0 (a NaN)
        valid = (sd == sd).sum(d, keepdim=True)
        ranks = qt * (valid - 1)
        ranks = _C.where(ranks < 0, _C.zeros([], dtype=input.dtype), ranks)
    else:  # a row with a NaN gets the last rank (a NaN)
        ranks = qt * (n - 1)
        tail = sd.narrow(d, n - 1, 1)
        has_nan = tail != tail
        if has_nan.any().item():
            ranks = _C.where(has_nan, _C.full([], builtins.float(n - 1), dtype=input.dtype), ranks)
    ranks = ranks.expand(full)
    below = ranks.long()  # floor: the ranks are >= 0
    below_f = below.to(input.dtype)
    if interpolation == "lower":
        values = srt.gather(d, below)
    elif interpolation == "higher":
        values = srt.gather(d, below + (ranks > below_f).long())
    elif interpolation == "nearest":  # torch's round: half to even
        frac = ranks - below_f
        up = (frac > 0.5).logical_or((frac == 0.5).logical_and(below.remainder(2) == 1))
        values = srt.gather(d, below + up.long())
    else:
        lo = srt.gather(d, below)
        hi = srt.gather(d, below + (ranks > below_f).long())
        delta = hi - lo
        if interpolation == "midpoint":  # lerp with weight 0.5
            values = hi - delta * 0.5
        else:  # torch's lerp: the formula depends on whether the weight is below 0.5
            w = ranks - below_f
            values = _C.where(w < 0.5, lo + w * delta, hi - delta * (1 - w))

    if dim is None:  # values: (nq,)
        out_shape = [] if scalar_q else [nq]
        if keepdim:
            out_shape += [1] * input.dim()
        return values.reshape(out_shape)
    keepdim = builtins.bool(keepdim) and input.dim() > 0
    if scalar_q:
        return values if keepdim else values.squeeze(d)
    values = values.permute([d] + [i for i in range(x.dim()) if i != d])
    return values.unsqueeze(d + 1) if keepdim else values


def quantile(input: Tensor, q: Union[Tensor, builtins.float], dim: Optional[builtins.int] = None,
             keepdim: builtins.bool = False, *, interpolation: str = "linear") -> Tensor:
    """torch.quantile: the q-th quantiles of input (flattened, or along dim)."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q: Union[Tensor, builtins.float], dim: Optional[builtins.int] = None,
                keepdim: builtins.bool = False, *, interpolation: str = "linear") -> Tensor:
    """torch.nanquantile: quantile ignoring NaN (NaN where a row is all NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


# ---------------------------------------------------------------- mode
def mode(input: Tensor, dim: builtins.int = -1, keepdim: builtins.bool = False) -> Any:
    """torch.mode -> (values, indices): the most frequent value of each row (the
    smallest of the most frequent on ties) and the index of its last occurrence."""
    _check_tensor(input, "mode")
    d = _wrap_dim(_index(dim, "mode", "dim", 2), input.dim())
    scalar = input.dim() == 0
    x = input.reshape(1) if scalar else input
    keepdim = builtins.bool(keepdim) and not scalar
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    if x.numel() == 0:
        return _mode_t(*_reduced_empty(x, d, keepdim))
    sv, si = _C.sort(x.detach(), d, stable=True)
    # rows along the last dim (the transpose is its own inverse)
    sv = sv.transpose(d, -1).contiguous()
    si = si.transpose(d, -1).contiguous()
    rows_shape = list(sv.shape[:-1])
    sv = sv.reshape(-1, n)
    si = si.reshape(-1, n)
    r = sv.shape[0]
    start = _C.ones([r, 1], dtype=_C.bool)
    if n > 1:  # where a run of equal values starts (each NaN is its own run, as with torch's ==)
        start = _C.cat([start, sv[:, 1:] != sv[:, :-1]], 1)
    run = start.long().cumsum(1) - 1
    counts = _C.zeros([r, n], dtype=_C.int64).scatter_add(1, run, _C.ones([r, n], dtype=_C.int64))
    best = counts.argmax(1, keepdim=True)  # the first (smallest value) of the longest runs
    last = counts.cumsum(1).gather(1, best) - 1  # the run's last element: its largest index
    idx = si.gather(1, last).reshape(rows_shape + [1]).transpose(d, -1)
    values = x.gather(d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _mode_t(values, idx)


# ---------------------------------------------------------------- unique
def _arity(out: Tensor, inverse: Tensor, counts: Tensor, return_inverse: builtins.bool,
           return_counts: builtins.bool) -> Any:
    if return_inverse and return_counts:
        return out, inverse, counts
    if return_inverse:
        return out, inverse
    if return_counts:
        return out, counts
    return out


def _rows(x: Tensor, d: builtins.int) -> Tuple[Tensor, List[builtins.int], List[builtins.int]]:
    """x as a (size(d), -1) matrix, with what rebuilding a tensor needs."""
    perm = [d] + [i for i in range(x.dim()) if i != d]
    xp = x.permute(perm)
    rest = list(xp.shape[1:])
    return xp.reshape(xp.shape[0], -1), rest, perm


def _unrows(rows: Tensor, rest: List[builtins.int], perm: List[builtins.int]) -> Tensor:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return rows.reshape([rows.shape[0]] + rest).permute(inv).contiguous()


def _check_zero_sized(x: Tensor, d: builtins.int) -> builtins.bool:
    """torch's unique_dim checks; True when dim d is the (one) zero-sized dim."""
    zeros = builtins.sum(1 for s in x.shape if s == 0)
    if x.shape[d] == 0:
        if zeros != 1:
            raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be applied ")
        return True
    if zeros:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    return False


def _runs_of_rows(mat: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """For consecutive rows of mat: where each run starts, each row's run id, and the run lengths."""
    n = mat.shape[0]
    start = _C.ones([1], dtype=_C.bool)
    if n > 1:
        start = _C.cat([start, (mat[1:] != mat[:-1]).any(1)])
    run = start.long().cumsum(0) - 1
    first = start.nonzero().reshape(-1)
    counts = _C.zeros([first.shape[0]], dtype=_C.int64).scatter_add(0, run, _C.ones([n], dtype=_C.int64))
    return first, run, counts


def _unique_dim(x: Tensor, d: builtins.int, consecutive: builtins.bool) -> Tuple[Tensor, Tensor, Tensor]:
    if _check_zero_sized(x, d):
        empty = _C.empty([0], dtype=_C.int64)
        return _C.empty(list(x.shape), dtype=x.dtype), empty, empty.clone()
    mat, rest, perm = _rows(x, d)
    n, m = mat.shape
    order = None
    if not consecutive:  # a lexicographic sort of the rows: stable sorts from the last column to the first
        order = _C.arange(n)
        for j in range(m - 1, -1, -1):
            order = order.gather(0, _C.argsort(mat[:, j].gather(0, order), stable=True))
        mat = mat.index_select(0, order)
    first, run, counts = _runs_of_rows(mat)
    out = _unrows(mat.index_select(0, first), rest, perm)
    if order is None:
        inverse = run
    else:
        inverse = _C.empty([n], dtype=_C.int64)
        inverse[order] = run
    return out, inverse, counts


def unique(input: Tensor, sorted: builtins.bool = True, return_inverse: builtins.bool = False,
           return_counts: builtins.bool = False, dim: Optional[builtins.int] = None) -> Any:
    """torch.unique: the sorted distinct values (or slices along dim), with the
    inverse indices and the counts when asked (a tuple then). As torch on the
    CPU, the result is sorted whatever `sorted` says; each NaN is distinct."""
    _check_tensor(input, "unique")
    x = input.detach()
    empty = _C.empty([0], dtype=_C.int64)
    if dim is not None:
        d = _wrap_dim_no_scalar(_index(dim, "unique_dim", "dim", 2), x.dim())
        return _arity(*_unique_dim(x, d, False), return_inverse, return_counts)
    if hasattr(_C, "_unique_flat"):  # native: a counting pass for dense integers, else a values-only sort
        values, inverse, counts = _C._unique_flat(x, builtins.bool(return_inverse), builtins.bool(return_counts))
        return _arity(values, inverse, counts, return_inverse, return_counts)
    if not return_inverse:  # Highway's key sort, then the runs
        values, _, counts = _C._unique_consecutive_flat(_C._sort_values(x), False, builtins.bool(return_counts))
        return _arity(values, empty, counts, False, return_counts)
    flat = x.reshape(-1)
    sv, perm = _C.sort(flat)
    values, run, counts = _C._unique_consecutive_flat(sv, True, builtins.bool(return_counts))
    inverse = _C.empty([flat.shape[0]], dtype=_C.int64)
    inverse[perm] = run  # perm is a permutation: a plain scatter (index_put) fills every slot
    inverse = inverse.reshape(list(x.shape))
    return _arity(values, inverse, counts, True, return_counts)


def unique_consecutive(input: Tensor, return_inverse: builtins.bool = False, return_counts: builtins.bool = False,
                       dim: Optional[builtins.int] = None) -> Any:
    """torch.unique_consecutive: collapses runs of equal consecutive values (or
    slices along dim), with the inverse indices and the counts when asked."""
    _check_tensor(input, "unique_consecutive")
    x = input.detach()
    if dim is not None:
        d = _wrap_dim_no_scalar(_index(dim, "unique_consecutive", "dim", None), x.dim())
        return _arity(*_unique_dim(x, d, True), return_inverse, return_counts)
    values, inverse, counts = _C._unique_consecutive_flat(x, builtins.bool(return_inverse),
                                                          builtins.bool(return_counts))
    return _arity(values, inverse, counts, return_inverse, return_counts)


# ---------------------------------------------------------------- Tensor methods
def _median_method(self: Tensor, dim: Any = _NO_DIM, keepdim: builtins.bool = False) -> Any:
    return median(self, dim, keepdim)


def _nanmedian_method(self: Tensor, dim: Any = _NO_DIM, keepdim: builtins.bool = False) -> Any:
    return nanmedian(self, dim, keepdim)


def _quantile_method(self: Tensor, q: Union[Tensor, builtins.float], dim: Optional[builtins.int] = None,
                     keepdim: builtins.bool = False, *, interpolation: str = "linear") -> Tensor:
    return quantile(self, q, dim, keepdim, interpolation=interpolation)


def _nanquantile_method(self: Tensor, q: Union[Tensor, builtins.float], dim: Optional[builtins.int] = None,
                        keepdim: builtins.bool = False, *, interpolation: str = "linear") -> Tensor:
    return nanquantile(self, q, dim, keepdim, interpolation=interpolation)


def _mode_method(self: Tensor, dim: builtins.int = -1, keepdim: builtins.bool = False) -> Any:
    return mode(self, dim, keepdim)


def _unique_method(self: Tensor, sorted: builtins.bool = True, return_inverse: builtins.bool = False,
                   return_counts: builtins.bool = False, dim: Optional[builtins.int] = None) -> Any:
    return unique(self, sorted, return_inverse, return_counts, dim)


def _unique_consecutive_method(self: Tensor, return_inverse: builtins.bool = False,
                               return_counts: builtins.bool = False, dim: Optional[builtins.int] = None) -> Any:
    return unique_consecutive(self, return_inverse, return_counts, dim)


for _name, _fn in {
    "median": _median_method,
    "nanmedian": _nanmedian_method,
    "quantile": _quantile_method,
    "nanquantile": _nanquantile_method,
    "mode": _mode_method,
    "unique": _unique_method,
    "unique_consecutive": _unique_consecutive_method,
}.items():
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
del _name, _fn

__all__: Sequence[str] = ["median", "nanmedian", "quantile", "nanquantile", "mode", "unique", "unique_consecutive"]
