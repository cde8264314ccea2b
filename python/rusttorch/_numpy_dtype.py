"""NumPy views of rusttorch dtypes.

``tensor.dtype`` stays ``rusttorch.float32`` (torch compatibility), and is
also NumPy-compatible: ``np.dtype(rt.float32)`` works through the ``dtype``
attribute (NumPy's rule for dtype-like objects), ``kind``/``char``/``type``/
``str``/``name`` answer as NumPy's, and a rusttorch dtype equals (and hashes
as) the NumPy dtype of the same kind, which is what Dask compares against
when its meta arrays are rusttorch tensors.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _C

_PAIRS = [
    (_C.float32, np.dtype(np.float32)),
    (_C.float64, np.dtype(np.float64)),
    (_C.int32, np.dtype(np.int32)),
    (_C.int64, np.dtype(np.int64)),
    (_C.bool, np.dtype(np.bool_)),
]
# Keyed by identity: the dtype objects are singletons, and their hash is defined below from this table.
_TO_NUMPY = {id(r): n for r, n in _PAIRS}
_FROM_NUMPY = {n: r for r, n in _PAIRS}


def numpy_dtype(d: Any) -> np.dtype:
    """The NumPy dtype of a rusttorch dtype, NumPy dtype, scalar type or string."""
    if isinstance(d, _C.dtype):
        return _TO_NUMPY[id(d)]
    return np.dtype(d)


def rusttorch_dtype(d: Any) -> Optional[_C.dtype]:
    """The rusttorch dtype for anything np.dtype() accepts, or None when rusttorch
    has no such dtype (float16, uint8, complex, object, non-native byte order...)."""
    if isinstance(d, _C.dtype):
        return d
    nd = np.dtype(d)
    if not nd.isnative:
        return None
    return _FROM_NUMPY.get(nd)


def from_numpy_like(d: Any) -> Optional[_C.dtype]:
    """The rusttorch dtype of a NumPy dtype or scalar type (np.float32), else None.
    Called by the native argument parser for a dtype= that is not a rusttorch dtype;
    strings stay refused there, as in torch."""
    if isinstance(d, np.dtype) or (isinstance(d, type) and issubclass(d, np.generic)):
        return rusttorch_dtype(d)
    return None


def _eq(self: _C.dtype, other: Any) -> Any:
    if isinstance(other, _C.dtype):
        return self is other
    # Only things that are unambiguously NumPy dtype specifications compare by
    # value; anything else (torch dtypes, Python types, None) is not equal.
    if isinstance(other, (np.dtype, str)) or (isinstance(other, type) and issubclass(other, np.generic)):
        try:
            return _TO_NUMPY[id(self)] == np.dtype(other)
        except TypeError:
            return False
    return NotImplemented


def _ne(self: _C.dtype, other: Any) -> Any:
    r = _eq(self, other)
    return r if r is NotImplemented else not r


def _hash(self: _C.dtype) -> int:
    return hash(_TO_NUMPY[id(self)])  # equal to np.dtype(...) so mixed dict/set lookups agree


def _np_attr(name: str) -> property:
    return property(lambda self: getattr(_TO_NUMPY[id(self)], name), doc=f"numpy.dtype.{name} of this dtype")


_C.dtype.dtype = property(lambda self: _TO_NUMPY[id(self)], doc="The equal numpy.dtype (makes np.dtype(d) work)")
for _name in ("kind", "char", "type", "str", "name", "num", "byteorder", "alignment", "names", "fields",
              "subdtype", "shape", "base", "isnative", "isbuiltin", "metadata", "descr"):
    setattr(_C.dtype, _name, _np_attr(_name))
_C.dtype.__eq__ = _eq
_C.dtype.__ne__ = _ne
_C.dtype.__hash__ = _hash
del _name
