"""DataLoader: torch.utils.data.DataLoader for rusttorch.

Workers are threads, not processes. With ``num_workers > 0`` the loader
starts ``num_workers`` threads in this process; batch ``i`` goes to worker
``i % num_workers`` (round robin, skipping exhausted workers, as torch), up to
``prefetch_factor * num_workers`` batches are fetched ahead, and batches come
back in sampler order, so the batches are the same as with ``num_workers=0``.
rusttorch ops release the GIL, so tensor work in ``__getitem__`` and
collation overlaps across workers; pure-Python dataset code is serialized by
the GIL as in any thread. Being threads:

* the dataset, collate_fn and worker_init_fn are shared, not pickled copies:
  nothing needs to be picklable, and a dataset's state is visible to all
  workers (keep ``__getitem__`` thread-safe);
* ``multiprocessing_context`` is accepted and ignored, ``pin_memory`` only
  warns (no accelerator), and nothing is reseeded per worker: workers share
  rusttorch's default generator. ``get_worker_info().seed`` is torch's
  per-worker seed (base seed + worker id), for a per-worker Generator;
* an exception in a worker is re-raised unchanged in the iterating thread at
  that batch's position; ``timeout`` bounds the wait for one batch
  (RuntimeError, as torch);
* ``worker_init_fn(worker_id)`` runs in each worker thread when it starts;
  with ``persistent_workers=True`` the threads (and what worker_init_fn set
  up) live across epochs, as torch's worker processes do.

An IterableDataset is iterated once per worker (``iter(dataset)`` called in
the worker thread, where ``get_worker_info()`` tells the worker apart), as
torch does with its worker processes.
"""
from __future__ import annotations

import collections
import concurrent.futures
import itertools
import math
import queue
import threading
import warnings
import weakref
from typing import Any, Callable, Iterable, List, Optional

from ... import _C
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import WorkerInfo, _set_worker_info

__all__ = ["DataLoader"]


class _DatasetKind:
    Map = 0
    Iterable = 1


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: ``None`` forever."""

    def __iter__(self):  # type: ignore[override]
        while True:
            yield None


# ----------------------------------------------------------------- fetchers
class _MapDatasetFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.auto_collation:
            getitems = getattr(self.dataset, "__getitems__", None)
            if getitems:
                data = getitems(possibly_batched_index)
            else:
                data = [self.dataset[idx] for idx in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, possibly_batched_index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def _make_fetcher(kind: int, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> Any:
    cls = _MapDatasetFetcher if kind == _DatasetKind.Map else _IterableDatasetFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


# ------------------------------------------------------------ worker threads
_STOP = object()  # a worker's iterable dataset is exhausted


class _Epoch:
    """What the tasks of one pass over the data share: each worker's fetcher
    (made lazily in that worker's thread, so an IterableDataset's __iter__ sees
    the worker's get_worker_info())."""

    def __init__(self, kind: int, dataset: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool,
                 num_workers: int) -> None:
        self.args = (kind, dataset, auto_collation, collate_fn, drop_last)
        self.fetchers: List[Any] = [None] * num_workers
        self.cancelled = False

    def run(self, worker_id: int, index: Any) -> Any:
        if self.cancelled:
            return _STOP
        fetcher = self.fetchers[worker_id]
        if fetcher is None:
            fetcher = self.fetchers[worker_id] = _make_fetcher(*self.args)
        try:
            return fetcher.fetch(index)
        except StopIteration:
            return _STOP


def _worker_loop(tasks: "queue.Queue", info: WorkerInfo, worker_init_fn: Optional[Callable]) -> None:
    _set_worker_info(info)
    init_error: Optional[BaseException] = None
    if worker_init_fn is not None:
        try:
            worker_init_fn(info.id)
        except BaseException as e:  # noqa: BLE001  (re-raised in the iterating thread)
            init_error = e
    while True:
        task = tasks.get()
        if task is None:
            break
        epoch, index, future = task
        if not future.set_running_or_notify_cancel():
            continue
        if init_error is not None:
            future.set_exception(init_error)
            continue
        try:
            future.set_result(epoch.run(info.id, index))
        except BaseException as e:  # noqa: BLE001
            future.set_exception(e)
        del task, epoch, index, future


class _WorkerPool:
    """``num_workers`` daemon threads, each with its own task queue (a worker
    runs its tasks in order: an IterableDataset iterator is not thread-safe)."""

    def __init__(self, num_workers: int, base_seed: int, dataset: Any, worker_init_fn: Optional[Callable]) -> None:
        self.queues: List[queue.Queue] = [queue.Queue() for _ in range(num_workers)]
        self.threads = []
        for i in range(num_workers):
            info = WorkerInfo(id=i, num_workers=num_workers, seed=base_seed + i, dataset=dataset)
            t = threading.Thread(target=_worker_loop, args=(self.queues[i], info, worker_init_fn),
                                 name=f"rusttorch-DataLoader-worker-{i}", daemon=True)
            t.start()
            self.threads.append(t)
        self._finalizer = weakref.finalize(self, _WorkerPool._stop, self.queues)

    def submit(self, worker_id: int, epoch: _Epoch, index: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.queues[worker_id].put((epoch, index, future))
        return future

    @staticmethod
    def _stop(queues: List[queue.Queue]) -> None:
        for q in queues:
            q.put(None)

    def shutdown(self) -> None:
        self._finalizer()  # once


# ----------------------------------------------------------------- iterators
class _BaseDataLoaderIter:
    def __init__(self, loader: "DataLoader") -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter: Any = iter(self._index_sampler)
        # torch draws the base seed from the loader's generator (the default
        # one without) for every iterator, shuffled or not, before the first index.
        gen = loader.generator
        seed_t = (_C.randint(0, 2**62, (), dtype=_C.int64, generator=gen) if gen is not None
                  else _C.randint(0, 2**62, (), dtype=_C.int64))
        self._base_seed = int(seed_t.item())
        self._persistent_workers = loader.persistent_workers
        self._num_yielded = 0

    def __iter__(self) -> "_BaseDataLoaderIter":
        return self

    def _reset(self, loader: "DataLoader", first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self) -> Any:
        return next(self._sampler_iter)  # may raise StopIteration

    def _next_data(self) -> Any:
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        if (self._dataset_kind == _DatasetKind.Iterable and self._IterableDataset_len_called is not None
                and self._num_yielded > self._IterableDataset_len_called):
            warn_msg = (f"Length of IterableDataset {self._dataset} was reported to be "
                        f"{self._IterableDataset_len_called}(when accessing len(dataloader)), but "
                        f"{self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                warn_msg += ("For multi-worker data-loading, this could be caused by not properly configuring the "
                             "IterableDataset replica at each worker (see get_worker_info()).")
            warnings.warn(warn_msg, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self) -> Any:
        raise NotImplementedError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader: "DataLoader") -> None:
        super().__init__(loader)
        assert self._timeout == 0
        assert self._num_workers == 0
        self._fetcher = _make_fetcher(self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn,
                                      self._drop_last)

    def _next_data(self) -> Any:
        index = self._next_index()  # may raise StopIteration
        return self._fetcher.fetch(index)  # may raise StopIteration


class _ThreadedDataLoaderIter(_BaseDataLoaderIter):
    """Prefetches batches on worker threads and yields them in order."""

    def __init__(self, loader: "DataLoader") -> None:
        super().__init__(loader)
        assert self._num_workers > 0
        self._prefetch = max(1, (loader.prefetch_factor or 0) * self._num_workers)
        self._pool: Optional[_WorkerPool] = _WorkerPool(self._num_workers, self._base_seed, self._dataset,
                                                        loader.worker_init_fn)
        self._start_epoch()

    def _start_epoch(self) -> None:
        self._epoch = _Epoch(self._dataset_kind, self._dataset, self._auto_collation, self._collate_fn,
                             self._drop_last, self._num_workers)
        self._tasks: collections.deque = collections.deque()
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        self._sampler_done = False
        for _ in range(self._prefetch):
            self._try_put_index()

    def _reset(self, loader: "DataLoader", first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._epoch.cancelled = True  # tasks of the previous pass still queued finish at once
        self._start_epoch()

    def _try_put_index(self) -> None:
        if self._sampler_done or self._pool is None:
            return
        for _ in range(self._num_workers):  # the next active worker, round robin
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return
        try:
            index = self._next_index()
        except StopIteration:
            self._sampler_done = True
            return
        self._tasks.append((worker_id, self._pool.submit(worker_id, self._epoch, index)))

    def _next_data(self) -> Any:
        while True:
            if not self._tasks:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            worker_id, future = self._tasks.popleft()
            if not self._workers_status[worker_id]:
                continue  # a task of a worker whose iterable dataset has ended
            try:
                data = future.result(timeout=self._timeout if self._timeout > 0 else None)
            except concurrent.futures.TimeoutError:
                self._try_put_index()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
            except BaseException:
                self._try_put_index()
                raise
            if data is _STOP:
                self._workers_status[worker_id] = False
                self._try_put_index()
                continue
            self._try_put_index()
            return data

    def _shutdown_workers(self) -> None:
        if self._pool is not None:
            self._epoch.cancelled = True
            self._pool.shutdown()
            self._pool = None

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:  # noqa: BLE001  (interpreter shutdown)
            pass


# ---------------------------------------------------------------- DataLoader
class DataLoader:
    """Iterates a dataset in batches, as torch.utils.data.DataLoader.

    Arguments as torch: ``batch_size`` (None: no batching; samples go through
    ``default_convert``), ``shuffle`` (a RandomSampler over ``generator``),
    ``sampler``, ``batch_sampler``, ``num_workers``, ``collate_fn``
    (``default_collate`` when batching), ``pin_memory``, ``drop_last``,
    ``timeout``, ``worker_init_fn``, ``multiprocessing_context``,
    ``generator``, and the keywords ``prefetch_factor`` (default 2 with
    workers), ``persistent_workers``, ``pin_memory_device``, ``in_order``.

    ``num_workers > 0`` uses worker **threads**, not processes (see the module
    docstring): same batches, in the same order, as ``num_workers=0``.

    The shuffle order is a function of ``generator`` (a rusttorch.Generator);
    without one, of rusttorch's default generator, so ``rusttorch.manual_seed``
    makes it reproducible. Orders differ from torch's (another generator).
    """

    __initialized = False

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Optional[Iterable] = None, batch_sampler: Optional[Iterable] = None,
                 num_workers: int = 0, collate_fn: Optional[Callable] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable] = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: Optional[int] = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        elif num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process loading "
                             f"(num_workers > 0), but got num_workers={num_workers}")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context  # accepted; workers are threads
        self.in_order = in_order  # batches always come in order (allowed with in_order=False too)

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
            elif batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                                 "drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)

        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator

        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers

        self.__initialized = True
        self._IterableDataset_len_called: Optional[int] = None
        self._iterator: Optional[_BaseDataLoaderIter] = None

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _ThreadedDataLoaderIter(self)

    def __setattr__(self, attr: str, val: Any) -> None:
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                           "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    def __iter__(self) -> _BaseDataLoaderIter:
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)  # type: ignore[arg-type]
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)
