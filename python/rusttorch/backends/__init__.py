"""rusttorch.backends: which CPU kernels run (rusttorch.backends.cpu)."""
from . import cpu

__all__ = ["cpu"]
