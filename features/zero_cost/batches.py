"""Minibatch sources for the proxies; nothing is downloaded.

- ``random``: seeded standard-normal images and uniform labels;
- ``digits``: scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), resized
  to the network's input shape with bilinear interpolation, repeated over the channels and
  standardised (zero mean, unit variance over the whole set);
- a ``.npz`` file with arrays ``x`` (N, C, H, W) or (N, H, W) and integer labels ``y`` (N,);
  resized / channel-repeated like digits when its shape differs, values used as they are.

Images are drawn without replacement by a seeded generator: the same seed gives the same batch.

Language models (``input_kind="tokens"``) take ``random`` only: :func:`token_batch` draws
seeded uniform token ids, inputs and their next-token targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from features.errors import DataFormatError, OmniError

SOURCES = ("random", "digits")


def _shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise OmniError(f"input_shape must be (channels, height, width), got {input_shape!r}")
    return shape  # type: ignore[return-value]


def _fit_images(x: torch.Tensor, shape: tuple[int, int, int], source: str) -> torch.Tensor:
    """(N, C, H, W) or (N, H, W) -> (N, *shape): bilinear resize, repeat a single channel."""
    if x.dim() == 3:
        x = x[:, None]
    if x.dim() != 4:
        raise DataFormatError(
            f"{source}: images must be (N, C, H, W) or (N, H, W), got {tuple(x.shape)}"
        )
    c, h, w = shape
    if x.shape[1] != c:
        if x.shape[1] != 1:
            raise DataFormatError(
                f"{source}: images have {x.shape[1]} channels, the network expects {c}"
            )
        x = x.expand(-1, c, -1, -1)
    if tuple(x.shape[2:]) != (h, w):
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    return x.contiguous()


def _draw(n_avail: int, batch_size: int, seed: int, source: str) -> np.ndarray:
    if batch_size < 2:
        raise OmniError(f"batch_size must be >= 2, got {batch_size}")
    if batch_size > n_avail:
        raise OmniError(f"{source}: batch_size {batch_size} exceeds the {n_avail} images available")
    return np.sort(np.random.default_rng(seed).choice(n_avail, size=batch_size, replace=False))


def random_batch(
    input_shape: Sequence[int], batch_size: int = 64, num_classes: int = 10, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard-normal images and uniform labels in ``[0, num_classes)``."""
    shape = _shape(input_shape)
    if batch_size < 2 or num_classes < 1:
        raise OmniError(
            f"need batch_size >= 2 and num_classes >= 1, got {batch_size}, {num_classes}"
        )
    gen = torch.Generator().manual_seed(int(seed))
    x = torch.randn((batch_size, *shape), generator=gen)
    y = torch.randint(0, num_classes, (batch_size,), generator=gen)
    return x, y


def token_batch(
    seq_len: int, batch_size: int = 64, vocab_size: int = 33278, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniform token ids: inputs (seq_len, batch) and targets, the same ids one step later."""
    if seq_len < 1 or batch_size < 2 or vocab_size < 1:
        raise OmniError(
            f"need seq_len >= 1, batch_size >= 2 and vocab_size >= 1, "
            f"got {seq_len}, {batch_size}, {vocab_size}"
        )
    gen = torch.Generator().manual_seed(int(seed))
    ids = torch.randint(0, int(vocab_size), (int(seq_len) + 1, int(batch_size)), generator=gen)
    return ids[:-1].contiguous(), ids[1:].contiguous()


def digits_batch(
    input_shape: Sequence[int], batch_size: int = 64, num_classes: int = 10, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn digits (classes ``< num_classes`` only), resized and standardised."""
    from sklearn.datasets import load_digits

    shape = _shape(input_shape)
    data = load_digits()
    keep = data.target < num_classes
    if keep.sum() < 2:
        raise OmniError(f"digits: no images for num_classes={num_classes}")
    images = torch.as_tensor(data.images[keep], dtype=torch.float32)
    labels = torch.as_tensor(data.target[keep], dtype=torch.long)
    rows = torch.as_tensor(_draw(len(labels), batch_size, seed, "digits"))
    x = _fit_images(images[rows], shape, "digits")
    mean, std = images.mean(), images.std()
    return (x - mean) / std, labels[rows]


def npz_batch(
    path: str | Path,
    input_shape: Sequence[int] | None = None,
    batch_size: int = 64,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch from a ``.npz`` with ``x`` (images) and ``y`` (integer labels)."""
    path = Path(path)
    if not path.is_file():
        raise OmniError(f"no such .npz file: {path}")
    try:
        with np.load(path, allow_pickle=False) as f:
            if "x" not in f or "y" not in f:
                raise DataFormatError(
                    f"{path}: expected arrays 'x' and 'y', found {list(f.keys())}"
                )
            x_all, y_all = np.asarray(f["x"]), np.asarray(f["y"])
    except (OSError, ValueError) as err:
        raise DataFormatError(f"{path}: not a readable .npz file ({err})") from err
    if x_all.ndim not in (3, 4) or y_all.ndim != 1 or len(x_all) != len(y_all):
        raise DataFormatError(
            f"{path}: need x (N, C, H, W) or (N, H, W) and y (N,), got {x_all.shape}, {y_all.shape}"
        )
    if not np.issubdtype(y_all.dtype, np.integer) or (y_all < 0).any():
        raise DataFormatError(f"{path}: y must hold non-negative integer labels")
    rows = _draw(len(y_all), batch_size, seed, str(path))
    x = torch.as_tensor(x_all[rows], dtype=torch.float32)
    if input_shape is None:
        input_shape = x.shape[1:] if x.dim() == 4 else (1, *x.shape[1:])
    x = _fit_images(x, _shape(input_shape), str(path))
    return x, torch.as_tensor(y_all[rows], dtype=torch.long)


def npz_info(path: str | Path) -> tuple[tuple[int, int, int], int]:
    """(input shape, number of classes) of a ``.npz`` batch file."""
    try:
        with np.load(Path(path), allow_pickle=False) as f:
            x_shape, y = f["x"].shape, np.asarray(f["y"])
    except (OSError, ValueError, KeyError) as err:
        raise DataFormatError(f"{path}: not a .npz file with arrays 'x' and 'y' ({err})") from err
    if len(x_shape) not in (3, 4) or y.ndim != 1 or y.size == 0:
        raise DataFormatError(f"{path}: need x (N, C, H, W) or (N, H, W) and y (N,)")
    shape = tuple(int(v) for v in (x_shape[1:] if len(x_shape) == 4 else (1, *x_shape[1:])))
    return shape, int(y.max()) + 1  # type: ignore[return-value]


def make_batch(
    source: str | Path,
    input_shape: Sequence[int],
    batch_size: int = 64,
    num_classes: int = 10,
    seed: int = 0,
    input_kind: str = "image",
) -> tuple[torch.Tensor, torch.Tensor]:
    """``random``, ``digits`` or a path to a ``.npz``; OmniError for anything else.

    ``input_kind="tokens"``: ``random`` token ids, ``input_shape`` is ``(seq_len,)`` and
    ``num_classes`` the vocabulary size (see :func:`token_batch`).
    """
    text = str(source)
    if input_kind == "tokens":
        if text != "random":
            raise OmniError(f"token batches come from 'random' only, got {text!r}")
        shape = tuple(int(v) for v in input_shape)
        if len(shape) != 1:
            raise OmniError(f"a token batch's input_shape is (seq_len,), got {input_shape!r}")
        return token_batch(shape[0], batch_size, num_classes, seed)
    if text == "random":
        return random_batch(input_shape, batch_size, num_classes, seed)
    if text == "digits":
        return digits_batch(input_shape, batch_size, num_classes, seed)
    if text.endswith(".npz"):
        return npz_batch(text, input_shape, batch_size, seed)
    raise OmniError(f"unknown minibatch source {text!r}: use 'random', 'digits' or a .npz path")
