"""Samplers: torch.utils.data's Sampler, SequentialSampler, RandomSampler,
SubsetRandomSampler, WeightedRandomSampler and BatchSampler.

Random samplers draw from the ``generator`` given (a rusttorch.Generator), or,
without one, from a fresh generator seeded by rusttorch's default generator
at the start of each pass, so ``rusttorch.manual_seed`` makes them
reproducible. The orders are rusttorch's, not torch's (the generators are
different), but the semantics are torch's.
"""
from __future__ import annotations

import bisect
import itertools
import math
from typing import Any, Generic, Iterable, Iterator, List, Optional, Sequence, Sized, TypeVar

from ... import _C

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)


def _fresh_generator() -> Any:
    """A new generator seeded from the default generator (torch's RandomSampler
    does the same, so one pass does not depend on others' draws)."""
    seed = int(_C.randint(0, 2**62, (), dtype=_C.int64).item())
    return _C.Generator().manual_seed(seed)


class Sampler(Generic[T_co]):
    """Base class of samplers: ``__iter__`` yields indices (or lists of
    indices, for batch samplers); ``__len__`` is optional."""

    def __init__(self, data_source: Optional[Sized] = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random permutation of the indices (``num_samples`` of them, with
    successive permutations when it exceeds the length), or, with
    ``replacement``, ``num_samples`` uniform draws."""

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: Optional[int] = None,
                 generator: Any = None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = self.generator if self.generator is not None else _fresh_generator()
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from _C.randint(0, n, (32,), dtype=_C.int64, generator=generator).tolist()
            yield from _C.randint(0, n, (self.num_samples % 32,), dtype=_C.int64, generator=generator).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from _C.randperm(n, generator=generator).tolist()
            yield from _C.randperm(n, generator=generator).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order (without replacement)."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        perm = (_C.randperm(len(self.indices), generator=self.generator) if self.generator is not None
                else _C.randperm(len(self.indices)))
        for i in perm.tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices of ``range(len(weights))`` drawn with
    probabilities proportional to ``weights`` (with or without replacement),
    like torch.multinomial."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = _C.tensor(weights, dtype=_C.float64)
        if len(w.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        self.weights = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        w = [float(x) for x in self.weights.tolist()]
        if any(not math.isfinite(x) for x in w):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if any(x < 0 for x in w):
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        total = math.fsum(w)
        if total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        nonzero = sum(1 for x in w if x > 0)
        if not self.replacement and self.num_samples > nonzero:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        gen = self.generator if self.generator is not None else _fresh_generator()
        u = _C.rand(self.num_samples if self.replacement else len(w), dtype=_C.float64, generator=gen).tolist()
        if self.replacement:  # inverse CDF
            cdf = list(itertools.accumulate(w))
            last = max(i for i, x in enumerate(w) if x > 0)
            yield from (min(bisect.bisect_right(cdf, ui * total), last) for ui in u)
        else:  # Efraimidis-Spirakis: the num_samples largest keys u^(1/w)
            keys = [(math.log(ui) / x if x > 0 and ui > 0 else -math.inf, i)
                    for i, (ui, x) in enumerate(zip(u, w))]
            keys.sort(key=lambda k: k[0], reverse=True)
            yield from (i for _, i in keys[: self.num_samples])

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[List[int]]):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last
    one shorter, or dropped with ``drop_last``)."""

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[List[int]]:
        sampler_iter = iter(self.sampler)
        if self.drop_last:
            args = [sampler_iter] * self.batch_size
            for batch in zip(*args):
                yield [*batch]
        else:
            batch = [*itertools.islice(sampler_iter, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(sampler_iter, self.batch_size)]

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size  # type: ignore[arg-type]
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size  # type: ignore[arg-type]
