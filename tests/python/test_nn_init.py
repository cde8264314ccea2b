"""nn.init against torch: the same fan and gain computations, and samples
whose distribution matches the one torch draws from (moments and bounds on
large tensors, with tolerances several standard errors wide); the default
initialisation of each layer; reproducibility through rusttorch.manual_seed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import rusttorch as rt
import rusttorch.nn as nn
from rusttorch.nn import init

torch = pytest.importorskip("torch")
tinit = torch.nn.init

SHAPES = [(300, 200), (64, 32, 3, 3), (500, 10, 7)]


@pytest.mark.parametrize("shape", SHAPES + [(5, 1), (1, 5)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(rt.empty(shape)) == tinit._calculate_fan_in_and_fan_out(
        torch.empty(shape))
    for mode in ("fan_in", "fan_out"):
        assert init._calculate_correct_fan(rt.empty(shape), mode) == tinit._calculate_correct_fan(
            torch.empty(shape), mode)
    with pytest.raises(ValueError):
        init._calculate_fan_in_and_fan_out(rt.empty(5))


@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                                      ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_gains_match_torch(nl, param):
    assert init.calculate_gain(nl, param) == tinit.calculate_gain(nl, param)


def test_gain_errors():
    with pytest.raises(ValueError):
        init.calculate_gain("bogus")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "x")


def moments(t):
    a = t.double().numpy().reshape(-1)
    return a.mean(), a.std(), a.min(), a.max(), a.size


def check_uniform(t, lo, hi):
    mean, std, mn, mx, n = moments(t)
    width = hi - lo
    assert lo <= mn and mx <= hi
    assert abs(mean - (lo + hi) / 2) < 5 * width / math.sqrt(12 * n)
    assert abs(std - width / math.sqrt(12)) < 0.02 * width / math.sqrt(12)
    assert mn < lo + 0.01 * width and mx > hi - 0.01 * width  # the whole range is used


def check_normal(t, mean0, std0):
    mean, std, _, _, n = moments(t)
    assert abs(mean - mean0) < 5 * std0 / math.sqrt(n)
    assert abs(std - std0) < 0.02 * std0


@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_and_normal(shape):
    rt.manual_seed(1)
    check_uniform(init.uniform_(rt.empty(shape), -0.3, 0.7), -0.3, 0.7)
    check_normal(init.normal_(rt.empty(shape), 0.5, 2.0), 0.5, 2.0)
    check_normal(init.normal_(rt.empty(shape, dtype=rt.float64)), 0.0, 1.0)


@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_and_kaiming(shape):
    rt.manual_seed(2)
    tt = torch.empty(shape)
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(tt)
    a = math.sqrt(6.0 / (fan_in + fan_out)) * 1.5
    check_uniform(init.xavier_uniform_(rt.empty(shape), gain=1.5), -a, a)
    check_normal(init.xavier_normal_(rt.empty(shape), gain=0.5), 0, 0.5 * math.sqrt(2.0 / (fan_in + fan_out)))
    for mode in ("fan_in", "fan_out"):
        fan = fan_in if mode == "fan_in" else fan_out
        for nl, a_ in (("relu", 0), ("leaky_relu", 0.1), ("leaky_relu", math.sqrt(5))):
            gain = tinit.calculate_gain(nl, a_)
            bound = gain * math.sqrt(3.0 / fan)
            check_uniform(init.kaiming_uniform_(rt.empty(shape), a=a_, mode=mode, nonlinearity=nl), -bound, bound)
            check_normal(init.kaiming_normal_(rt.empty(shape), a=a_, mode=mode, nonlinearity=nl), 0,
                         gain / math.sqrt(fan))
    with pytest.raises(ValueError):
        init.kaiming_uniform_(rt.empty(shape), mode="fan_both")


def test_trunc_normal():
    rt.manual_seed(3)
    for (mean, std, a, b) in ((0.0, 1.0, -2.0, 2.0), (0.5, 0.2, 0.0, 1.0), (0.0, 1.0, 2.5, 4.0)):
        t = init.trunc_normal_(rt.empty(200, 300), mean, std, a, b)
        x = t.double().numpy().reshape(-1)
        assert x.min() >= a and x.max() <= b
        # the truncated normal's mean and variance (closed forms)
        al, be = (a - mean) / std, (b - mean) / std
        phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        Phi = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
        Z = Phi(be) - Phi(al)
        m = mean + std * (phi(al) - phi(be)) / Z
        v = std**2 * (1 + (al * phi(al) - be * phi(be)) / Z - ((phi(al) - phi(be)) / Z) ** 2)
        assert abs(x.mean() - m) < 5 * math.sqrt(v / x.size)
        assert abs(x.var() - v) < 0.03 * v


@pytest.mark.parametrize("shape", [(30, 20), (20, 30), (16, 4, 3, 3), (1, 7)])
def test_orthogonal(shape):
    rt.manual_seed(4)
    t = init.orthogonal_(rt.empty(shape), gain=2.0)
    m = t.double().numpy().reshape(shape[0], -1) / 2.0
    rows, cols = m.shape
    gram = m @ m.T if rows <= cols else m.T @ m
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError):
        init.orthogonal_(rt.empty(3))


def test_constants_eye_dirac_sparse():
    t = rt.empty(3, 4)
    assert (init.constant_(t, 0.25).numpy() == 0.25).all()
    assert (init.ones_(t).numpy() == 1).all() and (init.zeros_(t).numpy() == 0).all()
    np.testing.assert_array_equal(init.eye_(rt.empty(3, 4)).numpy(), np.eye(3, 4))
    for shape, groups in (((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)):
        np.testing.assert_array_equal(init.dirac_(rt.empty(shape), groups).numpy(),
                                      tinit.dirac_(torch.empty(shape), groups).numpy())
    rt.manual_seed(5)
    s = init.sparse_(rt.empty(10, 6), sparsity=0.3)
    assert ((s.numpy() == 0).sum(0) >= 3).all()


def test_in_place_samplers_out_of_graph():
    p = nn.Parameter(rt.zeros(5))
    init.uniform_(p)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    with pytest.raises(RuntimeError, match="leaf Variable"):
        p.uniform_()
    with pytest.raises(RuntimeError):
        rt.empty(3).uniform_(1.0, 0.0)
    with pytest.raises(RuntimeError):
        rt.empty(3).normal_(0.0, -1.0)


def test_generator_argument():
    g1, g2 = rt.Generator().manual_seed(9), rt.Generator().manual_seed(9)
    a = init.kaiming_uniform_(rt.empty(8, 8), generator=g1)
    b = init.kaiming_uniform_(rt.empty(8, 8), generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_default_layer_initialisation():
    """Linear: W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a=sqrt(5)), same for b;
    Bilinear: U(-1/sqrt(in1)); Embedding: N(0, 1); LayerNorm/RMSNorm: ones and zeros."""
    rt.manual_seed(6)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    check_uniform(lin.weight.detach(), -bound, bound)
    assert float(lin.bias.abs().max()) <= bound
    bil = nn.Bilinear(50, 40, 30)
    check_uniform(bil.weight.detach(), -1 / math.sqrt(50), 1 / math.sqrt(50))
    check_normal(nn.Embedding(1000, 64).weight.detach(), 0, 1)
    ln = nn.LayerNorm(7)
    assert (ln.weight.detach().numpy() == 1).all() and (ln.bias.detach().numpy() == 0).all()
    assert (nn.RMSNorm(7).weight.detach().numpy() == 1).all()
    assert float(nn.PReLU(3).weight[0]) == 0.25


def test_manual_seed_makes_models_reproducible():
    def build():
        rt.manual_seed(42)
        return nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5), nn.Embedding(4, 3))

    a, b = build(), build()
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    rt.manual_seed(43)
    c = nn.Linear(10, 20)
    assert not np.array_equal(c.weight.detach().numpy(), a[0].weight.detach().numpy())
