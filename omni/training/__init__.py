"""Real training runs that produce learning curves (and the built-in benchmark)."""

from omni.training.build import build_benchmark, sample_canonical
from omni.training.datasets import DATASETS, DatasetSpec, load_dataset
from omni.training.trainer import METRICS, RunResult, TrainConfig, train_arch, train_many

__all__ = [
    "DATASETS",
    "METRICS",
    "DatasetSpec",
    "RunResult",
    "TrainConfig",
    "build_benchmark",
    "load_dataset",
    "sample_canonical",
    "train_arch",
    "train_many",
]
