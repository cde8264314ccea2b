"""rusttorch.utils: data loading (rusttorch.utils.data), as torch.utils."""
from . import data

__all__ = ["data"]
