"""Adam and AdamW (decoupled weight decay), with amsgrad and maximize."""
from __future__ import annotations

from typing import Any, Dict, Iterable, Tuple

from .. import _C
from .optimizer import Optimizer, _as_float, _check_options

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, foreach: Any = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False, fused: Any = None,
                 decoupled_weight_decay: bool = False) -> None:
        lr = _as_float(lr, "lr")
        betas = (_as_float(betas[0], "betas[0]"), _as_float(betas[1], "betas[1]"))
        _check_options(differentiable, lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _step_group(self, group: Dict[str, Any]) -> None:
        params = self._with_grads(group)
        if not params:
            return
        amsgrad = group["amsgrad"]
        m, v, vmax, steps = [], [], [], []
        for p in params:
            st = self.state[p]
            if "exp_avg" not in st:
                st["step"] = _C.tensor(0.0)
                st["exp_avg"] = _C.zeros_like(p)
                st["exp_avg_sq"] = _C.zeros_like(p)
                if amsgrad:
                    st["max_exp_avg_sq"] = _C.zeros_like(p)
            m.append(st["exp_avg"])
            v.append(st["exp_avg_sq"])
            if amsgrad:
                if "max_exp_avg_sq" not in st:
                    st["max_exp_avg_sq"] = _C.zeros_like(p)
                vmax.append(st["max_exp_avg_sq"])
            steps.append(self._step_tensor(st))
        beta1, beta2 = group["betas"]
        _C._fused_adam_(params, [p.grad for p in params], m, v, vmax, steps, lr=float(group["lr"]), beta1=beta1,
                        beta2=beta2, weight_decay=group["weight_decay"], eps=group["eps"], amsgrad=amsgrad,
                        maximize=group["maximize"], decoupled_weight_decay=group["decoupled_weight_decay"])


class AdamW(Adam):
    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: Any = None, capturable: bool = False, differentiable: bool = False,
                 fused: Any = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
