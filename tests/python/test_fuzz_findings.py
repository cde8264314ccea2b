"""What the differential fuzzer (test_fuzz.py) found, pinned as plain
differential tests against torch 2.13: each case gives torch's result, or
raises torch's exception type."""
from __future__ import annotations

import numpy as np
import pytest

import rusttorch as rt
from helpers import RAISED, assert_same, torch_or_same_error

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")


def run(case):
    """case(m) builds and returns a tensor with module m (rusttorch or torch)."""
    expected = torch_or_same_error(lambda: case(rt), lambda: case(torch))
    if expected is not RAISED:
        assert_same(case(rt), expected)
    return expected


def assign(idx, value):
    """x[idx] = value on fresh tensors of each module; returns x."""
    def case(m):
        x = m.zeros(4, 3, dtype=m.int32)
        i = idx(m) if callable(idx) else idx
        x[i] = value(m) if callable(value) else value
        return x
    return case


@pytest.mark.parametrize("name,case", [
    # a fill value must fit the dtype (torch's checked conversion)
    ("full inf int64", lambda m: m.full((2,), INF, dtype=m.int64)),
    ("full nan int32", lambda m: m.full((2,), NAN, dtype=m.int32)),
    ("full 2**40 int32", lambda m: m.full((2,), 2**40, dtype=m.int32)),
    ("full 1e300 float32", lambda m: m.full((2,), 1e300, dtype=m.float32)),
    ("full inf float32", lambda m: m.full((2,), INF, dtype=m.float32)),
    ("full 2**63 int64", lambda m: m.full((2,), 2.0**63, dtype=m.int64)),
    ("full -2**31 int32", lambda m: m.full((2,), -2**31, dtype=m.int32)),
    ("full 3.9 int32", lambda m: m.full((2,), 3.9, dtype=m.int32)),
    ("fill_ 1e300 float32", lambda m: m.zeros(2).fill_(1e300)),
    ("fill_ nan bool", lambda m: m.zeros(2, dtype=m.bool).fill_(NAN)),
    ("setitem inf int", assign((Ellipsis,), INF)),
    ("setitem 1e30 int", assign(0, 1e30)),
    ("index put inf int", assign(lambda m: m.tensor([0]), INF)),
    # ... but an op's number operand wraps into the op's dtype, as torch
    ("int32 + 2**40", lambda m: m.ones(3, dtype=m.int32) + 2**40),
    # index_put_ wants the value's dtype, except one value through one mask (masked_fill_)
    ("index put float into int", assign(lambda m: m.tensor([0, 1]), lambda m: m.tensor([1.5, 2.0]))),
    ("index put 0-d double into int", assign(lambda m: m.tensor([0, 1]), lambda m: m.tensor(1.5, dtype=m.float64))),
    ("index put number", assign(lambda m: m.tensor([0, 1]), 1.5)),
    ("basic slice casts", assign(slice(0, 2), lambda m: m.tensor([1.5, 2.0, 3.0]))),
    ("mask, one value", assign(lambda m: m.tensor([True, False, True, False]), lambda m: m.tensor(7.5))),
    ("mask, three values", assign(lambda m: m.tensor([True, False, True, False]), lambda m: m.tensor([7.5, 1, 2]))),
    ("mask and int index", assign(lambda m: (m.tensor([True, False, True, False]), m.tensor([0, 1])),
                                  lambda m: m.tensor(7.5))),
    ("python False is a no-op", assign(False, lambda m: m.tensor([1.5, 2.5, 3.5]))),
    ("python True casts", assign(True, lambda m: m.tensor([1.5, 2.5, 3.5]))),
    ("python True in a tuple is an index tensor", assign((True,), lambda m: m.tensor([1.5, 2.5, 3.5]))),
    ("python bools and ints", assign((True, -1), lambda m: m.tensor([1.5]))),
    ("python bool after slices", assign((slice(None), 1, True), lambda m: m.tensor(1.5, dtype=m.float64))),
    ("indices broadcast before dtype", assign(lambda m: (False, False, m.ones(4, 3, dtype=m.bool)),
                                              lambda m: m.tensor(7, dtype=m.int64))),
    ("value shape before bounds", lambda m: m.zeros(1, 5).__setitem__((m.tensor([1]), 2), m.tensor([1., 2., 3.]))),
    # products write into an out= of their own dtype only (outer casts)
    ("mm out double", lambda m: m.mm(m.ones(2, 3), m.ones(3, 2), out=m.empty(2, 2, dtype=m.float64))),
    ("matmul out double", lambda m: m.matmul(m.ones(2, 3), m.ones(3, 2), out=m.empty(2, 2, dtype=m.float64))),
    ("matmul 1d out double", lambda m: m.matmul(m.ones(3), m.ones(3), out=m.empty((), dtype=m.float64))),
    ("matmul mv out double", lambda m: m.matmul(m.ones(2, 3), m.ones(3), out=m.empty(2, dtype=m.float64))),
    ("bmm out double", lambda m: m.bmm(m.ones(1, 2, 3), m.ones(1, 3, 2), out=m.empty(1, 2, 2, dtype=m.float64))),
    ("mv out double", lambda m: m.mv(m.ones(2, 3), m.ones(3), out=m.empty(2, dtype=m.float64))),
    ("dot out double", lambda m: m.dot(m.ones(3), m.ones(3), out=m.empty((), dtype=m.float64))),
    ("addmm out double", lambda m: m.addmm(m.ones(2, 2), m.ones(2, 3), m.ones(3, 2), out=m.empty(2, 2, dtype=m.float64))),
    ("outer out double", lambda m: m.outer(m.ones(2), m.ones(3), out=m.empty(2, 3, dtype=m.float64))),
    ("mm out same", lambda m: m.mm(m.ones(2, 3), m.ones(3, 2), out=m.empty(2, 2))),
    # so do abs, neg, sign, clamp, bitwise_not; the float functions cast
    ("abs out double", lambda m: m.abs(m.ones(3), out=m.empty(3, dtype=m.float64))),
    ("neg out double", lambda m: m.neg(m.ones(3), out=m.empty(3, dtype=m.float64))),
    ("sign out double", lambda m: m.sign(m.ones(3), out=m.empty(3, dtype=m.float64))),
    ("clamp out double", lambda m: m.clamp(m.ones(3), 0, 1, out=m.empty(3, dtype=m.float64))),
    ("bitwise_not out long", lambda m: m.bitwise_not(m.ones(3, dtype=m.int32), out=m.empty(3, dtype=m.int64))),
    ("abs out int", lambda m: m.abs(m.ones(3), out=m.empty(3, dtype=m.int32))),
    ("exp out double", lambda m: m.exp(m.ones(3), out=m.empty(3, dtype=m.float64))),
    ("sqrt out double", lambda m: m.sqrt(m.ones(3), out=m.empty(3, dtype=m.float64))),
    ("add out double", lambda m: m.add(m.ones(3), 1, out=m.empty(3, dtype=m.float64))),
    # the Frobenius norm takes at most two dims
    ("norm fro 3 dims", lambda m: m.norm(m.ones(2, 3, 4), dim=(0, 1, 2))),
    ("norm None 3 dims", lambda m: m.norm(m.ones(2, 3, 4), p=None, dim=[0, 1, 2])),
    ("norm 2 3 dims", lambda m: m.norm(m.ones(2, 3, 4), p=2, dim=(0, 1, 2))),
    ("norm fro 2 dims", lambda m: m.norm(m.ones(2, 3, 4), dim=(0, 1))),
    # bool scans: refused after the dim check, unless no kernel runs
    ("cumprod bool 0-d", lambda m: m.cumprod(m.tensor(3), dim=0, dtype=m.bool)),
    ("cumsum bool empty", lambda m: m.cumsum(m.zeros(1, 0), dim=1, dtype=m.bool)),
    ("cumsum bool", lambda m: m.cumsum(m.tensor([3, 0, 2]), dim=0, dtype=m.bool)),
    ("cumprod bool bad dim", lambda m: m.cumprod(m.tensor(3), dim=1, dtype=m.bool)),
    # softmax checks the dim before the dtype
    ("softmax int bad dim", lambda m: m.softmax(m.tensor([[1]]), 3)),
    ("log_softmax int 0-d bad dim", lambda m: m.log_softmax(m.tensor(1), 1)),
    ("log_softmax int", lambda m: m.log_softmax(m.tensor(1), 0)),
    ("softmax empty int", lambda m: m.softmax(m.zeros(0, dtype=m.int64), 0)),
    # torch allows several ellipses
    ("two ellipses", lambda m: m.arange(24).reshape(2, 3, 4)[..., ...]),
    ("ellipsis int ellipsis", lambda m: m.arange(24).reshape(2, 3, 4)[..., 0, ...]),
])
def test_fuzz_finding(name, case):
    run(case)


def test_sum_and_mean_with_a_float64_dtype_add_in_float64():
    a = np.full(16, 0.1, np.float32)
    a[0] = 1e8
    r, t = rt.from_numpy(a), torch.from_numpy(a)
    exact = float(np.sum(a.astype(np.float64)))  # 100000001.5 to float64's precision (added in float: ...1.4)
    assert rt.sum(r, dtype=rt.float64).item() == pytest.approx(exact, rel=1e-15, abs=0)
    assert torch.sum(t, dtype=torch.float64).item() == pytest.approx(exact, rel=1e-15, abs=0)
    assert rt.mean(r, dtype=rt.float64).item() == pytest.approx(exact / 16, rel=1e-15, abs=0)
    assert_same(rt.sum(r.reshape(4, 4), 1, dtype=rt.float64), torch.sum(t.reshape(4, 4), 1, dtype=torch.float64),
                rtol=1e-15)
