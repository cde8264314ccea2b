"""Tensors pickle by their bytes: every dtype, views, 0-d and empty, protocols
2 and 5, zero-copy out-of-band buffers, and corrupt pickles refused cleanly."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import rusttorch as rt
from rusttorch import _pickle

RNG = np.random.default_rng(99)


def samples():
    out = []
    for dt in (np.float32, np.float64, np.int32, np.int64, np.bool_):
        a = (RNG.standard_normal((5, 7)) * 100).astype(dt) if dt != np.bool_ else RNG.random((5, 7)) < 0.5
        out.append(rt.from_numpy(a))
    return out


def same(u, t):
    assert isinstance(u, rt.Tensor) and u.dtype == t.dtype and u.shape == t.shape
    np.testing.assert_array_equal(u.numpy(), t.numpy())


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_round_trip_every_dtype_and_layout(protocol):
    for t in samples():
        for v in (t, t.T, t[1:4, ::3], t[2], t[0, 0], t[:0], t.expand(2, 5, 7)):
            u = pickle.loads(pickle.dumps(v, protocol=protocol))
            same(u, v)
            assert u.is_contiguous()
            u.add_(1) if u.dtype != rt.bool else u.logical_not_()  # the copy is writable and independent
            same(pickle.loads(pickle.dumps(v, protocol=protocol)), v)


def test_view_pickles_only_its_elements():
    big = rt.zeros(1000, 1000)
    assert len(pickle.dumps(big[:2, :3], protocol=5)) < 1000


def test_protocol5_out_of_band_is_zero_copy():
    for t in samples():
        bufs = []
        data = pickle.dumps(t, protocol=5, buffer_callback=bufs.append)
        assert len(bufs) == 1 and len(data) < 300  # the elements are not in the stream
        raw = bufs[0].raw()
        assert np.shares_memory(np.frombuffer(raw, dtype=np.uint8), t.numpy().view(np.uint8))
        u = pickle.loads(data, buffers=bufs)
        same(u, t)
        assert u.data_ptr() == t.data_ptr()  # rebuilt on the same memory: nothing copied either way


def test_protocol5_readonly_buffer_is_copied():
    t = samples()[0]
    bufs = []
    data = pickle.dumps(t, protocol=5, buffer_callback=bufs.append)
    frozen = bytes(bufs[0].raw())  # as a receiver with immutable frames
    u = pickle.loads(data, buffers=[frozen])
    same(u, t)
    u.add_(1)  # a tensor of its own: writing it is safe
    same(pickle.loads(data, buffers=[frozen]), t)


def test_in_band_protocol5():
    t = samples()[1]
    u = pickle.loads(pickle.dumps(t, protocol=5))
    same(u, t)
    assert u.data_ptr() != t.data_ptr()


def test_corrupt_pickles_raise_cleanly():
    t = rt.arange(6.0)
    fn, (buf, dt, shape) = t.__reduce_ex__(2)
    for args in ((buf[:-3], dt, shape), (buf, dt, (7,)), (buf, "<c16", shape), (buf, "nonsense", shape),
                 (buf, dt, (-6,)), (buf, dt, ("x",)), (buf, "|O", shape)):
        with pytest.raises(pickle.UnpicklingError):
            fn(*args)
    good = pickle.dumps(t, protocol=2)
    with pytest.raises(Exception) as e:  # truncated stream: pickle's own error, never a crash
        pickle.loads(good[: len(good) // 2])
    assert isinstance(e.value, (pickle.UnpicklingError, EOFError, ValueError))


def test_big_endian_data_is_converted():
    a = np.arange(6, dtype=">f8")
    u = _pickle._rebuild(a.tobytes(), a.dtype.str, (2, 3))
    np.testing.assert_array_equal(u.numpy(), np.arange(6.0).reshape(2, 3))


def test_old_pickles_still_load():
    # A pickle of the earlier format: (rusttorch._tensor_methods._rebuild, (nested list, dtype name, shape)).
    old = (b"\x80\x02crusttorch._tensor_methods\n_rebuild\nq\x00]q\x01(]q\x02(K\x01K\x02e]q\x03(K\x03K\x04ee"
           b"X\x05\x00\x00\x00int32q\x04K\x02K\x02\x86q\x05\x87q\x06Rq\x07.")
    same(pickle.loads(old), rt.tensor([[1, 2], [3, 4]], dtype=rt.int32))
