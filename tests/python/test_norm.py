"""batch_norm / instance_norm / group_norm and BatchNorm*d / InstanceNorm*d / GroupNorm against torch 2.13:
forward, gradients of input, weight and bias, running statistics, modes, state dicts and errors."""
from __future__ import annotations

import re

import numpy as np
import pytest

import rusttorch as rt
import rusttorch.nn as nn
import rusttorch.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

TOL = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-5, atol=1e-5)}


def R(x):  # torch -> rusttorch (a copy)
    a = np.array(x.detach().numpy(), copy=True)
    return rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a)


def close(ours, theirs, dtype="float64"):
    np.testing.assert_allclose(np.asarray(ours.detach().numpy()), theirs.detach().numpy(), **TOL[dtype])


def leaf_pair(t, dtype):
    t = t.to(getattr(torch, dtype)).requires_grad_(True)
    r = R(t).requires_grad_(True)
    return r, t


def check_fn(fn_rt, fn_t, shape, C, dtype, seed, affine=True, **kw):
    g = torch.Generator().manual_seed(seed)
    xr, xt = leaf_pair(torch.randn(shape, generator=g) * 3 + 1, dtype)
    wr, wt = leaf_pair(torch.randn(C, generator=g), dtype) if affine else (None, None)
    br, bt = leaf_pair(torch.randn(C, generator=g), dtype) if affine else (None, None)
    gout = torch.randn(shape, generator=g).to(getattr(torch, dtype))
    yr, yt = fn_rt(xr, wr, br, **kw), fn_t(xt, wt, bt, **kw)
    close(yr, yt, dtype)
    (yr * R(gout)).sum().backward()
    (yt * gout).sum().backward()
    close(xr.grad, xt.grad, dtype)
    if affine:
        close(wr.grad, wt.grad, dtype)
        close(br.grad, bt.grad, dtype)


SHAPES = [(5, 3), (4, 3, 6), (2, 3, 4, 5), (2, 3, 2, 3, 2)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional(dtype, shape, training):
    C = shape[1]
    g = torch.Generator().manual_seed(1)
    rm_t = torch.randn(C, generator=g).to(getattr(torch, dtype))
    rv_t = (torch.rand(C, generator=g) + 0.5).to(getattr(torch, dtype))
    rm_r, rv_r = R(rm_t), R(rv_t)
    check_fn(lambda x, w, b: F.batch_norm(x, rm_r, rv_r, w, b, training, 0.3, 1e-3),
             lambda x, w, b: TF.batch_norm(x, rm_t, rv_t, w, b, training, 0.3, 1e-3), shape, C, dtype, 7)
    close(rm_r, rm_t, dtype)
    close(rv_r, rv_t, dtype)


def test_batch_norm_no_running_stats_and_no_affine():
    check_fn(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True), (4, 3, 5), 3, "float64", 2,
             affine=False)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES[1:])
@pytest.mark.parametrize("running", [False, True])
def test_instance_norm_functional(dtype, shape, running):
    C = shape[1]
    rm_t = torch.linspace(-1, 1, C).to(getattr(torch, dtype)) if running else None
    rv_t = torch.linspace(0.5, 2, C).to(getattr(torch, dtype)) if running else None
    rm_r = R(rm_t) if running else None
    rv_r = R(rv_t) if running else None
    check_fn(lambda x, w, b: F.instance_norm(x, rm_r, rv_r, w, b, momentum=0.2, eps=1e-4),
             lambda x, w, b: TF.instance_norm(x, rm_t, rv_t, w, b, momentum=0.2, eps=1e-4), shape, C, dtype, 3)
    if running:
        close(rm_r, rm_t, dtype)
        close(rv_r, rv_t, dtype)
        # use_input_stats=False normalizes with the running stats
        check_fn(lambda x, w, b: F.instance_norm(x, rm_r, rv_r, w, b, use_input_stats=False),
                 lambda x, w, b: TF.instance_norm(x, rm_t, rv_t, w, b, use_input_stats=False), shape, C, dtype, 4)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,groups", [((4, 12), 3), ((3, 6, 5), 2), ((2, 4, 3, 5), 4), ((2, 6, 2, 3, 2), 1),
                                          ((2, 6, 7), 6)])
def test_group_norm_functional(dtype, shape, groups):
    check_fn(lambda x, w, b: F.group_norm(x, groups, w, b, 1e-4),
             lambda x, w, b: TF.group_norm(x, groups, w, b, 1e-4), shape, shape[1], dtype, 5)
    check_fn(lambda x, w, b: F.group_norm(x, groups),
             lambda x, w, b: TF.group_norm(x, groups), shape, shape[1], dtype, 6, affine=False)


def sync(ours, theirs):
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(hash(name) % 1000)))
    ours.load_state_dict({k: R(v) for k, v in theirs.state_dict().items()})


def check_module(ours, theirs, shape, steps=4, seed=0):
    sync(ours, theirs)
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        xt = (torch.randn(shape, generator=g) * 2 + 0.5).double().requires_grad_(True)
        xr = R(xt).requires_grad_(True)
        yr, yt = ours(xr), theirs(xt)
        close(yr, yt)
        gout = torch.randn(shape, generator=g).double()
        (yr * R(gout)).sum().backward()
        (yt * gout).sum().backward()
        close(xr.grad, xt.grad)
    for name, p in theirs.named_parameters():
        close(getattr(ours, name).grad, p.grad)
    sd_r, sd_t = ours.state_dict(), theirs.state_dict()
    for k in sd_t:
        if sd_t[k] is not None:
            np.testing.assert_allclose(np.asarray(sd_r[k].numpy()), sd_t[k].numpy(), rtol=1e-10, atol=1e-12)
            assert str(sd_r[k].dtype).split(".")[-1] == str(sd_t[k].dtype).split(".")[-1]


BN = [(nn.BatchNorm1d, tnn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, tnn.BatchNorm1d, (4, 3, 5)),
      (nn.BatchNorm2d, tnn.BatchNorm2d, (3, 3, 4, 2)), (nn.BatchNorm3d, tnn.BatchNorm3d, (2, 3, 2, 3, 2))]


@pytest.mark.parametrize("R_cls,T_cls,shape", BN)
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"momentum": 0.5, "eps": 1e-3},
                                {"affine": False}, {"track_running_stats": False},
                                {"bias": False}])
def test_batch_norm_modules(R_cls, T_cls, shape, kw):
    ours, theirs = R_cls(3, dtype=rt.float64, **kw), T_cls(3, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, shape)
    ours.eval(), theirs.eval()
    check_module(ours, theirs, shape, steps=2, seed=1)
    if kw.get("track_running_stats", True):
        assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked.item()) == 4
        ours.reset_running_stats(), theirs.reset_running_stats()
        check_module(ours, theirs, shape, steps=1, seed=2)


IN = [(nn.InstanceNorm1d, tnn.InstanceNorm1d, (4, 3, 5)), (nn.InstanceNorm1d, tnn.InstanceNorm1d, (3, 5)),
      (nn.InstanceNorm2d, tnn.InstanceNorm2d, (2, 3, 4, 2)), (nn.InstanceNorm2d, tnn.InstanceNorm2d, (3, 4, 2)),
      (nn.InstanceNorm3d, tnn.InstanceNorm3d, (2, 3, 2, 3, 2))]


@pytest.mark.parametrize("R_cls,T_cls,shape", IN)
@pytest.mark.parametrize("kw", [{}, {"affine": True}, {"track_running_stats": True, "momentum": 0.3},
                                {"affine": True, "track_running_stats": True, "momentum": None},
                                {"affine": True, "bias": False}])
def test_instance_norm_modules(R_cls, T_cls, shape, kw):
    ours, theirs = R_cls(3, dtype=rt.float64, **kw), T_cls(3, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, shape)
    ours.eval(), theirs.eval()
    check_module(ours, theirs, shape, steps=2, seed=1)


@pytest.mark.parametrize("groups,channels,shape", [(2, 4, (3, 4, 5)), (3, 6, (2, 6, 2, 3)), (1, 3, (4, 3))])
@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"bias": False}])
def test_group_norm_module(groups, channels, shape, kw):
    ours = nn.GroupNorm(groups, channels, dtype=rt.float64, **kw)
    theirs = tnn.GroupNorm(groups, channels, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, shape, steps=2)


def test_module_defaults_and_buffers():
    for R_cls, T_cls in [(nn.BatchNorm2d, tnn.BatchNorm2d), (nn.InstanceNorm2d, tnn.InstanceNorm2d)]:
        ours, theirs = R_cls(4), T_cls(4)
        assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        for k, v in theirs.state_dict().items():
            np.testing.assert_array_equal(np.asarray(ours.state_dict()[k].numpy()), v.numpy())
    bn = nn.BatchNorm1d(3)
    assert bn.num_batches_tracked.dtype == rt.int64 and bn.weight.dtype == rt.float32
    assert bn.running_mean.dtype == rt.float32
    inn = nn.InstanceNorm1d(3)
    assert inn.weight is None and inn.running_mean is None and not inn.affine and not inn.track_running_stats
    gn = nn.GroupNorm(2, 4)
    assert list(gn.state_dict().keys()) == ["weight", "bias"]


def test_eval_without_running_stats_uses_batch_stats():
    ours, theirs = nn.BatchNorm1d(3, track_running_stats=False), tnn.BatchNorm1d(3, track_running_stats=False)
    ours.eval(), theirs.eval()
    xt = torch.randn(5, 3, generator=torch.Generator().manual_seed(9))
    close(ours(R(xt)), theirs(xt), "float32")


def _raises(exc, fn_rt, fn_t):
    with pytest.raises(exc) as e_t:
        fn_t()
    msg = str(e_t.value).replace("torch.Size", "rusttorch.Size")
    with pytest.raises(exc, match=re.escape(msg)):
        fn_rt()


def test_errors():
    x3t = torch.randn(4, 3, 5)
    x3r = R(x3t)
    cases = [
        (ValueError, lambda m: m.batch_norm(m.randn(1, 3, 1), m.zeros(3), m.ones(3), training=True)),
        (ValueError, lambda m: m.batch_norm(m.randn(1, 3), None, None, training=True)),
        (RuntimeError, lambda m: m.batch_norm(m.randn(4, 3, 5), m.zeros(4), m.ones(3), training=True)),
        (RuntimeError, lambda m: m.batch_norm(m.randn(4, 3, 5), m.zeros(3), m.ones(2))),
        (RuntimeError, lambda m: m.batch_norm(m.randn(4, 3, 5), m.zeros(3), m.ones(3), m.ones(2))),
        (RuntimeError, lambda m: m.batch_norm(m.randn(4, 3, 5), m.zeros(3), m.ones(3), None, m.ones(4))),
        (RuntimeError, lambda m: m.batch_norm(m.randn(4, 3, 5), None, None, training=False)),
        (TypeError, lambda m: m.batch_norm(m.randn(4, 3, 5), m.zeros(3), m.ones(3), training=True, momentum=None)),
        (ValueError, lambda m: m.instance_norm(m.randn(2, 3, 1))),
        (RuntimeError, lambda m: m.instance_norm(m.randn(2, 3, 4), use_input_stats=False)),
        (RuntimeError, lambda m: m.instance_norm(m.randn(2, 3, 4), m.zeros(4), m.ones(4))),
        (RuntimeError, lambda m: m.group_norm(m.randn(2, 5, 3), 2)),
        (RuntimeError, lambda m: m.group_norm(m.randn(2, 6, 3), 2, m.ones(4))),
        (RuntimeError, lambda m: m.group_norm(m.randn(3), 1)),
        (ValueError, lambda m: m.group_norm(m.randn(1, 2), 2)),
    ]

    class NS:
        def __init__(self, mod, fns):
            self.mod, self.fns = mod, fns

        def __getattr__(self, name):
            return getattr(self.fns, name, None) or getattr(self.mod, name)

    rt_ns, t_ns = NS(rt, F), NS(torch, TF)
    for exc, fn in cases:
        _raises(exc, lambda: fn(rt_ns), lambda: fn(t_ns))
    for R_cls, T_cls, shape in [(nn.BatchNorm1d, tnn.BatchNorm1d, (2, 3, 4, 5)),
                                (nn.BatchNorm2d, tnn.BatchNorm2d, (4, 3, 5)),
                                (nn.BatchNorm3d, tnn.BatchNorm3d, (2, 3, 4, 5)),
                                (nn.InstanceNorm1d, tnn.InstanceNorm1d, (2, 3, 4, 5)),
                                (nn.InstanceNorm2d, tnn.InstanceNorm2d, (3, 4)),
                                (nn.InstanceNorm3d, tnn.InstanceNorm3d, (3, 4, 5))]:
        _raises(ValueError, lambda: R_cls(3)(rt.randn(*shape)), lambda: T_cls(3)(torch.randn(*shape)))
    _raises(ValueError, lambda: nn.InstanceNorm1d(4, affine=True)(x3r), lambda: tnn.InstanceNorm1d(4, affine=True)(x3t))
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm1d(4)(x3r)
    _raises(ValueError, lambda: nn.GroupNorm(2, 5), lambda: tnn.GroupNorm(2, 5))
    _raises(ValueError, lambda: nn.BatchNorm1d(3)(rt.randn(1, 3)), lambda: tnn.BatchNorm1d(3)(torch.randn(1, 3)))
