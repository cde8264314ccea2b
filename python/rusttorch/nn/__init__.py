"""rusttorch.nn: the functional API (rusttorch.nn.functional)."""
from . import functional

__all__ = ["functional"]
