"""The requires_grad= keyword of torch's factory functions, around the native ones."""
from __future__ import annotations

import functools

FACTORIES = (
    "tensor", "as_tensor", "zeros", "ones", "empty", "full", "arange", "linspace", "eye", "rand", "randn",
    "randint", "zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "scalar_tensor",
)


def _wrap(f):
    @functools.wraps(f)
    def factory(*args, requires_grad=False, **kwargs):
        t = f(*args, **kwargs)
        if requires_grad:
            t.requires_grad_(True)
        return t
    return factory


def add_requires_grad_keyword(namespace):
    for name in FACTORIES:
        if name in namespace:
            namespace[name] = _wrap(namespace[name])
