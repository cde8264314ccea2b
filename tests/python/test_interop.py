"""Zero-copy interop: NumPy (from_numpy, .numpy(), buffer protocol,
__array__) and DLPack in both directions, with memory lifetimes."""
from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

import rusttorch as rt

NP_DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "int64": np.int64, "bool": np.bool_}


@pytest.mark.parametrize("name", list(NP_DTYPES))
def test_from_numpy_shares_memory(name):
    a = (np.arange(12) % 3).astype(NP_DTYPES[name]).reshape(3, 4)
    t = rt.from_numpy(a)
    assert t.dtype is getattr(rt, name) and t.shape == (3, 4) and t.stride() == (4, 1)
    assert t.data_ptr() == a.ctypes.data
    t[0, 0] = 1
    assert a[0, 0] == 1
    a[2, 3] = 0
    assert t[2, 3].item() == 0


def test_from_numpy_strided_and_lifetime():
    a = np.arange(24.0).reshape(4, 6)
    view = a[::2, 1::2]
    t = rt.from_numpy(view)
    assert t.shape == (2, 3) and t.stride() == (12, 2)
    assert t.tolist() == view.tolist()
    t2 = rt.from_numpy(a.T)
    assert t2.stride() == (1, 6) and not t2.is_contiguous()
    del a, view
    gc.collect()
    assert t.tolist() == [[1.0, 3.0, 5.0], [13.0, 15.0, 17.0]]  # the array is kept alive by the tensor
    b = np.zeros((0, 3), dtype=np.float32)
    assert rt.from_numpy(b).shape == (0, 3)
    assert rt.from_numpy(np.array(2.5)).item() == 2.5 and rt.from_numpy(np.array(2.5)).shape == ()


def test_from_numpy_errors_and_readonly():
    with pytest.raises(TypeError):
        rt.from_numpy([1, 2])
    with pytest.raises(TypeError):
        rt.from_numpy(np.ones(2, dtype=np.complex64))
    with pytest.raises(TypeError):
        rt.from_numpy(np.ones(2, dtype=np.float16))
    with pytest.raises(ValueError):
        rt.from_numpy(np.ones(3)[::-1])
    ro = np.ones(3)
    ro.flags.writeable = False
    with pytest.warns(UserWarning):
        t = rt.from_numpy(ro)
    assert t.tolist() == [1.0, 1.0, 1.0]
    big_endian = np.ones(2, dtype=">f4")
    with pytest.raises(TypeError):
        rt.from_numpy(big_endian)


@pytest.mark.parametrize("name", list(NP_DTYPES))
def test_numpy_shares_memory(name):
    t = rt.ones(2, 3, dtype=getattr(rt, name))
    a = t.numpy()
    assert a.dtype == NP_DTYPES[name] and a.shape == (2, 3)
    assert a.ctypes.data == t.data_ptr()
    a[1, 2] = 0
    assert t[1, 2].item() == 0
    v = t.T.numpy()  # strided views keep their strides
    assert v.shape == (3, 2) and v.strides == (t.element_size(), 3 * t.element_size())
    del t
    gc.collect()
    assert a[0, 0] == 1  # the array keeps the storage alive


def test_buffer_protocol_and_array_protocol():
    t = rt.arange(6, dtype=rt.int32).reshape(2, 3)
    m = memoryview(t)
    assert m.format == "i" and m.shape == (2, 3) and m.strides == (12, 4) and not m.readonly
    assert m.tolist() == [[0, 1, 2], [3, 4, 5]]
    mt = memoryview(t.T)  # strided views export their strides
    assert mt.shape == (3, 2) and mt.strides == (4, 12) and not mt.c_contiguous
    assert mt.tolist() == [[0, 3], [1, 4], [2, 5]]
    arr = np.asarray(t)
    assert arr.ctypes.data == t.data_ptr()
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t).tolist() == t.tolist()
    assert np.array(t, copy=True).ctypes.data != t.data_ptr()
    assert t.__array__().ctypes.data == t.data_ptr()
    assert rt.tensor(True).numpy().shape == () and memoryview(rt.tensor(2.0)).shape == ()
    s = rt.ones(2) + np.ones(2)  # ndarray operands convert (ndarray defers by __array_priority__)
    assert isinstance(s, rt.Tensor) and s.dtype is rt.float64
    s = np.ones(2) + rt.ones(2)
    assert isinstance(s, rt.Tensor) and s.tolist() == [2.0, 2.0]
    storage_owner = rt.arange(4.0)
    mv = memoryview(storage_owner)
    out = rt.empty(0)
    rt.add(storage_owner, 1, out=out)  # rebinding another tensor never invalidates the buffer
    del storage_owner
    gc.collect()
    assert mv.tolist() == [0.0, 1.0, 2.0, 3.0]


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", list(NP_DTYPES))
def test_dlpack_to_torch_shares_memory(name):
    torch = _torch()
    t = rt.arange(6).to(getattr(rt, name)).reshape(2, 3)
    tt = torch.from_dlpack(t)
    assert tt.data_ptr() == t.data_ptr() and str(tt.dtype) == f"torch.{name}" and tuple(tt.shape) == (2, 3)
    tt[0, 0] = 1
    assert t[0, 0].item() == 1
    assert t.__dlpack_device__() == (1, 0)
    v = t.T
    tv = torch.from_dlpack(v)
    assert tv.stride() == v.stride() and tv.tolist() == v.tolist()
    del t, v
    gc.collect()
    assert tt.tolist()[0][0] == 1  # torch keeps our storage alive


@pytest.mark.parametrize("name", list(NP_DTYPES))
def test_dlpack_from_torch_shares_memory(name):
    torch = _torch()
    tt = torch.arange(6).to(getattr(torch, name)).reshape(2, 3)
    t = rt.from_dlpack(tt)
    assert t.data_ptr() == tt.data_ptr() and t.dtype is getattr(rt, name) and t.shape == (2, 3)
    t[1, 1] = 0
    assert tt[1, 1].item() == 0
    sliced = tt[:, 1:]
    ts = rt.from_dlpack(sliced)
    assert ts.stride() == sliced.stride() and ts.tolist() == sliced.tolist()
    del tt, sliced
    gc.collect()
    assert t.shape == (2, 3) and ts.shape == (2, 2)
    legacy = rt.from_dlpack(torch.utils.dlpack.to_dlpack(torch.ones(3)))  # a bare legacy capsule
    assert legacy.tolist() == [1.0, 1.0, 1.0]


def test_dlpack_capsules_and_numpy():
    t = rt.arange(4.0)
    cap = t.__dlpack__()
    assert type(cap).__name__ == "PyCapsule"
    del cap  # an unconsumed capsule frees its tensor
    cap2 = t.__dlpack__(max_version=(1, 0))
    back = rt.from_dlpack(cap2)
    assert back.data_ptr() == t.data_ptr()
    with pytest.raises(ValueError):
        rt.from_dlpack(cap2)  # consumed
    copied = rt.from_dlpack(t.__dlpack__(copy=True))
    assert copied.data_ptr() != t.data_ptr() and copied.tolist() == t.tolist()
    a = np.from_dlpack(t)
    assert a.ctypes.data == t.data_ptr()
    b = np.arange(5, dtype=np.int64)
    tb = rt.from_dlpack(b)
    assert tb.data_ptr() == b.ctypes.data and tb.tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(TypeError):
        rt.from_dlpack([1, 2])
    with pytest.raises(BufferError):
        t.__dlpack__(dl_device=(2, 0))


def test_refcounts_do_not_leak():
    a = np.ones(100)
    before = sys.getrefcount(a)
    for _ in range(100):
        t = rt.from_numpy(a)
        _ = t + 1
        del t
    gc.collect()
    assert sys.getrefcount(a) == before
    t = rt.ones(10)
    before = sys.getrefcount(t)
    for _ in range(100):
        _ = t.numpy()
        _ = memoryview(t)
        t += 1
        _ = t[1:]
    del _
    gc.collect()
    assert sys.getrefcount(t) == before
