"""Custom differentiable functions: rusttorch.autograd.Function, as torch's."""
from __future__ import annotations

from .. import _C
from .grad_mode import no_grad

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they have "
          "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
          "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
          "if you need to access saved tensors after calling backward.")


class FunctionCtx:
    """The ``ctx`` of forward and backward."""

    def __init__(self):
        self._saved = ()
        self._released = False
        self._non_differentiable = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def save_for_backward(self, *tensors):
        # Detached aliases with their versions: a saved output would otherwise
        # keep its own node alive (a cycle), and in-place writes must be seen.
        self._saved = tuple(None if t is None else (t.detach(), t._version) for t in tensors)

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(_FREED)
        out = []
        for s in self._saved:
            if s is None:
                out.append(None)
                continue
            t, version = s
            if t._version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: [{t.type()} {list(t.shape)}] is at version {t._version}; expected version "
                    f"{version} instead.")
            out.append(t)
        return tuple(out)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tuple(tensors)

    def mark_dirty(self, *tensors):
        raise NotImplementedError("rusttorch.autograd.Function: mark_dirty (in-place custom functions) is not supported")

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def _release(self):
        self._released = True
        self._saved = ()


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``;
    call ``YourFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, _C.Tensor) and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        if not (_C.is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        is_tuple = isinstance(out, tuple)
        outs = list(out) if is_tuple else [out]
        for i, o in enumerate(outs):
            # An input returned as it is gets a fresh alias, so the input keeps its own history.
            if isinstance(o, _C.Tensor) and (o.requires_grad or any(o is a for a in args)):
                outs[i] = o.detach()
        non_diff = ctx._non_differentiable
        diff = [o for o in outs if isinstance(o, _C.Tensor) and o.is_floating_point()
                and not any(o is n for n in non_diff)]
        n_in = len(args)
        name = cls.__name__ + "Backward"

        def backward_fn(*grads):
            r = cls.backward(ctx, *grads)
            r = r if isinstance(r, tuple) else (r,)
            if len(r) < n_in:
                raise RuntimeError(f"function {name} returned an incorrect number of gradients (expected {n_in}, "
                                   f"got {len(r)})")
            r = r[:n_in] if all(g is None for g in r[n_in:]) else r
            return tuple(g if isinstance(a, _C.Tensor) else None for g, a in zip(r, args))

        _C._record_function(name, backward_fn, ctx._release, args, diff)
        return tuple(outs) if is_tuple else outs[0]
