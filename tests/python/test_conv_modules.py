"""rusttorch.nn.modules.conv against torch.nn: Conv1d/2d/3d, ConvTranspose1d/2d/3d,
Unfold and Fold. The constructor's attributes, parameter shapes, repr and
errors; forward and backward with torch's weights copied over (every padding
mode, 'same'/'valid', groups, bias or not, unbatched input, output_size= of the
transposes); torch's default initialisation (the bounds and moments of
kaiming_uniform_(a=sqrt(5)) and of the bias, reproducible under
rusttorch.manual_seed)."""
from __future__ import annotations

import re

import copy
import math

import numpy as np
import pytest

import rusttorch as rt
import rusttorch.nn.functional as F
from rusttorch.nn.modules.conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
                                       Fold, Unfold)

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")

OURS = {"Conv1d": Conv1d, "Conv2d": Conv2d, "Conv3d": Conv3d, "ConvTranspose1d": ConvTranspose1d,
        "ConvTranspose2d": ConvTranspose2d, "ConvTranspose3d": ConvTranspose3d, "Unfold": Unfold, "Fold": Fold}
DIMS = {"Conv1d": 1, "Conv2d": 2, "Conv3d": 3, "ConvTranspose1d": 1, "ConvTranspose2d": 2, "ConvTranspose3d": 3}
needs_pad = pytest.mark.skipif(not hasattr(F, "pad"), reason="F.pad (nn/_padding.py) is not in this build yet")


def R(x):
    a = np.array(x.detach().numpy(), copy=True)
    return rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a)


def T(x):
    return torch.from_numpy(np.array(x.detach().numpy(), copy=True))


def N(x):
    return np.array(x.detach().numpy(), copy=True)


def pair(name, *args, **kw):
    """(ours, torch's) built with the same arguments, ours holding torch's parameters."""
    t = getattr(tnn, name)(*args, **kw)
    kw_r = dict(kw)
    if "dtype" in kw_r:
        kw_r["dtype"] = getattr(rt, str(kw_r["dtype"]).split(".")[-1])
    r = OURS[name](*args, **kw_r)
    sd = t.state_dict()
    if sd:
        r.load_state_dict({k: R(v) for k, v in sd.items()})
    return r, t


def close(a, b, rtol, atol, what=""):
    np.testing.assert_allclose(N(a), N(b), rtol=rtol, atol=atol, err_msg=what)


def check_forward_backward(r, t, x_np, what="", rtol=1e-4, atol=1e-5, **fw):
    xr = rt.from_numpy(x_np.copy()).requires_grad_()
    xt = torch.from_numpy(x_np.copy()).requires_grad_()
    out_r, out_t = r(xr, **fw), t(xt, **fw)
    assert tuple(out_r.shape) == tuple(out_t.shape), (what, tuple(out_r.shape), tuple(out_t.shape))
    close(out_r, out_t, rtol, atol, what + " forward")
    gy = np.random.default_rng(1).standard_normal(tuple(out_t.shape)).astype(x_np.dtype)
    (out_t * torch.from_numpy(gy)).sum().backward()
    (out_r * rt.from_numpy(gy.copy())).sum().backward()
    close(xr.grad, xt.grad, rtol, atol, what + " input grad")
    pr, pt = dict(r.named_parameters()), dict(t.named_parameters())
    assert sorted(pr) == sorted(pt), (what, sorted(pr), sorted(pt))
    for k in pt:
        assert pr[k].grad is not None, (what, k)
        close(pr[k].grad, pt[k].grad, rtol, atol, f"{what} grad of {k}")


# ---------------------------------------------------------------- construction, repr, attributes
CONSTRUCT = [
    ("Conv1d", (3, 4, 3), {}),
    ("Conv1d", (4, 6, 2), dict(stride=2, padding=1, dilation=2, groups=2, bias=False)),
    ("Conv1d", (3, 6, 4), dict(padding="same", padding_mode="reflect")),
    ("Conv1d", (3, 6, 4), dict(padding="valid")),
    ("Conv2d", (3, 4, 3), {}),
    ("Conv2d", (3, 4, (2, 3)), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))),
    ("Conv2d", (4, 8, 3), dict(groups=4, padding=1, padding_mode="circular")),
    ("Conv2d", (4, 8, 3), dict(padding="same", dilation=2, padding_mode="replicate", bias=False)),
    ("Conv2d", (2, 2, [1, 2]), dict(stride=[1, 1], padding=[0, 1])),
    ("Conv3d", (2, 3, 2), {}),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(stride=(1, 2, 1), padding=(0, 1, 1), groups=2, padding_mode="zeros")),
    ("ConvTranspose1d", (4, 3, 3), {}),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2)),
    ("ConvTranspose2d", (3, 4, (2, 3)), dict(stride=(2, 3), output_padding=(1, 2))),
    ("ConvTranspose2d", (4, 4, 3), dict(groups=4, dilation=2, padding=2)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2, output_padding=1)),
]


def _cid(c):
    return f"{c[0]}-" + ",".join(f"{k}={v}" for k, v in c[2].items())


@pytest.mark.parametrize("case", CONSTRUCT, ids=_cid)
def test_construction(case):
    name, args, kw = case
    r, t = pair(name, *args, **kw)
    assert repr(r) == repr(t)
    assert r.extra_repr() == t.extra_repr()
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
                 "output_padding", "groups", "padding_mode"):
        assert getattr(r, attr) == getattr(t, attr), (attr, getattr(r, attr), getattr(t, attr))
    assert list(r._reversed_padding_repeated_twice) == list(t._reversed_padding_repeated_twice)
    assert tuple(r.weight.shape) == tuple(t.weight.shape)
    assert isinstance(r.weight, rt.nn.Parameter) and r.weight.requires_grad
    if t.bias is None:
        assert r.bias is None
        assert "bias" not in r.state_dict()
    else:
        assert tuple(r.bias.shape) == tuple(t.bias.shape)
    assert list(r.state_dict()) == list(t.state_dict())
    assert [n for n, _ in r.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert r.weight.dtype is rt.float32


def test_dtype_factory_and_device():
    for name, args in [("Conv2d", (2, 3, 3)), ("ConvTranspose1d", (2, 3, 3)), ("Conv3d", (1, 1, 1))]:
        m = OURS[name](*args, dtype=rt.float64)
        assert m.weight.dtype is rt.float64 and m.bias.dtype is rt.float64
        m = OURS[name](*args, device="cpu")
        assert m.weight.dtype is rt.float32


def test_fold_unfold_construction():
    for name, args, kw in [("Unfold", (2,), {}), ("Unfold", ((2, 3),), dict(dilation=(1, 2), padding=1, stride=2)),
                           ("Fold", ((4, 5), 2), {}),
                           ("Fold", (6, (2, 3)), dict(dilation=2, padding=(1, 0), stride=1))]:
        r, t = pair(name, *args, **kw)
        assert repr(r) == repr(t)
        assert list(r.parameters()) == []
        for attr in ("kernel_size", "dilation", "padding", "stride"):
            assert getattr(r, attr) == getattr(t, attr)


# ---------------------------------------------------------------- forward and backward vs torch
FORWARD = [
    ("Conv1d", (3, 4, 3), {}, (2, 3, 10)),
    ("Conv1d", (4, 6, 2), dict(stride=2, padding=1, dilation=2, groups=2, bias=False), (2, 4, 9)),
    ("Conv1d", (3, 6, 4), dict(padding="same"), (3, 9)),  # unbatched
    ("Conv1d", (3, 6, 3), dict(groups=3, padding="valid"), (2, 3, 7)),
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 7, 8)),
    ("Conv2d", (3, 4, (2, 3)), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2)), (2, 3, 9, 8)),
    ("Conv2d", (4, 8, 3), dict(groups=4, padding="same", dilation=2), (2, 4, 7, 7)),
    ("Conv2d", (8, 16, 3), dict(padding=1), (2, 8, 20, 20)),
    ("Conv2d", (3, 2, 1), dict(bias=False), (3, 5, 5)),  # unbatched
    ("Conv3d", (2, 3, 2), dict(padding=1), (2, 2, 4, 5, 4)),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(stride=(1, 2, 1), padding=(0, 1, 1), groups=2), (2, 2, 3, 6, 5)),
    ("ConvTranspose1d", (4, 3, 3), {}, (2, 4, 6)),
    ("ConvTranspose1d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2),
     (2, 4, 5)),
    ("ConvTranspose2d", (3, 4, (2, 3)), dict(stride=(2, 3), output_padding=(1, 2)), (2, 3, 4, 4)),
    ("ConvTranspose2d", (4, 4, 3), dict(groups=4, dilation=2, padding=2), (4, 5, 5)),  # unbatched
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2, output_padding=1), (1, 2, 3, 3, 2)),
    ("Unfold", ((2, 3),), dict(dilation=(1, 2), padding=1, stride=2), (2, 3, 7, 8)),
    ("Unfold", (3,), {}, (2, 5, 5)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Fold", (6, (2, 3)), dict(dilation=2, padding=(1, 0), stride=1), (12, 12)),  # unbatched: (C*k, L)
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", FORWARD, ids=lambda c: f"{c[0]}-{'x'.join(map(str, c[3]))}")
def test_forward_backward(case, dtype):
    name, args, kw, xs = case
    kw = dict(kw)
    if name not in ("Unfold", "Fold"):
        kw["dtype"] = getattr(torch, dtype)
    r, t = pair(name, *args, **kw)
    x = np.random.default_rng(FORWARD.index(case)).standard_normal(xs).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    check_forward_backward(r, t, x, f"{name}{args}{kw}", **tol)


PAD_MODES = [
    ("Conv1d", (3, 4, 3), dict(padding=2), (2, 3, 8)),
    ("Conv1d", (3, 4, 4), dict(padding="same", dilation=2), (3, 9)),
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 6, 7)),
    ("Conv2d", (3, 4, (2, 3)), dict(padding=(1, 2), stride=(2, 1)), (2, 3, 6, 7)),
    ("Conv2d", (4, 4, (2, 3)), dict(padding="same", groups=2), (2, 4, 6, 7)),
    ("Conv2d", (3, 2, 3), dict(padding=1, dilation=2), (3, 6, 6)),  # unbatched
    ("Conv3d", (2, 3, 3), dict(padding=(1, 0, 1)), (1, 2, 4, 4, 5)),
    ("Conv3d", (2, 3, 2), dict(padding="same"), (1, 2, 4, 4, 4)),
]


@needs_pad
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("case", PAD_MODES, ids=lambda c: f"{c[0]}-{c[2]}")
def test_padding_modes(case, mode):
    name, args, kw, xs = case
    r, t = pair(name, *args, padding_mode=mode, **kw)
    assert repr(r) == repr(t)
    x = np.random.default_rng(PAD_MODES.index(case) + 10).standard_normal(xs).astype(np.float32)
    check_forward_backward(r, t, x, f"{name} {mode} {kw}")


def test_zeros_padding_mode_does_not_call_pad(monkeypatch):
    """padding_mode='zeros' convolves with the padding (no F.pad), as torch."""
    import rusttorch.nn.functional as Fmod

    def boom(*a, **k):
        raise AssertionError("F.pad called")

    monkeypatch.setattr(Fmod, "pad", boom, raising=False)
    r, t = pair("Conv2d", 2, 3, 3, padding=1)
    check_forward_backward(r, t, np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32))


# ---------------------------------------------------------------- output_size of the transposes
@pytest.mark.parametrize("name,args,kw,xs,sizes", [
    ("ConvTranspose1d", (2, 3, 3), dict(stride=3, padding=1), (2, 2, 4), [[10], [11], [12], (2, 3, 12)]),
    ("ConvTranspose2d", (2, 3, 3), dict(stride=2, padding=1), (2, 2, 4, 5), [[7, 9], [8, 10], (2, 3, 8, 9)]),
    ("ConvTranspose2d", (2, 3, 3), dict(stride=(2, 3), dilation=2), (2, 4, 5), [[11, 17], (3, 12, 19), [12, 18]]),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2), (1, 2, 2, 3, 2), [[4, 6, 4], [5, 7, 5], (1, 2, 5, 6, 4)]),
])
def test_output_size(name, args, kw, xs, sizes):
    r, t = pair(name, *args, **kw)
    x = np.random.default_rng(3).standard_normal(xs).astype(np.float32)
    for size in sizes:
        check_forward_backward(r, t, x, f"{name} output_size={size}", output_size=size)
        r.zero_grad()
        t.zero_grad()


@pytest.mark.parametrize("name,args,kw,xs,size", [
    ("ConvTranspose1d", (2, 3, 3), dict(stride=3, padding=1), (2, 2, 4), [13]),
    ("ConvTranspose1d", (2, 3, 3), dict(stride=3, padding=1), (2, 2, 4), [9]),
    ("ConvTranspose2d", (2, 3, 3), dict(stride=2, padding=1), (2, 2, 4, 5), [7, 11]),
    ("ConvTranspose2d", (2, 3, 3), dict(stride=2, padding=1), (2, 2, 4, 5), [7]),
    ("ConvTranspose2d", (2, 3, 3), dict(stride=2, padding=1), (2, 2, 4, 5), [1, 2, 3, 7, 9]),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2), (1, 2, 2, 3, 2), [4, 6]),
])
def test_output_size_errors(name, args, kw, xs, size):
    r, t = pair(name, *args, **kw)
    x = np.random.default_rng(3).standard_normal(xs).astype(np.float32)
    with pytest.raises(ValueError) as te:
        t(torch.from_numpy(x), output_size=size)
    with pytest.raises(ValueError) as re_:
        r(rt.from_numpy(x), output_size=size)
    # torch's message ends with the input's spatial size as torch.Size([...]); compare up to it
    msg_t, msg_r = str(te.value), str(re_.value)
    assert msg_r.split("(for an input of")[0] == msg_t.split("(for an input of")[0], (msg_r, msg_t)


# ---------------------------------------------------------------- errors
CTOR_ERRORS = [
    ("Conv2d", (4, 4, 3), dict(groups=0)),
    ("Conv2d", (4, 4, 3), dict(groups=-1)),
    ("Conv2d", (3, 4, 3), dict(groups=2)),
    ("Conv2d", (4, 3, 3), dict(groups=2)),
    ("Conv1d", (3, 4, 3), dict(padding="full")),
    ("Conv2d", (3, 4, 3), dict(padding="same", stride=2)),
    ("Conv3d", (3, 4, 3), dict(padding="same", stride=(1, 1, 2))),
    ("Conv2d", (3, 4, 3), dict(padding_mode="mirror")),
    ("ConvTranspose2d", (3, 4, 3), dict(padding_mode="reflect")),
    ("ConvTranspose1d", (3, 4, 3), dict(padding_mode="circular")),
    ("ConvTranspose2d", (4, 3, 3), dict(groups=2)),
]


@pytest.mark.parametrize("case", CTOR_ERRORS, ids=_cid)
def test_constructor_errors(case):
    name, args, kw = case
    with pytest.raises(Exception) as te:
        getattr(tnn, name)(*args, **kw)
    with pytest.raises(type(te.value)) as re_:
        OURS[name](*args, **kw)
    # A printed set (padding_mode's choices) may list its items in another order.
    norm = lambda m: re.sub(r"\{[^}]*\}", lambda g: str(sorted(g.group(0)[1:-1].split(", "))), m)  # noqa: E731
    assert norm(str(re_.value)) == norm(str(te.value))


def test_forward_errors_match_functional():
    """A module's bad input raises what torch's module raises (the functional's checks)."""
    r, t = pair("Conv2d", 3, 4, 3)
    for xs in [(1, 4, 5, 5), (5, 5), (1, 3, 2, 2)]:
        x = np.ones(xs, np.float32)
        with pytest.raises(RuntimeError) as te:
            t(torch.from_numpy(x))
        with pytest.raises(RuntimeError) as re_:
            r(rt.from_numpy(x))
        assert str(re_.value) == str(te.value)
    r, t = pair("ConvTranspose2d", 3, 4, 3)
    with pytest.raises(RuntimeError) as te:
        t(torch.ones(1, 4, 5, 5))
    with pytest.raises(RuntimeError) as re_:
        r(rt.ones(1, 4, 5, 5))
    assert str(re_.value) == str(te.value)


def test_padding_mode_changed_after_construction():
    r, t = pair("ConvTranspose1d", 2, 3, 3)
    r.padding_mode = t.padding_mode = "reflect"
    with pytest.raises(ValueError) as te:
        t(torch.ones(1, 2, 4))
    with pytest.raises(ValueError) as re_:
        r(rt.ones(1, 2, 4))
    assert str(re_.value) == str(te.value)


# ---------------------------------------------------------------- initialisation
INIT = [
    ("Conv2d", (16, 32, 3), {}),
    ("Conv2d", (16, 32, (3, 5)), dict(groups=4)),
    ("Conv1d", (8, 64, 7), {}),
    ("Conv3d", (4, 16, 3), {}),
    ("ConvTranspose2d", (32, 16, 3), {}),  # fan_in from weight.size(1) = out_channels / groups
    ("ConvTranspose1d", (16, 24, 5), dict(groups=2)),
    ("ConvTranspose3d", (8, 4, 3), {}),
]


@pytest.mark.parametrize("case", INIT, ids=_cid)
def test_default_init(case):
    """weight ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with a=sqrt(5)), bias the same."""
    name, args, kw = case
    rt.manual_seed(1234)
    m = OURS[name](*args, **kw)
    t = getattr(tnn, name)(*args, **kw)
    w = N(m.weight).astype(np.float64).reshape(-1)
    fan_in = m.weight.shape[1] * math.prod(m.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    tw = t.weight.detach().numpy().reshape(-1)
    assert math.isclose(float(np.abs(tw).max()), bound, rel_tol=0.05)  # the test's bound is torch's
    n = w.size
    assert np.abs(w).max() > bound * (1 - 10 / n)  # the range is reached
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * n)
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)
    # the distribution: a uniform's deciles
    dec = np.quantile(w, np.linspace(0.1, 0.9, 9))
    np.testing.assert_allclose(dec, np.linspace(-0.8, 0.8, 9) * bound, atol=0.06 * bound)
    b = N(m.bias).astype(np.float64)
    assert np.abs(b).max() <= bound * (1 + 1e-6)
    assert np.unique(b).size == b.size


def test_init_reproducible_and_reset():
    rt.manual_seed(7)
    a = Conv2d(3, 8, 3)
    rt.manual_seed(7)
    b = Conv2d(3, 8, 3)
    np.testing.assert_array_equal(N(a.weight), N(b.weight))
    np.testing.assert_array_equal(N(a.bias), N(b.bias))
    before = N(a.weight)
    a.reset_parameters()
    assert not np.array_equal(before, N(a.weight))
    assert a.weight.requires_grad and a.weight.grad is None


def test_zero_size_weight_init_warns():
    with pytest.warns(UserWarning):
        t = tnn.Conv2d(0, 4, 3)
    with pytest.warns(UserWarning):
        m = Conv2d(0, 4, 3)
    assert tuple(m.weight.shape) == tuple(t.weight.shape)
    np.testing.assert_array_equal(N(m.bias), np.zeros(4, np.float32))  # bound 0 where fan_in is 0


# ---------------------------------------------------------------- Module behaviour
def test_training_step_matches_torch():
    """Two SGD steps on a conv net give torch's weights."""
    from rusttorch.nn import Sequential, ReLU, Flatten, Linear

    tnet = tnn.Sequential(tnn.Conv2d(2, 4, 3, padding=1), tnn.ReLU(), tnn.Conv2d(4, 4, 3, stride=2, groups=2),
                          tnn.ReLU(), tnn.Flatten(), tnn.Linear(4 * 3 * 3, 3))
    rnet = Sequential(Conv2d(2, 4, 3, padding=1), ReLU(), Conv2d(4, 4, 3, stride=2, groups=2), ReLU(), Flatten(),
                      Linear(4 * 3 * 3, 3))
    rnet.load_state_dict({k: R(v) for k, v in tnet.state_dict().items()})
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1)
    ropt = rt.optim.SGD(rnet.parameters(), lr=0.1)
    x = np.random.default_rng(0).standard_normal((4, 2, 8, 8)).astype(np.float32)
    for _ in range(2):
        topt.zero_grad()
        ropt.zero_grad()
        (tnet(torch.from_numpy(x)) ** 2).mean().backward()
        (rnet(rt.from_numpy(x.copy())) ** 2).mean().backward()
        topt.step()
        ropt.step()
    for (k, a), (_, b) in zip(rnet.state_dict().items(), tnet.state_dict().items()):
        close(a, b, 1e-4, 1e-5, k)


def test_deepcopy_and_state_dict_roundtrip():
    m = Conv2d(3, 4, 3, padding="same", padding_mode="zeros", bias=True)
    c = copy.deepcopy(m)
    assert repr(c) == repr(m)
    np.testing.assert_array_equal(N(c.weight), N(m.weight))
    assert c.weight is not m.weight
    n = Conv2d(3, 4, 3, padding="same")
    n.load_state_dict(m.state_dict())
    x = rt.randn(1, 3, 5, 5)
    np.testing.assert_array_equal(N(n(x)), N(m(x)))


def test_unfold_fold_modules_inverse():
    """fold(unfold(x)) == divisor * x, as torch documents."""
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 7)).astype(np.float64)
    kw = dict(kernel_size=(2, 3), dilation=1, padding=1, stride=1)
    u, f = Unfold(**kw), Fold(output_size=(6, 7), **kw)
    ones = rt.ones(2, 3, 6, 7, dtype=rt.float64)
    divisor = f(u(ones))
    got = f(u(rt.from_numpy(x.copy())))
    np.testing.assert_allclose(N(got), N(divisor) * x, rtol=1e-12, atol=1e-12)
    exp = tnn.Fold(output_size=(6, 7), **kw)(tnn.Unfold(**kw)(torch.from_numpy(x)))
    np.testing.assert_allclose(N(got), exp.numpy(), rtol=1e-12, atol=1e-12)
