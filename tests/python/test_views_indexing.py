"""Views, indexing (basic and advanced, read and write), joining and
splitting, differential against torch."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rusttorch as rt
from helpers import DTYPES, assert_same, random_array

torch = pytest.importorskip("torch")

seeds = st.integers(0, 2**32 - 1)
dtypes = st.sampled_from(DTYPES)


def both(a: np.ndarray):
    return (rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a.copy())), torch.from_numpy(np.array(a, copy=True))


def compare(f_rt, f_torch):
    try:
        expected = f_torch()
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            f_rt()
        return None
    got = f_rt()
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same(g, e)
    else:
        assert_same(got, expected)
    return got


# ---------------------------------------------------------------- indexing
@st.composite
def index_specs(draw):
    """A tensor shape and an index for it: tokens turned into real index objects per library."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    tokens = []
    dim = 0
    used_ellipsis = False
    n_items = draw(st.integers(0, len(shape) + 2))
    for _ in range(n_items):
        kinds = ["none"]
        if dim < len(shape):
            kinds += ["int", "slice", "slice", "tensor", "mask"]
        if not used_ellipsis:
            kinds.append("ellipsis")
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            n = shape[dim]
            tokens.append(("int", draw(st.integers(-n - 1, n)) if n else draw(st.integers(-1, 1))))
            dim += 1
        elif kind == "slice":
            n = shape[dim]
            start = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            step = draw(st.one_of(st.none(), st.integers(1, 3)))
            tokens.append(("slice", slice(start, stop, step)))
            dim += 1
        elif kind == "tensor":
            n = shape[dim]
            ishape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
            vals = draw(st.lists(st.integers(-n, n - 1) if n else st.just(0), min_size=int(np.prod(ishape)),
                                 max_size=int(np.prod(ishape))))
            tokens.append(("tensor", np.array(vals, dtype=np.int64).reshape(ishape)))
            dim += 1
        elif kind == "mask":
            k = draw(st.integers(1, len(shape) - dim))
            mshape = shape[dim:dim + k]
            vals = draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)), max_size=int(np.prod(mshape))))
            tokens.append(("mask", np.array(vals, dtype=np.bool_).reshape(mshape)))
            dim += k
        elif kind == "ellipsis":
            tokens.append(("ellipsis", None))
            used_ellipsis = True
        else:
            tokens.append(("none", None))
    as_tuple = draw(st.booleans()) or len(tokens) != 1
    return shape, tokens, as_tuple


def build(tokens, as_tuple, lib):
    items = []
    for kind, v in tokens:
        if kind in ("int", "slice"):
            items.append(v)
        elif kind == "none":
            items.append(None)
        elif kind == "ellipsis":
            items.append(Ellipsis)
        else:
            items.append(rt.tensor(v) if lib is rt else torch.from_numpy(v.copy()))
    return tuple(items) if as_tuple else items[0]


@given(spec=index_specs(), da=dtypes, seed=seeds)
def test_getitem(spec, da, seed):
    shape, tokens, as_tuple = spec
    a = random_array(np.random.default_rng(seed), shape, da)
    ra, ta = both(a)
    compare(lambda: ra[build(tokens, as_tuple, rt)], lambda: ta[build(tokens, as_tuple, torch)])


@given(spec=index_specs(), da=dtypes, seed=seeds, scalar_value=st.booleans())
def test_setitem(spec, da, seed, scalar_value):
    shape, tokens, as_tuple = spec
    rng = np.random.default_rng(seed)
    a = random_array(rng, shape, da)
    ra, ta = both(a)
    ir, it = build(tokens, as_tuple, rt), build(tokens, as_tuple, torch)
    try:
        target = ta[it]
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            ra[ir] = 1
        return
    if scalar_value:
        v = 7 if da != "bool" else True
        rv, tv = v, v
    else:
        vals = random_array(rng, tuple(target.shape), da)
        rv, tv = both(vals)
    has_duplicates = any(k == "tensor" and len(np.unique(v)) != v.size for k, v in tokens)
    if has_duplicates and not scalar_value:
        return  # which duplicate write wins is unspecified in torch
    ta[it] = tv
    ra[ir] = rv
    assert_same(ra, ta)


def test_getitem_examples():
    r, t = rt.arange(24.).reshape(2, 3, 4), torch.arange(24.).reshape(2, 3, 4)
    for idx in [0, -1, (1, 2), (1, -1, 3), slice(None), (slice(None), 1), (..., 1), (None, 0), (0, None, ..., None),
                (slice(1, None), slice(None, None, 2)), [0, 1], [[0, 1], [1, 0]], ([0, 1], [2, 0]),
                (slice(None), [0, 2], [1, 3]), (0, slice(None), [1, 2]), ([0, 1], slice(None), [1, 2]),
                True, False, (True, 0), (..., None)]:
        ti = idx if not isinstance(idx, list) else torch.tensor(idx)
        ri = idx if not isinstance(idx, list) else rt.tensor(idx)
        if isinstance(idx, tuple):
            ti = tuple(torch.tensor(i) if isinstance(i, list) else i for i in idx)
        compare(lambda: r[ri], lambda: t[ti])
        compare(lambda: r[idx], lambda: t[ti])  # Python lists work as index tensors
    assert_same(r[r > 10], t[t > 10])
    assert_same(r[0][r[0] > 2], t[0][t[0] > 2])
    assert_same(r[np.array([1, 0])], t[torch.tensor([1, 0])])
    assert_same(r[rt.tensor([1, 0], dtype=rt.int32)], t[torch.tensor([1, 0], dtype=torch.int32)])
    assert_same(r[rt.tensor(1)], t[torch.tensor(1)])


@pytest.mark.parametrize("idx,exc", [
    (5, IndexError), (-3, IndexError), ((0, 0, 0, 0), IndexError), ("a", IndexError), (1.5, IndexError),
    ([0.5], IndexError), (rt.tensor([True]), IndexError), ((..., ..., 0), IndexError), ([5], IndexError),
    (slice(None, None, -1), ValueError), (slice(None, None, 0), ValueError),
])
def test_getitem_errors(idx, exc):
    r = rt.zeros(2, 3, 4)
    with pytest.raises(exc):
        r[idx]


def test_index_0d():
    r, t = rt.tensor(3.5), torch.tensor(3.5)
    compare(lambda: r[...], lambda: t[...])
    compare(lambda: r[None], lambda: t[None])
    compare(lambda: r[0], lambda: t[0])
    r[...] = 2
    assert r.item() == 2.0


def test_setitem_views_and_broadcast():
    r, t = rt.zeros(3, 4), torch.zeros(3, 4)
    for idx, val in [(0, 1.0), ((slice(None), 1), [1.0, 2.0, 3.0]), ((1, slice(1, 3)), 5), (..., 0.5),
                     ((slice(None, None, 2), slice(None)), [[9.0, 8.0, 7.0, 6.0]])]:
        t[idx] = torch.tensor(val) if isinstance(val, list) else val
        r[idx] = val
        assert_same(r, t)
    ri = rt.zeros(3, dtype=rt.int64)
    ri[0] = 2.7  # converted as torch does
    assert ri.tolist() == [2, 0, 0]
    with pytest.raises(RuntimeError):
        r[0] = rt.ones(5)
    with pytest.raises(TypeError):
        del r[0]
    # a value that is neither a number, a tensor nor a sequence: TypeError, as torch
    for idx in (0, slice(None), (0, 1), rt.tensor([True, False, True])):
        for bad in ("a", None, object(), {}):
            tidx = torch.tensor(idx.tolist()) if isinstance(idx, rt.Tensor) else idx
            with pytest.raises(TypeError):
                t[tidx] = bad
            with pytest.raises(TypeError):
                r[idx] = bad
    m = rt.zeros(2, 3)
    m[m == 0] = rt.arange(6.)
    assert m.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_setitem_through_views_shares_storage():
    base = rt.zeros(4, 4)
    v = base[1:3, ::2]
    v[...] = 1
    assert base.sum if False else True
    assert base.tolist()[1] == [1.0, 0.0, 1.0, 0.0]
    assert base.tolist()[0] == [0.0] * 4


# ---------------------------------------------------------------- views
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), da=dtypes, seed=seeds,
       data=st.data())
def test_view_ops(shape, da, seed, data):
    a = random_array(np.random.default_rng(seed), shape, da)
    ra, ta = both(a)
    nd = len(shape)
    n = int(np.prod(shape))
    compare(lambda: ra.reshape(-1), lambda: ta.reshape(-1))
    compare(lambda: ra.flatten(), lambda: ta.flatten())
    compare(lambda: ra.contiguous(), lambda: ta.contiguous())
    compare(lambda: ra.T, lambda: ta.permute(*reversed(range(nd))) if nd else ta)
    if nd <= 2:
        compare(lambda: ra.t(), lambda: ta.t())
    if nd >= 2:
        compare(lambda: ra.mT, lambda: ta.mT)
    d0 = data.draw(st.integers(-nd - 1, nd)) if nd else 0
    d1 = data.draw(st.integers(-nd - 1, nd)) if nd else 0
    compare(lambda: ra.transpose(d0, d1), lambda: ta.transpose(d0, d1))
    compare(lambda: rt.transpose(ra, d0, d1), lambda: torch.transpose(ta, d0, d1))
    compare(lambda: ra.unsqueeze(d0), lambda: ta.unsqueeze(d0))
    compare(lambda: ra.squeeze(), lambda: ta.squeeze())
    compare(lambda: ra.squeeze(d0), lambda: ta.squeeze(d0))
    perm = data.draw(st.permutations(list(range(nd))))
    compare(lambda: ra.permute(*perm), lambda: ta.permute(*perm))
    compare(lambda: ra.permute(perm), lambda: ta.permute(perm))
    compare(lambda: ra.permute(dims=perm), lambda: ta.permute(dims=perm))
    compare(lambda: rt.permute(ra, perm), lambda: torch.permute(ta, perm))
    if nd:
        s, e = sorted((data.draw(st.integers(0, nd - 1)), data.draw(st.integers(0, nd - 1))))
        compare(lambda: ra.flatten(s, e), lambda: ta.flatten(s, e))
        d = data.draw(st.integers(0, nd - 1))
        start = data.draw(st.integers(0, shape[d]))
        length = data.draw(st.integers(0, shape[d] - start))
        compare(lambda: ra.narrow(d, start, length), lambda: ta.narrow(d, start, length))
        if shape[d]:
            i = data.draw(st.integers(-shape[d], shape[d] - 1))
            compare(lambda: ra.select(d, i), lambda: ta.select(d, i))
    # reshape to a random factorisation, and view when torch can
    new = data.draw(st.sampled_from([(n,), (1, n), (n, 1), (-1,), (n, -1) if n else (0, 1), ()] if n != 1 else [(1,), ()]))
    compare(lambda: ra.reshape(new), lambda: ta.reshape(new))
    compare(lambda: ra.reshape(*new), lambda: ta.reshape(*new))
    compare(lambda: ra.view(new), lambda: ta.view(new))
    tt, rr = (ta.transpose(0, -1), ra.transpose(0, -1)) if nd >= 2 else (ta, ra)
    compare(lambda: rr.view(-1), lambda: tt.view(-1))
    compare(lambda: rr.reshape(-1), lambda: tt.reshape(-1))
    ex = tuple(data.draw(st.sampled_from([s, 1, 3] if s == 1 else [s, -1])) for s in shape)
    lead = data.draw(st.sampled_from([(), (2,)]))
    compare(lambda: ra.expand(*(lead + ex)), lambda: ta.expand(*(lead + ex)))
    compare(lambda: ra.expand(lead + ex), lambda: ta.expand(lead + ex))


def test_views_share_storage():
    r = rt.arange(12.).reshape(3, 4)
    for v in (r[1], r[:, 1], r.T, r.transpose(0, 1), r.view(12), r.reshape(2, 6), r.unsqueeze(0), r.flatten(),
              r.narrow(1, 1, 2), r.select(0, 2), r[None], r[..., ::2], r.expand(2, 3, 4), r.permute(1, 0)):
        assert v.data_ptr() >= r.data_ptr()
        assert v.data_ptr() < r.data_ptr() + r.numel() * r.element_size()
    v = r.T
    v[0, 0] = 100
    assert r[0, 0].item() == 100
    assert not r.T.is_contiguous() and r.is_contiguous()
    assert r.T.contiguous().is_contiguous()
    assert r.T.stride() == (1, 4)
    assert r.stride() == (4, 1) and r.stride(0) == 4 and r.stride(-1) == 1


def test_view_errors():
    r, t = rt.zeros(2, 3), torch.zeros(2, 3)
    for f in (lambda x: x.view(4), lambda x: x.T.view(6), lambda x: x.reshape(-1, -1), lambda x: x.permute(0),
              lambda x: x.permute(0, 0), lambda x: x.transpose(0, 5), lambda x: x.expand(3), lambda x: x.expand(3, 3),
              lambda x: x.squeeze(3), lambda x: x.unsqueeze(4), lambda x: x.narrow(0, 1, 5), lambda x: x.select(2, 0),
              lambda x: x.select(0, 5), lambda x: x.flatten(1, 0), lambda x: x.size(2), lambda x: x.stride(-3),
              lambda x: torch.zeros(2, 3, 4).t() if x is t else rt.zeros(2, 3, 4).t(), lambda x: x.view(-2, 3),
              lambda x: x.permute(1, 0, dims=(1, 0)), lambda x: x.permute(dims=(0,))):
        compare(lambda: f(r), lambda: f(t))


# ---------------------------------------------------------------- joining / splitting
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4), dts=st.lists(dtypes, min_size=1, max_size=4),
       seed=seeds, data=st.data())
def test_cat_stack(shape, dts, seed, data):
    rng = np.random.default_rng(seed)
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    arrs = []
    for d in dts:
        s = list(shape)
        s[dim] = data.draw(st.integers(0, 3))
        arrs.append(random_array(rng, tuple(s), d))
    pairs = [both(a) for a in arrs]
    rs, ts = [p[0] for p in pairs], [p[1] for p in pairs]
    compare(lambda: rt.cat(rs, dim), lambda: torch.cat(ts, dim))
    compare(lambda: rt.cat(tuple(rs), dim=dim), lambda: torch.cat(tuple(ts), dim=dim))
    compare(lambda: rt.concat(rs, dim=dim), lambda: torch.concat(ts, dim=dim))
    same = [both(random_array(rng, shape, d)) for d in dts]
    sd = data.draw(st.integers(-nd - 1, nd))
    compare(lambda: rt.stack([p[0] for p in same], sd), lambda: torch.stack([p[1] for p in same], sd))
    ro, to = rt.empty(0), torch.empty(0)
    compare(lambda: rt.cat(rs, dim, out=ro), lambda: torch.cat(ts, dim, out=to))


def test_cat_stack_errors():
    for f in (lambda m: m.cat([m.zeros(2, 3), m.zeros(3, 2)]), lambda m: m.cat([]),
              lambda m: m.stack([m.zeros(2, 3), m.zeros(3, 2)]), lambda m: m.stack([]),
              lambda m: m.cat([m.zeros(2), m.zeros(2, 2)]), lambda m: m.cat([m.tensor(1.0)]),
              lambda m: m.cat([m.zeros(2)], dim=2), lambda m: m.cat([1, 2]),
              # a tensor is not a sequence of tensors to torch (TypeError), whatever its shape
              lambda m: m.cat(m.zeros(2, 3)), lambda m: m.cat(m.zeros(2)), lambda m: m.stack(m.zeros(2, 3)),
              lambda m: m.cat(m.zeros(2, 3), dim=1), lambda m: m.concat(m.zeros(2, 3))):
        compare(lambda: f(rt), lambda: f(torch))
    assert_same(rt.cat([rt.zeros(2, 3), rt.zeros(0)]), torch.cat([torch.zeros(2, 3), torch.zeros(0)]))


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6), seed=seeds, data=st.data())
def test_split_chunk_unbind(shape, seed, data):
    a = random_array(np.random.default_rng(seed), shape, "float32")
    ra, ta = both(a)
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    size = shape[dim]
    s = data.draw(st.integers(0, 4))
    compare(lambda: ra.split(s, dim), lambda: ta.split(s, dim))
    compare(lambda: rt.split(ra, s, dim), lambda: torch.split(ta, s, dim))
    parts = data.draw(st.lists(st.integers(0, 3), max_size=4))
    if sum(parts) != size and data.draw(st.booleans()):
        parts = parts + [size - sum(parts)] if size >= sum(parts) else parts
    compare(lambda: ra.split(parts, dim), lambda: ta.split(parts, dim))
    c = data.draw(st.integers(0, 5))
    compare(lambda: ra.chunk(c, dim), lambda: ta.chunk(c, dim))
    compare(lambda: rt.chunk(ra, c, dim), lambda: torch.chunk(ta, c, dim))
    compare(lambda: ra.unbind(dim), lambda: ta.unbind(dim))
    compare(lambda: rt.unbind(ra, dim), lambda: torch.unbind(ta, dim))


@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), da=dtypes, seed=seeds)
def test_nonzero(shape, da, seed):
    a = random_array(np.random.default_rng(seed), shape, da, low=-1, high=2)
    ra, ta = both(a)
    compare(lambda: rt.nonzero(ra), lambda: torch.nonzero(ta))
    compare(lambda: ra.nonzero(), lambda: ta.nonzero())
    compare(lambda: rt.nonzero(ra, as_tuple=True), lambda: torch.nonzero(ta, as_tuple=True))


def test_index_select_masked_fill():
    r, t = rt.arange(12.).reshape(3, 4), torch.arange(12.).reshape(3, 4)
    for dim in (0, 1, -1):
        idx = [2, 0, 2] if dim == 0 else [3, 1]
        assert_same(r.index_select(dim, rt.tensor(idx)), t.index_select(dim, torch.tensor(idx)))
        assert_same(rt.index_select(r, dim, rt.tensor(idx)), torch.index_select(t, dim, torch.tensor(idx)))
    m_r, m_t = r > 5, t > 5
    assert_same(r.masked_fill(m_r, -1.0), t.masked_fill(m_t, -1.0))
    assert_same(rt.masked_fill(r, m_r, 2), torch.masked_fill(t, m_t, 2))
    assert_same(r.masked_fill(m_r[0], 0.5), t.masked_fill(m_t[0], 0.5))
    r2, t2 = r.clone(), t.clone()
    assert r2.masked_fill_(m_r, 7) is r2
    t2.masked_fill_(m_t, 7)
    assert_same(r2, t2)
    ri, ti = r.long(), t.long()
    assert_same(ri.masked_fill(m_r, 2.7), ti.masked_fill(m_t, 2.7))


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 5)])
def test_transpose_without_dims_reverses_them(shape):
    """The RustTorch design's full transpose: rusttorch.transpose(x) reverses
    every dim (torch spells it x.permute(reversed dims)); with two dims it is
    torch.transpose."""
    a = random_array(np.random.default_rng(len(shape)), shape, "float32")
    r, t = both(a)
    full = rt.transpose(r)
    assert tuple(full.shape) == tuple(reversed(shape))
    assert_same(full, t.permute(tuple(reversed(range(len(shape))))))
    if len(shape) >= 2:
        assert_same(rt.transpose(r, 0, -1), torch.transpose(t, 0, -1))
        assert_same(rt.swapaxes(r, 0, 1), torch.swapaxes(t, 0, 1))
        assert_same(rt.swapdims(r, 1, 0), torch.swapdims(t, 1, 0))
    with pytest.raises(TypeError):
        rt.transpose(r, 0)
    with pytest.raises(TypeError):
        rt.transpose([1, 2])


def test_several_ellipses_as_torch():
    """torch accepts more than one ellipsis (numpy does not): each skips the
    dims the other items leave, so after the first they skip nothing, and `:`
    past the last dim is a no-op."""
    a = random_array(np.random.default_rng(3), (2, 3, 4), "float32")
    r, t = both(a)
    for idx in [(..., ...), (..., 0, ...), (..., ..., slice(None)), (0, ..., ...), (..., 1, 2, 3, ...)]:
        assert_same(r[idx], t[idx])
