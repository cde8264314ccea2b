"""The fused optimizer kernels (_C._fused_sgd_, _fused_adam_, _fused_rmsprop_,
_fused_adagrad_) driven directly, step after step, against torch 2.13's
for-loop optimizers (foreach=False) given the same initial params and the same
gradients: every option combination, float32 and float64, params of many
sizes (0 and 1 elements, odd sizes), on every ISA this CPU has; then the same
bits for any thread count, mixed dtypes, views, version counters and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import rusttorch as rt
from rusttorch.backends import cpu

torch = pytest.importorskip("torch")

SHAPES = [(7, 3), (1,), (0,), (33,), (5, 0), (2, 3, 5), (1025,)]
STEPS = 5
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-14)}


# ---- each optimizer: its torch class, its state (rusttorch name -> torch key) and one fused step ----

def sgd_configs():
    for momentum, dampening, nesterov in [(0.0, 0.0, False), (0.9, 0.0, False), (0.9, 0.3, False), (0.9, 0.0, True)]:
        for wd in (0.0, 0.01):
            for maximize in (False, True):
                yield dict(lr=0.05, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=wd,
                           maximize=maximize)


def adam_configs():
    for decoupled in (False, True):
        for amsgrad in (False, True):
            for wd in (0.0, 0.1):
                for maximize in (False, True):
                    yield dict(lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=wd, amsgrad=amsgrad,
                               maximize=maximize, decoupled=decoupled)


def rmsprop_configs():
    for centered in (False, True):
        for momentum in (0.0, 0.5):
            for wd in (0.0, 0.1):
                for maximize in (False, True):
                    yield dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=wd, momentum=momentum, centered=centered,
                               maximize=maximize)


def adagrad_configs():
    for lr_decay in (0.0, 0.1):
        for wd in (0.0, 0.1):
            for maximize in (False, True):
                yield dict(lr=0.1, lr_decay=lr_decay, weight_decay=wd, eps=1e-10, maximize=maximize)


class Optimizer:
    """configs(): the option sets; states(c): its state names (torch's keys); step(): one fused step."""
    torch_name = ""

    @classmethod
    def torch_optimizer(cls, params, c):
        return getattr(torch.optim, cls.torch_name)(params, foreach=False, **c)

    @staticmethod
    def init(p, name):
        return rt.zeros(list(p.shape), dtype=p.dtype)


class Sgd(Optimizer):
    configs = sgd_configs
    torch_name = "SGD"

    @staticmethod
    def states(c):
        return ["momentum_buffer"] if c["momentum"] != 0 else []

    @staticmethod
    def init(p, name):  # the buffer's first contents must not matter (first_step)
        return rt.full(list(p.shape), math.nan, dtype=p.dtype)

    @staticmethod
    def step(ps, gs, st, k, c):
        use = c["momentum"] != 0
        rt._C._fused_sgd_(ps, gs, st.get("momentum_buffer", []), [k == 1] * len(ps) if use else [], lr=c["lr"],
                          momentum=c["momentum"], dampening=c["dampening"], nesterov=c["nesterov"],
                          weight_decay=c["weight_decay"], maximize=c["maximize"])


class Adam(Optimizer):
    configs = adam_configs

    @staticmethod
    def torch_optimizer(params, c):
        c = dict(c)
        cls = torch.optim.AdamW if c.pop("decoupled") else torch.optim.Adam
        return cls(params, foreach=False, **c)

    @staticmethod
    def states(c):
        return ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if c["amsgrad"] else [])

    @staticmethod
    def step(ps, gs, st, k, c):
        rt._C._fused_adam_(ps, gs, st["exp_avg"], st["exp_avg_sq"], st.get("max_exp_avg_sq", []),
                           [float(k)] * len(ps), lr=c["lr"], beta1=c["betas"][0], beta2=c["betas"][1],
                           weight_decay=c["weight_decay"], eps=c["eps"], amsgrad=c["amsgrad"],
                           maximize=c["maximize"], decoupled_weight_decay=c["decoupled"])


class Rmsprop(Optimizer):
    configs = rmsprop_configs
    torch_name = "RMSprop"

    @staticmethod
    def states(c):
        return (["square_avg"] + (["grad_avg"] if c["centered"] else [])
                + (["momentum_buffer"] if c["momentum"] > 0 else []))

    @staticmethod
    def step(ps, gs, st, k, c):
        rt._C._fused_rmsprop_(ps, gs, st["square_avg"], st.get("grad_avg", []), st.get("momentum_buffer", []),
                              lr=c["lr"], alpha=c["alpha"], eps=c["eps"], weight_decay=c["weight_decay"],
                              momentum=c["momentum"], centered=c["centered"], maximize=c["maximize"])


class Adagrad(Optimizer):
    configs = adagrad_configs
    torch_name = "Adagrad"

    @staticmethod
    def states(c):
        return ["sum"]

    @staticmethod
    def step(ps, gs, st, k, c):
        rt._C._fused_adagrad_(ps, gs, st["sum"], [float(k)] * len(ps), lr=c["lr"], lr_decay=c["lr_decay"],
                              weight_decay=c["weight_decay"], eps=c["eps"], maximize=c["maximize"])


OPTIMIZERS = {"sgd": Sgd, "adam": Adam, "rmsprop": Rmsprop, "adagrad": Adagrad}
CASES = [(name, i, c) for name, opt in OPTIMIZERS.items() for i, c in enumerate(opt.configs())]


def problem(seed, dtypes, shapes=SHAPES, steps=STEPS):
    """Initial params and the gradients of each step, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    p0 = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    grads = [[rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)] for _ in range(steps)]
    return p0, grads


def torch_trajectory(opt, c, p0, grads):
    """Params after each step, and the final state, of torch's for-loop optimizer."""
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in p0]
    o = opt.torch_optimizer(tp, c)
    out = []
    for gs in grads:
        for t, g in zip(tp, gs):
            t.grad = torch.tensor(g.copy())
        o.step()
        out.append([t.detach().numpy().copy() for t in tp])
    state = {name: [o.state[t][name].numpy().copy() for t in tp] for name in opt.states(c)}
    return out, state


def fused_trajectory(opt, c, p0, grads):
    ps = [rt.tensor(a.copy()) for a in p0]
    st = {name: [opt.init(p, name) for p in ps] for name in opt.states(c)}
    out = []
    for k, gs in enumerate(grads, 1):
        opt.step(ps, [rt.tensor(g.copy()) for g in gs], st, k, c)
        out.append([p.numpy().copy() for p in ps])
    return out, {name: [t.numpy().copy() for t in ts] for name, ts in st.items()}


def assert_matches(got, want, what):
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.dtype == b.dtype and a.shape == b.shape, (what, i)
        np.testing.assert_allclose(a, b, err_msg=f"{what} [{i}]", **TOL[str(a.dtype)])


@pytest.fixture
def isas():
    saved = cpu.get_cpu_capability()
    yield cpu.get_available_cpu_capabilities()
    cpu.set_cpu_capability(saved)


@pytest.fixture
def threads():
    saved = rt.get_num_threads()
    yield
    rt.set_num_threads(saved)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,index,config", CASES, ids=[f"{n}-{i}" for n, i, _ in CASES])
def test_matches_torch_for_loop(name, index, config, dtype, isas):
    opt = OPTIMIZERS[name]
    dtypes = [dtype] * len(SHAPES)
    p0, grads = problem(100 + index, dtypes)
    want, want_state = torch_trajectory(opt, config, p0, grads)
    for isa in isas:
        cpu.set_cpu_capability(isa)
        got, got_state = fused_trajectory(opt, config, p0, grads)
        for k in range(STEPS):
            assert_matches(got[k], want[k], f"{isa} {config} step {k + 1} params")
        for key in want_state:
            assert_matches(got_state[key], want_state[key], f"{isa} {config} {key}")


# One demanding configuration per optimizer for the tests below.
HARD = {"sgd": dict(lr=0.05, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.01, maximize=True),
        "adam": dict(lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.1, amsgrad=True, maximize=False,
                     decoupled=True),
        "rmsprop": dict(lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.1, momentum=0.5, centered=True, maximize=True),
        "adagrad": dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, eps=1e-10, maximize=False)}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_mixed_dtypes_in_one_call(name):
    opt, c = OPTIMIZERS[name], HARD[name]
    dtypes = ["float32", "float64"] * 3 + ["float32"]
    p0, grads = problem(7, dtypes)
    want, want_state = torch_trajectory(opt, c, p0, grads)
    got, got_state = fused_trajectory(opt, c, p0, grads)
    assert_matches(got[-1], want[-1], "params")
    for key in want_state:
        assert_matches(got_state[key], want_state[key], key)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_same_bits_for_any_thread_count(name, isas, threads):
    # Sizes around the engine's chunk of 16384 elements, and tiny ones between them.
    shapes = [(70001,), (3,), (0,), (16385,), (1,), (128, 300), (16383,)]
    opt, c = OPTIMIZERS[name], HARD[name]
    p0, grads = problem(11, ["float32"] * len(shapes), shapes, steps=2)
    for isa in isas:
        cpu.set_cpu_capability(isa)
        runs = []
        for n in (1, 2, 7):
            rt.set_num_threads(n)
            runs.append(fused_trajectory(opt, c, p0, grads))
        for (params, state) in runs[1:]:
            for a, b in zip(params[-1], runs[0][0][-1]):
                assert a.tobytes() == b.tobytes(), isa
            for key in state:
                for a, b in zip(state[key], runs[0][1][key]):
                    assert a.tobytes() == b.tobytes(), (isa, key)


def test_params_that_are_contiguous_views():
    # One flat buffer for all params (and one for the grads), as flattened parameter storage.
    opt, c = Adam, HARD["adam"]
    shapes = [(4, 5), (3,), (0,), (2, 2)]
    p0, grads = problem(3, ["float64"] * len(shapes), shapes)
    want, _ = torch_trajectory(opt, c, p0, grads)
    flat = rt.tensor(np.concatenate([a.reshape(-1) for a in p0]))
    offsets = np.cumsum([0] + [a.size for a in p0])
    ps = [flat[int(b):int(e)].view(*s) for b, e, s in zip(offsets, offsets[1:], shapes)]
    st = {name: [opt.init(p, name) for p in ps] for name in opt.states(c)}
    for k, gs in enumerate(grads, 1):
        gflat = rt.tensor(np.concatenate([g.reshape(-1) for g in gs]))
        opt.step(ps, [gflat[int(b):int(e)].view(*s) for b, e, s in zip(offsets, offsets[1:], shapes)], st, k, c)
    assert_matches([p.numpy() for p in ps], want[-1], "views")
    np.testing.assert_allclose(flat.numpy(), np.concatenate([w.reshape(-1) for w in want[-1]]), rtol=1e-12)


def test_nan_propagates_through_amsgrad_max():
    p = rt.zeros(9, dtype=rt.float64)
    g = rt.tensor([0.0, math.nan, 1.0, 2.0, math.nan, 0.0, 0.0, 0.0, 1.0], dtype=rt.float64)
    m, v, vmax = rt.zeros(9, dtype=rt.float64), rt.zeros(9, dtype=rt.float64), rt.zeros(9, dtype=rt.float64)
    rt._C._fused_adam_([p], [g], [m], [v], [vmax], [1.0], lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.0,
                       eps=1e-8, amsgrad=True, maximize=False, decoupled_weight_decay=False)
    assert np.isnan(vmax.numpy()[[1, 4]]).all() and not np.isnan(vmax.numpy()[[0, 2, 3, 5, 6, 7, 8]]).any()


def test_versions_bumped_and_saved_tensors_see_the_change():
    p = rt.randn(4, requires_grad=True)
    y = (p * p).sum()  # saves p
    g, m, v = rt.ones(4), rt.zeros(4), rt.zeros(4)
    before = [t._version for t in (p, g, m, v)]
    with rt.no_grad():
        rt._C._fused_adam_([p], [g], [m], [v], [], [1.0], lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.0,
                           eps=1e-8, amsgrad=False, maximize=False, decoupled_weight_decay=False)
    after = [t._version for t in (p, g, m, v)]
    assert after[0] == before[0] + 1 and after[2] == before[2] + 1 and after[3] == before[3] + 1
    assert after[1] == before[1]  # grads are only read
    assert p.grad_fn is None and p.requires_grad  # nothing recorded
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    for fn, args in [(rt._C._fused_sgd_, lambda p, g, s: ([p], [g], [s], [False])),
                     (rt._C._fused_adagrad_, lambda p, g, s: ([p], [g], [s], [2.0])),
                     (rt._C._fused_rmsprop_, lambda p, g, s: ([p], [g], [s], [], []))]:
        p, s = rt.zeros(3), rt.zeros(3)
        kw = {"_fused_sgd_": dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0,
                                  maximize=False),
              "_fused_adagrad_": dict(lr=0.1, lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=False),
              "_fused_rmsprop_": dict(lr=0.1, alpha=0.9, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                                      maximize=False)}[fn.__name__]
        fn(*args(p, rt.ones(3), s), **kw)
        assert p._version == 1 and s._version == 1, fn.__name__


def adam_kw(**over):
    kw = dict(lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False,
              decoupled_weight_decay=False)
    kw.update(over)
    return kw


def test_errors():
    z = lambda *s, dtype=rt.float32: rt.zeros(*s, dtype=dtype)  # noqa: E731
    adam = rt._C._fused_adam_
    p = z(3)
    with pytest.raises(RuntimeError, match=r"_fused_adam_: params and grads must have the same length, got 1 and 2"):
        adam([p], [z(3), z(3)], [z(3)], [z(3)], [], [1.0], **adam_kw())
    with pytest.raises(RuntimeError, match=r"params and steps must have the same length, got 1 and 0"):
        adam([p], [z(3)], [z(3)], [z(3)], [], [], **adam_kw())
    with pytest.raises(RuntimeError, match=r"params and max_exp_avg_sqs must have the same length, got 1 and 0"):
        adam([p], [z(3)], [z(3)], [z(3)], [], [1.0], **adam_kw(amsgrad=True))
    with pytest.raises(RuntimeError, match=r"expected no max_exp_avg_sqs without amsgrad, got 1 tensors"):
        adam([p], [z(3)], [z(3)], [z(3)], [z(3)], [1.0], **adam_kw())
    with pytest.raises(RuntimeError, match=r"exp_avg_sqs\[0\] has shape \[1, 3\] but params\[0\] has shape \[3\]"):
        adam([p], [z(3)], [z(3)], [z(1, 3)], [], [1.0], **adam_kw())
    with pytest.raises(RuntimeError, match=r"grads\[1\] has dtype Double but params\[1\] has dtype Float"):
        adam([p, z(2)], [z(3), z(2, dtype=rt.float64)], [z(3), z(2)], [z(3), z(2)], [], [1.0, 1.0], **adam_kw())
    with pytest.raises(RuntimeError, match=r"_fused_adam_: params\[0\] must be contiguous"):
        adam([z(3, 2).t()], [z(2, 3)], [z(2, 3)], [z(2, 3)], [], [1.0], **adam_kw())
    with pytest.raises(RuntimeError, match=r"exp_avgs\[0\] must be contiguous"):
        adam([z(2, 3)], [z(2, 3)], [z(3, 2).t()], [z(2, 3)], [], [1.0], **adam_kw())
    with pytest.raises(NotImplementedError, match=r"\"_fused_adam_\" not implemented for 'Long'"):
        i = rt.zeros(3, dtype=rt.int64)
        adam([i], [i.clone()], [i.clone()], [i.clone()], [], [1.0], **adam_kw())
    with pytest.raises(RuntimeError, match=r"exp_avgs\[0\] and exp_avg_sqs\[0\] share memory"):
        m = z(3)
        adam([p], [z(3)], [m], [m], [], [1.0], **adam_kw())
    with pytest.raises(TypeError, match=r"_fused_adam_\(\): argument 'grads' \(position 2\) must be tuple of Tensors"):
        adam([p], z(3), [z(3)], [z(3)], [], [1.0], **adam_kw())
    with pytest.raises(TypeError):  # hyperparameters are keyword-only
        adam([p], [z(3)], [z(3)], [z(3)], [], [1.0], 0.1)
    assert p._version == 0 and (p.numpy() == 0).all()  # a refused call writes nothing
    sgd_kw = dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False)
    with pytest.raises(RuntimeError, match=r"params and first_step must have the same length, got 1 and 0"):
        rt._C._fused_sgd_([p], [z(3)], [z(3)], [], **sgd_kw)
    with pytest.raises(RuntimeError, match=r"expected no momentum_buffers when momentum == 0"):
        rt._C._fused_sgd_([p], [z(3)], [z(3)], [True], **dict(sgd_kw, momentum=0.0))
    with pytest.raises(RuntimeError, match=r"params and grad_avgs must have the same length, got 1 and 0"):
        rt._C._fused_rmsprop_([p], [z(3)], [z(3)], [], [], lr=0.1, alpha=0.9, eps=1e-8, weight_decay=0.0,
                              momentum=0.0, centered=True, maximize=False)
    with pytest.raises(RuntimeError, match=r"params\[0\] and grads\[0\] share memory"):
        rt._C._fused_adagrad_([p], [p], [z(3)], [1.0], lr=0.1, lr_decay=0.0, weight_decay=0.0, eps=1e-10,
                              maximize=False)
    # Empty lists are a no-op.
    adam([], [], [], [], [], [], **adam_kw())
