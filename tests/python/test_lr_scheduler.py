"""rusttorch.optim.lr_scheduler against torch.optim.lr_scheduler: the lr (and
momentum / betas) sequences of every scheduler and option over 30+ steps
(rel 1e-12), the deprecated step(epoch) closed forms, compositions,
ReduceLROnPlateau on random metrics, state_dict round trips, warnings and
errors. Ours run on a minimal duck-typed optimizer (param_groups + defaults
+ step), torch's on real torch optimizers with the same groups."""
from __future__ import annotations

import math
import random
import warnings

import pytest

import rusttorch as rt
from rusttorch.optim import lr_scheduler as O

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler as T  # noqa: E402

LRS = (0.1, 0.025, 1.0)
STEPS = 36


class FakeOptimizer:
    """The least an optimizer needs for the schedulers: torch's param_groups."""

    def __init__(self, groups, defaults):
        self.param_groups = [dict(g) for g in groups]
        self.defaults = dict(defaults)
        self.steps = 0

    def step(self):
        self.steps += 1


def make_pair(kind="sgd", lrs=LRS):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
    if kind == "sgd":
        topt = torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    else:
        topt = torch.optim.Adam(groups, lr=lrs[0], betas=(0.9, 0.99))
    ours = FakeOptimizer([{k: v for k, v in g.items() if k != "params"} for g in topt.param_groups], topt.defaults)
    return ours, topt


def close(a, b):
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            close(x, y)
        return
    assert math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0), (a, b)


def snapshot(opt):
    """Every scheduled value of every group: lr, initial_lr, momentum / betas, ..."""
    keys = ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr", "max_momentum", "base_momentum")
    return [[g[k] for k in keys if k in g] for g in opt.param_groups]


def compare(make, kind="sgd", steps=STEPS, epochs=None):
    """make(module, optimizer) -> scheduler; steps both and compares each step."""
    ours_opt, torch_opt = make_pair(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        so, st = make(O, ours_opt), make(T, torch_opt)
        close(so.get_last_lr(), st.get_last_lr())
        close(snapshot(ours_opt), snapshot(torch_opt))
        for i in range(steps):
            ours_opt.step()
            torch_opt.step()
            if epochs is None:
                so.step()
                st.step()
            else:
                so.step(epochs[i])
                st.step(epochs[i])
            close(so.get_last_lr(), st.get_last_lr())
            close(snapshot(ours_opt), snapshot(torch_opt))
            assert getattr(so, "last_epoch", None) == getattr(st, "last_epoch", None)
    return so, st


SCHEDULERS = [
    ("StepLR", lambda m, o: m.StepLR(o, step_size=4, gamma=0.5)),
    ("StepLR1", lambda m, o: m.StepLR(o, step_size=1)),
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", lambda m, o: m.ExponentialLR(o, gamma=0.93)),
    ("CosineAnnealingLR", lambda m, o: m.CosineAnnealingLR(o, T_max=10)),
    ("CosineAnnealingLR_eta", lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.003)),
    ("LambdaLR", lambda m, o: m.LambdaLR(o, lr_lambda=lambda e: 1 / (1 + 0.3 * e))),
    ("LambdaLR_list", lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 + e, lambda e: math.cos(e)])),
    ("MultiplicativeLR", lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.95 if e % 2 else 1.01)),
    ("LinearLR", lambda m, o: m.LinearLR(o)),
    ("LinearLR_opts", lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.6, total_iters=13)),
    ("LinearLR_down", lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=20)),
    ("ConstantLR", lambda m, o: m.ConstantLR(o)),
    ("ConstantLR_opts", lambda m, o: m.ConstantLR(o, factor=0.7, total_iters=11)),
    ("PolynomialLR", lambda m, o: m.PolynomialLR(o, total_iters=25, power=1.7)),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001)),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=5)),
    ("CyclicLR_tri2", lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02, 0.03], max_lr=0.5, step_size_up=3,
                                              step_size_down=6, mode="triangular2")),
    ("CyclicLR_exp", lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=4, mode="exp_range",
                                             gamma=0.97, base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR_fn", lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.5 ** x,
                                            scale_mode="iterations", cycle_momentum=False)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=STEPS)),
    ("OneCycleLR_opts", lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 1.0, 2.0], epochs=4, steps_per_epoch=10,
                                                  pct_start=0.25, anneal_strategy="linear", div_factor=10.0,
                                                  final_div_factor=100.0, base_momentum=[0.8, 0.7, 0.6],
                                                  max_momentum=0.99)),
    ("OneCycleLR_3phase", lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=50, three_phase=True)),
    ("OneCycleLR_nomom", lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=40, cycle_momentum=False)),
]


@pytest.mark.parametrize("name,make", SCHEDULERS, ids=[n for n, _ in SCHEDULERS])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_sequences_match_torch(name, make, kind):
    compare(make, kind)


@pytest.mark.parametrize("name,make", [s for s in SCHEDULERS if s[0] in (
    "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR_eta", "LinearLR_opts", "ConstantLR_opts",
    "PolynomialLR", "CosineAnnealingWarmRestarts", "LambdaLR")], ids=str)
def test_step_with_epoch_closed_form_matches_torch(name, make):
    rng = random.Random(5)
    epochs = [rng.randrange(0, 40) for _ in range(30)]
    compare(make, epochs=epochs, steps=30)


def test_sequential_lr_matches_torch():
    def make(m, o):
        s1 = m.LinearLR(o, start_factor=0.1, total_iters=5)
        s2 = m.CosineAnnealingLR(o, T_max=12, eta_min=0.001)
        s3 = m.ExponentialLR(o, gamma=0.9)
        return m.SequentialLR(o, [s1, s2, s3], milestones=[5, 17])
    compare(make)

    def make2(m, o):
        return m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=3), m.StepLR(o, 4)], milestones=[6])
    compare(make2, kind="adam")


def test_chained_scheduler_matches_torch():
    def make(m, o):
        return m.ChainedScheduler([m.ConstantLR(o, factor=0.2, total_iters=6), m.ExponentialLR(o, gamma=0.95),
                                   m.MultiStepLR(o, [10, 20])])
    compare(make)

    def nested(m, o):
        seq = m.SequentialLR(o, [m.LinearLR(o, 0.5, total_iters=4), m.ExponentialLR(o, 0.9)], milestones=[4])
        return m.ChainedScheduler([seq, m.StepLR(o, 7, 0.5)], optimizer=o)
    compare(nested)


@pytest.mark.parametrize("kw", [
    {}, dict(mode="max"), dict(patience=2, factor=0.5), dict(threshold=0.05, threshold_mode="abs"),
    dict(mode="max", threshold=0.01, threshold_mode="abs", cooldown=3, patience=1),
    dict(patience=0, min_lr=[0.01, 0.001, 0.5]), dict(patience=1, factor=0.9, eps=0.05), dict(min_lr=0.02, patience=1),
])
def test_reduce_lr_on_plateau_matches_torch(kw):
    rng = random.Random(hash(str(sorted(kw.items()))) % 1000)
    metrics, v = [], 1.0
    for _ in range(60):
        v = v * rng.choice([0.9, 1.0, 1.0, 1.0, 1.02, 0.999]) if rng.random() < 0.8 else v
        metrics.append(v)
    ours_opt, torch_opt = make_pair()
    so, st = O.ReduceLROnPlateau(ours_opt, **kw), T.ReduceLROnPlateau(torch_opt, **kw)
    for mval in metrics:
        so.step(mval)
        st.step(mval)
        close(so.get_last_lr(), st.get_last_lr())
        close(snapshot(ours_opt), snapshot(torch_opt))
        assert (so.num_bad_epochs, so.cooldown_counter, so.best, so.last_epoch) == \
            (st.num_bad_epochs, st.cooldown_counter, st.best, st.last_epoch)
    assert "initial_lr" not in ours_opt.param_groups[0]


def _state_keys(sd):
    return sorted(sd)


@pytest.mark.parametrize("name,make", [s for s in SCHEDULERS if s[0] in (
    "StepLR", "MultiStepLR", "CosineAnnealingLR_eta", "LambdaLR", "LinearLR_opts", "OneCycleLR_opts",
    "CyclicLR_exp", "CosineAnnealingWarmRestarts", "PolynomialLR")], ids=str)
def test_state_dict_round_trip(name, make):
    full_opt, _ = make_pair()
    ref = make(O, full_opt)
    seq_ref = []
    for _ in range(30):
        full_opt.step()
        ref.step()
        seq_ref.append(ref.get_last_lr())

    a_opt, t_opt = make_pair()
    a = make(O, a_opt)
    t = make(T, t_opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(12):
            a.step()
            t.step()
    sd = a.state_dict()
    assert _state_keys(sd) == _state_keys(t.state_dict())  # same fields as torch's
    assert "optimizer" not in sd
    # a fresh scheduler on the checkpointed optimizer groups continues the schedule
    b_opt = FakeOptimizer([dict(g) for g in a_opt.param_groups], a_opt.defaults)
    b = make(O, b_opt)
    b.load_state_dict(sd)
    for g_b, g_a in zip(b_opt.param_groups, a_opt.param_groups):
        g_b.update(g_a)
    seq = [list(x) for x in seq_ref[:12]]
    for _ in range(18):
        b_opt.step()
        b.step()
        seq.append(b.get_last_lr())
    close(seq, seq_ref)


def test_sequential_and_plateau_state_dict():
    def make(m, o):
        return m.SequentialLR(o, [m.ConstantLR(o, 0.5, 4), m.ExponentialLR(o, 0.8)], milestones=[4])
    o1, t1 = make_pair()
    s, t = make(O, o1), make(T, t1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(6):
            s.step()
            t.step()
    sd = s.state_dict()
    assert sorted(sd) == sorted(t.state_dict()) and len(sd["_schedulers"]) == 2
    o2, _ = make_pair()
    s2 = make(O, o2)
    s2.load_state_dict(sd)
    assert s2.last_epoch == 6 and s2._schedulers[1].last_epoch == s._schedulers[1].last_epoch
    p1, _ = make_pair()
    r = O.ReduceLROnPlateau(p1, mode="max", patience=1)
    for v in (1, 2, 2, 2):
        r.step(v)
    p2, _ = make_pair()
    r2 = O.ReduceLROnPlateau(p2)
    r2.load_state_dict(r.state_dict())
    assert (r2.mode, r2.best, r2.num_bad_epochs, r2.mode_worse) == ("max", 2.0, 0, -math.inf)


def test_lambda_state_dict_keeps_callable_objects_state():
    class Scale:
        def __init__(self, k):
            self.k = k

        def __call__(self, e):
            return self.k ** e

    o, _ = make_pair()
    s = O.LambdaLR(o, [Scale(0.9), lambda e: 1.0, Scale(0.5)])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"k": 0.9}, None, {"k": 0.5}]
    s2 = O.LambdaLR(make_pair()[0], [Scale(0.1), lambda e: 1.0, Scale(0.1)])
    s2.load_state_dict(sd)
    assert s2.lr_lambdas[0].k == 0.9 and s2.lr_lambdas[2].k == 0.5


def test_resume_with_last_epoch():
    ours_opt, torch_opt = make_pair()
    for opt, m in ((ours_opt, O), (torch_opt, T)):
        with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
            m.StepLR(opt, 3, last_epoch=5)
    for opt in (ours_opt, torch_opt):
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
    compare(lambda m, o: m.CosineAnnealingLR(o, T_max=9, last_epoch=-1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        so, st = O.CosineAnnealingLR(ours_opt, T_max=9, last_epoch=4), T.CosineAnnealingLR(torch_opt, T_max=9,
                                                                                          last_epoch=4)
        for _ in range(30):
            so.step()
            st.step()
            close(so.get_last_lr(), st.get_last_lr())


def test_tensor_lr():
    groups = [{"lr": rt.tensor(0.1, dtype=rt.float64), "momentum": 0.9}]
    o = FakeOptimizer(groups, {"lr": 0.1, "momentum": 0.9})
    lr_t = o.param_groups[0]["lr"]
    p = torch.nn.Parameter(torch.zeros(1))
    t = torch.optim.SGD([p], lr=torch.tensor(0.1, dtype=torch.float64), momentum=0.9)
    so, st = O.ExponentialLR(o, 0.9), T.ExponentialLR(t, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(30):
            so.step()
            st.step()
            assert o.param_groups[0]["lr"] is lr_t  # updated in place, as torch
            close(float(so.get_last_lr()[0].item()), float(st.get_last_lr()[0].item()))


def test_warnings_match_torch():
    for m, opt in zip((O, T), make_pair()):
        s = m.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            s.get_lr()
        with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before"):
            s.step()
        with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
            s.step(3)
    for m, opt in zip((O, T), make_pair()):
        s = m.StepLR(opt, 2)
        opt.step()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            s.step()  # optimizer.step() came first: no warning
        assert opt._opt_called


def test_works_with_rusttorch_optimizers():
    optim = pytest.importorskip("rusttorch.optim")
    if not hasattr(optim, "SGD") or not hasattr(optim, "Adam"):
        pytest.skip("rusttorch.optim optimizers not available")
    from rusttorch.nn.parameter import Parameter
    for ours_cls, torch_cls, kw in ((optim.SGD, torch.optim.SGD, dict(lr=0.5, momentum=0.9)),
                                    (optim.Adam, torch.optim.Adam, dict(lr=0.5, betas=(0.8, 0.9)))):
        opt = ours_cls([Parameter(rt.zeros(3))], **kw)
        topt = torch_cls([torch.nn.Parameter(torch.zeros(3))], **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no optimizer.step() here: only the groups matter
            so = O.OneCycleLR(opt, max_lr=1.0, total_steps=32)
            st = T.OneCycleLR(topt, max_lr=1.0, total_steps=32)
            for _ in range(31):
                so.step()
                st.step()
                close(so.get_last_lr(), st.get_last_lr())
                close(snapshot(opt), snapshot(topt))


def test_errors_match_torch():
    def same(f):
        (o1, t1), msgs = make_pair(), []
        for m, opt in ((O, o1), (T, t1)):
            with pytest.raises(Exception) as e:
                f(m, opt)
            msgs.append((type(e.value), str(e.value)))
        assert msgs[0] == msgs[1], msgs

    class NotOpt:
        pass

    for cls in ("StepLR", "ExponentialLR", "CosineAnnealingLR"):
        args = {"StepLR": (3,), "ExponentialLR": (0.9,), "CosineAnnealingLR": (5,)}[cls]
        same(lambda m, o: getattr(m, cls)(NotOpt(), *args))
    same(lambda m, o: m.ReduceLROnPlateau(NotOpt()))
    same(lambda m, o: m.OneCycleLR(NotOpt(), 0.1, 10))
    same(lambda m, o: m.CyclicLR(NotOpt(), 0.1, 1.0))
    same(lambda m, o: m.LambdaLR(o, [lambda e: 1.0]))
    same(lambda m, o: m.MultiplicativeLR(o, 3))
    same(lambda m, o: m.ConstantLR(o, factor=1.5))
    same(lambda m, o: m.LinearLR(o, start_factor=0))
    same(lambda m, o: m.LinearLR(o, end_factor=2))
    same(lambda m, o: m.OneCycleLR(o, 0.1))
    same(lambda m, o: m.OneCycleLR(o, 0.1, total_steps=0))
    same(lambda m, o: m.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3))
    same(lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10, pct_start=1))
    same(lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"))
    same(lambda m, o: m.OneCycleLR(o, [0.1, 0.2], total_steps=10))
    same(lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="zigzag"))
    same(lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0))
    same(lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=0))
    same(lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3).step(-1))
    same(lambda m, o: m.ReduceLROnPlateau(o, factor=1.0))
    same(lambda m, o: m.ReduceLROnPlateau(o, mode="mid"))
    same(lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="pct"))
    same(lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]))
    same(lambda m, o: m.SequentialLR(o, [], []))
    same(lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], milestones=[]))
    same(lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], milestones=[3]))
    same(lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), 5], milestones=[3]))
    same(lambda m, o: m.ChainedScheduler([]))
    same(lambda m, o: m.ChainedScheduler([m.StepLR(o, 2), m.ReduceLROnPlateau(o)]))

    def overstep(m, o):
        s = m.OneCycleLR(o, 0.1, total_steps=5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(6):
                s.step()
    same(overstep)

    # OneCycleLR / CyclicLR need a momentum or betas key to cycle
    bare = FakeOptimizer([{"lr": 0.1}], {"lr": 0.1})
    tbare = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    for m, o in ((O, bare), (T, tbare)):
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            m.OneCycleLR(o, 0.1, total_steps=10)
    O.OneCycleLR(bare, 0.1, total_steps=10, cycle_momentum=False)


def test_duck_typed_optimizer_without_defaults_or_step():
    class Groups:
        def __init__(self):
            self.param_groups = [{"lr": 0.2, "betas": (0.9, 0.999)}]

    o = Groups()
    s = O.OneCycleLR(o, max_lr=1.0, total_steps=10)
    for _ in range(9):
        s.step()
    assert o.param_groups[0]["betas"][1] == 0.999 and len(s.get_last_lr()) == 1
    s = O.StepLR(Groups(), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
