"""Small image-classification datasets for real training runs, with fixed, seeded splits.

A dataset is described by a :class:`DatasetSpec` (name, image size, split sizes, split seed) so
that workers can rebuild the exact same tensors from a few numbers instead of receiving arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from features.errors import OmniError


@dataclass(frozen=True)
class DatasetSpec:
    """Which data a run trains on: ``name``, square ``image_size`` (None = native), the number
    of validation images ``val_size``, optionally fewer training images ``train_size`` (None =
    all the rest; both splits stratified) and the ``split_seed`` of the split."""

    name: str = "digits"
    image_size: int | None = None
    val_size: int = 897
    train_size: int | None = None
    split_seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ImageData:
    """Train / validation tensors (N, C, H, W) float32 and int64 labels, standardised with the
    training images' mean and std."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    num_classes: int
    train_index: np.ndarray
    val_index: np.ndarray

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.x_train.shape[1:])  # type: ignore[return-value]


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.float32)[:, None] / 16.0, bunch.target.astype(np.int64)


#: dataset name -> loader returning (images (N, C, H, W) float32 in [0, 1], labels (N,) int64)
DATASETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {"digits": _digits}


@functools.lru_cache(maxsize=4)
def load_dataset(spec: DatasetSpec) -> ImageData:
    """The tensors of ``spec`` (cached per process)."""
    from sklearn.model_selection import train_test_split

    if spec.name not in DATASETS:
        raise OmniError(f"unknown training dataset {spec.name!r}; available: {sorted(DATASETS)}")
    images, labels = DATASETS[spec.name]()
    n = len(labels)
    num_classes = int(labels.max()) + 1
    if not num_classes <= spec.val_size <= n - num_classes:
        raise OmniError(
            f"val_size {spec.val_size} must leave each side at least one image per class "
            f"({num_classes} <= val_size <= {n - num_classes} for {spec.name!r})"
        )
    train_index, val_index = train_test_split(
        np.arange(n), test_size=spec.val_size, random_state=spec.split_seed, stratify=labels
    )
    x = torch.from_numpy(images)
    if spec.image_size is not None and spec.image_size != x.shape[-1]:
        if spec.image_size < 1:
            raise OmniError(f"image_size must be >= 1, got {spec.image_size}")
        x = torch.nn.functional.interpolate(
            x, size=(spec.image_size, spec.image_size), mode="bilinear", align_corners=False
        )
    if spec.train_size is not None and spec.train_size < len(train_index):
        if spec.train_size < num_classes:
            raise OmniError(f"train_size {spec.train_size} is below one image per class")
        train_index, _ = train_test_split(
            train_index,
            train_size=spec.train_size,
            random_state=spec.split_seed,
            stratify=labels[train_index],
        )
    train_index, val_index = np.sort(train_index), np.sort(val_index)
    x_train, x_val = x[train_index], x[val_index]
    mean, std = x_train.mean(), x_train.std()
    y = torch.from_numpy(labels)
    return ImageData(
        x_train=((x_train - mean) / std).contiguous(),
        y_train=y[train_index],
        x_val=((x_val - mean) / std).contiguous(),
        y_val=y[val_index],
        num_classes=num_classes,
        train_index=train_index,
        val_index=val_index,
    )
