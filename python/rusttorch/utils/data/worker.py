"""DataLoader worker information: get_worker_info() and WorkerInfo.

rusttorch's DataLoader workers are threads of the main process, so the info
is thread-local: ``get_worker_info()`` returns the calling worker thread's
WorkerInfo, and None in the main thread (or any thread that is not a
DataLoader worker).
"""
from __future__ import annotations

import threading
from typing import Any, Optional

__all__ = ["WorkerInfo", "get_worker_info"]

_local = threading.local()


class WorkerInfo:
    """``id`` (0 ... num_workers - 1), ``num_workers``, ``seed`` (the loader
    iterator's base seed plus ``id``, as torch) and ``dataset`` (the
    DataLoader's dataset: the same object in every worker, not a copy)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    __initialized = False

    def __init__(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key: str, val: Any) -> None:
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = [f"{k}={getattr(self, k)}" for k in self.__keys]
        return f"{self.__class__.__name__}({', '.join(items)})"


def get_worker_info() -> Optional[WorkerInfo]:
    """The WorkerInfo of the DataLoader worker thread that calls it, else None.

    Use it in ``IterableDataset.__iter__`` (to shard the stream between
    workers) or in ``worker_init_fn``. Worker threads share rusttorch's default
    generator (they are threads): for per-worker randomness make a
    ``rusttorch.Generator().manual_seed(get_worker_info().seed)``.
    """
    return getattr(_local, "info", None)


def _set_worker_info(info: Optional[WorkerInfo]) -> None:
    _local.info = info
