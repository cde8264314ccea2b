"""Grad mode context managers (thread-local, as torch's): no_grad, enable_grad,
set_grad_enabled, inference_mode. Each also works as a decorator."""
from __future__ import annotations

import functools

from .. import _C

is_grad_enabled = _C.is_grad_enabled


class _GradModeContext:
    _mode = True

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)
        return None

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Ops inside record nothing: results do not require grad."""
    _mode = False


class enable_grad(_GradModeContext):
    """Turns recording back on inside no_grad."""
    _mode = True


class inference_mode(_GradModeContext):
    """As no_grad here (rusttorch has no separate inference tensors);
    inference_mode(False) changes nothing."""

    def __init__(self, mode=True):
        self._inference = bool(mode)

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        if self._inference:
            _C._set_grad_enabled(False)
        return None

    def clone(self):
        return self.__class__(self._inference)


class set_grad_enabled(_GradModeContext):
    """Sets grad mode on construction, so that it works as a call and as a
    context manager (restoring the previous mode on exit)."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._prev = _C.is_grad_enabled()
        self._mode = mode
        _C._set_grad_enabled(mode)

    def __enter__(self):
        return None

    def clone(self):
        return self.__class__(self._mode)
