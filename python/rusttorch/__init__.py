"""rusttorch: a SIMD-vectorized, multithreaded CPU tensor engine with a
PyTorch-compatible Python API.

    import rusttorch as torch          # most CPU tensor code runs unchanged
    x = torch.arange(6.).reshape(2, 3)
    y = torch.add(x, 1, alpha=2) * x.T.T
    print(y[:, 1:], y.dtype)

Tensors interoperate with NumPy (``from_numpy``, ``.numpy()``, the buffer
protocol) and any DLPack library (``from_dlpack``, ``__dlpack__``) without
copies.
"""
from __future__ import annotations

from . import _C
from ._C import *  # noqa: F401,F403  (Tensor, Size, dtype objects, ops, factories)
from ._C import Size, Tensor, dtype, float32, float64, int32, int64

# torch's dtype aliases (torch.float is float32, torch.int is int32).
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
bool = _C.bool  # noqa: A001

__version__ = "0.1.0"

from . import _tensor_methods  # noqa: E402  (adds the Python-level Tensor methods)
from . import _numpy_dtype, _numpy_protocol, _pickle  # noqa: E402,F401  (NumPy protocols, pickling)
from . import autograd, backends, nn  # noqa: E402
from .autograd.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: E402
from ._tensor_methods import (  # noqa: E402
    add_scalar,
    broadcast_tensors,
    broadcast_to,
    clone,
    exp_,
    flatten,
    get_default_dtype,
    index_select,
    is_floating_point,
    log_,
    masked_fill,
    mul_scalar,
    narrow,
    numel,
    permute,
    reshape,
    select,
    squeeze,
    swapaxes,
    swapdims,
    t,
    transpose,
    unsqueeze,
)
from ._sorting import median, mode, nanmedian, nanquantile, quantile, unique, unique_consecutive  # noqa: E402
from .nn.functional import (  # noqa: E402  (torch's top-level spellings)
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d,
)



def _dask_tokenize(self: Tensor) -> object:
    # Dask tokenizes every tensor it is given: the first time, register the
    # chunk type (rusttorch.dask), which then tokenizes tensors itself.
    from . import dask as _rt_dask

    return _rt_dask._tokenize_tensor(self)


Tensor.__dask_tokenize__ = _dask_tokenize  # type: ignore[attr-defined]
if "dask.array" in __import__("sys").modules:  # dask is in use already: register now
    from . import dask as _rt_dask  # noqa: E402,F401

# Loaded on first use, to keep them (zipfile, hashlib, threads) out of `import rusttorch`.
_LAZY = {"optim": "optim", "utils": "utils", "save": "serialization", "load": "serialization"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        module = importlib.import_module("." + _LAZY[name], __name__)
        return module if name == _LAZY[name] else getattr(module, name)
    raise AttributeError(f"module 'rusttorch' has no attribute '{name}'")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


# Everything of the native module that is public, plus the Python-level functions.
__all__ = [n for n in dir(_C) if not n.startswith("_")] + [
    "float", "double", "long", "int", "bool", "autograd", "backends", "nn", "optim", "utils", "save", "load",
    "enable_grad", "inference_mode", "no_grad", "set_grad_enabled",
    "add_scalar", "broadcast_tensors", "broadcast_to", "clone", "exp_", "flatten", "get_default_dtype",
    "index_select", "is_floating_point", "log_", "masked_fill", "mul_scalar", "narrow", "numel", "permute",
    "reshape", "select", "squeeze", "swapaxes", "swapdims", "t", "transpose", "unsqueeze",
    "median", "mode", "nanmedian", "nanquantile", "quantile", "unique", "unique_consecutive",
]

