"""RMSprop with momentum and the centered variant."""
from __future__ import annotations

from typing import Any, Dict, Iterable

from .. import _C
from .optimizer import Optimizer, _as_float, _check_options

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Any = None, maximize: bool = False, differentiable: bool = False) -> None:
        lr = _as_float(lr, "lr")
        _check_options(differentiable, lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, group: Dict[str, Any]) -> None:
        params = self._with_grads(group)
        if not params:
            return
        momentum, centered = group["momentum"], group["centered"]
        sq, gavg, bufs = [], [], []
        for p in params:
            st = self.state[p]
            if "square_avg" not in st:
                st["step"] = _C.tensor(0.0)
                st["square_avg"] = _C.zeros_like(p)
            if momentum > 0 and "momentum_buffer" not in st:
                st["momentum_buffer"] = _C.zeros_like(p)
            if centered and "grad_avg" not in st:
                st["grad_avg"] = _C.zeros_like(p)
            self._step_tensor(st)
            sq.append(st["square_avg"])
            if momentum > 0:
                bufs.append(st["momentum_buffer"])
            if centered:
                gavg.append(st["grad_avg"])
        _C._fused_rmsprop_(params, [p.grad for p in params], sq, gavg, bufs, lr=float(group["lr"]),
                           alpha=group["alpha"], eps=group["eps"], weight_decay=group["weight_decay"],
                           momentum=momentum, centered=centered, maximize=group["maximize"])
