"""Helpers shared by the differential tests (rusttorch vs torch 2.13)."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import rusttorch as rt

try:  # test-only dependency (pip install torch==2.13.0); differential modules importorskip it
    import torch
except ImportError:  # pragma: no cover
    torch = None

DTYPES = ["bool", "int32", "int64", "float32", "float64"]
NUMERIC = ["int32", "int64", "float32", "float64"]
FLOATS = ["float32", "float64"]
INTS = ["int32", "int64"]


# Forces an ISA (or a thread count) for the block, restoring the old one after.
@contextlib.contextmanager
def isa(name):
    saved = rt.backends.cpu.get_cpu_capability()
    rt.backends.cpu.set_cpu_capability(name)
    try:
        yield
    finally:
        rt.backends.cpu.set_cpu_capability(saved)


@contextlib.contextmanager
def threads(n):
    saved = rt.get_num_threads()
    rt.set_num_threads(n)
    try:
        yield
    finally:
        rt.set_num_threads(saved)


def rt_dtype(name: str):
    return getattr(rt, name)


def torch_dtype(name: str):
    return getattr(torch, name)


def dtype_name(d) -> str:
    return str(d).split(".")[-1]


def random_array(rng: np.random.Generator, shape, dtype: str, special: bool = False, low=-50, high=50) -> np.ndarray:
    """Random values of a dtype; floats optionally include inf, -inf, nan, -0."""
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if dtype in INTS:
        return rng.integers(low, high, size=shape).astype(dtype)
    a = (rng.standard_normal(size=shape) * (high / 3)).astype(dtype)
    if rng.random() < 0.3:  # integer-valued floats exercise exact ties (floor, remainder)
        a = np.round(a).astype(dtype)
    if special and a.size:
        flat = a.reshape(-1)
        k = rng.integers(0, max(1, flat.size // 4) + 1)
        idx = rng.integers(0, flat.size, size=k)
        flat[idx] = rng.choice(np.array([np.inf, -np.inf, np.nan, -0.0, 0.0], dtype=dtype), size=k)
    return a


def to_torch(x):
    """A torch tensor with the same values (a copy, independent of rusttorch)."""
    return torch.from_numpy(np.array(x.numpy(), copy=True))


def from_np(a: np.ndarray):
    return rt.tensor(a) if a.ndim == 0 else rt.from_numpy(np.ascontiguousarray(a).copy())


def pair(rng, shape, dtype, **kw):
    a = random_array(rng, shape, dtype, **kw)
    return rt.from_numpy(a.copy()) if a.ndim else rt.tensor(a), torch.from_numpy(a.copy()) if a.ndim else torch.tensor(a)


def assert_same(r, t, rtol=0.0, atol=0.0, check_dtype=True):
    """rusttorch tensor `r` equals torch tensor `t`: dtype, shape, values (NaN == NaN)."""
    assert isinstance(r, rt.Tensor), type(r)
    assert tuple(r.shape) == tuple(t.shape), (r.shape, t.shape)
    if check_dtype:
        assert dtype_name(r.dtype) == dtype_name(t.dtype), (r.dtype, t.dtype)
    a = np.asarray(r.numpy())
    b = t.numpy()
    if rtol == 0.0 and atol == 0.0 or a.dtype == np.bool_ or a.dtype.kind in "iu":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def same_error(f_rt, f_torch):
    """Both raise, and the exception types match (rusttorch's is torch's or a subclass of it)."""
    try:
        f_torch()
    except Exception as e:  # noqa: BLE001
        expected = type(e)
    else:
        raise AssertionError("torch did not raise")
    with pytest.raises(expected):
        f_rt()


RAISED = object()


def torch_or_same_error(f_rt, f_torch):
    """torch's result; where torch raises, checks that rusttorch raises the same type and returns RAISED."""
    try:
        return f_torch()
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            f_rt()
        return RAISED
