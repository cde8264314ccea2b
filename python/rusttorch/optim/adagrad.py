"""Adagrad with learning-rate decay."""
from __future__ import annotations

from typing import Any, Dict, Iterable

from .. import _C
from .optimizer import Optimizer, _as_float, _check_options

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: Any = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: Any = None) -> None:
        lr = _as_float(lr, "lr")
        _check_options(differentiable, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                       initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch creates the state up front
            for p in group["params"]:
                st = self.state[p]
                st["step"] = _C.tensor(0.0)
                st["sum"] = _C.full_like(p, group["initial_accumulator_value"])

    def _step_group(self, group: Dict[str, Any]) -> None:
        params = self._with_grads(group)
        if not params:
            return
        sums, steps = [], []
        for p in params:
            st = self.state[p]
            if "sum" not in st:
                st["step"] = _C.tensor(0.0)
                st["sum"] = _C.full_like(p, group["initial_accumulator_value"])
            sums.append(st["sum"])
            steps.append(self._step_tensor(st))
        _C._fused_adagrad_(params, [p.grad for p in params], sums, steps, lr=float(group["lr"]),
                           lr_decay=group["lr_decay"], weight_decay=group["weight_decay"], eps=group["eps"],
                           maximize=group["maximize"])
