"""The fused losses against torch 2.13: _C._cross_entropy, _C._nll_loss and
_C._binary_cross_entropy_with_logits (what rusttorch.nn.functional calls).

Forward values and gradients on random data with fixed seeds over every
option (reduction, weight, ignore_index, label_smoothing, class-index and
probability targets, shapes (C), (N, C), (N, C, d1), (N, C, d1, d2), float32 and
float64), on every ISA this CPU has; logits of +-1e4; torch's errors (type and
message); the same bits for 1, 2 and 7 threads; gradcheck and double backward
in float64."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import rusttorch as rt
from helpers import isa, threads

torch = pytest.importorskip("torch")
F = torch.nn.functional

ISAS = rt.backends.cpu.get_available_cpu_capabilities()
RTOL = {"float32": 1e-5, "float64": 1e-12}
SHAPES = [(7,), (6, 9), (3, 5, 4), (2, 4, 3, 5)]  # (C), (N, C), (N, C, d1), (N, C, d1, d2)


def R(t, requires_grad=False):
    """The rusttorch copy of a torch tensor (None stays None)."""
    if t is None:
        return None
    a = t.detach().numpy().copy()
    r = rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a)
    return r.requires_grad_() if requires_grad else r


def close(got, want, dtype):
    """Values within the dtype's relative tolerance of the largest reference value."""
    a, b = np.asarray(got.detach().numpy(), dtype=np.float64), want.detach().double().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    rtol = RTOL[dtype]
    finite = np.abs(b[np.isfinite(b)])
    scale = finite.max() if finite.size and finite.max() > 0 else 1.0  # all-zero references: absolute
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True)


def classes_of(shape):
    return shape[0] if len(shape) == 1 else shape[1]


def index_target(gen, shape, ignore_index=None):
    tshape = () if len(shape) == 1 else (shape[0],) + tuple(shape[2:])
    t = torch.randint(0, classes_of(shape), tshape, generator=gen)
    if ignore_index is not None and t.numel() > 1:
        t.view(-1)[:: 3] = ignore_index
    return t


def check_against_torch(fn_rt, fn_torch, x, t, weight, dtype, target_grad=False, **kw):
    """Forward and the gradients (input, and target when it requires grad) of
    sum(loss * v), v random, against torch."""
    xt = x.detach().clone().requires_grad_()
    tt = t.detach().clone().requires_grad_() if target_grad else t
    want = fn_torch(xt, tt, weight=weight, **kw)
    xr, tr = R(x, True), R(t, target_grad)
    got = fn_rt(xr, tr, R(weight), **{k: R(a) if isinstance(a, torch.Tensor) else a for k, a in kw.items()})
    close(got, want, dtype)
    v = torch.rand(want.shape, dtype=want.dtype, generator=torch.Generator().manual_seed(5)) + 0.5
    (want * v).sum().backward()
    (got * R(v)).sum().backward()
    close(xr.grad, xt.grad, dtype)
    if target_grad:
        close(tr.grad, tt.grad, dtype)


def ce_rt(x, t, weight=None, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    return rt._C._cross_entropy(x, t, weight, reduction, ignore_index, label_smoothing)


def nll_rt(x, t, weight=None, reduction="mean", ignore_index=-100):
    return rt._C._nll_loss(x, t, weight, reduction, ignore_index)


def bce_rt(x, t, weight=None, pos_weight=None, reduction="mean"):
    return rt._C._binary_cross_entropy_with_logits(x, t, weight, pos_weight, reduction)


# ---------------------------------------------------------------- cross_entropy, nll_loss: every option
# (ignore_index, label_smoothing) pairs per kind: None is "no target ignored"
CLASS_OPTIONS = {
    "indices": [(None, 0.3), (-100, 0.0), (2, 0.3)],
    "probabilities": [(None, 0.0), (None, 0.3)],
    "nll": [(None, 0.0), (-100, 0.0), (1, 0.0)],
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", list(CLASS_OPTIONS))
def test_class_losses_every_option(kind, shape, dtype):
    """cross_entropy with class indices or probabilities, and nll_loss: every
    reduction, with and without weights, ignore_index, label_smoothing."""
    gen = torch.Generator().manual_seed(len(shape) + 10 * len(kind))
    dt = getattr(torch, dtype)
    C, cd = classes_of(shape), 0 if len(shape) == 1 else 1
    for reduction, weighted, (ignore, ls) in itertools.product(["none", "mean", "sum"], [False, True],
                                                               CLASS_OPTIONS[kind]):
        x = torch.randn(shape, dtype=dt, generator=gen) * 3
        w = torch.rand(C, dtype=dt, generator=gen) + 0.1 if weighted else None
        kw = dict(reduction=reduction)
        if ignore is not None:
            kw["ignore_index"] = ignore
        if kind == "nll":
            check_against_torch(nll_rt, F.nll_loss, torch.log_softmax(x, cd), index_target(gen, shape, ignore), w,
                                dtype, **kw)
        elif kind == "indices":
            check_against_torch(ce_rt, F.cross_entropy, x, index_target(gen, shape, ignore), w, dtype,
                                label_smoothing=ls, **kw)
        else:
            t = torch.softmax(torch.randn(shape, dtype=dt, generator=gen), dim=cd)
            check_against_torch(ce_rt, F.cross_entropy, x, t, w, dtype, target_grad=True, label_smoothing=ls, **kw)


def test_node_names_and_reductions_shapes():
    x = rt.randn(3, 5, requires_grad=True)
    t = rt.tensor([1, 0, 4])
    assert ce_rt(x, t).grad_fn.name() == "CrossEntropyLossBackward0"
    assert nll_rt(x, t).grad_fn.name() == "NllLossBackward0"
    assert nll_rt(rt.randn(2, 5, 3, requires_grad=True), rt.zeros(2, 3, dtype=rt.int64)).grad_fn.name() == \
        "NllLoss2DBackward0"
    assert bce_rt(x, rt.rand(3, 5)).grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
    assert ce_rt(x.detach(), t).grad_fn is None
    with rt.no_grad():
        assert ce_rt(x, t).grad_fn is None
    # 1-D input: reduction='none' is 0-d, as torch
    assert ce_rt(rt.randn(5), rt.tensor(2), reduction="none").shape == ()
    assert ce_rt(rt.randn(5), rt.tensor([2]), reduction="none").shape == ()
    assert ce_rt(rt.randn(2, 5, 3, 4), rt.zeros(2, 3, 4, dtype=rt.int64), reduction="none").shape == (2, 3, 4)


# ---------------------------------------------------------------- every ISA: row lengths around the vector widths
# tails on every vector width (2 to 16 lanes), and rows with whole chunks of 8 vectors and a tail
ROW_LENGTHS = [1, 3, 8, 9, 17, 33, 150]


@pytest.mark.parametrize("name", ISAS)
def test_every_isa_row_and_column_kernels(name):
    gen = torch.Generator().manual_seed(7)
    with isa(name):
        for dtype, C in itertools.product(["float32", "float64"], ROW_LENGTHS):
            dt = getattr(torch, dtype)
            w = torch.rand(C, dtype=dt, generator=gen) + 0.1
            for shape in [(5, C), (2, C, 11)]:  # rows; strided class dim with a partial vector of positions
                x = torch.randn(shape, dtype=dt, generator=gen) * 4
                t = index_target(gen, shape, -100)
                check_against_torch(ce_rt, F.cross_entropy, x, t, w, dtype, reduction="mean", label_smoothing=0.1)
                p = torch.rand(shape, dtype=dt, generator=gen)
                check_against_torch(ce_rt, F.cross_entropy, x, p, w, dtype, target_grad=True, reduction="sum")
                check_against_torch(nll_rt, F.nll_loss, x, t, w, dtype, reduction="none")
            # bce: lengths around the vector width, a last-dim pos_weight (long rows) and a full weight
            for n in (C,) if C in (3, 17, 150) else ():
                xb = torch.randn(n, 70, dtype=dt, generator=gen) * 5
                tb = torch.rand(n, 70, dtype=dt, generator=gen)
                pw = torch.rand(70, dtype=dt, generator=gen) * 3
                wb = torch.rand(n, 70, dtype=dt, generator=gen)
                check_against_torch(bce_rt, F.binary_cross_entropy_with_logits, xb, tb, wb, dtype, target_grad=True,
                                    pos_weight=pw, reduction="mean")
                xb1 = torch.randn(C, dtype=dt, generator=gen) * 5
                tb1 = torch.rand(C, dtype=dt, generator=gen)
                check_against_torch(bce_rt, F.binary_cross_entropy_with_logits, xb1, tb1, None, dtype,
                                    target_grad=True, reduction="none")


# ---------------------------------------------------------------- binary_cross_entropy_with_logits
# weight and pos_weight shapes for an input of shape (4, 3, 70): one value, last-dim vectors (long and short rows),
# a column, full
BCE_OPERANDS = [None, (), (70,), (1, 1, 70), (3, 1), (4, 3, 70), (3, 70)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits(dtype, reduction):
    gen = torch.Generator().manual_seed(3)
    dt = getattr(torch, dtype)
    n = len(BCE_OPERANDS)
    for ws, ps in [(BCE_OPERANDS[i], BCE_OPERANDS[(i + k) % n]) for i in range(n) for k in (0, 3)]:
        x = torch.randn(4, 3, 70, dtype=dt, generator=gen) * 4
        t = torch.rand(4, 3, 70, dtype=dt, generator=gen)
        w = None if ws is None else torch.rand(ws, dtype=dt, generator=gen)
        pw = None if ps is None else torch.rand(ps, dtype=dt, generator=gen) * 3
        check_against_torch(bce_rt, F.binary_cross_entropy_with_logits, x, t, w, dtype, target_grad=True,
                            pos_weight=pw, reduction=reduction)
    # short rows (a last-dim vector shorter than 64 is expanded) and 0-d
    x, t = torch.randn(5, 3, dtype=dt, generator=gen), torch.rand(5, 3, dtype=dt, generator=gen)
    check_against_torch(bce_rt, F.binary_cross_entropy_with_logits, x, t, torch.rand(3, dtype=dt), dtype,
                        pos_weight=torch.rand(3, dtype=dt), reduction=reduction)
    check_against_torch(bce_rt, F.binary_cross_entropy_with_logits, torch.tensor(0.7, dtype=dt),
                        torch.tensor(0.2, dtype=dt), None, dtype, target_grad=True, reduction=reduction)


def test_bce_dtypes_follow_torch():
    x = torch.randn(4, 3)
    for tdt, wdt, pdt in [(torch.float64, None, None), (torch.float32, torch.float64, torch.int64),
                          (torch.float32, torch.bool, torch.float64)]:
        t = torch.rand(4, 3).to(tdt)
        w = None if wdt is None else torch.ones(3).to(wdt)
        pw = None if pdt is None else (torch.ones(3) * 2).to(pdt)
        want = F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw)
        got = bce_rt(R(x), R(t), R(w), R(pw))
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        close(got, want, "float32")
    # the result has the target's dtype even when the input's is wider (torch computes into 1 - target)
    xd = x.double().requires_grad_()
    want = F.binary_cross_entropy_with_logits(xd, torch.rand(4, 3), reduction="sum")
    xr = R(xd, True)
    got = bce_rt(xr, R(torch.rand(4, 3)), reduction="sum")
    assert got.dtype == rt.float32 and want.dtype == torch.float32
    got.backward()
    assert xr.grad.dtype == rt.float64


def test_mixed_dtypes_of_probability_targets():
    x = torch.randn(3, 5)
    for t, w in [(torch.rand(3, 5, dtype=torch.float64), None), (torch.rand(3, 5), torch.rand(5, dtype=torch.float64)),
                 (torch.rand(3, 5), torch.ones(5, dtype=torch.int64))]:
        want = F.cross_entropy(x, t, weight=w)
        got = ce_rt(R(x), R(t), R(w))
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        close(got, want, "float32")
    xd = x.double().requires_grad_()
    xr = R(xd, True)
    ce_rt(xr, R(torch.rand(3, 5))).backward()
    F.cross_entropy(xd, torch.rand(3, 5)).backward()
    assert xr.grad.dtype == rt.float64


# ---------------------------------------------------------------- numerics
def test_logits_of_1e4_are_finite_where_torch_is():
    for dtype in ["float32", "float64"]:
        dt = getattr(torch, dtype)
        x = torch.tensor([[1e4, -1e4, 0.0, 5.0], [-1e4, 1e4, 1e4, -1e4], [-1e4, -1e4, -1e4, -1e4]], dtype=dt)
        for t in [torch.tensor([1, 1, 0]), torch.tensor([0, 2, 3])]:
            for ls, red in itertools.product([0.0, 0.2], ["none", "sum"]):
                xr = R(x, True)
                got = ce_rt(xr, R(t), reduction=red, label_smoothing=ls)
                assert np.all(np.isfinite(got.detach().numpy()))
                check_against_torch(ce_rt, F.cross_entropy, x, t, None, dtype, reduction=red, label_smoothing=ls)
        p = torch.softmax(torch.randn(3, 4, dtype=dt), 1)
        check_against_torch(ce_rt, F.cross_entropy, x, p, None, dtype, target_grad=True, reduction="none")
        # column shape
        xs = x.t().reshape(1, 4, 3).contiguous()
        check_against_torch(ce_rt, F.cross_entropy, xs, torch.tensor([[1, 2, 3]]), None, dtype, reduction="none",
                            label_smoothing=0.1)
        xb = torch.tensor([1e4, -1e4, 1e4, -1e4, 0.0, 30.0, -30.0, 100.0, -100.0], dtype=dt)
        tb = torch.tensor([1.0, 1.0, 0.0, 0.0, 0.5, 0.0, 1.0, 0.3, 0.7], dtype=dt)
        for pw in [None, torch.tensor(3.0, dtype=dt)]:
            got = bce_rt(R(xb), R(tb), None, R(pw), "none")
            assert np.all(np.isfinite(got.numpy()))
            check_against_torch(bce_rt, F.binary_cross_entropy_with_logits, xb, tb, None, dtype, target_grad=True,
                                pos_weight=pw, reduction="none")


def test_nan_and_inf_propagate_as_torch():
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([[nan, 1.0, 2.0], [0.0, inf, 1.0], [-inf, 0.0, 1.0], [0.5, 1.0, 2.0]])
    t = torch.tensor([1, 0, 0, 2])
    for ls in [0.0, 0.1]:
        want = F.cross_entropy(x, t, reduction="none", label_smoothing=ls)
        got = ce_rt(R(x), R(t), reduction="none", label_smoothing=ls)
        np.testing.assert_array_equal(np.isnan(got.numpy()), np.isnan(want.numpy()))
        np.testing.assert_array_equal(np.isinf(got.numpy()), np.isinf(want.numpy()))
    xb = torch.tensor([nan, inf, -inf, 1.0])
    want = F.binary_cross_entropy_with_logits(xb, torch.tensor([0.5, 1.0, 0.0, 1.0]), reduction="none")
    got = bce_rt(R(xb), R(torch.tensor([0.5, 1.0, 0.0, 1.0])), reduction="none")
    np.testing.assert_array_equal(np.isnan(got.numpy()), np.isnan(want.numpy()))
    assert np.isnan(bce_rt(R(xb), R(torch.tensor([0.5, 1.0, 0.0, 1.0]))).item())


def test_empty_batches_all_ignored_and_zero_weights():
    cases = [((0, 5), (0,)), ((0, 5, 3), (0, 3)), ((2, 5, 0), (2, 0)), ((0, 5, 3, 2), (0, 3, 2))]
    for (xs, ts), red, ls in itertools.product(cases, ["none", "mean", "sum"], [0.0, 0.1]):
        x, t = torch.randn(xs), torch.zeros(ts, dtype=torch.int64)
        want = F.cross_entropy(x, t, reduction=red, label_smoothing=ls)
        xr = R(x, True)
        got = ce_rt(xr, R(t), reduction=red, label_smoothing=ls)
        close(got, want, "float32")
        got.sum().backward()
        assert xr.grad.shape == tuple(xs)
        close(nll_rt(R(x), R(t), reduction=red), F.nll_loss(x, t, reduction=red), "float32")
        close(ce_rt(R(x), R(torch.rand(xs)), reduction=red), F.cross_entropy(x, torch.rand(xs), reduction=red),
              "float32")
    for red in ["none", "mean", "sum"]:
        close(bce_rt(R(torch.randn(0, 3)), R(torch.rand(0, 3)), reduction=red),
              F.binary_cross_entropy_with_logits(torch.randn(0, 3), torch.rand(0, 3), reduction=red), "float32")
        x = torch.randn(3, 5)
        for t, w in [(torch.full((3,), -100), None), (torch.full((3,), -100), torch.rand(5)),
                     (torch.tensor([1, 0, 4]), torch.zeros(5)), (torch.tensor([1, 1, 1]), torch.tensor([1.0, 0, 1, 1, 1]))]:
            for ls in [0.0, 0.2]:
                check_against_torch(ce_rt, F.cross_entropy, x, t, w, "float32", reduction=red, label_smoothing=ls)
        # no classes: every target must be ignored
        close(ce_rt(R(torch.randn(3, 0)), R(torch.full((3,), -100)), reduction=red),
              F.cross_entropy(torch.randn(3, 0), torch.full((3,), -100), reduction=red), "float32")
        close(ce_rt(R(torch.randn(3, 0)), R(torch.rand(3, 0)), reduction=red),
              F.cross_entropy(torch.randn(3, 0), torch.rand(3, 0), reduction=red), "float32")
    # a 1-D input whose target is ignored
    close(ce_rt(R(torch.randn(5)), R(torch.tensor(-100))), F.cross_entropy(torch.randn(5), torch.tensor(-100)),
          "float32")


def test_non_contiguous_inputs():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(9, 6, generator=gen).t()  # (6, 9): class dim strided
    t = torch.randint(0, 9, (12,), generator=gen)[::2]
    check_against_torch(ce_rt, F.cross_entropy, x, t, None, "float32", label_smoothing=0.1)
    check_against_torch(nll_rt, F.nll_loss, x, t, None, "float32", reduction="none")
    xs = torch.randn(3, 4, 5, generator=gen).permute(0, 2, 1)  # (3, 5, 4)
    check_against_torch(ce_rt, F.cross_entropy, xs, torch.rand(3, 5, 4).permute(0, 1, 2), None, "float32",
                        target_grad=True)
    xb = torch.randn(80, 70, generator=gen).t()
    check_against_torch(bce_rt, F.binary_cross_entropy_with_logits, xb, torch.rand(80, 70).t(), None,
                        "float32", target_grad=True, pos_weight=torch.rand(80).expand(70, 80))


# ---------------------------------------------------------------- errors: torch's type and message
def expect_same_error(f_rt, f_torch):
    try:
        f_torch()
    except Exception as e:  # noqa: BLE001
        want_type, want_msg = type(e), str(e).replace("torch.Size", "rusttorch.Size")
    else:
        raise AssertionError("torch did not raise")
    with pytest.raises(want_type) as info:
        f_rt()
    assert str(info.value) == want_msg


L = torch.int64
ERROR_CASES = [
    # cross_entropy, class indices
    ("ce", (3, 5), torch.tensor([1, 0, 10]), {}),
    ("ce", (3, 5), torch.tensor([1, 0, -1]), {"reduction": "none"}),
    ("ce", (2, 5, 3), torch.tensor([[1, 0, 10], [0, 0, 0]]), {}),
    ("ce", (3, 5), torch.tensor([1, -1, -5]), {"ignore_index": -1}),
    ("ce", (3, 5), torch.tensor([1, 0, 4, 2]), {}),
    ("ce", (2, 5, 3), torch.zeros(3, 3, dtype=L), {}),
    ("ce", (2, 5, 3), torch.zeros(2, 4, dtype=L), {}),
    ("ce", (2, 5, 3), torch.zeros(2, dtype=L), {}),
    ("ce", (2, 5, 3, 4), torch.zeros(2, 3, 5, dtype=L), {}),
    ("ce", (2, 5, 3, 4), torch.zeros(2, 12, dtype=L), {}),
    ("ce", (2, 5, 3, 4, 2), torch.zeros(2, 3, 4, 3, dtype=L), {}),
    ("ce", (3, 5), torch.zeros(3, 2, dtype=L), {}),
    ("ce", (3, 5), torch.tensor([1.0, 0.0, 4.0]), {}),
    ("ce", (3, 5), torch.tensor([1, 0, 4], dtype=torch.int32), {}),
    ("ce", (3, 5), torch.tensor([True, False, True]), {}),
    ("ce", (2, 5, 3), torch.zeros(2, 3), {}),
    ("ce", (3, 5), torch.tensor([1, 0, 4]), {"weight": torch.ones(4)}),
    ("ce", (3, 5), torch.tensor([1, 0, 4]), {"weight": torch.ones(5, 1)}),
    ("ce", (2, 5, 3), torch.zeros(2, 3, dtype=L), {"weight": torch.ones(4)}),
    ("ce", (3, 5), torch.tensor([1, 0, 4]), {"weight": torch.ones(5, dtype=torch.float64)}),
    ("ce", (3, 5), torch.tensor([1, 0, 4]), {"weight": torch.ones(5, dtype=torch.int64), "label_smoothing": 0.1}),
    ("ce", (3, 5), torch.tensor([1, 0, 4]), {"weight": torch.ones(4), "label_smoothing": 0.2}),
    ("ce", (3, 5), torch.tensor([1, 0, 4]), {"label_smoothing": 1.5}),
    ("ce", (3, 5), torch.tensor([1, 0, 4]), {"reduction": "avg"}),
    ("ce", (), torch.tensor(0), {}),
    ("ce", (), torch.tensor(1.0), {}),
    ("ce", (), torch.tensor([1]), {}),
    ("ce", (5,), torch.tensor([2, 1]), {}),
    ("ce", (5,), torch.tensor(2.0), {}),
    ("ce", (3, 5), torch.tensor(2), {}),
    ("ce", (3, 0), torch.zeros(3, dtype=L), {}),
    ("ce_long", (3, 5), torch.tensor([1, 0, 4]), {}),
    ("ce_long", (2, 5, 3), torch.zeros(2, 3, dtype=L), {}),
    # cross_entropy, class probabilities
    ("ce", (3, 5), torch.zeros(3, 5, dtype=L), {}),
    ("ce", (3, 5), torch.rand(3, 5), {"ignore_index": 1}),
    ("ce", (3, 5), torch.rand(3, 5), {"weight": torch.ones(4)}),
    ("ce", (3, 5), torch.rand(3, 5), {"weight": torch.ones(5, 1)}),
    ("ce", (3, 5), torch.rand(3, 5), {"label_smoothing": 1.5}),
    ("ce", (3, 5), torch.rand(3, 4), {}),
    ("ce", (3, 5), torch.rand(4, 5), {}),
    ("ce_long", (3, 5), torch.rand(3, 5), {}),
    # nll_loss
    ("nll", (), torch.tensor(0), {}),
    ("nll", (3, 5), torch.tensor([1, 0, 10]), {}),
    ("nll", (3, 5), torch.rand(3, 5), {}),
    ("nll", (5,), torch.zeros(2, dtype=L), {}),
    ("nll", (5,), torch.zeros(0, dtype=L), {}),
    ("nll", (2, 5), torch.zeros(2), {"weight": torch.ones(3)}),
    ("nll", (2, 5, 3, 4), torch.zeros(2, 3, 4), {}),
    ("nll", (2, 5, 3, 4), torch.zeros(2, 3, 5, dtype=L), {"weight": torch.ones(3)}),
    ("nll", (2, 5, 3, 4), torch.zeros(2, 3, 4, dtype=L), {"weight": torch.ones(5, dtype=torch.float64)}),
    ("nll", (2, 5), torch.tensor([9, 0]), {"weight": torch.ones(5, dtype=torch.float64)}),
    ("nll", (2, 5, 3, 2, 2), torch.full((2, 3, 2, 2), 7), {"reduction": "none"}),
    ("nll", (0, 5), torch.tensor(1), {}),
    ("nll_long", (2, 5), torch.tensor([9, 0]), {}),
    ("nll_long", (2, 5, 3), torch.zeros(2, 3, dtype=L), {}),
    ("nll_long", (2, 5), torch.zeros(2), {}),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_errors_match_torch(case):
    kind, shape, target, kw = ERROR_CASES[case]
    x = torch.randn(shape) if not kind.endswith("_long") else torch.zeros(shape, dtype=L)
    if kind.startswith("ce"):
        expect_same_error(lambda: ce_rt(R(x), R(target), **{**kw, "weight": R(kw.get("weight"))}),
                          lambda: F.cross_entropy(x, target, **kw))
    else:
        expect_same_error(lambda: nll_rt(R(x), R(target), **{**kw, "weight": R(kw.get("weight"))}),
                          lambda: F.nll_loss(x, target, **kw))


BCE_ERROR_CASES = [
    ((4, 3), torch.rand(4, 2), {}),
    ((3,), torch.ones(2, dtype=L), {}),
    ((1,), torch.ones(()), {}),
    ((4, 3), torch.rand(4, 3), {"reduction": "x"}),
    ((4, 3), torch.rand(4, 2), {"reduction": "x"}),
    ((4, 3), torch.rand(4, 3), {"pos_weight": torch.rand(2, 4, 3)}),
    ((4, 3), torch.rand(4, 3), {"pos_weight": torch.rand(2)}),
    ((3,), torch.rand(3), {"pos_weight": torch.rand(1, 3)}),
    ((3,), torch.rand(3), {"pos_weight": torch.ones(3, dtype=torch.bool)}),
    ((4, 3), torch.rand(4, 3), {"weight": torch.rand(2, 4, 3)}),
    ((4, 3), torch.rand(4, 3), {"weight": torch.rand(2)}),
    ((4, 3), torch.ones(4, 3, dtype=L), {}),
    ((4, 3), torch.ones(4, 3, dtype=torch.bool), {}),
    ("long", torch.rand(4, 3), {}),
]


@pytest.mark.parametrize("case", range(len(BCE_ERROR_CASES)))
def test_bce_errors_match_torch(case):
    shape, target, kw = BCE_ERROR_CASES[case]
    x = torch.ones(4, 3, dtype=L) if shape == "long" else torch.randn(shape)
    rkw = {k: R(v) if isinstance(v, torch.Tensor) else v for k, v in kw.items()}
    expect_same_error(lambda: bce_rt(R(x), R(target), **rkw),
                      lambda: F.binary_cross_entropy_with_logits(x, target, **kw))


def test_weights_that_require_grad():
    x = torch.randn(3, 5, requires_grad=True)
    w = torch.rand(5, requires_grad=True)
    t = torch.tensor([1, 0, 4])
    for ls in [0.0, 0.1]:
        expect_same_error(lambda: ce_rt(R(x, True), R(t), R(w, True), label_smoothing=ls),
                          lambda: F.cross_entropy(x, t, weight=w, label_smoothing=ls))
    expect_same_error(lambda: nll_rt(R(x.detach()), R(t), R(w, True)), lambda: F.nll_loss(x.detach(), t, weight=w))
    expect_same_error(lambda: nll_rt(R(torch.randn(2, 5, 3)), R(torch.zeros(2, 3, dtype=L)), R(w, True)),
                      lambda: F.nll_loss(torch.randn(2, 5, 3), torch.zeros(2, 3, dtype=L), weight=w))
    for arg in ["weight", "pos_weight"]:
        expect_same_error(lambda: bce_rt(R(x, True), R(torch.rand(3, 5)), **{arg: R(w, True)}),
                          lambda: F.binary_cross_entropy_with_logits(x, torch.rand(3, 5), **{arg: w}))
    with rt.no_grad():  # torch checks only while grad mode is on
        nll_rt(R(x), R(t), R(w, True))
        bce_rt(R(x), R(torch.rand(3, 5)), R(w, True))
    # probability targets: torch differentiates the weight, and so do we (composed)
    p = torch.softmax(torch.randn(3, 5), 1)
    for red, ls in itertools.product(["none", "mean", "sum"], [0.0, 0.2]):
        xt, wt = x.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()
        want = F.cross_entropy(xt, p, weight=wt, reduction=red, label_smoothing=ls)
        xr, wr = R(xt, True), R(wt, True)
        got = ce_rt(xr, R(p), wr, reduction=red, label_smoothing=ls)
        close(got, want, "float32")
        want.sum().backward()
        got.sum().backward()
        close(xr.grad, xt.grad, "float32")
        close(wr.grad, wt.grad, "float32")


# ---------------------------------------------------------------- determinism
def _determinism_cases():
    gen = torch.Generator().manual_seed(9)
    x_rows = torch.randn(600, 100, generator=gen)
    t_rows = torch.randint(0, 100, (600,), generator=gen)
    x_cols = torch.randn(4, 10, 2000, generator=gen)
    t_cols = torch.randint(0, 10, (4, 2000), generator=gen)
    xb = torch.randn(300, 500, generator=gen)
    tb = torch.rand(300, 500, generator=gen)
    return [
        (ce_rt, x_rows, t_rows, dict(label_smoothing=0.1, weight=R(torch.rand(100, generator=gen)))),
        (ce_rt, x_rows, torch.rand(600, 100, generator=gen), {}),
        (ce_rt, x_cols, t_cols, dict(reduction="sum")),
        (nll_rt, x_cols, t_cols, {}),
        (bce_rt, xb, tb, dict(pos_weight=R(torch.rand(500, generator=gen)))),
    ]


def test_same_bits_for_1_2_and_7_threads():
    cases = _determinism_cases()
    results = {}
    for n in (1, 2, 7):
        with threads(n):
            out = []
            for fn, x, t, kw in cases:
                xr = R(x, True)
                loss = fn(xr, R(t), **kw)
                loss.sum().backward()
                out.append((loss.detach().numpy().tobytes(), xr.grad.numpy().tobytes()))
            results[n] = out
    assert results[1] == results[2] == results[7]


# ---------------------------------------------------------------- gradcheck and double backward (float64)
def _f64(shape, seed, scale=1.0):
    return rt.from_numpy(np.random.default_rng(seed).standard_normal(shape) * scale).requires_grad_()


def test_gradcheck():
    gc = rt.autograd.gradcheck
    t = rt.tensor([1, 0, 3, -100])
    w = rt.from_numpy(np.array([0.5, 1.0, 2.0, 0.7, 1.3]))
    assert gc(lambda x: ce_rt(x, t, w, "mean", -100, 0.2), (_f64((4, 5), 1),))
    assert gc(lambda x: ce_rt(x, t, None, "none", -100, 0.0), (_f64((4, 5), 2),))
    assert gc(lambda x: ce_rt(x, rt.tensor([[1, 0], [2, 4]]), w, "sum", -100, 0.1), (_f64((2, 5, 2), 3),))
    p = rt.from_numpy(np.random.default_rng(4).random((3, 4))).requires_grad_()
    assert gc(lambda x, q: ce_rt(x, q, None, "mean", -100, 0.3), (_f64((3, 4), 5), p))
    assert gc(lambda x: nll_rt(x, t, w, "mean", -100), (_f64((4, 5), 6),))
    tb = rt.from_numpy(np.random.default_rng(7).random((3, 4))).requires_grad_()
    pw = rt.from_numpy(np.array([0.5, 2.0, 1.0, 3.0]))
    assert gc(lambda x, q: bce_rt(x, q, None, pw, "mean"), (_f64((3, 4), 8, 3.0), tb))
    assert gc(lambda x, q: bce_rt(x, q, w[:4], None, "none"), (_f64((3, 4), 9, 3.0), tb))


def _double_backward(fn_rt, fn_torch, x, t, target_grad=False, **kw):
    """grad of sum(dL/dx * v) (and of dL/dt) with create_graph=True, against torch."""
    xt = x.detach().clone().requires_grad_()
    tt = t.detach().clone().requires_grad_() if target_grad else t
    xr, tr = R(xt, True), R(tt, target_grad)
    v = torch.rand(x.shape, dtype=x.dtype, generator=torch.Generator().manual_seed(1))
    want = fn_torch(xt, tt, **kw)
    got = fn_rt(xr, tr, **{k: R(a) if isinstance(a, torch.Tensor) else a for k, a in kw.items()})
    g = torch.rand(want.shape, dtype=want.dtype, generator=torch.Generator().manual_seed(2))
    wt_in = (xt, tt) if target_grad else (xt,)
    rt_in = (xr, tr) if target_grad else (xr,)
    gw = torch.autograd.grad(want, wt_in, g, create_graph=True)
    gr = rt.autograd.grad(got, rt_in, R(g), create_graph=True)
    for a, b in zip(gr, gw):
        close(a, b, "float64")
    hw = torch.autograd.grad((gw[0] * v).sum(), wt_in, allow_unused=True)
    if not gr[0].requires_grad:  # nll_loss: d input does not depend on the input
        assert all(b is None or not b.any() for b in hw)
        return
    hr = rt.autograd.grad((gr[0] * R(v)).sum(), rt_in, allow_unused=True)
    for a, b in zip(hr, hw):
        if b is None:
            assert a is None or np.all(a.numpy() == 0)
        else:
            close(a, b, "float64")


def test_double_backward_against_torch():
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(4, 6, dtype=torch.float64, generator=gen)
    t = torch.tensor([1, 5, -100, 0])
    w = torch.rand(6, dtype=torch.float64, generator=gen)
    for red in ["none", "mean", "sum"]:
        _double_backward(ce_rt, F.cross_entropy, x, t, weight=w, reduction=red, label_smoothing=0.2)
        _double_backward(nll_rt, F.nll_loss, x, t, weight=w, reduction=red)
        p = torch.rand(4, 6, dtype=torch.float64, generator=gen)
        _double_backward(ce_rt, F.cross_entropy, x, p, target_grad=True, weight=w, reduction=red,
                         label_smoothing=0.1)
        xs = torch.randn(2, 3, 4, dtype=torch.float64, generator=gen)
        _double_backward(ce_rt, F.cross_entropy, xs, torch.tensor([[0, 2, 1, 1], [2, 0, 0, 1]]), reduction=red)
        tb = torch.rand(4, 6, dtype=torch.float64, generator=gen)
        _double_backward(bce_rt, F.binary_cross_entropy_with_logits, x * 3, tb, target_grad=True, weight=w,
                         pos_weight=w + 0.5, reduction=red)
        _double_backward(bce_rt, F.binary_cross_entropy_with_logits, x * 3, tb, target_grad=True, reduction=red)


def test_saved_tensors_modified_in_place_are_caught():
    x = rt.randn(3, 5, requires_grad=True)
    y = x * 2
    t = rt.tensor([1, 0, 4])
    loss = ce_rt(y, t)
    with rt.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
