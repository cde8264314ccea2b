"""Pooling against torch 2.13: max_pool1d/2d (values, indices, gradients)
and avg_pool1d/2d, over every option combination on random float64 data
with fixed seeds (NaN among the values for max), every ISA of this CPU, 1
and 2 threads giving the same bits, non-contiguous and unbatched inputs,
float32 and the integer dtypes max takes, gradcheck, and torch's errors.
The kernels visit each window in torch's order, so values, indices and
gradients are torch's exactly (float64, tolerance 1e-12 for averages)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import rusttorch as rt
import rusttorch.nn.functional as F
from helpers import isa, threads

torch = pytest.importorskip("torch")
TF = torch.nn.functional

ISAS = rt.backends.cpu.get_available_cpu_capabilities()
OPTIONS = list(itertools.product([2, 3, (2, 3)], [None, 1, 2, (2, 1)], [0, 1], [1, 2], [False, True]))


def R(t, requires_grad=False):
    r = rt.tensor(t.detach().numpy())
    return r.requires_grad_() if requires_grad else r


def close(a, b, tol=1e-12):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy()
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def valid(fn):
    try:
        return fn()
    except RuntimeError:
        return None


@pytest.mark.parametrize("name", ISAS)
def test_max_pool2d_every_option(name):
    gen = torch.Generator().manual_seed(1)
    with isa(name):
        for ks, st, pd, dl, cm in OPTIONS:
            x = torch.randn(2, 3, 9, 8, dtype=torch.float64, generator=gen)
            x[0, 1, 2, 3] = float("nan")
            x = x.requires_grad_()
            want = valid(lambda: TF.max_pool2d(x, ks, st, pd, dl, cm, return_indices=True))
            xr = R(x, True)
            if want is None:
                with pytest.raises(RuntimeError):
                    F.max_pool2d(xr, ks, st, pd, dl, cm)
                continue
            y, i = want
            yr, ir = F.max_pool2d(xr, ks, st, pd, dl, cm, return_indices=True)
            np.testing.assert_array_equal(yr.detach().numpy(), y.detach().numpy())
            np.testing.assert_array_equal(ir.numpy(), i.numpy())
            g = torch.randn(y.shape, dtype=torch.float64, generator=gen)
            y.backward(g)
            yr.backward(R(g))
            close(xr.grad, x.grad)


@pytest.mark.parametrize("name", ISAS)
def test_avg_pool2d_every_option(name):
    gen = torch.Generator().manual_seed(2)
    with isa(name):
        for (ks, st, pd, _, cm), (cip, dv) in itertools.product(
                [o for o in OPTIONS if o[3] == 1], [(True, None), (False, None), (True, 3), (False, 5)]):
            x = torch.randn(2, 3, 9, 8, dtype=torch.float64, generator=gen, requires_grad=True)
            y = valid(lambda: TF.avg_pool2d(x, ks, st, pd, cm, cip, dv))
            xr = R(x, True)
            if y is None:
                with pytest.raises(RuntimeError):
                    F.avg_pool2d(xr, ks, st, pd, cm, cip, dv)
                continue
            yr = F.avg_pool2d(xr, ks, st, pd, cm, cip, dv)
            close(yr, y)
            g = torch.randn(y.shape, dtype=torch.float64, generator=gen)
            y.backward(g)
            yr.backward(R(g))
            close(xr.grad, x.grad)


def test_pool1d():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 17, generator=gen)
    for ks, st, pd, cm in itertools.product([2, 3], [None, 2], [0, 1], [False, True]):
        y, i = TF.max_pool1d(x, ks, st, pd, 1, cm, return_indices=True)
        yr, ir = F.max_pool1d(R(x), ks, st, pd, 1, cm, return_indices=True)
        np.testing.assert_array_equal(yr.numpy(), y.numpy())
        np.testing.assert_array_equal(ir.numpy(), i.numpy())
        close(F.avg_pool1d(R(x), ks, st, pd, cm, False), TF.avg_pool1d(x, ks, st, pd, cm, False), 1e-6)
    close(F.max_pool1d(R(x[0]), 3, dilation=2), TF.max_pool1d(x[0], 3, dilation=2))  # unbatched
    with pytest.raises(RuntimeError, match="Expected 2D or 3D"):
        F.max_pool1d(R(torch.randn(2, 3, 4, 5)), 2)


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_max_pool_dtypes_layouts_threads(dtype):
    gen = torch.Generator().manual_seed(4)
    x = (torch.randn(4, 6, 31, 40, generator=gen) * 50).to(getattr(torch, dtype))
    xt = x.transpose(2, 3)  # non-contiguous
    y, i = TF.max_pool2d(xt, 3, 2, 1, return_indices=True)
    outs = []
    for n in (1, 2):
        with threads(n):
            yr, ir = F.max_pool2d(R(x).transpose(2, 3), 3, 2, 1, return_indices=True)
            outs.append((yr.numpy(), ir.numpy()))
    np.testing.assert_array_equal(outs[0][0], y.numpy())
    np.testing.assert_array_equal(outs[0][1], i.numpy())
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
    yu = F.max_pool2d(R(x[1]), 2)  # unbatched
    np.testing.assert_array_equal(yu.numpy(), TF.max_pool2d(x[1], 2).numpy())


def test_avg_pool_threads_and_float32():
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(4, 6, 31, 40, generator=gen)
    outs = []
    for n in (1, 2):
        with threads(n):
            outs.append(F.avg_pool2d(R(x), 3, 2, 1, ceil_mode=True).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    close(outs[0], TF.avg_pool2d(x, 3, 2, 1, ceil_mode=True), 1e-6)
    assert F.max_pool2d(rt.zeros(0, 3, 6, 6), 2).shape == (0, 3, 3, 3)


def test_gradcheck_and_double_backward():
    x = rt.randn(2, 3, 7, 6, dtype=rt.float64, requires_grad=True)
    assert rt.autograd.gradcheck(lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert rt.autograd.gradcheck(lambda a: F.max_pool2d(a, (3, 2), 2, 1, dilation=(1, 2)), (x,))
    # Double backward: the gradient of avg's gradient is avg again (torch agrees).
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    for mod, X in ((torch, xt), (rt, x)):
        f = mod.nn.functional
        y = f.avg_pool2d(X, 3, 2, 1) * 3
        (g,) = mod.autograd.grad((y * y).sum(), (X,), create_graph=True)
        (g * g).sum().backward()
    close(x.grad, xt.grad)


@pytest.mark.parametrize("call, match", [
    (lambda f, x: f.max_pool2d(x, 2, padding=2), "pad should be at most half of effective kernel size"),
    (lambda f, x: f.max_pool2d(x[..., :1, :1], 2), "Output size is too small"),
    (lambda f, x: f.max_pool2d(x, 2, stride=0), "stride should not be zero"),
    (lambda f, x: f.max_pool2d(x, 2, dilation=0), "dilation should be greater than zero"),
    (lambda f, x: f.max_pool2d(x, (1, 2, 3)), "kernel_size must either be a single int, or a tuple of two ints"),
    (lambda f, x: f.avg_pool2d(x, 2, divisor_override=0), "divisor must be not zero"),
    (lambda f, x: f.max_pool2d(x[0, 0], 2), "3D or 4D"),
    (lambda f, x: f.max_pool2d(x[:, :0], 2), "Expected 3D or 4D"),
])
def test_errors_as_torch(call, match):
    x = torch.randn(2, 3, 5, 5)
    with pytest.raises(RuntimeError, match=match):
        call(TF, x)
    with pytest.raises(RuntimeError, match=match):
        call(F, R(x))


def test_dtype_errors_as_torch():
    with pytest.raises(NotImplementedError):
        TF.avg_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.int32), 2)
    with pytest.raises(NotImplementedError, match="avg_pool2d"):
        F.avg_pool2d(rt.ones(1, 1, 4, 4, dtype=rt.int32), 2)
    with pytest.raises(NotImplementedError, match="max_pool2d"):
        F.max_pool2d(rt.ones(1, 1, 4, 4, dtype=rt.bool), 2)


@pytest.mark.parametrize("call", [
    lambda x, w: F.conv2d(x, w, padding=2**62),
    lambda x, w: F.conv2d(x, w, dilation=2**62),
    lambda x, w: F.conv_transpose2d(x, w.transpose(0, 1), stride=2**62),
    lambda x, w: F.max_pool2d(x, 3, dilation=2**62),
    lambda x, w: F.unfold(x, 3, dilation=2**62),
])
def test_huge_window_parameters_raise(call):
    """Window arithmetic that would overflow int64 is refused, never computed (UB)."""
    with pytest.raises(RuntimeError, match="overflow"):
        call(rt.randn(2, 4, 5, 5), rt.randn(6, 4, 3, 3))
