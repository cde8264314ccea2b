"""rusttorch.utils.data: torch.utils.data's datasets, samplers, collation and
DataLoader for rusttorch tensors.

    from rusttorch.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True,
                        generator=rusttorch.Generator().manual_seed(0))
    for xb, yb in loader: ...

DataLoader's workers (``num_workers > 0``) are threads, not processes: the
dataset is shared, not copied, and rusttorch ops release the GIL, so tensor
work in ``__getitem__`` and collation runs in parallel (see
:class:`DataLoader`).
"""
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
