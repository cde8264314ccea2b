"""rusttorch.utils.data against torch.utils.data: datasets, random_split,
samplers, default_collate / default_convert, and DataLoader (lengths, batch
shapes and contents, drop_last, option errors, seeded shuffles, and
thread workers giving the batches of num_workers=0)."""
from __future__ import annotations

import collections
import math
import random
import threading
import time
import warnings

import numpy as np
import pytest

import rusttorch as rt
from rusttorch.utils import data as D

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

from helpers import assert_same, dtype_name, to_torch  # noqa: E402

RNG = np.random.default_rng(2024)
Point = collections.namedtuple("Point", ["x", "y"])


def both(a: np.ndarray):
    return rt.from_numpy(a.copy()), torch.from_numpy(a.copy())


def raises_same(f_ours, f_torch):
    """Both raise the same exception type with the same message."""
    with pytest.raises(Exception) as et:
        f_torch()
    with pytest.raises(type(et.value)) as eo:
        f_ours()
    assert str(eo.value) == str(et.value)


def same_tree(o, t):
    """A rusttorch batch `o` has torch batch `t`'s structure, types, dtypes, values."""
    if isinstance(t, torch.Tensor):
        assert_same(o, t)
    elif isinstance(t, dict):
        assert type(o) is type(t) and list(o) == list(t)
        for k in t:
            same_tree(o[k], t[k])
    elif isinstance(t, tuple) and hasattr(t, "_fields"):
        assert type(o) is type(t)
        for a, b in zip(o, t):
            same_tree(a, b)
    elif isinstance(t, (list, tuple)):
        assert type(o) is type(t) and len(o) == len(t)
        for a, b in zip(o, t):
            same_tree(a, b)
    else:
        assert type(o) is type(t) and o == t


# ------------------------------------------------------------------ datasets
def test_dataset_base_and_add():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__"):
        D.Dataset()[0]
    x = rt.arange(6)
    a, b = D.TensorDataset(x[:2]), D.TensorDataset(x[2:])
    c = a + b
    assert isinstance(c, D.ConcatDataset) and len(c) == 6 and int(c[4][0]) == 4


def test_tensor_dataset():
    a = RNG.standard_normal((7, 3)).astype(np.float32)
    lab = RNG.integers(0, 5, 7)
    (xo, xt), (yo, yt) = both(a), both(lab)
    ours, theirs = D.TensorDataset(xo, yo), TD.TensorDataset(xt, yt)
    assert len(ours) == len(theirs) == 7
    for i in (0, 3, 6, -1):
        for o, t in zip(ours[i], theirs[i]):
            assert_same(o, t)
    for o, t in zip(ours[1:5], theirs[1:5]):
        assert_same(o, t)
    raises_same(lambda: D.TensorDataset(xo, yo[:5]), lambda: TD.TensorDataset(xt, yt[:5]))


def test_concat_dataset():
    sizes = [3, 0, 5, 2]
    ours = D.ConcatDataset([list(range(100 * k, 100 * k + n)) for k, n in enumerate(sizes)])
    theirs = TD.ConcatDataset([list(range(100 * k, 100 * k + n)) for k, n in enumerate(sizes)])
    assert len(ours) == len(theirs) == 10 and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-10, 10)] == [theirs[i] for i in range(-10, 10)]
    raises_same(lambda: ours[-11], lambda: theirs[-11])
    raises_same(lambda: D.ConcatDataset([]), lambda: TD.ConcatDataset([]))

    class ItO(D.IterableDataset):
        def __iter__(self):
            return iter([])

    class ItT(TD.IterableDataset):
        def __iter__(self):
            return iter([])

    raises_same(lambda: D.ConcatDataset([ItO()]), lambda: TD.ConcatDataset([ItT()]))


def test_subset_stack_chain():
    base = list(range(10, 20))
    ours, theirs = D.Subset(base, [4, 1, 7]), TD.Subset(base, [4, 1, 7])
    assert len(ours) == 3 and [ours[i] for i in range(3)] == [theirs[i] for i in range(3)]
    assert ours.__getitems__([2, 0]) == theirs.__getitems__([2, 0])
    so = D.StackDataset(base, [str(v) for v in base])
    st = TD.StackDataset(base, [str(v) for v in base])
    assert so[3] == st[3] and so.__getitems__([1, 2]) == st.__getitems__([1, 2]) and len(so) == len(st)
    so = D.StackDataset(a=base, b=base[::-1])
    st = TD.StackDataset(a=base, b=base[::-1])
    assert so[2] == st[2] and so.__getitems__([0, 9]) == st.__getitems__([0, 9])
    raises_same(lambda: D.StackDataset(base, base[:3]), lambda: TD.StackDataset(base, base[:3]))
    raises_same(lambda: D.StackDataset(), lambda: TD.StackDataset())
    raises_same(lambda: D.StackDataset(base, b=base), lambda: TD.StackDataset(base, b=base))

    class R(D.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    ch = R(3) + R(2)
    assert isinstance(ch, D.ChainDataset) and list(ch) == [0, 1, 2, 0, 1] and len(ch) == 5


@pytest.mark.parametrize("n", [0, 1, 7, 10, 33, 100])
def test_random_split_lengths_match_torch_and_partition(n):
    ds = list(range(n))
    fraction_sets = [[0.5, 0.5], [0.3, 0.7], [0.1, 0.2, 0.7], [1 / 3] * 3, [0.25] * 4, [1.0], [0.05, 0.95]]
    for fr in fraction_sets:
        with warnings.catch_warnings(record=True) as wo:
            warnings.simplefilter("always")
            ours = D.random_split(ds, fr, generator=rt.Generator().manual_seed(1))
        with warnings.catch_warnings(record=True) as wt:
            warnings.simplefilter("always")
            theirs = TD.random_split(ds, fr, generator=torch.Generator().manual_seed(1))
        assert [len(s) for s in ours] == [len(s) for s in theirs], fr
        assert [str(w.message) for w in wo] == [str(w.message) for w in wt]
        got = [v for s in ours for v in (s[i] for i in range(len(s)))]
        assert sorted(got) == ds  # a partition
    if n >= 3:
        lens = [1, n - 3, 2]
        ours = D.random_split(ds, lens, generator=rt.Generator().manual_seed(3))
        assert [len(s) for s in ours] == lens
        assert sorted(v for s in ours for v in s.indices) == ds


def test_random_split_generator_and_errors():
    ds = list(range(50))
    a = [s.indices for s in D.random_split(ds, [20, 30], generator=rt.Generator().manual_seed(5))]
    b = [s.indices for s in D.random_split(ds, [20, 30], generator=rt.Generator().manual_seed(5))]
    c = [s.indices for s in D.random_split(ds, [20, 30], generator=rt.Generator().manual_seed(6))]
    assert a == b and a != c
    rt.manual_seed(11)
    d = [s.indices for s in D.random_split(ds, [0.4, 0.6])]
    rt.manual_seed(11)
    e = [s.indices for s in D.random_split(ds, [0.4, 0.6])]
    assert d == e and [len(s) for s in d] == [20, 30]
    raises_same(lambda: D.random_split(ds, [10, 20]), lambda: TD.random_split(ds, [10, 20]))
    raises_same(lambda: D.random_split(ds, [1.5, -0.5]), lambda: TD.random_split(ds, [1.5, -0.5]))


# ------------------------------------------------------------------ samplers
def test_sequential_and_batch_sampler_match_torch():
    for n in (0, 1, 5, 16, 17):
        assert list(D.SequentialSampler(range(n))) == list(TD.SequentialSampler(range(n)))
        assert len(D.SequentialSampler(range(n))) == n
        for bs in (1, 3, 4, 16, 20):
            for dl in (False, True):
                o = D.BatchSampler(D.SequentialSampler(range(n)), bs, dl)
                t = TD.BatchSampler(TD.SequentialSampler(range(n)), bs, dl)
                assert list(o) == list(t) and len(o) == len(t)
    for bad in (0, -1, True, 2.0):
        raises_same(lambda: D.BatchSampler(range(3), bad, False), lambda: TD.BatchSampler(range(3), bad, False))
    raises_same(lambda: D.BatchSampler(range(3), 2, 1), lambda: TD.BatchSampler(range(3), 2, 1))


def test_random_sampler():
    n = 23
    g = rt.Generator().manual_seed(0)
    s = D.RandomSampler(range(n), generator=g)
    first, second = list(s), list(s)
    assert sorted(first) == sorted(second) == list(range(n)) and first != second and len(s) == n
    assert list(D.RandomSampler(range(n), generator=rt.Generator().manual_seed(0))) == first
    # num_samples beyond n: whole permutations, then a prefix of one
    s = D.RandomSampler(range(n), num_samples=2 * n + 5, generator=rt.Generator().manual_seed(1))
    out = list(s)
    assert len(out) == len(s) == 2 * n + 5
    assert sorted(out[:n]) == sorted(out[n:2 * n]) == list(range(n)) and len(set(out[2 * n:])) == 5
    s = D.RandomSampler(range(n), num_samples=5, generator=rt.Generator().manual_seed(1))
    assert len(set(s)) == 5
    # with replacement: num_samples draws in range, repeats happen
    s = D.RandomSampler(range(n), replacement=True, num_samples=100, generator=rt.Generator().manual_seed(2))
    out = list(s)
    assert len(out) == 100 and all(0 <= i < n for i in out) and len(set(out)) < 100
    assert len(list(D.RandomSampler(range(n), replacement=True))) == n
    # without a generator: rusttorch.manual_seed makes it reproducible
    rt.manual_seed(123)
    a = list(D.RandomSampler(range(n)))
    rt.manual_seed(123)
    assert list(D.RandomSampler(range(n))) == a
    raises_same(lambda: D.RandomSampler(range(3), replacement=1), lambda: TD.RandomSampler(range(3), replacement=1))
    for bad in (0, -2, 2.5):
        raises_same(lambda: D.RandomSampler(range(3), num_samples=bad),
                    lambda: TD.RandomSampler(range(3), num_samples=bad))
    raises_same(lambda: D.RandomSampler([]), lambda: TD.RandomSampler([]))


def test_subset_random_and_weighted_samplers():
    idx = [5, 9, 2, 40, 7]
    s = D.SubsetRandomSampler(idx, generator=rt.Generator().manual_seed(4))
    out = list(s)
    assert sorted(out) == sorted(idx) and len(s) == 5
    assert list(D.SubsetRandomSampler(idx, generator=rt.Generator().manual_seed(4))) == out

    w = [0.0, 1.0, 3.0, 0.0, 6.0]
    s = D.WeightedRandomSampler(w, 20000, generator=rt.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == len(s) == 20000
    counts = collections.Counter(out)
    assert counts[0] == counts[3] == 0
    for i, p in ((1, 0.1), (2, 0.3), (4, 0.6)):
        assert abs(counts[i] / 20000 - p) < 0.02
    out = list(D.WeightedRandomSampler(w, 3, replacement=False, generator=rt.Generator().manual_seed(1)))
    assert sorted(out) == [1, 2, 4]
    with pytest.raises(RuntimeError, match="without replacement"):
        list(D.WeightedRandomSampler(w, 4, replacement=False))
    with pytest.raises(RuntimeError, match="< 0"):
        list(D.WeightedRandomSampler([1.0, -1.0], 2))
    for args in (([1.0], 0), ([1.0], 1, 1), ([[1.0]], 1)):
        raises_same(lambda: D.WeightedRandomSampler(*args), lambda: TD.WeightedRandomSampler(*args))


# ------------------------------------------------------------------ collate
def _sample_structures(rng):
    """Lists of samples (rusttorch, torch) of every collatable kind."""
    out = []
    for dt in ("float32", "float64", "int32", "int64", "bool"):
        arrs = [(rng.standard_normal((2, 3)) * 5).astype(dt) for _ in range(4)]
        out.append(([rt.from_numpy(a.copy()) for a in arrs], [torch.from_numpy(a.copy()) for a in arrs]))
    zero_d = [np.float32(rng.standard_normal()) for _ in range(3)]
    out.append(([rt.tensor(float(v)) for v in zero_d], [torch.tensor(float(v)) for v in zero_d]))
    ints = [int(v) for v in rng.integers(-1000, 1000, 5)]
    floats = [float(v) for v in rng.standard_normal(5)]
    bools = [bool(v) for v in rng.integers(0, 2, 5)]
    for py in (ints, floats, bools, ["a", "bb", "c", "d", "e"], [b"x", b"y", b"z", b"w", b"v"]):
        out.append((list(py), list(py)))

    def nested(lib, k):
        a = rng.standard_normal(3).astype(np.float32)
        t = lib.tensor(a.tolist()) if lib is rt else torch.tensor(a.tolist())
        return {"img": t, "label": k, "w": 0.5 * k, "name": f"s{k}", "flag": k % 2 == 0,
                "pair": (k, [t, 2.0]), "pt": Point(k, float(k)), "od": collections.OrderedDict(z=k, a=t)}

    state = rng.bit_generator.state
    ours = [nested(rt, k) for k in range(4)]
    rng.bit_generator.state = state
    theirs = [nested(torch, k) for k in range(4)]
    out.append((ours, theirs))
    np_arrs = [rng.standard_normal((2, 2)).astype(np.float32) for _ in range(3)]
    out.append((np_arrs, [a.copy() for a in np_arrs]))
    np_scalars = [np.int32(v) for v in rng.integers(0, 9, 3)]
    out.append((np_scalars, list(np_scalars)))
    out.append(([(1, "a"), (2, "b")], [(1, "a"), (2, "b")]))
    out.append(([[1, 2.0], [3, 4.0]], [[1, 2.0], [3, 4.0]]))
    return out


def test_default_collate_matches_torch():
    rng = np.random.default_rng(7)
    for ours, theirs in _sample_structures(rng):
        same_tree(D.default_collate(ours), TD.default_collate(theirs))


def test_default_convert_matches_torch():
    a = RNG.standard_normal((2, 3))
    cases = [(a, a), ({"a": a, "b": [a, 1]}, {"a": a, "b": [a, 1]}), ((a, "s"), (a, "s")),
             (Point(a, 2), Point(a, 2)), (3.5, 3.5), (np.float64(2.5), np.float64(2.5)), ("str", "str")]
    for o, t in cases:
        same_tree(D.default_convert(o), TD.default_convert(t))


def test_collate_errors_match_torch():
    o = [rt.ones(2), rt.ones(3)]
    t = [torch.ones(2), torch.ones(3)]
    raises_same(lambda: D.default_collate(o), lambda: TD.default_collate(t))
    raises_same(lambda: D.default_collate([[1, 2], [3]]), lambda: TD.default_collate([[1, 2], [3]]))
    raises_same(lambda: D.default_collate([object(), object()]), lambda: TD.default_collate([object(), object()]))
    raises_same(lambda: D.default_collate([{"a": 1}, {"b": 2}]), lambda: TD.default_collate([{"a": 1}, {"b": 2}]))
    s = np.array(["a", "b"])
    raises_same(lambda: D.default_collate([s, s]), lambda: TD.default_collate([s, s]))


# ---------------------------------------------------------------- DataLoader
class IndexDataset(D.Dataset):
    """Sample i: (a feature row, i); the row is a tensor, i an int."""

    def __init__(self, n, dim=3, seed=0):
        self.x = rt.from_numpy(np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32))
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.x[i], i


class TIndexDataset(TD.Dataset):
    def __init__(self, n, dim=3, seed=0):
        self.x = torch.from_numpy(np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32))
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.x[i], i


@pytest.mark.parametrize("n", [0, 1, 10, 17])
@pytest.mark.parametrize("bs", [1, 4, 17, None])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_batches_match_torch(n, bs, drop_last):
    if bs is None and drop_last:
        raises_same(lambda: D.DataLoader(IndexDataset(n), batch_size=None, drop_last=True),
                    lambda: TD.DataLoader(TIndexDataset(n), batch_size=None, drop_last=True))
        return
    ours = D.DataLoader(IndexDataset(n), batch_size=bs, drop_last=drop_last)
    theirs = TD.DataLoader(TIndexDataset(n), batch_size=bs, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want)
    for o, t in zip(got, want):
        same_tree(o, t)


def test_loader_samplers_and_collate_fn():
    ds, tds = IndexDataset(12), TIndexDataset(12)
    order = [3, 1, 4, 1, 5, 9, 2, 6]
    for kw in (dict(sampler=order, batch_size=3), dict(batch_sampler=[[0, 1], [5], [7, 8, 9]]),
               dict(sampler=order, batch_size=None), dict(batch_size=5, collate_fn=lambda b: [i for _, i in b])):
        o, t = list(D.DataLoader(ds, **kw)), list(TD.DataLoader(tds, **kw))
        assert len(o) == len(t)
        for a, b in zip(o, t):
            same_tree(a, b)
        assert len(D.DataLoader(ds, **kw)) == len(TD.DataLoader(tds, **kw))


def test_loader_shuffle_is_seeded_permutation():
    ds = IndexDataset(29)

    def order(loader):
        return [i for _, idx in loader for i in idx.tolist()]

    a = order(D.DataLoader(ds, batch_size=4, shuffle=True, generator=rt.Generator().manual_seed(0)))
    b = order(D.DataLoader(ds, batch_size=4, shuffle=True, generator=rt.Generator().manual_seed(0)))
    c = order(D.DataLoader(ds, batch_size=4, shuffle=True, generator=rt.Generator().manual_seed(1)))
    assert sorted(a) == list(range(29)) and a == b and a != c
    g = rt.Generator().manual_seed(0)
    loader = D.DataLoader(ds, batch_size=4, shuffle=True, generator=g)
    e1, e2 = order(loader), order(loader)
    assert e1 == a and e1 != e2 and sorted(e2) == list(range(29))  # epochs differ, from one generator
    rt.manual_seed(77)
    d1 = order(D.DataLoader(ds, batch_size=4, shuffle=True))
    rt.manual_seed(77)
    d2 = order(D.DataLoader(ds, batch_size=4, shuffle=True))
    assert d1 == d2 and sorted(d1) == list(range(29))
    dropped = order(D.DataLoader(ds, batch_size=4, shuffle=True, drop_last=True,
                                 generator=rt.Generator().manual_seed(0)))
    assert dropped == a[:28]


@pytest.mark.parametrize("workers", [1, 2, 5])
def test_workers_give_the_batches_of_zero_workers(workers):
    ds = IndexDataset(37, dim=4, seed=3)
    for kw in (dict(batch_size=4), dict(batch_size=5, shuffle=True, drop_last=True),
               dict(batch_size=None), dict(batch_size=3, shuffle=True)):
        seeded = lambda: rt.Generator().manual_seed(9)  # noqa: E731
        ref = list(D.DataLoader(ds, generator=seeded(), **kw))
        got = list(D.DataLoader(ds, generator=seeded(), num_workers=workers, **kw))
        assert len(got) == len(ref)
        for a, b in zip(got, ref):
            assert_same(a[0], to_torch(b[0]))
            assert (a[1].tolist() if isinstance(a[1], rt.Tensor) else a[1]) == \
                (b[1].tolist() if isinstance(b[1], rt.Tensor) else b[1])
    for pf in (1, 3):
        loader = D.DataLoader(ds, batch_size=6, num_workers=workers, prefetch_factor=pf)
        assert [b[1].tolist() for b in loader] == [list(range(i, min(i + 6, 37))) for i in range(0, 37, 6)]


def test_workers_run_in_threads_with_worker_info():
    seen, inits = collections.defaultdict(set), []
    main = threading.get_ident()

    class DS(D.Dataset):
        def __len__(self):
            return 24

        def __getitem__(self, i):
            info = D.get_worker_info()
            assert info is not None and info.num_workers == 3 and info.dataset is ds
            assert threading.get_ident() != main
            seen[info.id].add(threading.get_ident())
            return i

    def init(wid):
        inits.append((wid, D.get_worker_info().id))

    ds = DS()
    out = [b.tolist() for b in D.DataLoader(ds, batch_size=2, num_workers=3, worker_init_fn=init)]
    assert out == [[i, i + 1] for i in range(0, 24, 2)]
    assert sorted(inits) == [(0, 0), (1, 1), (2, 2)] and sorted(seen) == [0, 1, 2]
    assert all(len(v) == 1 for v in seen.values())  # each worker is one thread
    assert D.get_worker_info() is None
    with pytest.raises(RuntimeError, match="Cannot assign attributes"):
        D.WorkerInfo(id=0).id = 1


def test_persistent_workers():
    inits = []
    ds = IndexDataset(10)
    loader = D.DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True, worker_init_fn=inits.append)
    for _ in range(3):
        assert [b[1].tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    it = iter(loader)
    next(it)  # an epoch left half-way, then a new one
    assert [b[1].tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert sorted(inits) == [0, 1]


class Stream(D.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = D.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class TStream(TD.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_iterable_dataset_matches_torch():
    for n, bs, dl in ((10, 3, False), (10, 3, True), (9, 3, True), (5, None, False), (0, 2, False)):
        o = D.DataLoader(Stream(n), batch_size=bs, drop_last=dl)
        t = TD.DataLoader(TStream(n), batch_size=bs, drop_last=dl)
        assert len(o) == len(t)
        got = [b.tolist() if isinstance(b, rt.Tensor) else b for b in o]
        want = [b.tolist() if isinstance(b, torch.Tensor) else b for b in t]
        assert got == want


def test_iterable_dataset_workers_round_robin():
    # torch's order with 2 worker processes over a sharded stream: batches alternate
    # between workers, and an exhausted worker is skipped.
    got = [b.tolist() for b in D.DataLoader(Stream(11), batch_size=2, num_workers=2)]
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9]]
    assert sorted(v for b in got for v in b) == list(range(11))

    class Uneven(D.IterableDataset):
        def __iter__(self):
            return iter(range(7) if D.get_worker_info().id == 0 else range(100, 102))

    got = [b.tolist() for b in D.DataLoader(Uneven(), batch_size=2, num_workers=2)]
    assert got == [[0, 1], [100, 101], [2, 3], [4, 5], [6]]
    # an unsharded stream is duplicated per worker, as torch
    got = [b.tolist() for b in D.DataLoader(TStreamLike(4), batch_size=2, num_workers=2)]
    assert got == [[0, 1], [0, 1], [2, 3], [2, 3]]
    with pytest.warns(UserWarning, match="Length of IterableDataset"):
        loader = D.DataLoader(TStreamLike(4), batch_size=None, num_workers=2)
        len(loader)
        list(loader)


class TStreamLike(D.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_worker_errors_and_timeout():
    class Bad(D.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            if i == 5:
                raise KeyError("bad sample 5")
            return i

    for workers in (0, 2):
        it = iter(D.DataLoader(Bad(), batch_size=2, num_workers=workers))
        assert next(it).tolist() == [0, 1] and next(it).tolist() == [2, 3]
        with pytest.raises(KeyError, match="bad sample 5"):
            next(it)
        assert next(it).tolist() == [6, 7]  # the loader goes on, as torch's

    def bad_init(wid):
        raise ValueError(f"init {wid}")

    with pytest.raises(ValueError, match="init 0"):
        list(D.DataLoader(list(range(4)), num_workers=2, worker_init_fn=bad_init))

    class Slow(D.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            time.sleep(0.5 if i == 0 else 0)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.05 seconds"):
        list(D.DataLoader(Slow(), num_workers=1, timeout=0.05))


def test_loader_option_errors_match_torch():
    ds, tds = IndexDataset(4), TIndexDataset(4)
    cases = [dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(num_workers=1, prefetch_factor=-1),
             dict(persistent_workers=True), dict(shuffle=True, sampler=[0, 1]),
             dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], shuffle=True),
             dict(batch_sampler=[[0]], drop_last=True), dict(batch_sampler=[[0]], sampler=[0]),
             dict(batch_size=None, drop_last=True), dict(multiprocessing_context="fork")]
    for kw in cases:
        raises_same(lambda: D.DataLoader(ds, **kw), lambda: TD.DataLoader(tds, **kw))
    for kw in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        raises_same(lambda: D.DataLoader(Stream(3), **kw), lambda: TD.DataLoader(TStream(3), **kw))
    o, t = D.DataLoader(ds), TD.DataLoader(tds)
    for attr in ("batch_size", "sampler", "drop_last", "dataset"):
        raises_same(lambda: setattr(o, attr, 2), lambda: setattr(t, attr, 2))
    o.num_workers = 0  # others may be set


def test_workers_with_tensor_ops_in_threads():
    # Worker threads running rusttorch ops (which release the GIL) concurrently
    # give the same batches as the main thread.
    a = rt.randn(96, 96)

    class Heavy(D.Dataset):
        def __len__(self):
            return 32

        def __getitem__(self, i):
            x = a * (i + 1)
            for _ in range(4):
                x = rt.tanh(x @ a)
            return x.sum()

    ref = [b.tolist() for b in D.DataLoader(Heavy(), batch_size=4)]
    got = [b.tolist() for b in D.DataLoader(Heavy(), batch_size=4, num_workers=4)]
    assert got == ref


def test_numpy_free():
    """The package's data and serialization code never imports NumPy."""
    import subprocess
    import sys

    code = (
        "import sys, rusttorch as rt\n"
        "for m in [k for k in sys.modules if k == 'numpy' or k.startswith('numpy.')]: del sys.modules[m]\n"
        "sys.modules['numpy'] = None\n"
        "from rusttorch.utils.data import DataLoader, TensorDataset, default_collate, random_split\n"
        "from rusttorch import serialization\n"
        "from rusttorch.optim import lr_scheduler\n"
        "import io\n"
        "x = rt.arange(10.)\n"
        "b = [t for t in DataLoader(TensorDataset(x, x), batch_size=3, shuffle=True, num_workers=2)]\n"
        "assert len(b) == 4 and default_collate([{'a': 1.0}, {'a': 2.0}])['a'].tolist() == [1.0, 2.0]\n"
        "f = io.BytesIO(); serialization.save({'x': x}, f); f.seek(0)\n"
        "assert serialization.load(f)['x'].tolist() == x.tolist()\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
