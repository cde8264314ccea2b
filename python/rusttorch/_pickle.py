"""Pickling tensors by their bytes (dask.distributed ships chunks this way).

Protocol 5 hands the data out as a ``pickle.PickleBuffer`` over the tensor's
own memory, so with a ``buffer_callback`` nothing is copied on the way out,
and a tensor rebuilt from a writable out-of-band buffer shares that buffer.
Protocols below 5 (and in-band protocol 5) carry one ``bytes`` copy; the
rebuilt tensor then owns a fresh copy, since ``bytes`` is immutable and
tensors are writable. Only the tensor's elements travel (a view of a big
tensor pickles as a compact copy of the view).
"""
from __future__ import annotations

import pickle
from typing import Any, Tuple

import numpy as np

from . import _C
from ._C import Tensor
from ._numpy_dtype import numpy_dtype, rusttorch_dtype


def _rebuild(buf: Any, dtype_str: str, shape: Tuple[int, ...]) -> Tensor:
    try:
        dt = np.dtype(dtype_str)
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError) as e:
        raise pickle.UnpicklingError(f"rusttorch tensor pickle: bad dtype or shape ({e})") from None
    if rusttorch_dtype(dt.newbyteorder("=")) is None or any(n < 0 for n in shape):
        raise pickle.UnpicklingError(f"rusttorch tensor pickle: unsupported dtype {dtype_str!r} or shape {shape}")
    mv = memoryview(buf).cast("B")
    expected = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if mv.nbytes != expected:
        raise pickle.UnpicklingError(f"rusttorch tensor pickle: {mv.nbytes} bytes of data for shape {shape} of "
                                     f"{dt} (expected {expected})")
    a = np.frombuffer(mv, dtype=dt).reshape(shape)
    if not dt.isnative:
        a = a.astype(dt.newbyteorder("="))  # written on a machine of the other byte order
    elif mv.readonly or a.ctypes.data % dt.itemsize:
        a = a.copy()  # bytes (in-band) are immutable, tensors are not: own a copy
    return _C.from_numpy(a)


def _reduce_ex(self: Tensor, protocol: int) -> Tuple[Any, Tuple[Any, ...]]:
    t = self.contiguous()
    dtype_str = numpy_dtype(t.dtype).str  # with the byte order, e.g. '<f4'
    shape = tuple(t.shape)
    if protocol >= 5:
        return _rebuild, (pickle.PickleBuffer(t), dtype_str, shape)
    return _rebuild, (t.numpy().tobytes(), dtype_str, shape)


def _reduce(self: Tensor) -> Tuple[Any, Tuple[Any, ...]]:
    return _reduce_ex(self, 2)


Tensor.__reduce_ex__ = _reduce_ex
Tensor.__reduce__ = _reduce
