"""rusttorch.nn modules against torch.nn: the Module API (registration,
iteration, state dicts, modes, hooks, repr), and every layer's forward and
backward with the same weights, on random data with fixed seeds."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import rusttorch as rt
import rusttorch.nn as nn
import rusttorch.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def T(x):  # rusttorch -> torch (a copy)
    return torch.from_numpy(np.array(x.detach().numpy(), copy=True))


def R(x):  # torch -> rusttorch (a copy)
    a = np.array(x.detach().numpy(), copy=True)
    return rt.tensor(a) if a.ndim == 0 else rt.from_numpy(a)


def copy_weights(ours, theirs):
    """Our module gets torch's initial weights (the same names must exist on both)."""
    sd = {k: R(v) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(sd)


def close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


def mlp_pair():
    t = tnn.Sequential(tnn.Linear(6, 16), tnn.ReLU(), tnn.Linear(16, 16), tnn.Tanh(), tnn.Linear(16, 3))
    r = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3))
    copy_weights(r, t)
    return r, t


class NetR(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.body = nn.ModuleList([nn.Linear(4, 4), nn.LayerNorm(4)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2), "b": nn.Linear(4, 1, bias=False)})
        self.register_buffer("count", rt.zeros(1))
        self.register_buffer("scratch", rt.zeros(2), persistent=False)
        self.scale = nn.Parameter(rt.ones(()))

    def forward(self, idx):
        h = self.emb(idx)
        for m in self.body:
            h = m(h)
        return self.heads["a"](h).sum() + self.heads["b"](h).sum() * self.scale


class NetT(tnn.Module):
    def __init__(self):
        super().__init__()
        self.emb = tnn.Embedding(10, 4)
        self.body = tnn.ModuleList([tnn.Linear(4, 4), tnn.LayerNorm(4)])
        self.heads = tnn.ModuleDict({"a": tnn.Linear(4, 2), "b": tnn.Linear(4, 1, bias=False)})
        self.register_buffer("count", torch.zeros(1))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)
        self.scale = tnn.Parameter(torch.ones(()))

    def forward(self, idx):
        h = self.emb(idx)
        for m in self.body:
            h = m(h)
        return self.heads["a"](h).sum() + self.heads["b"](h).sum() * self.scale


# ---- the Module API ----
def test_names_match_torch():
    r, t = NetR(), NetT()
    assert [n for n, _ in r.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in r.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in r.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in r.named_children()] == [n for n, _ in t.named_children()]
    assert list(r.state_dict()) == list(t.state_dict())
    assert len(list(r.parameters())) == len(list(t.parameters()))
    assert len(list(r.modules())) == len(list(t.modules()))
    assert [n for n, _ in r.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in r.named_parameters(prefix="m")] == [n for n, _ in t.named_parameters(prefix="m")]


def test_forward_backward_of_a_composite_model():
    r, t = NetR(), NetT()
    copy_weights(r, t)
    idx = np.random.default_rng(0).integers(0, 10, size=(5, 3))
    lr_, lt = r(rt.from_numpy(idx.copy())), t(torch.from_numpy(idx.copy()))
    close(lr_, lt)
    lr_.backward()
    lt.backward()
    for (n, p), (_, q) in zip(r.named_parameters(), t.named_parameters()):
        close(p.grad, q.grad, rtol=1e-4, atol=1e-5)


def test_shared_modules_and_parameters_are_listed_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    tl = tnn.Linear(3, 3)
    tseq = tnn.Sequential(tl, tnn.ReLU(), tl)
    assert [n for n, _ in seq.named_parameters()] == [n for n, _ in tseq.named_parameters()]
    assert [n for n, _ in seq.named_modules()] == [n for n, _ in tseq.named_modules()]
    assert list(seq.state_dict()) == list(tseq.state_dict())
    assert len(list(seq.named_modules(remove_duplicate=False))) == len(
        list(tseq.named_modules(remove_duplicate=False)))


def test_state_dict_round_trip_and_strictness():
    r, t = NetR(), NetT()
    copy_weights(r, t)
    sd = r.state_dict()
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(sd[k].numpy(), v.numpy())
        assert sd[k].requires_grad is False
    r2 = NetR()
    res = r2.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    for k in sd:
        np.testing.assert_array_equal(r2.state_dict()[k].numpy(), sd[k].numpy())
    bad = dict(sd)
    del bad["emb.weight"]
    bad["extra.weight"] = rt.zeros(1)
    with pytest.raises(RuntimeError) as e_rt:
        r2.load_state_dict(bad)
    with pytest.raises(RuntimeError) as e_t:
        NetT().load_state_dict({k: T(v) for k, v in bad.items()})
    assert str(e_rt.value).replace("NetR", "NetT") == str(e_t.value)
    res = r2.load_state_dict(bad, strict=False)
    res_t = NetT().load_state_dict({k: T(v) for k, v in bad.items()}, strict=False)
    assert res.missing_keys == res_t.missing_keys and res.unexpected_keys == res_t.unexpected_keys
    wrong = dict(sd)
    wrong["emb.weight"] = rt.zeros(3, 3)
    with pytest.raises(RuntimeError, match="size mismatch for emb.weight"):
        r2.load_state_dict(wrong)


def test_keep_vars_and_parameters_share_storage():
    lin = nn.Linear(2, 2)
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight
    w = lin.state_dict()["weight"]
    with rt.no_grad():
        lin.weight.add_(1)
    np.testing.assert_array_equal(w.numpy(), lin.weight.detach().numpy())  # a detached alias, as torch's


def test_train_eval_requires_grad_zero_grad_apply():
    r, _ = mlp_pair()
    assert all(m.training for m in r.modules())
    r.eval()
    assert not any(m.training for m in r.modules())
    r.train()
    assert all(m.training for m in r.modules())
    r(rt.randn(4, 6)).sum().backward()
    assert all(p.grad is not None for p in r.parameters())
    r.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in r.parameters())
    r.zero_grad()
    assert all(p.grad is None for p in r.parameters())
    r.requires_grad_(False)
    assert not any(p.requires_grad for p in r.parameters())
    seen = []
    r.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Tanh", "Linear", "Sequential"]  # children first, as torch


def test_to_dtype_keeps_parameter_objects():
    r, t = mlp_pair()
    w = r[0].weight
    r.to(rt.float64)
    assert r[0].weight is w and w.dtype == rt.float64 and isinstance(w, nn.Parameter) and w.requires_grad
    t.to(torch.float64)
    x = np.random.default_rng(1).standard_normal((3, 6))
    close(r(rt.from_numpy(x.copy())), t(torch.from_numpy(x.copy())), rtol=1e-12, atol=1e-12)
    r.float()
    assert r[0].weight.dtype == rt.float32
    with pytest.raises(TypeError):
        r.to(rt.int64)
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        r.to("cuda")
    assert r.to("cpu") is r


def test_parameter_and_attribute_errors():
    m = nn.Module()
    with pytest.raises(TypeError):
        m.register_parameter("w", rt.zeros(2))  # a plain tensor is not a Parameter
    with pytest.raises(KeyError):
        m.register_parameter("a.b", nn.Parameter(rt.zeros(1)))
    m.w = nn.Parameter(rt.zeros(2))
    with pytest.raises(TypeError):
        m.w = rt.zeros(2)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        m.nope
    y = nn.Parameter(rt.zeros(2)) * 2
    with pytest.raises(TypeError):
        m.register_parameter("y", y)
    p = nn.Parameter(rt.randn(3))
    assert p.requires_grad and p.is_leaf and isinstance(p, rt.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(rt.randn(3), requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.data_ptr() != p.data_ptr()
    np.testing.assert_array_equal(q.detach().numpy(), p.detach().numpy())
    del m.w
    assert "w" not in dict(m.named_parameters())


def test_deepcopy_of_a_model():
    r, _ = mlp_pair()
    r2 = copy.deepcopy(r)
    for p, q in zip(r.parameters(), r2.parameters()):
        assert p is not q and p.data_ptr() != q.data_ptr()
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_forward_hooks():
    lin = nn.Linear(3, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: calls.append("pre") or (args[0] * 2,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append("post") or out + 1)
    x = rt.randn(4, 3)
    y = lin(x)
    expected = F.linear(x * 2, lin.weight, lin.bias) + 1
    close(y, expected)
    assert calls == ["pre", "post"]
    h1.remove()
    h2.remove()
    close(lin(x), F.linear(x, lin.weight, lin.bias))
    h3 = lin.register_forward_pre_hook(lambda m, args, kwargs: (args, kwargs), with_kwargs=True)
    h4 = lin.register_forward_hook(lambda m, args, kwargs, out: out * 0, with_kwargs=True)
    assert float(lin(x).abs().sum()) == 0
    h3.remove()
    h4.remove()


REPR_PAIRS = [
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Dropout(0.2), nn.Linear(4, 2, bias=False)),
     lambda: tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(inplace=True), tnn.Dropout(0.2), tnn.Linear(4, 2, bias=False))),
    (NetR, NetT),
    (lambda: nn.ModuleList(), lambda: tnn.ModuleList()),
    (lambda: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 3)), nn.Identity(), nn.Bilinear(2, 3, 4)),
     lambda: tnn.Sequential(tnn.Flatten(), tnn.Unflatten(1, (2, 3)), tnn.Identity(), tnn.Bilinear(2, 3, 4))),
    (lambda: nn.Sequential(nn.Embedding(5, 2, padding_idx=1), nn.LayerNorm((2,), elementwise_affine=False),
                           nn.RMSNorm(2, eps=1e-6), nn.CrossEntropyLoss(label_smoothing=0.1), nn.MSELoss()),
     lambda: tnn.Sequential(tnn.Embedding(5, 2, padding_idx=1), tnn.LayerNorm((2,), elementwise_affine=False),
                            tnn.RMSNorm(2, eps=1e-6), tnn.CrossEntropyLoss(label_smoothing=0.1), tnn.MSELoss())),
]


@pytest.mark.parametrize("i", range(len(REPR_PAIRS)))
def test_repr_like_torch(i):
    r, t = REPR_PAIRS[i]
    assert repr(r()).replace("NetR", "NetT") == repr(t())


ACTIVATIONS = [
    ("ReLU", {}), ("ReLU6", {}), ("ELU", {"alpha": 0.7}), ("CELU", {"alpha": 1.3}), ("SELU", {}), ("SiLU", {}),
    ("Mish", {}), ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("LeakyReLU", {"negative_slope": 0.2}),
    ("Hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("Hardsigmoid", {}), ("Hardswish", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}), ("Softsign", {}), ("Sigmoid", {}), ("LogSigmoid", {}),
    ("Tanh", {}), ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}), ("Softmin", {"dim": 0}),
    ("Tanhshrink", {}), ("Threshold", {"threshold": 0.1, "value": -2.0}), ("Hardshrink", {"lambd": 0.3}),
    ("Softshrink", {"lambd": 0.3}), ("GLU", {"dim": 1}),
]


@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ACTIVATIONS)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_modules(name, kw, dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((4, 6)) * 3).astype(dtype)
    r, t = getattr(nn, name)(**kw), getattr(tnn, name)(**kw)
    assert repr(r) == repr(t)
    xr = rt.from_numpy(x.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    yr, yt = r(xr), t(xt)
    tol = 1e-5 if dtype == "float32" else 1e-12
    close(yr, yt, rtol=tol, atol=tol)
    g = rng.standard_normal(yt.shape).astype(dtype)
    yr.backward(rt.from_numpy(g.copy()))
    yt.backward(torch.from_numpy(g.copy()))
    # torch's float64 backward of these two uses float32 constants (1/6, 1/alpha): 1e-7 off
    loose = dtype == "float64" and name in ("CELU", "Hardsigmoid")
    close(xr.grad, xt.grad, rtol=1e-6 if loose else tol * 10, atol=1e-6 if loose else tol * 10)
    if loose:  # ours against the float64 formula instead
        exact = np.where(x <= 0, np.exp(x / kw["alpha"]), 1.0) if name == "CELU" else \
            np.where((x > -3) & (x < 3), 1 / 6, 0.0)
        np.testing.assert_allclose(xr.grad.numpy(), exact * g, rtol=1e-13, atol=1e-15)


def test_prelu():
    rng = np.random.default_rng(3)
    for n in (1, 3):
        r, t = nn.PReLU(n), tnn.PReLU(n)
        assert repr(r) == repr(t)
        x = rng.standard_normal((2, 3, 4)).astype("float32")
        xr, xt = rt.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(x.copy()).requires_grad_()
        yr, yt = r(xr), t(xt)
        close(yr, yt)
        yr.sum().backward()
        yt.sum().backward()
        close(xr.grad, xt.grad)
        close(r.weight.grad, t.weight.grad)


def layer_case(ctor_r, ctor_t, inputs, dtype="float32", tol=1e-5):
    r, t = ctor_r(), ctor_t()
    if dtype == "float64":
        r.double()
        t.double()
    copy_weights(r, t)
    ir = [rt.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in inputs]
    it = [torch.from_numpy(a.copy()).requires_grad_(a.dtype.kind == "f") for a in inputs]
    yr, yt = r(*ir), t(*it)
    close(yr, yt, rtol=tol, atol=tol)
    g = np.random.default_rng(11).standard_normal(tuple(yt.shape)).astype(dtype)
    yr.backward(rt.from_numpy(g.copy()))
    yt.backward(torch.from_numpy(g.copy()))
    for a, b in zip(ir, it):
        if b.grad is not None:
            close(a.grad, b.grad, rtol=tol * 10, atol=tol * 10)
    for (n, p), (_, q) in zip(r.named_parameters(), t.named_parameters()):
        assert q.grad is not None
        close(p.grad, q.grad, rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linear_layers(dtype):
    rng = np.random.default_rng(5)
    tol = 1e-5 if dtype == "float32" else 1e-12
    x = rng.standard_normal((7, 5)).astype(dtype)
    layer_case(lambda: nn.Linear(5, 3), lambda: tnn.Linear(5, 3), [x], dtype, tol)
    layer_case(lambda: nn.Linear(5, 3, bias=False), lambda: tnn.Linear(5, 3, bias=False), [x], dtype, tol)
    x3 = rng.standard_normal((2, 4, 5)).astype(dtype)
    layer_case(lambda: nn.Linear(5, 2), lambda: tnn.Linear(5, 2), [x3], dtype, tol)
    x2 = rng.standard_normal((7, 4)).astype(dtype)
    layer_case(lambda: nn.Bilinear(5, 4, 3), lambda: tnn.Bilinear(5, 4, 3), [x, x2], dtype, tol)
    layer_case(lambda: nn.Bilinear(5, 4, 3, bias=False), lambda: tnn.Bilinear(5, 4, 3, bias=False), [x, x2],
               dtype, tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normalization_layers(dtype):
    rng = np.random.default_rng(9)
    tol = 1e-5 if dtype == "float32" else 1e-12
    x = (rng.standard_normal((3, 4, 6)) * 2 + 1).astype(dtype)
    for shape in (6, (4, 6)):
        layer_case(lambda: nn.LayerNorm(shape), lambda: tnn.LayerNorm(shape), [x], dtype, tol)
        layer_case(lambda: nn.RMSNorm(shape), lambda: tnn.RMSNorm(shape), [x], dtype, tol)
    layer_case(lambda: nn.LayerNorm(6, bias=False, eps=1e-3), lambda: tnn.LayerNorm(6, bias=False, eps=1e-3), [x],
               dtype, tol)
    # random affine parameters (the defaults are ones and zeros)
    r, t = nn.LayerNorm(6), tnn.LayerNorm(6)
    with torch.no_grad():
        t.weight.normal_()
        t.bias.normal_()
    layer_case(lambda: r, lambda: t, [x], dtype, tol) if dtype == "float32" else None
    xr, xt = rt.from_numpy(x.copy()), torch.from_numpy(x.copy())
    close(F.layer_norm(xr, (6,)), TF.layer_norm(xt, (6,)), rtol=tol, atol=tol)
    close(F.rms_norm(xr, (6,), eps=1e-4), TF.rms_norm(xt, (6,), eps=1e-4), rtol=tol, atol=tol)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.LayerNorm(5)(xr)


def test_embedding():
    rng = np.random.default_rng(2)
    idx = rng.integers(0, 8, size=(4, 5))
    idx[0, :2] = 3  # the padding index appears, and repeats
    for kw in ({}, {"padding_idx": 3}, {"padding_idx": -5}):
        r, t = nn.Embedding(8, 3, **kw), tnn.Embedding(8, 3, **kw)
        assert repr(r) == repr(t)
        copy_weights(r, t)
        yr, yt = r(rt.from_numpy(idx.copy())), t(torch.from_numpy(idx.copy()))
        close(yr, yt)
        g = rng.standard_normal(tuple(yt.shape)).astype("float32")
        yr.backward(rt.from_numpy(g.copy()))
        yt.backward(torch.from_numpy(g.copy()))
        close(r.weight.grad, t.weight.grad)
    fresh = nn.Embedding(8, 3, padding_idx=2)
    assert float(fresh.weight[2].abs().sum()) == 0  # the padding row starts at zero, as torch's
    for bad in ([8], [-1]):
        with pytest.raises(IndexError, match="index out of range in self"):
            r(rt.tensor(bad))
    with pytest.raises(RuntimeError):
        r(rt.tensor([1.0]))
    pre = nn.Embedding.from_pretrained(rt.randn(4, 2))
    assert not pre.weight.requires_grad
    # max_norm renormalises the rows it looks up, as torch does
    w = rng.standard_normal((6, 3)).astype("float32") * 3
    r, t = nn.Embedding(6, 3, max_norm=1.0), tnn.Embedding(6, 3, max_norm=1.0)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w.copy()))
    r.load_state_dict({"weight": rt.from_numpy(w.copy())})
    sel = np.array([[0, 2], [2, 5]])
    close(r(rt.from_numpy(sel.copy())), t(torch.from_numpy(sel.copy())), rtol=1e-5, atol=1e-6)
    close(r.weight, t.weight, rtol=1e-5, atol=1e-6)


def test_flatten_unflatten_identity():
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5)).astype("float32")
    for args in ((), (0,), (1, 2), (2, -1)):
        assert tuple(nn.Flatten(*args)(rt.from_numpy(x.copy())).shape) == tuple(tnn.Flatten(*args)(
            torch.from_numpy(x.copy())).shape)
    y = nn.Unflatten(1, (3, 1))(rt.from_numpy(x.copy()))
    assert tuple(y.shape) == (2, 3, 1, 4, 5)
    assert tuple(nn.Unflatten(-1, (5, 1))(rt.from_numpy(x.copy())).shape) == (2, 3, 4, 5, 1)
    xr = rt.from_numpy(x.copy())
    assert nn.Identity(3, foo=1)(xr) is xr


def test_dropout():
    rt.manual_seed(0)
    x = rt.ones(200, 500)
    d = nn.Dropout(0.3)
    y = d(x)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.7) < 0.01  # 100k Bernoulli draws: sd 0.0015
    np.testing.assert_allclose(np.unique(y.numpy()), [0.0, 1 / 0.7], rtol=1e-6)
    rt.manual_seed(0)
    np.testing.assert_array_equal(d(x).numpy(), y.numpy())  # the mask follows the seed
    d.eval()
    assert d(x) is x
    xr = rt.randn(50, 40).requires_grad_()
    d.train()
    out = d(xr)
    out.sum().backward()
    mask = (out.detach() != 0).numpy()
    np.testing.assert_allclose(xr.grad.numpy(), mask / 0.7, rtol=1e-6)  # grad = mask / (1 - p)
    assert float(nn.Dropout(1.0)(x).abs().sum()) == 0
    with pytest.raises(ValueError):
        nn.Dropout(1.5)
    with pytest.raises(ValueError):
        F.dropout(x, -0.1)


def test_containers():
    a, b, c = nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)
    s = nn.Sequential(a, b, c)
    assert s[0] is a and s[-1] is c and len(s) == 3
    assert isinstance(s[1:], nn.Sequential) and len(s[1:]) == 2
    del s[1]
    assert [n for n, _ in s.named_children()] == ["0", "1"]
    s.append(nn.Tanh())
    s.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in s] == ["Linear", "Sigmoid", "Linear", "Tanh"]
    with pytest.raises(IndexError):
        s[10]
    ml = nn.ModuleList([a, b])
    ml.append(c)
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "ReLU", "Linear", "Tanh"]
    assert len(list(ml.parameters())) == 4
    md = nn.ModuleDict({"x": a})
    md["y"] = c
    assert list(md.keys()) == ["x", "y"] and "x" in md and md.pop("x") is a and len(md) == 1
    pl = nn.ParameterList([rt.zeros(2), nn.Parameter(rt.ones(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(list(pl.parameters())) == 2
    pd = nn.ParameterDict({"w": rt.zeros(2)})
    assert isinstance(pd["w"], nn.Parameter) and [n for n, _ in pd.named_parameters()] == ["w"]
    with pytest.raises(TypeError):
        nn.ModuleList([1])
