"""rusttorch.save / rusttorch.load: round trips of every dtype and layout,
containers, Parameters, paths and file objects, reproducible bytes across
thread counts, and clean RuntimeErrors for every kind of corrupt file."""
from __future__ import annotations

import collections
import hashlib
import io
import json
import math
import os
import pathlib
import struct
import zipfile

import numpy as np
import pytest

import rusttorch as rt
from rusttorch import serialization
from rusttorch.nn.parameter import Parameter

from helpers import DTYPES, random_array

save, load = serialization.save, serialization.load
RNG = np.random.default_rng(31)


def raw(t):
    return bytes(memoryview(t.contiguous())) if t.numel() else b""


def same_tensor(a, b):
    assert isinstance(a, rt.Tensor) and a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
    assert raw(a) == raw(b)  # bit-identical (NaN payloads, -0.0 included)


def round_trip(obj):
    f = io.BytesIO()
    save(obj, f)
    f.seek(0)
    return load(f)


def saved_bytes(obj):
    f = io.BytesIO()
    save(obj, f)
    return f.getvalue()


def test_exported_from_the_package():
    if not hasattr(rt, "save"):
        pytest.skip("rusttorch.save not wired into rusttorch/__init__.py yet")
    assert rt.save is save and rt.load is load


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (7,), (3, 4), (2, 3, 5)])
def test_round_trip_every_dtype_and_shape(dtype, shape):
    a = random_array(RNG, shape, dtype, special=True)
    t = rt.from_numpy(a.copy()) if a.ndim else rt.tensor(a.item(), dtype=getattr(rt, dtype))
    u = round_trip(t)
    same_tensor(u, t)
    assert not u.requires_grad and type(u) is rt.Tensor


def test_special_float_bits():
    a = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, 1.7976931348623157e308], np.float64)
    a = np.concatenate([a, np.frombuffer(struct.pack("<Q", 0x7FF0000000000123), np.float64)])  # a NaN payload
    t = rt.from_numpy(a.copy())
    same_tensor(round_trip(t), t)
    f = rt.from_numpy(np.frombuffer(bytes(range(256)) * 4, np.float32).copy())  # every byte pattern
    same_tensor(round_trip(f), f)


def test_views_and_non_contiguous_save_their_values():
    base = rt.arange(60.0).reshape(3, 4, 5)
    views = {"t": base.transpose(0, 2), "step": base[:, ::2, 1:], "expand": rt.ones(3, 1).expand(3, 4),
             "narrow": base.narrow(2, 1, 2), "row": base[1], "perm": base.permute(2, 0, 1), "elem": base[2, 3, 4]}
    out = round_trip(views)
    for k, v in views.items():
        assert out[k].is_contiguous()
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())
        same_tensor(out[k], v.contiguous())
    # a small view of a big tensor saves only the view
    big = rt.zeros(1_000_000)
    assert len(saved_bytes(big[10:20])) < 2000
    # two views of one storage: separate tensors, each correct
    out = round_trip([base[0], base[0, 1], base])
    assert out[0].tolist() == base[0].tolist() and out[1].tolist() == base[0, 1].tolist()
    out[2][0, 0, 0] = 99.0
    assert out[0][0, 0].item() == 0.0


def test_big_tensor_path_round_trip(tmp_path):
    t = rt.randn(3_000_000)  # 12 MB
    p = tmp_path / "big.rt"
    save({"w": t, "i": rt.arange(1_000_000)}, p)
    assert os.path.getsize(p) < 12_000_000 + 8_000_000 + 4096  # no padding, no extra copies on disk
    out = load(p)
    same_tensor(out["w"], t)
    assert out["i"][-1].item() == 999_999


def test_nested_containers_and_scalars():
    t = rt.randn(2, 2)
    obj = collections.OrderedDict([
        ("none", None), ("bools", [True, False]),
        ("ints", [0, -1, 2**63, 2**63 - 1, -(2**63), -(2**63) - 1, -(2**100), 10**5000, 7]),
        ("floats", [0.1, -0.0, 1e308, float("inf"), float("-inf"), float("nan"), 1.0, 1e16]),
        ("str", "héllo\n\"wörld\" \u2603 \ud800 \x00"), ("tuple", (1, (2, (t,)), [])), ("empty", {}),
        ("dict", {1: "int key", "1": "str key", None: 0, 2.5: "float key", True: "bool key"}),
        ("size", rt.Size([2, 0, 3])), ("dtype", [rt.float32, rt.int64, rt.bool]),
        ("deep", [[[[[{"x": [t]}]]]]]),
    ])
    out = round_trip(obj)
    assert type(out) is collections.OrderedDict and list(out) == list(obj)
    assert out["none"] is None and out["bools"] == [True, False] and all(type(b) is bool for b in out["bools"])
    assert out["ints"] == obj["ints"] and all(type(i) is int for i in out["ints"])
    fl = out["floats"]
    assert all(type(x) is float for x in fl)
    assert fl[:5] == obj["floats"][:5] and math.copysign(1, fl[1]) == -1 and math.isnan(fl[5]) and fl[6:] == [1.0, 1e16]
    assert out["str"] == obj["str"]
    assert type(out["tuple"]) is tuple and type(out["tuple"][1]) is tuple and out["tuple"][2] == []
    assert out["empty"] == {} and type(out["empty"]) is dict
    assert out["dict"] == obj["dict"] and list(out["dict"]) == list(obj["dict"])
    assert type(out["size"]) is rt.Size and out["size"] == rt.Size([2, 0, 3])
    assert out["dtype"] == [rt.float32, rt.int64, rt.bool]
    # one tensor object met three times: saved once, one object on load
    assert out["tuple"][1][1][0] is out["deep"][0][0][0][0][0]["x"][0]
    same_tensor(out["tuple"][1][1][0], t)
    assert len(zipfile.ZipFile(io.BytesIO(saved_bytes(obj))).namelist()) == 2  # data/0 and index.json
    for scalar in (None, True, 3, 2.5, "s", []):
        assert round_trip(scalar) == scalar


def test_parameters_and_requires_grad():
    w = Parameter(rt.randn(3, 2))
    frozen = Parameter(rt.randn(2), requires_grad=False)
    leaf = rt.randn(4, requires_grad=True)
    nonleaf = leaf * 2
    out = round_trip({"w": w, "frozen": frozen, "leaf": leaf, "nonleaf": nonleaf, "plain": rt.ones(1)})
    assert type(out["w"]) is Parameter and out["w"].requires_grad
    assert type(out["frozen"]) is Parameter and not out["frozen"].requires_grad
    assert type(out["leaf"]) is rt.Tensor and out["leaf"].requires_grad and out["leaf"].is_leaf
    assert out["nonleaf"].requires_grad and out["nonleaf"].is_leaf and out["nonleaf"].grad_fn is None
    assert not out["plain"].requires_grad
    for k in ("w", "frozen", "leaf", "nonleaf"):
        same_tensor(out[k].detach(), {"w": w, "frozen": frozen, "leaf": leaf, "nonleaf": nonleaf}[k].detach())


def test_paths_and_file_objects(tmp_path):
    obj = {"a": rt.arange(5), "b": [1.5]}
    for p in (str(tmp_path / "s.rt"), tmp_path / "p.rt"):
        save(obj, p)
        out = load(p)
        assert out["a"].tolist() == [0, 1, 2, 3, 4] and out["b"] == [1.5]
        assert load(str(p))["b"] == [1.5] and load(pathlib.Path(p))["b"] == [1.5]
    with open(tmp_path / "f.rt", "wb") as fh:
        save(obj, fh)
    with open(tmp_path / "f.rt", "rb") as fh:
        assert load(fh)["a"].tolist() == [0, 1, 2, 3, 4]
    assert (tmp_path / "f.rt").read_bytes() == (tmp_path / "p.rt").read_bytes()

    class Stream(io.RawIOBase):  # write-only / read-only, not seekable
        def __init__(self, data=b""):
            self.buf, self.data, self.pos = bytearray(), data, 0

        def writable(self):
            return True

        def readable(self):
            return True

        def seekable(self):
            return False

        def write(self, b):
            self.buf += bytes(b)
            return len(b)

        def readinto(self, b):
            n = min(len(b), len(self.data) - self.pos)
            b[:n] = self.data[self.pos: self.pos + n]
            self.pos += n
            return n

    w = Stream()
    save(obj, w)
    assert load(Stream(bytes(w.buf)))["a"].tolist() == [0, 1, 2, 3, 4]
    # a file object holding other data first: load reads from its position
    f = io.BytesIO()
    f.write(b"header")
    save(obj, f)
    f.seek(6)
    assert load(f)["b"] == [1.5]
    with pytest.raises(TypeError, match="path or a binary file object"):
        save(obj, 3)
    with pytest.raises(TypeError, match="path or a binary file object"):
        load(3.5)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.rt")


def test_deterministic_bytes_across_thread_counts():
    before = rt.get_num_threads()
    x = rt.randn(300, 300)
    obj = {"x": x, "y": (x @ x).t(), "z": rt.tanh(x[::3]), "i": rt.arange(10_000).reshape(100, 100).t()}
    try:
        files = {}
        for n in (1, 2, 4):
            rt.set_num_threads(n)
            files[n] = saved_bytes(obj)
        assert files[1] == files[2] == files[4]
        loaded = {}
        for n in (4, 1, 3):
            rt.set_num_threads(n)
            out = load(io.BytesIO(files[1]))
            loaded[n] = {k: raw(v) for k, v in out.items()}
        assert loaded[4] == loaded[1] == loaded[3] == {k: raw(v) for k, v in obj.items()}
    finally:
        rt.set_num_threads(before)


def test_format_is_documented_layout():
    t = rt.tensor([[1.0, 2.0]], dtype=rt.float64)
    data = saved_bytes({"t": t, "k": (1, "a")})
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.namelist() == ["data/0", "index.json"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    index = json.loads(zf.read("index.json"))
    assert index["format"] == "rusttorch.save" and index["version"] == 1 and index["byteorder"] == "little"
    (e,) = index["tensors"]
    buf = zf.read("data/0")
    assert buf == struct.pack("<2d", 1.0, 2.0)
    assert e == {"file": "data/0", "dtype": "float64", "shape": [1, 2], "nbytes": 16,
                 "sha256": hashlib.sha256(buf).hexdigest(), "requires_grad": False, "parameter": False}
    assert index["root"] == {"type": "dict", "items": [["t", {"type": "tensor", "id": 0}],
                                                       ["k", {"type": "tuple", "items": [1, "a"]}]]}
    assert b"pickle" not in data and b"\x80\x02" not in data


# ---------------------------------------------------------------- corruption
def _sample():
    return {"a": rt.randn(3, 4), "b": [rt.tensor([True, False, True]), 2.5], "c": rt.arange(5, dtype=rt.int32)}


def _identical(out, obj):
    return (list(out) == list(obj) and raw(out["a"]) == raw(obj["a"]) and raw(out["c"]) == raw(obj["c"])
            and out["b"][1] == 2.5 and raw(out["b"][0]) == raw(obj["b"][0]))


def _regions(data):
    """Byte ranges of each member's data and of the zip structure."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    members = {}
    for info in zf.infolist():
        off = info.header_offset
        name_len, extra_len = struct.unpack("<HH", data[off + 26: off + 30])
        start = off + 30 + name_len + extra_len
        members[info.filename] = range(start, start + info.compress_size)
    return members


def test_every_flipped_byte_is_detected_or_harmless():
    obj = _sample()
    data = saved_bytes(obj)
    members = _regions(data)
    in_data = set().union(*(set(r) for r in members.values()))
    harmless = set()
    for i in range(len(data)):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(data)
            bad[i] ^= mask
            try:
                out = load(io.BytesIO(bytes(bad)))
            except RuntimeError as e:
                assert str(e).startswith("rusttorch.load: ")
                continue
            # zip metadata that nothing reads (timestamps, "version made by", local-header
            # copies of the central directory's fields): the values must be intact
            assert _identical(out, obj), (i, mask)
            harmless.add(i)
    assert not harmless & in_data  # every flip in a buffer or in index.json is caught
    assert len(harmless) < len(data) // 3


def test_every_truncation_and_garbage_is_an_error():
    data = saved_bytes(_sample())
    for n in range(len(data)):
        with pytest.raises(RuntimeError, match="rusttorch.load"):
            load(io.BytesIO(data[:n]))
    rng = np.random.default_rng(0)
    for junk in (b"", b"\x00" * 100, b"hello world", rng.bytes(5000), b"PK\x03\x04" + rng.bytes(100)):
        with pytest.raises(RuntimeError, match="not a zip archive"):
            load(io.BytesIO(junk))
    with pytest.raises(RuntimeError, match="missing member 'index.json'"):
        load(io.BytesIO(b"PK\x05\x06" + b"\x00" * 18))  # an empty zip
    # a zip that is not a rusttorch file (e.g. torch.save's): no index.json
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(RuntimeError, match="missing member 'index.json'"):
        load(io.BytesIO(f.getvalue()))


def _rewrite(data, edit_index=None, members=None, drop=(), compress=None):
    """A copy of a saved file with index.json edited / members replaced / dropped."""
    src = zipfile.ZipFile(io.BytesIO(data))
    index = json.loads(src.read("index.json"))
    if edit_index:
        edit_index(index)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in src.namelist():
            if name in drop:
                continue
            payload = json.dumps(index).encode() if name == "index.json" else src.read(name)
            if members and name in members:
                payload = members[name]
            zf.writestr(name, payload, compress_type=compress.get(name, zipfile.ZIP_STORED) if compress else
                        zipfile.ZIP_STORED)
    return out.getvalue()


def _entry(i, **kv):
    def edit(index):
        index["tensors"][i].update(kv)
    return edit


@pytest.mark.parametrize("case,match", [
    (dict(edit_index=_entry(0, dtype="float16x")), "unknown dtype 'float16x'"),
    (dict(edit_index=_entry(0, dtype="float64")), "nbytes 48 does not match"),
    (dict(edit_index=_entry(0, shape=[4, 4], nbytes=64)), "holds 48 bytes, expected 64"),
    (dict(edit_index=_entry(0, shape=[3, -4])), "invalid shape"),
    (dict(edit_index=_entry(0, shape=[3, 4.0])), "invalid shape"),
    (dict(edit_index=_entry(0, shape=[2**40, 2**40], nbytes=2**82)), "holds 48 bytes"),
    (dict(edit_index=_entry(0, file="data/9")), "missing member 'data/9'"),
    (dict(edit_index=_entry(0, sha256="0" * 64)), "fails its sha256 check"),
    (dict(edit_index=_entry(0, sha256=None)), "invalid sha256"),
    (dict(edit_index=_entry(2, requires_grad=True)), "requires_grad on a tensor of dtype int32"),
    (dict(edit_index=_entry(2, parameter="yes")), "parameter is not a bool"),
    (dict(edit_index=lambda ix: ix.update(version=2)), "format version 2 is newer"),
    (dict(edit_index=lambda ix: ix.update(version="1")), "invalid format version"),
    (dict(edit_index=lambda ix: ix.update(format="other")), "is not a 'rusttorch.save' index"),
    (dict(edit_index=lambda ix: ix.update(byteorder="big")), "unsupported byte order"),
    (dict(edit_index=lambda ix: ix.pop("root")), "lacks its 'tensors' list or 'root'"),
    (dict(edit_index=lambda ix: ix.update(root={"type": "tensor", "id": 3})), "refers to tensor 3 of 3"),
    (dict(edit_index=lambda ix: ix.update(root={"type": "set", "items": []})), "unknown node type 'set'"),
    (dict(edit_index=lambda ix: ix.update(root={"type": "dict", "items": [[[1], 2]]})), "invalid dict key"),
    (dict(edit_index=lambda ix: ix.update(root={"type": "float", "value": "1e9"})), "invalid float node"),
    (dict(edit_index=lambda ix: ix.update(root={"type": "int", "value": "12"})), "invalid int node"),
    (dict(edit_index=lambda ix: ix.update(root={"type": "int", "value": "0xzz"})), "invalid int node"),
    (dict(edit_index=lambda ix: ix.update(root=1.5e999)), "non-finite float"),
    (dict(edit_index=lambda ix: ix.update(root={"type": "dtype", "name": "complex7"})), "unknown dtype"),
    (dict(edit_index=lambda ix: ix["tensors"].append(7)), "tensor entry 3 is not an object"),
    (dict(members={"index.json": b"{not json"}), "index.json is not valid JSON"),
    (dict(members={"index.json": b"\xff\xfe"}), "index.json is not valid JSON"),
    (dict(members={"index.json": b"[" * 100000}), "index.json is not valid JSON"),
    (dict(drop=("index.json",)), "missing member 'index.json'"),
    (dict(drop=("data/1",)), "missing member 'data/1'"),
    (dict(compress={"data/0": zipfile.ZIP_DEFLATED}), "member 'data/0' is compressed"),
])
def test_malformed_files_raise_clear_errors(case, match):
    data = saved_bytes(_sample())
    with pytest.raises(RuntimeError, match=match):
        load(io.BytesIO(_rewrite(data, **case)))


def test_bool_buffer_values_are_checked():
    data = saved_bytes({"m": rt.tensor([True, False])})
    bad = b"\x01\x02"

    def fix_sha(ix):
        ix["tensors"][0]["sha256"] = hashlib.sha256(bad).hexdigest()

    with pytest.raises(RuntimeError, match="byte other than 0 and 1"):
        load(io.BytesIO(_rewrite(data, edit_index=fix_sha, members={"data/0": bad})))


def test_wrong_buffer_size_in_the_zip_directory():
    data = bytearray(saved_bytes({"x": rt.arange(4)}))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("data/0")
    cd = bytes(data).find(b"PK\x01\x02")
    assert struct.unpack("<I", data[cd + 24: cd + 28])[0] == info.file_size == 32
    for size in (31, 33, 10**9):
        d = bytearray(data)
        d[cd + 20: cd + 28] = struct.pack("<II", size, size)
        with pytest.raises(RuntimeError, match="rusttorch.load"):
            load(io.BytesIO(bytes(d)))


# -------------------------------------------------------------- save errors
def test_unsupported_objects_raise_type_error(tmp_path):
    Pt = collections.namedtuple("Pt", "x y")
    cases = [(object(), "builtins.object"), ({1, 2}, "builtins.set"), (b"bytes", "builtins.bytes"),
             (lambda: 0, "builtins.function"), (np.zeros(2), "numpy.ndarray"), (Pt(1, 2), "Pt"),
             ({"a": [1, {2j}]}, "builtins.set"), (1j, "builtins.complex"), (collections.Counter(a=1), "Counter")]
    for obj, name in cases:
        p = tmp_path / "never.rt"
        with pytest.raises(TypeError, match=f"cannot save an object of type .*{name}"):
            save(obj, p)
        assert not p.exists()  # nothing written
    with pytest.raises(TypeError, match=r"at obj\['a'\]\[1\]"):
        save({"a": [1, object()]}, io.BytesIO())
    with pytest.raises(TypeError, match="dict key of type builtins.tuple"):
        save({(1, 2): 3}, io.BytesIO())
    loop = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, io.BytesIO())
    shared = [1, 2]
    assert round_trip([shared, shared]) == [[1, 2], [1, 2]]  # shared, not cyclic: fine


def test_map_location_and_weights_only():
    data = saved_bytes({"x": rt.arange(3)})
    for ml in (None, "cpu", {"cpu": "cpu"}):
        assert load(io.BytesIO(data), map_location=ml)["x"].tolist() == [0, 1, 2]
    assert load(io.BytesIO(data), map_location=lambda t, loc: t * 2)["x"].tolist() == [0, 2, 4]
    assert load(io.BytesIO(data), weights_only=False)["x"].tolist() == [0, 1, 2]
    for ml in ("cuda", "cuda:0", {"cpu": "cuda:1"}):
        with pytest.raises(RuntimeError, match="CPU only"):
            load(io.BytesIO(data), map_location=ml)
