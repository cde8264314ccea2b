"""SGD with momentum, dampening, Nesterov, weight decay and maximize."""
from __future__ import annotations

from typing import Any, Dict, Iterable

from .. import _C
from .optimizer import Optimizer, _as_float, _check_options

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False, foreach: Any = None,
                 differentiable: bool = False, fused: Any = None) -> None:
        lr = _as_float(lr, "lr")
        _check_options(differentiable, lr=lr, momentum=momentum, weight_decay=weight_decay)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _step_group(self, group: Dict[str, Any]) -> None:
        params = self._with_grads(group)
        if not params:
            return
        momentum = group["momentum"]
        bufs, first = [], []
        if momentum != 0:
            for p in params:
                st = self.state[p]
                buf = st.get("momentum_buffer")
                first.append(buf is None)
                if buf is None:
                    buf = _C.empty_like(p)
                    st["momentum_buffer"] = buf
                bufs.append(buf)
        _C._fused_sgd_(params, [p.grad for p in params], bufs, first, lr=float(group["lr"]), momentum=momentum,
                       dampening=group["dampening"], nesterov=group["nesterov"],
                       weight_decay=group["weight_decay"], maximize=group["maximize"])
