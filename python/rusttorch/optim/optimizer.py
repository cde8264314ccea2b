"""optim.Optimizer: param groups, per-parameter state, state_dict, zero_grad.
The subclasses gather each group's tensors into lists and hand them to one
fused multi-tensor kernel per step (rusttorch._C._fused_*_)."""
from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

from .. import _C
from .._C import Tensor
from .._tensor_methods import zero_grads
from ..autograd.grad_mode import no_grad

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


_LABELS = {"lr": "learning rate", "eps": "epsilon value", "weight_decay": "weight_decay value",
           "momentum": "momentum value", "alpha": "alpha value", "lr_decay": "lr_decay value",
           "initial_accumulator_value": "initial_accumulator_value value"}


def _check_options(differentiable: bool = False, **values: float) -> None:
    """torch's argument checks: each value must be >= 0 ("Invalid learning rate: -1", ...)."""
    for name, v in values.items():
        if not 0.0 <= v:
            raise ValueError(f"Invalid {_LABELS[name]}: {v}")
    if differentiable:
        raise ValueError("differentiable=True is not supported: the update is one fused kernel")


def _as_float(v: Any, name: str) -> float:
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
        return float(v.item())
    return v


class Optimizer:
    """Base class of the optimizers (torch.optim.Optimizer)."""

    def __init__(self, params: Union[Iterable[Tensor], Iterable[Dict[str, Any]]], defaults: Dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                            f"got {type(params).__module__}.{type(params).__name__}")
        self.state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        self.param_groups: List[Dict[str, Any]] = []
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __getstate__(self) -> Dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in param_group["params"]]
        if len(set(ids)) != len(ids):
            raise ValueError("optimizer contains a parameter group with duplicate parameters: each parameter may "
                             "appear once (torch warns and updates it twice)")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if seen & set(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group: Dict[str, Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def _with_grads(group: Dict[str, Any]) -> List[Tensor]:
        """The group's parameters that have a gradient (the others are skipped, as torch does)."""
        out = []
        for p in group["params"]:
            if p.grad is not None:
                if p.grad.shape != p.shape:
                    raise RuntimeError(f"the gradient of a parameter has shape {list(p.grad.shape)}, but the "
                                       f"parameter has shape {list(p.shape)}")
                out.append(p)
        return out

    @staticmethod
    def _step_tensor(state: Dict[str, Any]) -> float:
        """Increments state['step'] (a 0-d float32 tensor, as torch keeps it) and returns the new count."""
        step = state.get("step")
        if step is None:
            state["step"] = _C.tensor(1.0)
            return 1.0
        n = float(step) + 1.0
        step.fill_(n)
        return n

    # ---- state dicts ----
    def state_dict(self) -> Dict[str, Any]:
        index: Dict[int, int] = {}
        groups = []
        start = 0
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                if id(p) not in index:
                    index[id(p)] = start
                    start += 1
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state_dict = dict(state_dict)
        if "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("optimizer state_dict must have the keys 'state' and 'param_groups'")
        saved = state_dict["param_groups"]
        groups = self.param_groups
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's "
                             "group")
        id_map = {old: p for s, g in zip(saved, groups) for old, p in zip(s["params"], g["params"])}
        state: Dict[Tensor, Dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k not in id_map:
                raise ValueError(f"loaded state dict has state for parameter {k}, which no group holds")
            p = id_map[k]
            state[p] = {key: self._cast_state(p, key, value) for key, value in v.items()}
        self.state = state
        new_groups = []
        for g, s in zip(groups, saved):
            ng = {k: copy.deepcopy(v) for k, v in s.items() if k != "params"}
            ng["params"] = g["params"]
            new_groups.append(ng)
        self.param_groups = new_groups

    @staticmethod
    def _cast_state(param: Tensor, key: str, value: Any) -> Any:
        if not isinstance(value, Tensor):
            return value
        if key == "step":
            return value.clone().to(_C.float32)
        if value.shape != param.shape:
            raise ValueError(f"loaded state '{key}' has shape {list(value.shape)}, but its parameter has shape "
                             f"{list(param.shape)}")
        return value.to(param.dtype).clone() if value.is_floating_point() else value.clone()
