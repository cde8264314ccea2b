"""The composed losses and helpers of nn.functional and nn.utils against torch:
values and gradients for every reduction, float32 and float64, on random data
with fixed seeds; their errors. (The fused losses, cross_entropy, nll_loss and
binary_cross_entropy_with_logits, have test_losses.py.)"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import rusttorch as rt
import rusttorch.nn as nn
import rusttorch.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["none", "mean", "sum"]
TOL = {"float32": 1e-5, "float64": 1e-12}


def both(a, grad=True):
    return (rt.from_numpy(a.copy()).requires_grad_(grad) if a.ndim else rt.tensor(a).requires_grad_(grad),
            torch.from_numpy(a.copy()).requires_grad_(grad) if a.ndim else torch.tensor(a).requires_grad_(grad))


def check(fr, ft, arrays, dtype, grads=(0,), tol=None):
    tol = tol or TOL[dtype]
    pairs = [both(a, i in grads) for i, a in enumerate(arrays)]
    yr = fr(*[p[0] for p in pairs])
    yt = ft(*[p[1] for p in pairs])
    np.testing.assert_allclose(yr.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(dtype)
    yr.backward(rt.from_numpy(g.copy()) if g.ndim else rt.tensor(g))
    yt.backward(torch.from_numpy(g.copy()) if g.ndim else torch.tensor(g))
    for i in grads:
        np.testing.assert_allclose(pairs[i][0].grad.numpy(), pairs[i][1].grad.numpy(), rtol=tol * 10, atol=tol * 10)


POINTWISE = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
    ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 2.5}),
]


@pytest.mark.parametrize("name,kw", POINTWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4), ()])
def test_pointwise_losses(name, kw, reduction, dtype, shape):
    rng = np.random.default_rng(hash((name, reduction, shape)) % 2**32)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    y = (rng.standard_normal(shape) * 2).astype(dtype)
    check(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kw),
          lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kw), [x, y], dtype, grads=(0, 1))


def test_pointwise_broadcast_warns_like_torch():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    y = np.random.default_rng(1).standard_normal((4,)).astype("float32")
    with pytest.warns(UserWarning, match="different to the input size"):
        r = F.mse_loss(rt.from_numpy(x), rt.from_numpy(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = TF.mse_loss(torch.from_numpy(x), torch.from_numpy(y))
    np.testing.assert_allclose(r.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, dtype, weighted):
    rng = np.random.default_rng(3)
    x = rng.uniform(0.01, 0.99, size=(6, 5)).astype(dtype)
    x[0, 0], x[0, 1] = 0.0, 1.0  # the clamped logs
    t = rng.uniform(0, 1, size=(6, 5)).astype(dtype)
    t[0, 0], t[0, 1] = 0.0, 1.0
    w = rng.uniform(0.5, 2, size=(6, 5)).astype(dtype)
    arrays = [x, t] + ([w] if weighted else [])

    def ours(a, b, *c):
        return F.binary_cross_entropy(a, b, weight=c[0] if c else None, reduction=reduction)

    def theirs(a, b, *c):
        return TF.binary_cross_entropy(a, b, weight=c[0] if c else None, reduction=reduction)

    # values everywhere; gradients away from the clamped 0 and 1, where torch's formula divides by max(x(1-x), 1e-12)
    r, tt = ours(*[both(a, False)[0] for a in arrays]), theirs(*[both(a, False)[1] for a in arrays])
    np.testing.assert_allclose(r.numpy(), tt.numpy(), rtol=TOL[dtype], atol=TOL[dtype])
    x[0, 0], x[0, 1] = 0.3, 0.6
    check(ours, theirs, arrays, dtype, grads=(0,))


def test_binary_cross_entropy_errors():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(rt.tensor([0.5, 1.5]), rt.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(rt.tensor([0.5, float("nan")]), rt.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="target size"):
        F.binary_cross_entropy(rt.tensor([0.5, 0.5]), rt.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.binary_cross_entropy(rt.tensor([0.5]), rt.tensor([1.0]), reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kl_div(reduction, log_target, dtype):
    rng = np.random.default_rng(4)
    inp = np.log(rng.dirichlet(np.ones(5), size=4)).astype(dtype)
    tgt = rng.dirichlet(np.ones(5), size=4).astype(dtype)
    if log_target:
        tgt = np.log(np.maximum(tgt, 1e-3)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not log_target:  # a zero target: 0 log 0 = 0 (the target's derivative there is -inf: not compared)
            z = tgt.copy()
            z[0, 0] = 0.0
            r = F.kl_div(rt.from_numpy(inp.copy()), rt.from_numpy(z.copy()), reduction=reduction)
            t = TF.kl_div(torch.from_numpy(inp.copy()), torch.from_numpy(z.copy()), reduction=reduction)
            np.testing.assert_allclose(r.numpy(), t.numpy(), rtol=TOL[dtype], atol=TOL[dtype])
        check(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
              lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target), [inp, tgt], dtype,
              grads=(0, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_similarity_and_distance(dtype):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 8)).astype(dtype)
    b = rng.standard_normal((6, 8)).astype(dtype)
    for dim in (0, 1, -1):
        check(lambda x, y: F.cosine_similarity(x, y, dim=dim), lambda x, y: TF.cosine_similarity(x, y, dim=dim),
              [a, b], dtype, grads=(0, 1))
    check(lambda x, y: F.cosine_similarity(x, y), lambda x, y: TF.cosine_similarity(x, y),
          [a, b[:1].copy()], dtype, grads=(0, 1))
    for p in (1.0, 2.0, 3.0):
        for keepdim in (False, True):
            check(lambda x, y: F.pairwise_distance(x, y, p=p, keepdim=keepdim),
                  lambda x, y: TF.pairwise_distance(x, y, p=p, keepdim=keepdim), [a, b], dtype, grads=(0, 1))
    check(lambda x, y: F.pairwise_distance(x, y), lambda x, y: TF.pairwise_distance(x, y), [a[0].copy(), b[0].copy()],
          dtype, grads=(0, 1))
    check(lambda x, y: nn.CosineSimilarity(0)(x, y), lambda x, y: torch.nn.CosineSimilarity(0)(x, y), [a, b], dtype,
          grads=(0,))


def test_loss_modules_hold_their_options():
    rng = np.random.default_rng(6)
    x = rng.uniform(0.05, 0.95, size=(4, 3)).astype("float32")
    y = rng.uniform(0, 1, size=(4, 3)).astype("float32")
    cases = [("MSELoss", {"reduction": "sum"}), ("L1Loss", {}), ("SmoothL1Loss", {"beta": 0.3}),
             ("HuberLoss", {"delta": 0.2, "reduction": "none"}), ("BCELoss", {}), ("KLDivLoss", {"reduction": "sum"})]
    for name, kw in cases:
        r, t = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
        assert repr(r) == repr(t)
        check(lambda a, b: r(a, b), lambda a, b: t(a, b), [x, y], "float32", grads=(0,))
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert nn.MSELoss(size_average=False).reduction == "sum"


def test_glu_bilinear_one_hot_normalize():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 8)).astype("float64")
    check(lambda x: F.glu(x), lambda x: TF.glu(x), [a], "float64")
    check(lambda x: F.normalize(x, dim=1), lambda x: TF.normalize(x, dim=1), [a], "float64")
    x1, x2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 4))
    w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal(2)
    check(F.bilinear, TF.bilinear, [x1, x2, w, b], "float64", grads=(0, 1, 2, 3))
    idx = rng.integers(0, 5, size=(2, 3))
    np.testing.assert_array_equal(F.one_hot(rt.from_numpy(idx.copy()), 6).numpy(),
                                  TF.one_hot(torch.from_numpy(idx.copy()), 6).numpy())
    with pytest.raises(RuntimeError):
        F.glu(rt.randn(3, 5))


# ---- nn.utils ----
def grads_pair(rng, shapes, scale=3.0):
    ps_r, ps_t = [], []
    for s in shapes:
        w = np.asarray(rng.standard_normal(s), dtype="float32")
        g = np.asarray(rng.standard_normal(s) * scale, dtype="float32")
        pr, pt = nn.Parameter(rt.tensor(w) if w.ndim == 0 else rt.from_numpy(w.copy())), torch.nn.Parameter(torch.from_numpy(w.copy()))
        pr.grad, pt.grad = (rt.tensor(g) if g.ndim == 0 else rt.from_numpy(g.copy())), torch.from_numpy(g.copy())
        ps_r.append(pr)
        ps_t.append(pt)
    return ps_r, ps_t


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    rng = np.random.default_rng(8)
    pr, pt = grads_pair(rng, [(4, 5), (7,), (), (0,)])
    if norm_type == math.inf:  # no identity for max over an empty gradient: both raise
        with pytest.raises(RuntimeError, match="empty tensor"):
            nn.utils.clip_grad_norm_(pr, max_norm, norm_type)
        with pytest.raises(RuntimeError, match="empty tensor"):
            torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type)
        pr, pt = grads_pair(rng, [(4, 5), (7,), ()])
    nr = nn.utils.clip_grad_norm_(pr, max_norm, norm_type)
    nt = torch.nn.utils.clip_grad_norm_(pt, max_norm, norm_type)
    np.testing.assert_allclose(float(nr), float(nt), rtol=1e-5)
    for a, b in zip(pr, pt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert float(nn.utils.clip_grad_norm_([nn.Parameter(rt.zeros(2))], 1.0)) == 0.0  # no grads


def test_clip_grad_norm_nonfinite_and_value():
    rng = np.random.default_rng(9)
    pr, pt = grads_pair(rng, [(3, 3), (5,)])
    pr[0].grad[0, 0] = float("inf")
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(pr, 1.0, error_if_nonfinite=True)
    pr, pt = grads_pair(rng, [(3, 3), (5,)])
    nn.utils.clip_grad_value_(pr, 0.7)
    torch.nn.utils.clip_grad_value_(pt, 0.7)
    for a, b in zip(pr, pt):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_parameter_vectors():
    rng = np.random.default_rng(10)
    pr, pt = grads_pair(rng, [(2, 3), (4,), (1, 1, 2)])
    v = nn.utils.parameters_to_vector(pr)
    np.testing.assert_array_equal(v.detach().numpy(), torch.nn.utils.parameters_to_vector(pt).detach().numpy())
    new = rt.arange(v.numel(), dtype=rt.float32)
    nn.utils.vector_to_parameters(new, pr)
    torch.nn.utils.vector_to_parameters(torch.arange(v.numel(), dtype=torch.float32), pt)
    for a, b in zip(pr, pt):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    with pytest.raises(RuntimeError):
        nn.utils.vector_to_parameters(rt.zeros(3), pr)
    with pytest.raises(TypeError):
        nn.utils.parameters_to_vector(rt.zeros(3))
