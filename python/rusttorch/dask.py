"""rusttorch tensors as dask.array chunks (needs dask; optional for rusttorch).

Importing this module (``import rusttorch.dask``; ``import rusttorch`` does it
when dask.array is already imported, and dask's first tokenization of a
tensor does it too) registers ``rusttorch.Tensor`` with dask.array:

- as a chunk type (``register_chunk_type``), so Dask arrays handle tensors in
  arithmetic instead of deferring to them;
- in dask's dispatch tables for concatenate, tensordot, take, numel and
  empty, as dask/array/backends.py does for CuPy and sparse;
- in dask's tokenizer, by content.

Threads. ``rusttorch.set_num_threads`` is process-wide (one oneTBB
``global_control``), not per thread. A TBB parallel region started by a
thread runs on that thread plus at most ``n - 1`` shared workers, so with
``n = 1`` every Dask thread runs its own rusttorch calls serially, and a
process with T Dask threads runs T rusttorch threads: Dask's thread count is
rusttorch's. Hence:

- local schedulers (threaded, sync): a dask callback sets
  ``threads_per_task()`` (default 1) threads while a compute runs and puts
  the previous count back after the last concurrent compute ends;
- dask.distributed: ``RusttorchWorkerPlugin`` (``install(client)``) sets it
  on every worker process at start-up (workers outlive computes).

``set_threads_per_task(None)`` leaves rusttorch's thread count alone.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any, Optional, Sequence

import dask
import dask.array as da
import numpy as np
from dask.array.backends import _numel_arraylike
from dask.array.dispatch import (
    concatenate_lookup,
    empty_lookup,
    numel_lookup,
    take_lookup,
    tensordot_lookup,
)
from dask.callbacks import Callback
from dask.tokenize import normalize_token

from . import _C
from . import _numpy_protocol as _proto
from ._C import Tensor
from ._numpy_dtype import rusttorch_dtype

__all__ = ["randn", "block_seed", "threads_per_task", "set_threads_per_task", "install", "RusttorchWorkerPlugin"]


# ---------------------------------------------------------------- registration
def _empty(shape: Any, dtype: Any = float, **kwargs: Any) -> Any:
    r = rusttorch_dtype(dtype)
    if r is None or kwargs.get("order", "C") != "C":
        return np.empty(shape, dtype=dtype, **kwargs)
    return _C.empty(tuple(shape) if not isinstance(shape, int) else (shape,), dtype=r)


da.register_chunk_type(Tensor)
concatenate_lookup.register(Tensor, lambda arrays, axis=0: np.concatenate(arrays, axis=axis))
tensordot_lookup.register(Tensor, _proto.tensordot)
take_lookup.register(Tensor, lambda a, indices, axis=None: np.take(a, indices, axis=axis))
numel_lookup.register(Tensor, _numel_arraylike)  # numel results stay tensors, as for CuPy
empty_lookup.register(Tensor, _empty)


@normalize_token.register(Tensor)
def _tokenize_tensor(t: Tensor) -> Any:
    return ("rusttorch.Tensor", normalize_token(t.numpy()))  # NumPy's tokenizer hashes the data


# ---------------------------------------------------------------- random chunks
_seed_lock = threading.Lock()


def _randn_block(seed: int, shape: Sequence[int], dtype: Any) -> Tensor:
    # rusttorch's generator is counter-based with one global seed: seeding and drawing
    # under a lock makes each block depend on its seed only, whatever runs beside it.
    with _seed_lock:
        _C.manual_seed(seed)
        return _C.randn(*shape, dtype=dtype)


def block_seed(seed: int, flat_index: int) -> int:
    """The seed of block ``flat_index`` (row-major block order) of ``randn(..., seed=seed)``."""
    return seed * 1_000_003 + flat_index


def randn(shape: Sequence[int], chunks: Any, seed: int = 0, dtype: Any = _C.float32) -> da.Array:
    """A Dask array of standard normal rusttorch chunks, each drawn where its task
    runs (on the workers, never in the client) with seed ``seed`` and its block
    index. Note: it reseeds rusttorch's default generator in that process."""
    meta = _C.empty((0,) * len(shape), dtype=dtype)
    chunks = da.core.normalize_chunks(chunks, tuple(shape), dtype=np.dtype(dtype))
    blocks = np.empty(tuple(len(c) for c in chunks), dtype=object)
    for flat, idx in enumerate(itertools.product(*(range(len(c)) for c in chunks))):
        bshape = tuple(c[i] for c, i in zip(chunks, idx))
        part = dask.delayed(_randn_block, pure=True)(block_seed(seed, flat), bshape, dtype)
        blocks[idx] = da.from_delayed(part, bshape, dtype=np.dtype(dtype), meta=meta)
    return da.block(blocks.tolist())


# ---------------------------------------------------------------- threads
_lock = threading.Lock()
_threads_per_task: Optional[int] = 1
_active = 0
_saved: Optional[int] = None


def threads_per_task() -> Optional[int]:
    """rusttorch threads per Dask thread while a local dask compute runs (None: untouched)."""
    return _threads_per_task


def set_threads_per_task(n: Optional[int]) -> None:
    global _threads_per_task
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ValueError(f"threads per task must be a positive int or None, got {n!r}")
    _threads_per_task = n


class _ThreadsCallback(Callback):
    """Bounds rusttorch's threads while a local (threaded or sync) compute runs."""

    def _start(self, dsk: Any) -> None:
        global _active, _saved
        with _lock:
            n = _threads_per_task
            if _active == 0:
                _saved = _C.get_num_threads() if n is not None else None
                if n is not None:
                    _C.set_num_threads(n)
            _active += 1

    def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
        global _active, _saved
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                _C.set_num_threads(_saved)
                _saved = None


_callback = _ThreadsCallback()
_callback.register()

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # dask without distributed: local schedulers only
    WorkerPlugin = object  # type: ignore[assignment,misc]


class RusttorchWorkerPlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Sets rusttorch's (process-wide) thread count on each dask.distributed worker
    process at start-up. With the default 1, each Dask thread runs its rusttorch
    calls itself, so a worker with ``nthreads`` Dask threads runs that many
    rusttorch threads in all; with n > 1, its n - 1 TBB workers are shared by
    all the worker's Dask threads."""

    name = "rusttorch-threads"
    idempotent = True

    def __init__(self, threads_per_task: int = 1):
        self.threads_per_task = threads_per_task

    def setup(self, worker: Any) -> None:
        import rusttorch.dask  # noqa: F401  (registers the chunk type in the worker process)

        rusttorch.dask.set_threads_per_task(self.threads_per_task)
        _C.set_num_threads(self.threads_per_task)


def install(client: Any, threads_per_task: int = 1) -> None:
    """Register RusttorchWorkerPlugin on a dask.distributed Client's workers
    (present and future ones)."""
    client.register_plugin(RusttorchWorkerPlugin(threads_per_task))
