"""rusttorch.nn.functional.pad: constant, reflect, replicate and circular
padding, with torch 2.13's rules, results and errors.

Every mode is composed of differentiable native ops, so autograd records it:
constant padding is one ``full`` of the output and one slice assignment of
the (cropped) input into it; the other modes are one index gather, the
padded dims flattened into one.

The output of reflect, replicate and circular padding separates by dim:
out[..., j_1, ..., j_k] = in[..., f_1(j_1), ..., f_k(j_k)], each f_d an index
map built from the dim's size and its two pads:

- reflect: t = j - left, mirrored about 0 and size - 1 (the edge is not repeated);
- replicate: t = j - left, clamped to [0, size - 1];
- circular: the dim first cropped by its negative pads to length m, then
  t = crop_start + (j - max(left, 0)) mod m, which is what torch's copies make.

Where torch's circular padding reads memory it never wrote, rusttorch raises
instead: a positive pad longer than its dim once cropped by the negative pad
on the other side makes torch copy between overlapping parts of its output
(it raises its memory-overlap error when it can see the overlap, else returns
uninitialised memory; rusttorch raises that error), and a negative pad that
crops more than the whole dim leaves torch nothing to copy (it returns
uninitialised memory or a broadcast error; rusttorch raises that error or its
own). Empty outputs are returned, as torch's are.
"""
from __future__ import annotations

import numbers
from typing import Any, List, Optional, Sequence, Tuple

from .. import _C
from .._C import Tensor

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")
_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
            "memory location. Please clone() the tensor before performing the operation.")


def _typename(obj: Any) -> str:
    """The type name torch's argument parser prints (numpy.float64, Tensor, str)."""
    if isinstance(obj, Tensor):
        return "Tensor"
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"


def _pad_int(p: Any) -> Optional[int]:
    """p as a pad element, or None where torch's int-list parser refuses it."""
    if isinstance(p, Tensor):
        if p.numel() != 1 or p.is_floating_point():
            return None
        if p.dtype == _C.bool:
            raise RuntimeError("Expected scalar.isIntegral( false) to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)")
        return int(p.item())
    return int(p) if isinstance(p, numbers.Integral) else None


def _parse_pad(pad: Any) -> List[int]:
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {_typename(pad)}")
    out = []
    for i, p in enumerate(pad):
        v = None if i == 0 and isinstance(p, bool) else _pad_int(p)  # torch takes a bool after the first
        if v is None:
            if i == 0:
                raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                                f"type {_typename(p)} at pos 0")
            raise TypeError("pad(): argument 'pad' failed to unpack the object at pos 2 with error \"type must be "
                            f"tuple of ints,but got {_typename(p)}\"")
        out.append(v)
    return out


def _parse_value(value: Any) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, Tensor) and value.ndim == 0:
        return float(value.item())
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"pad(): argument 'value' (position 4) must be float, not {_typename(value)}")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pads the last len(pad) // 2 dims of input: pad is (left, right) of the
    last dim, then (top, bottom) of the one before, and so on; negative pads
    crop. mode: 'constant' (with value, default 0; any number of dims),
    'reflect', 'replicate' or 'circular' (the last 1, 2 or 3 dims of an input
    with one or two more dims: unbatched or batched)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not {_typename(input)}")
    pads = _parse_pad(pad)
    if isinstance(mode, bytes):
        mode = mode.decode()
    if not isinstance(mode, str):
        raise TypeError(f"pad(): argument 'mode' (position 3) must be str, not {_typename(mode)}")
    fill = _parse_value(value)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    ndim = input.ndim
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pads) > 2 * ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pads)} and input of dimension {ndim}")
    k = len(pads) // 2
    # (left, right) of each padded dim, front to back
    pairs = [(pads[2 * (k - 1 - j)], pads[2 * (k - 1 - j) + 1]) for j in range(k)]
    if mode == "constant":
        return _constant_pad(input, pairs, 0.0 if fill is None else fill)
    if fill is not None and fill != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if k not in (1, 2, 3) or ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for {ndim}D input tensor.")
    sizes = tuple(input.shape[ndim - k:])
    if mode == "circular":
        _check_circular(input, sizes, pairs)
    else:
        _check_reflect_replicate(input, sizes, pairs, mode)
    return _gather_pad(input, sizes, pairs, mode)


def _constant_pad(input: Tensor, pairs: List[Tuple[int, int]], value: float) -> Tensor:
    """torch's constant_pad_nd: the negative pads narrow the input (front dim
    first, left before right), then the rest is filled with value."""
    first = input.ndim - len(pairs)
    cropped = input
    grows = False
    for d, (left, right) in enumerate(pairs, first):
        for start, crop in ((-left, left), (0, right)):
            if crop < 0:
                if cropped.shape[d] + crop < 0:  # torch's narrow checks the length first
                    raise RuntimeError("narrow(): length must be non-negative.")
                cropped = cropped.narrow(d, start, cropped.shape[d] + crop)
        grows = grows or left > 0 or right > 0
    if not grows:
        return cropped.clone()
    shape = list(cropped.shape)
    where = [slice(None)] * input.ndim
    for d, (left, right) in enumerate(pairs, first):
        lo = max(left, 0)
        where[d] = slice(lo, lo + shape[d])
        shape[d] += lo + max(right, 0)
    out = _C.full(shape, value, dtype=input.dtype)
    out[tuple(where)] = cropped
    return out


def _check_reflect_replicate(input: Tensor, sizes: Tuple[int, ...], pairs: List[Tuple[int, int]], mode: str) -> None:
    """The checks of torch's reflection_pad{1,2,3}d and replication_pad{1,2,3}d, in their order."""
    k, ndim, shape = len(pairs), input.ndim, list(input.shape)
    batched = ndim == k + 2
    if any(s == 0 for s in shape[1 if batched else 0:]):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {shape}")
    if mode == "reflect":  # W, then H, then D: torch's arguments #4, #6, #8
        for n, j in enumerate(range(k - 1, -1, -1)):
            left, right = pairs[j]
            if not (left < sizes[j] and right < sizes[j]):
                raise RuntimeError(f"Argument #{4 + 2 * n}: Padding size should be less than the corresponding input "
                                   f"dimension, but got: padding ({left}, {right}) at dimension {ndim - k + j} of "
                                   f"input {shape}")
    outs = [s + left + right for s, (left, right) in zip(sizes, pairs)]
    if all(o < 1 for o in outs):
        names = "DHW"[3 - k:]
        ins = ", ".join(f"{c}: {n}" for c, n in zip(names[-2:], sizes[-2:]))  # torch's own spacing
        ins = (f"D: {sizes[0]} " if k == 3 else "") + ins + (" " if mode == "replicate" and k == 2 else "")
        calc = " ".join(f"{c}: {o}" for c, o in zip(names, outs))
        raise RuntimeError(f"input ({ins}) is too small. Calculated output {calc}")
    if any(o < 0 for o in outs):
        if mode == "reflect" and k == 2:
            raise RuntimeError("numel: integer multiplication overflow")
        out_shape = shape[:ndim - k] + outs
        first = next(o for o in out_shape if o < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {first}: {out_shape}")
    if input.dtype == _C.bool:
        name = "reflection" if mode == "reflect" else "replication"
        raise NotImplementedError(f"\"{name}_pad{k}d\" not implemented for 'Bool'")


def _check_circular(input: Tensor, sizes: Tuple[int, ...], pairs: List[Tuple[int, int]]) -> None:
    """torch's _pad_circular checks (front dim first), then the errors of its copies."""
    numel = 1
    for s in input.shape[:input.ndim - len(pairs)]:
        numel *= s
    crops = []  # each dim's length once cropped by its negative pads
    for s, (left, right) in zip(sizes, pairs):
        if not (left <= s and right <= s):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if s + left + right < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        numel *= s + left + right
        crops.append(s + min(left, 0) + min(right, 0))
    if min(crops) < 0:  # a negative pad crops more than the dim, the other pad is positive
        _check_circular_crop(tuple(input.shape), pairs)
        if numel:  # torch copies nothing of the input there and returns uninitialised memory
            raise RuntimeError("circular padding: a negative pad crops more than the whole dimension, which leaves "
                               "nothing to wrap around for the positive pad on its other side")
    elif numel and any(max(left, right) > m for m, (left, right) in zip(crops, pairs)):
        raise RuntimeError(_OVERLAP)


def _check_circular_crop(shape: Tuple[int, ...], pairs: List[Tuple[int, int]]) -> None:
    """The error of torch's first copy (the cropped input into the output's
    middle) where a dim is cropped to less than nothing: its slices clamp to
    different lengths, which its TensorIterator then broadcasts."""
    lead = len(shape) - len(pairs)
    a, b = list(shape[:lead]), list(shape[:lead])  # torch's names: a the output slice, b the input slice
    for s, (left, right) in zip(shape[lead:], pairs):
        o = s + left + right
        a.append(len(range(o)[max(left, 0):o - max(right, 0)]))
        b.append(len(range(s)[max(-left, 0):s - max(-right, 0)]))
    for i in range(len(shape) - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                               f"non-singleton dimension {i}")
    broadcast = [y if x == 1 else x for x, y in zip(a, b)]
    if broadcast != a:
        raise RuntimeError(f"output with shape {a} doesn't match the broadcast shape {broadcast}")


def _gather_pad(input: Tensor, sizes: Tuple[int, ...], pairs: List[Tuple[int, int]], mode: str) -> Tensor:
    """reflect, replicate or circular padding, the checks passed: the padded
    dims flattened into one and a single index gather along it (a narrow
    and a copy where no dim grows)."""
    lead = tuple(input.shape[:input.ndim - len(pairs)])
    outs = [s + left + right for s, (left, right) in zip(sizes, pairs)]
    if all(left <= 0 and right <= 0 for left, right in pairs):
        out = input
        for d, (n, (left, _)) in enumerate(zip(outs, pairs), len(lead)):
            out = out.narrow(d, -left, n)
        return out.clone()
    flat = None  # the index into the padded dims flattened, row-major
    for s, n, (left, right) in zip(sizes, outs, pairs):
        j = _C.arange(n, dtype=_C.int64)
        if mode == "reflect":
            idx = (s - 1) - ((s - 1) - (j - left).abs()).abs()
        elif mode == "replicate":
            idx = (j - left).clamp(0, s - 1)
        else:
            m = s + min(left, 0) + min(right, 0)  # 0 or less: the output is empty (checked)
            idx = _C.remainder(j - max(left, 0), m) + max(-left, 0) if m > 0 else j * 0
        flat = idx if flat is None else flat.unsqueeze(-1) * s + idx
    cells = 1
    for s in sizes:
        cells *= s
    return input.reshape(lead + (cells,))[..., flat.reshape(-1)].reshape(lead + tuple(outs))
