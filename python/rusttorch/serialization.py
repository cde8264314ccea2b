"""rusttorch.save / rusttorch.load: tensors and containers of them, in a
zip file that loading never executes (no pickle).

    rusttorch.save({"model": model.state_dict(), "epoch": 3}, "ckpt.rt")
    state = rusttorch.load("ckpt.rt")

What can be saved: tensors of every dtype (views and non-contiguous tensors
are saved as their values; several views of one storage are saved as
separate tensors, and load as separate tensors), nn.Parameter (loads as a
Parameter with its requires_grad), dict and OrderedDict (keys str, int,
bool, float or None), list, tuple, rusttorch.Size, rusttorch dtypes, None,
bool, int, float and str, nested. The same tensor object met twice is saved
once and loads as one object. Anything else raises TypeError naming the type
(and where it was met); a container that contains itself raises ValueError.

The format (version 1)
----------------------
A zip archive (ZIP_STORED members, zip64 when needed, fixed timestamps, so
saving the same values always gives the same bytes) holding:

* ``data/<i>``, for each tensor i = 0, 1, ...: its elements, C-contiguous,
  little-endian, ``numel * itemsize`` bytes (bool: one byte, 0 or 1);
* ``index.json`` (UTF-8 JSON, written last)::

    {"format": "rusttorch.save", "version": 1, "byteorder": "little",
     "tensors": [{"file": "data/0", "dtype": "float32", "shape": [2, 3],
                  "nbytes": 24, "sha256": "<hex digest of the buffer>",
                  "requires_grad": false, "parameter": false}, ...],
     "root": <node>}

  where a node is JSON null/true/false, a string, an integer, a finite float
  (a JSON number with a '.' or exponent), a JSON array (a Python list), or an
  object tagged by "type": ``{"type": "tensor", "id": i}`` (an index into
  "tensors"), ``{"type": "tuple", "items": [node, ...]}``, ``{"type":
  "Size", "items": [int, ...]}``, ``{"type": "dict" | "OrderedDict",
  "items": [[key node, value node], ...]}`` (in order), ``{"type": "float",
  "value": "nan" | "inf" | "-inf"}``, ``{"type": "int", "value": "0x..."}``
  (an int outside [-2**63, 2**63), in hex), ``{"type": "dtype", "name":
  "float32"}``. The JSON is ASCII (other characters escaped).

Loading validates everything before it returns anything: that the file is a
zip archive with an ``index.json`` of this format and a version this reader
knows, that every node and tensor entry is well formed (known dtype,
non-negative integer shape, members present, stored uncompressed, of exactly
``numel * itemsize`` bytes), and every buffer's zip CRC-32 and sha256 (and
that bool buffers hold only 0 and 1). Any failure raises RuntimeError naming
the problem; nothing partial is returned and nothing in the file is
executed. Buffers are written from the tensors' memory without an extra
copy (a non-contiguous tensor is made contiguous first), and read straight
into the new tensors' memory, in chunks. The loaded bytes are the saved
bytes: no arithmetic happens, so results do not depend on
rusttorch.set_num_threads or the SIMD level.
"""
from __future__ import annotations

import collections
import hashlib
import io
import json
import math
import os
import sys
import zipfile
from typing import IO, Any, Callable, Dict, List, Optional, Tuple, Union

from . import _C
from ._C import Tensor

__all__ = ["save", "load", "FORMAT_NAME", "FORMAT_VERSION"]

FORMAT_NAME = "rusttorch.save"
FORMAT_VERSION = 1
_INDEX = "index.json"
_CHUNK = 16 << 20  # bytes per read/write of a buffer
_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: reproducible files
_ZIP64_AT = 1 << 31

FileLike = Union[str, "os.PathLike[str]", IO[bytes]]

_DTYPE_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
                "complex64", "complex128")
_DTYPES: Dict[str, Any] = {n: getattr(_C, n) for n in _DTYPE_NAMES if isinstance(getattr(_C, n, None), _C.dtype)}


def _dtype_name(dt: Any) -> str:
    for name, d in _DTYPES.items():
        if d == dt:
            return name
    raise TypeError(f"rusttorch.save: cannot save a tensor of dtype {dt}")


def _parameter_class() -> Optional[type]:
    try:
        from .nn.parameter import Parameter
    except ImportError:  # pragma: no cover  (nn not built)
        return None
    return Parameter


def _swap_bytes(chunk: Any, itemsize: int) -> bytes:
    """The chunk with each itemsize-byte element reversed (big-endian hosts)."""
    import array

    code = {2: "H", 4: "I" if array.array("I").itemsize == 4 else "L", 8: "Q"}[itemsize]
    a = array.array(code)
    a.frombytes(bytes(chunk))
    a.byteswap()
    return a.tobytes()


def _raw_bytes(t: Tensor) -> memoryview:
    """A flat byte view of t's elements in C order (t contiguous, nbytes > 0)."""
    try:
        return memoryview(t).cast("B")
    except (TypeError, ValueError, BufferError):  # an unusual stride layout: copy it
        return memoryview(t.clone()).cast("B")


# ---------------------------------------------------------------------- save
class _Encoder:
    def __init__(self) -> None:
        self.tensors: List[Tensor] = []
        self.entries: List[Dict[str, Any]] = []
        self._tensor_ids: Dict[int, int] = {}
        self._active: set = set()
        self._parameter = _parameter_class()

    def scalar(self, x: Any, where: str) -> Any:
        t = type(x)
        if t is int and not -(1 << 63) <= x < (1 << 63):
            return {"type": "int", "value": hex(x)}  # exact, and free of the int/str digit limit
        if x is None or t is bool or t is int or t is str:
            return x
        if t is float:
            if math.isfinite(x):
                return x
            return {"type": "float", "value": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}
        return self._unsupported(x, where)

    def _unsupported(self, x: Any, where: str) -> Any:
        t = type(x)
        raise TypeError(f"rusttorch.save: cannot save an object of type {t.__module__}.{t.__qualname__} "
                        f"(at {where})")

    def tensor(self, t: Tensor) -> Dict[str, Any]:
        key = id(t)
        if key not in self._tensor_ids:
            self._tensor_ids[key] = len(self.tensors)
            self.tensors.append(t)
            is_param = self._parameter is not None and isinstance(t, self._parameter)
            self.entries.append({
                "file": f"data/{len(self.entries)}",
                "dtype": _dtype_name(t.dtype),
                "shape": [int(n) for n in t.shape],
                "nbytes": int(t.numel()) * int(t.dtype.itemsize),
                "sha256": None,  # filled in while writing
                "requires_grad": bool(t.requires_grad),
                "parameter": bool(is_param),
            })
        return {"type": "tensor", "id": self._tensor_ids[key]}

    def encode(self, x: Any, where: str = "obj") -> Any:
        t = type(x)
        if x is None or t in (bool, int, float, str):
            return self.scalar(x, where)
        if isinstance(x, Tensor):
            return self.tensor(x)
        if t is _C.dtype:
            return {"type": "dtype", "name": _dtype_name(x)}
        if t is _C.Size:
            return {"type": "Size", "items": [int(n) for n in x]}
        if t not in (list, tuple, dict, collections.OrderedDict):
            return self._unsupported(x, where)
        if id(x) in self._active:
            raise ValueError(f"rusttorch.save: the {t.__name__} at {where} contains itself")
        self._active.add(id(x))
        try:
            if t is list:
                return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]
            if t is tuple:
                return {"type": "tuple", "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(x)]}
            items = []
            for k, v in x.items():
                if not (k is None or type(k) in (bool, int, float, str)):
                    raise TypeError(f"rusttorch.save: cannot save a dict key of type "
                                    f"{type(k).__module__}.{type(k).__qualname__} (at {where})")
                items.append([self.scalar(k, where), self.encode(v, f"{where}[{k!r}]")])
            return {"type": "dict" if t is dict else "OrderedDict", "items": items}
        finally:
            self._active.discard(id(x))


def _write_buffer(zf: zipfile.ZipFile, name: str, t: Tensor, nbytes: int) -> str:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = nbytes
    sha = hashlib.sha256()
    with zf.open(info, "w", force_zip64=nbytes >= _ZIP64_AT) as w:
        if nbytes:
            t = t.detach()
            if not t.is_contiguous():
                t = t.contiguous()
            raw = _raw_bytes(t)
            if raw.nbytes != nbytes:
                raise RuntimeError(f"rusttorch.save: tensor buffer of {raw.nbytes} bytes, expected {nbytes}")
            swap = sys.byteorder == "big" and t.dtype.itemsize > 1
            for pos in range(0, nbytes, _CHUNK):
                chunk = raw[pos: pos + _CHUNK]
                if swap:
                    chunk = memoryview(_swap_bytes(chunk, t.dtype.itemsize))
                sha.update(chunk)
                w.write(chunk)
    return sha.hexdigest()


def save(obj: Any, f: FileLike) -> None:
    """Saves ``obj`` (tensors, Parameters, and dicts / OrderedDicts / lists /
    tuples / scalars / strings of them, nested) to ``f``: a path (str or
    os.PathLike) or a binary file object opened for writing. See the module
    docstring for the format. Raises TypeError for an object it cannot save,
    before anything is written."""
    enc = _Encoder()
    root = enc.encode(obj)
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(os.fspath(f), "wb") as fh:
            _write(fh, enc, root)
    elif hasattr(f, "write"):
        _write(f, enc, root)
    else:
        raise TypeError(f"rusttorch.save: f must be a path or a binary file object, not {type(f).__name__}")


def _write(fh: IO[bytes], enc: _Encoder, root: Any) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for t, entry in zip(enc.tensors, enc.entries):
            entry["sha256"] = _write_buffer(zf, entry["file"], t, entry["nbytes"])
        index = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "byteorder": "little",
                 "tensors": enc.entries, "root": root}
        data = json.dumps(index, allow_nan=False, ensure_ascii=True, separators=(",", ":")).encode("utf-8")
        info = zipfile.ZipInfo(_INDEX, date_time=_DATE)
        info.compress_type = zipfile.ZIP_STORED
        zf.writestr(info, data)


# ---------------------------------------------------------------------- load
class _Corrupt(Exception):
    pass


def _fail(msg: str) -> "_Corrupt":
    return _Corrupt(msg)


def _is_int(x: Any) -> bool:
    return type(x) is int


class _Loader:
    def __init__(self, zf: zipfile.ZipFile, archive_size: int) -> None:
        self.zf = zf
        self.archive_size = archive_size

    def member(self, name: Any) -> zipfile.ZipInfo:
        if not isinstance(name, str):
            raise _fail(f"a member name is not a string: {name!r}")
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise _fail(f"missing member {name!r}") from None
        if info.compress_type != zipfile.ZIP_STORED:
            raise _fail(f"member {name!r} is compressed (method {info.compress_type}); "
                        "rusttorch.save writes stored members only")
        if info.flag_bits & 0x1:
            raise _fail(f"member {name!r} is encrypted")
        if info.compress_size != info.file_size or info.file_size > self.archive_size:
            raise _fail(f"member {name!r} claims {info.file_size} bytes, more than the file holds")
        return info

    def read_index(self) -> Dict[str, Any]:
        info = self.member(_INDEX)
        try:
            raw = self.zf.read(info)
        except Exception as e:  # noqa: BLE001  (BadZipFile for a bad CRC, EOFError, OSError, ...)
            raise _fail(f"member {_INDEX!r} is corrupt ({type(e).__name__}: {e})") from None
        try:
            index = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError) as e:
            raise _fail(f"{_INDEX} is not valid JSON ({type(e).__name__}: {e})") from None
        if not isinstance(index, dict) or index.get("format") != FORMAT_NAME:
            raise _fail(f"{_INDEX} is not a {FORMAT_NAME!r} index")
        version = index.get("version")
        if not _is_int(version) or version < 1:
            raise _fail(f"{_INDEX} has an invalid format version {version!r}")
        if version > FORMAT_VERSION:
            raise _fail(f"format version {version} is newer than this rusttorch reads ({FORMAT_VERSION})")
        if index.get("byteorder") != "little":
            raise _fail(f"unsupported byte order {index.get('byteorder')!r}")
        if not isinstance(index.get("tensors"), list) or "root" not in index:
            raise _fail(f"{_INDEX} lacks its 'tensors' list or 'root'")
        return index

    def check_entry(self, i: int, e: Any) -> Tuple[Any, Tuple[int, ...], int, zipfile.ZipInfo]:
        if not isinstance(e, dict):
            raise _fail(f"tensor entry {i} is not an object")
        dt = e.get("dtype")
        if not isinstance(dt, str) or dt not in _DTYPES:
            raise _fail(f"tensor {i}: unknown dtype {dt!r}")
        shape = e.get("shape")
        if not isinstance(shape, list) or not all(_is_int(n) and n >= 0 for n in shape):
            raise _fail(f"tensor {i}: invalid shape {shape!r}")
        dtype = _DTYPES[dt]
        numel = math.prod(shape)
        nbytes = numel * dtype.itemsize
        if e.get("nbytes") != nbytes:
            raise _fail(f"tensor {i}: nbytes {e.get('nbytes')!r} does not match shape {shape} of {dt} "
                        f"({nbytes} bytes)")
        sha = e.get("sha256")
        if not isinstance(sha, str) or len(sha) != 64:
            raise _fail(f"tensor {i}: invalid sha256 {sha!r}")
        for flag in ("requires_grad", "parameter"):
            if type(e.get(flag, False)) is not bool:
                raise _fail(f"tensor {i}: {flag} is not a bool")
        if e.get("requires_grad", False) and not dtype.is_floating_point:
            raise _fail(f"tensor {i}: requires_grad on a tensor of dtype {dt}")
        if any(n > 1 << 62 for n in shape):
            raise _fail(f"tensor {i}: invalid shape {shape!r}")
        info = self.member(e.get("file"))
        if info.file_size != nbytes:
            raise _fail(f"tensor {i}: buffer {info.filename!r} holds {info.file_size} bytes, expected {nbytes} "
                        f"for shape {shape} of {dt}")
        return dtype, tuple(shape), nbytes, info

    def read_tensor(self, i: int, e: Dict[str, Any], dtype: Any, shape: Tuple[int, ...], nbytes: int,
                    info: zipfile.ZipInfo) -> Tensor:
        try:
            t = _C.empty(shape, dtype=dtype)
        except (RuntimeError, ValueError, OverflowError, MemoryError) as ex:
            raise _fail(f"tensor {i}: cannot allocate shape {list(shape)} ({type(ex).__name__}: {ex})") from None
        sha = hashlib.sha256()
        name = info.filename
        try:
            with self.zf.open(info) as r:
                if nbytes:
                    mv = _raw_bytes(t)
                    pos = 0
                    while pos < nbytes:
                        k = r.readinto(mv[pos: pos + _CHUNK])
                        if not k:
                            raise _fail(f"buffer {name!r} is truncated ({pos} of {nbytes} bytes)")
                        sha.update(mv[pos: pos + k])
                        pos += k
                    mv.release()
                if r.read(1):
                    raise _fail(f"buffer {name!r} is longer than {nbytes} bytes")
        except _Corrupt:
            raise
        except Exception as ex:  # noqa: BLE001  (BadZipFile: bad CRC-32 / header, EOFError, OSError, ...)
            raise _fail(f"buffer {name!r} is corrupt ({type(ex).__name__}: {ex})") from None
        if sha.hexdigest() != e["sha256"].lower():
            raise _fail(f"buffer {name!r} fails its sha256 check (the file is corrupt)")
        if nbytes and dtype == _DTYPES.get("bool"):
            mv = _raw_bytes(t)
            for pos in range(0, nbytes, _CHUNK):
                if bytes(mv[pos: pos + _CHUNK]).translate(None, b"\x00\x01"):
                    raise _fail(f"buffer {name!r} of dtype bool holds a byte other than 0 and 1")
            mv.release()
        if sys.byteorder == "big" and dtype.itemsize > 1 and nbytes:
            mv = _raw_bytes(t)
            for pos in range(0, nbytes, _CHUNK):
                mv[pos: pos + _CHUNK] = _swap_bytes(mv[pos: pos + _CHUNK], dtype.itemsize)
            mv.release()
        return t


def _decode(node: Any, tensors: List[Any], depth: int = 0) -> Any:
    """The object of a tree node (``tensors``: the loaded tensors, or Nones
    for a validation-only pass)."""
    if depth > 10000:
        raise _fail("the object tree is nested too deeply")
    if node is None or type(node) in (bool, int, str):
        return node
    if type(node) is float:
        if not math.isfinite(node):
            raise _fail("a non-finite float is stored untagged")
        return node
    if type(node) is list:
        return [_decode(v, tensors, depth + 1) for v in node]
    if type(node) is not dict:
        raise _fail(f"invalid node {node!r}")
    kind = node.get("type")
    if kind == "tensor":
        i = node.get("id")
        if not _is_int(i) or not 0 <= i < len(tensors):
            raise _fail(f"a tensor node refers to tensor {i!r} of {len(tensors)}")
        return tensors[i]
    if kind == "int":
        v = node.get("value")
        try:
            if not isinstance(v, str) or not v.lstrip("-").startswith("0x"):
                raise ValueError(v)
            return int(v, 16)
        except ValueError:
            raise _fail(f"invalid int node {node!r}") from None
    if kind == "float":
        v = node.get("value")
        if v not in ("nan", "inf", "-inf"):
            raise _fail(f"invalid float node {node!r}")
        return float(v)
    if kind == "dtype":
        name = node.get("name")
        if not isinstance(name, str) or name not in _DTYPES:
            raise _fail(f"unknown dtype {name!r}")
        return _DTYPES[name]
    items = node.get("items")
    if not isinstance(items, list):
        raise _fail(f"a {kind!r} node has no 'items' list")
    if kind == "tuple":
        return tuple(_decode(v, tensors, depth + 1) for v in items)
    if kind == "Size":
        if not all(_is_int(n) and n >= 0 for n in items):
            raise _fail(f"invalid Size {items!r}")
        return _C.Size(items)
    if kind in ("dict", "OrderedDict"):
        out: Dict[Any, Any] = {} if kind == "dict" else collections.OrderedDict()
        for kv in items:
            if type(kv) is not list or len(kv) != 2:
                raise _fail(f"invalid {kind} item {kv!r}")
            k = _decode(kv[0], tensors, depth + 1)
            if not (k is None or type(k) in (bool, int, float, str)):
                raise _fail(f"invalid {kind} key {kv[0]!r}")
            out[k] = _decode(kv[1], tensors, depth + 1)
        return out
    raise _fail(f"unknown node type {kind!r}")


def _check_map_location(map_location: Any) -> Optional[Callable]:
    """None, or a callable to apply to each loaded tensor."""
    if map_location is None:
        return None
    if callable(map_location) and not isinstance(map_location, (str, dict)):
        return map_location
    locs = list(map_location.values()) if isinstance(map_location, dict) else [map_location]
    for loc in locs:
        s = str(getattr(loc, "type", loc))
        if s.split(":")[0] != "cpu":
            raise RuntimeError(f"rusttorch.load: map_location={map_location!r}: rusttorch tensors live on the CPU only")
    return None


def load(f: FileLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Loads what :func:`save` wrote to ``f`` (a path or a binary file object).

    ``map_location``: None, ``"cpu"``, a cpu device, a dict mapping locations
    to ``"cpu"``, or a callable ``fn(tensor, "cpu")`` whose non-None result
    replaces each loaded tensor (another device raises RuntimeError).
    ``weights_only`` is accepted for torch compatibility: the format holds
    only data, so loading never executes anything either way.

    Every part of the file is validated first (see the module docstring); a
    corrupt, truncated or foreign file raises RuntimeError naming the problem.
    """
    fn = _check_map_location(map_location)
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            return _load(fh, fn, repr(path))
    if not hasattr(f, "read"):
        raise TypeError(f"rusttorch.load: f must be a path or a binary file object, not {type(f).__name__}")
    seekable = getattr(f, "seekable", None)
    if not (callable(seekable) and seekable()):
        f = io.BytesIO(f.read())
    return _load(f, fn, "the file object")


def _load(fh: IO[bytes], fn: Optional[Callable], what: str) -> Any:
    try:
        start = fh.tell()
        size = fh.seek(0, os.SEEK_END) - start
        fh.seek(start)
        try:
            zf = zipfile.ZipFile(fh, "r")
        except Exception as e:  # noqa: BLE001  (BadZipFile, EOFError, OSError, ValueError, struct.error, ...)
            raise _fail(f"not a zip archive ({type(e).__name__}: {e}); is it a rusttorch.save file?") from None
        with zf:
            loader = _Loader(zf, size)
            index = loader.read_index()
            entries = index["tensors"]
            checked = [loader.check_entry(i, e) for i, e in enumerate(entries)]
            _decode(index["root"], [None] * len(entries))  # validate the tree before reading buffers
            tensors: List[Any] = []
            for i, (e, (dtype, shape, nbytes, info)) in enumerate(zip(entries, checked)):
                tensors.append(loader.read_tensor(i, e, dtype, shape, nbytes, info))
    except _Corrupt as e:
        raise RuntimeError(f"rusttorch.load: {what}: {e}") from None
    Parameter = _parameter_class()
    for i, e in enumerate(entries):
        t = tensors[i]
        if e.get("parameter") and Parameter is not None:
            t = Parameter(t, requires_grad=e.get("requires_grad", True))
        elif e.get("requires_grad"):
            t.requires_grad_(True)
        if fn is not None:
            mapped = fn(t, "cpu")
            if mapped is not None:
                t = mapped
        tensors[i] = t
    return _decode(index["root"], tensors)
