"""Collation: torch.utils.data's default_collate and default_convert.

``default_collate`` turns a list of samples into a batch: tensors are stacked
along a new first dimension, Python floats become a float64 tensor, ints an
int64 tensor, bools a bool tensor, strings and bytes stay a list, and
mappings, namedtuples and sequences are collated element-wise (tuples and
other sequences come back as lists, as in torch). NumPy arrays and scalars
(when NumPy is in use; it is not imported here) become tensors first.
"""
from __future__ import annotations

import collections.abc
import copy
import re
import sys
from typing import Any, Callable, Dict, Optional, Tuple, Type, Union

from ... import _C
from ..._C import Tensor

__all__ = ["default_collate", "default_convert", "collate"]

_np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy(x: Any) -> bool:
    return type(x).__module__ == "numpy" and "numpy" in sys.modules


def _numpy_to_tensor(x: Any) -> Tensor:
    np = sys.modules["numpy"]
    a = np.asarray(x)
    if not a.flags.c_contiguous or not a.flags.writeable:
        a = a.copy()
    return _C.from_numpy(a)


def default_convert(data: Any) -> Any:
    """Converts NumPy arrays and scalars in ``data`` to tensors, recursing into
    mappings, namedtuples and sequences (tuples become lists), as torch's
    ``default_convert`` (DataLoader's collate_fn when ``batch_size=None``)."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data) and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        if elem_type.__name__ == "ndarray" and _np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return _numpy_to_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})  # type: ignore[call-arg]
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])  # type: ignore[call-arg]
        except TypeError:
            return [default_convert(d) for d in data]
    return data


CollateFnMap = Dict[Union[Type, Tuple[Type, ...]], Callable]


def collate(batch: Any, *, collate_fn_map: Optional[CollateFnMap] = None) -> Any:
    """torch.utils.data._utils.collate.collate: the structure-walking collation,
    with ``collate_fn_map`` mapping element types to the functions that
    collate a batch of them."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if _is_numpy(elem):
        np = sys.modules["numpy"]
        if isinstance(elem, np.ndarray):
            if _np_str_obj_array_pattern.search(elem.dtype.str) is not None:
                raise TypeError(default_collate_err_msg_format.format(elem.dtype))
            return collate([_numpy_to_tensor(b) for b in batch], collate_fn_map=collate_fn_map)
        if isinstance(elem, (np.bool_, np.number, np.object_)):
            return _numpy_to_tensor(np.asarray(batch))
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem})
                return clone
            return elem_type({key: collate([d[key] for d in batch],  # type: ignore[call-arg]
                                           collate_fn_map=collate_fn_map) for key in elem})
        except TypeError:
            return {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = collate(samples, collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(samples, collate_fn_map=collate_fn_map)  # type: ignore[call-arg]
                              for samples in transposed])
        except TypeError:
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch: Any, *, collate_fn_map: Optional[CollateFnMap] = None) -> Tensor:
    return _C.stack(list(batch), 0)


def collate_float_fn(batch: Any, *, collate_fn_map: Optional[CollateFnMap] = None) -> Tensor:
    return _C.tensor(list(batch), dtype=_C.float64)


def collate_int_fn(batch: Any, *, collate_fn_map: Optional[CollateFnMap] = None) -> Tensor:
    return _C.tensor(list(batch))


def collate_str_fn(batch: Any, *, collate_fn_map: Optional[CollateFnMap] = None) -> Any:
    return batch


default_collate_fn_map: CollateFnMap = {
    Tensor: collate_tensor_fn,
    float: collate_float_fn,
    int: collate_int_fn,  # bools too (bool is an int): a bool tensor, as torch
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: Any) -> Any:
    """Collates a list of samples into a batch, as torch's default_collate:

    * tensors -> ``stack(batch)`` (sizes must match: torch's RuntimeError)
    * float -> float64 tensor; int -> int64 tensor; bool -> bool tensor
    * str / bytes -> the list unchanged
    * Mapping -> the same mapping type of collated values
    * namedtuple -> the same namedtuple of collated fields
    * tuple / Sequence -> a list (same type for mutable sequences) of collated
      columns (lengths must match: "each element in list of batch should be of
      equal size")
    * NumPy arrays and scalars -> tensors, then as above
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
