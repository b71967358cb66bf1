"""Train a :class:`~omni.weight_sharing.supernet.Supernet` once, resumably, into a cache.

A training run is determined by (space, network options, data spec, training settings, seed):
:func:`supernet_key` hashes them, and the cache directory holds, per key,

- ``<key>.pt``: the trained ``state_dict`` (tensors only: read back with
  ``torch.load(weights_only=True)``, which never unpickles code);
- ``<key>.json``: the manifest (the settings, training seconds, per-epoch loss, versions),
  written last: a key with a manifest is finished and is never retrained;
- ``<key>.ckpt.pt`` while training: weights, optimizer, schedule and curves after the last
  finished epoch, written atomically each epoch, so a killed run resumes there.

Every step trains one path drawn uniformly (one op per edge, SPOS) on one minibatch, with the
trainer's recipe (SGD, Nesterov, cosine schedule per epoch, gradient clipping). Runs are
deterministic for a seed: the weights come from ``torch.manual_seed(seed)``, epoch ``k``'s
minibatch order and paths from a generator seeded with ``(seed, k)``; a resumed run ends with
the same weights as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from features.errors import DataFormatError, OmniError
from omni import spaces
from omni.progress import progress_bar
from omni.spaces.base import SearchSpace, Task
from omni.training.datasets import DatasetSpec, ImageData, load_dataset
from omni.training.trainer import save_atomic, torch_determinism, train_epoch
from omni.weight_sharing.supernet import Supernet, require_cell_space

logger = logging.getLogger(__name__)

#: bump when a change makes old cached supernets wrong
CACHE_FORMAT = 1
CACHE_VARIABLE = "OMNI_CACHE_DIR"


@dataclass(frozen=True)
class SupernetConfig:
    """Everything that determines a supernet besides the space and the seed.

    ``network`` holds the options of ``space.network`` (the skeleton: e.g. ``channels`` and
    ``cells_per_stage`` for NB201); ``data`` the training and validation images. The recipe is
    the trainer's (:class:`omni.training.TrainConfig`) run for more epochs, since each step
    trains one of many paths: on nb201-digits 150 epochs (~40 s on one core) rank the cells as
    well as 400 (Kendall tau 0.42 and 0.41 on 300 cells) and clearly better than 30 (0.33).
    Build one from a benchmark's metadata with :meth:`for_benchmark`.
    """

    epochs: int = 150
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    grad_clip: float | None = 5.0
    network: Mapping[str, Any] = field(default_factory=dict)
    data: DatasetSpec = field(default_factory=DatasetSpec)
    num_threads: int = 1

    def __post_init__(self) -> None:
        if int(self.epochs) < 1:
            raise OmniError(f"epochs must be >= 1, got {self.epochs}")
        if int(self.batch_size) < 2:
            raise OmniError(f"batch_size must be >= 2 (batch norm), got {self.batch_size}")
        if not self.lr > 0:
            raise OmniError(f"lr must be > 0, got {self.lr}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise OmniError(f"grad_clip must be > 0 or None, got {self.grad_clip}")
        network = {k: _plain(v) for k, v in dict(self.network).items()}
        object.__setattr__(self, "network", network)

    @classmethod
    def for_benchmark(cls, bench, **overrides: Any) -> SupernetConfig:
        """The skeleton and data of a benchmark built by ``omni build-bench`` (its metadata's
        ``network`` and ``data``), with ``overrides`` of the training settings."""
        require_cell_space(spaces.get(bench.space))  # the first thing wrong, said first
        meta = bench.metadata
        if "network" not in meta or "data" not in meta:
            raise OmniError(
                f"benchmark of {bench.space!r}/{bench.dataset!r} records no 'network' and 'data' "
                "metadata (as `omni build-bench` writes): give SupernetConfig(network=..., "
                "data=DatasetSpec(...)) yourself"
            )
        network = {
            k: v
            for k, v in meta["network"].items()
            if k not in ("space", "input_shape", "num_classes")
        }
        names = {f.name for f in fields(DatasetSpec)}
        data = DatasetSpec(**{k: v for k, v in meta["data"].items() if k in names})
        return cls(**{"network": network, "data": data, **overrides})

    def to_dict(self) -> dict:
        out = asdict(self)
        out["network"] = dict(self.network)
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> SupernetConfig:
        """The configuration :meth:`to_dict` wrote (a benchmark's ``weight_sharing`` metadata)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise OmniError(f"supernet configuration: unknown settings {unknown}")
        data = values.get("data", {})
        data = data if isinstance(data, DatasetSpec) else DatasetSpec(**dict(data))
        return cls(**{**values, "data": data})


def _plain(value: Any) -> Any:
    """Network options as JSON values (tuples become lists) for the key and the manifest."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _options(config: SupernetConfig) -> dict:
    """The options handed to ``space.network`` (lists back to tuples)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in config.network.items()}


def task_of(data: ImageData, spec: DatasetSpec) -> Task:
    return Task(spec.name, data.input_shape, data.num_classes)


def supernet_key(space: SearchSpace, config: SupernetConfig, seed: int) -> str:
    """A stable file stem: a hash of the space, the configuration and the seed."""
    text = json.dumps(
        {"format": CACHE_FORMAT, "space": space.name, "config": config.to_dict(), "seed": seed},
        sort_keys=True,
    )
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def default_cache_dir() -> Path:
    """``$OMNI_CACHE_DIR/supernets``, default ``~/.cache/omni-nas/supernets``."""
    root = os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "omni-nas"
    return Path(root) / "supernets"


@dataclass
class TrainedSupernet:
    """A trained supernet, its cache key and manifest (``train_seconds``: what training cost
    when it ran, summed over the sessions of a resumed run)."""

    model: Supernet
    key: str
    manifest: dict
    path: Path

    @property
    def train_seconds(self) -> float:
        return float(self.manifest["train_seconds"])


def build_supernet(space: SearchSpace, config: SupernetConfig, seed: int) -> Supernet:
    """A freshly initialised supernet of ``space`` for ``config``'s data (seeded)."""
    data = load_dataset(config.data)
    torch.manual_seed(seed)
    return Supernet(space, task_of(data, config.data), _options(config))


def train_supernet(
    space: SearchSpace,
    config: SupernetConfig | None = None,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    stop_after: int | None = None,
    progress: bool = True,
) -> TrainedSupernet:
    """The supernet of ``space`` trained with ``config`` and ``seed``: read from the cache when
    it was trained before, else trained (resuming a checkpoint of an interrupted run).

    ``stop_after`` ends training after that many epochs in total, as an interruption would
    (the returned model is then partly trained and nothing final is cached); calling again
    without it finishes the run.
    """
    require_cell_space(space)
    config = SupernetConfig() if config is None else config
    seed = int(seed)
    key = supernet_key(space, config, seed)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    weights, manifest_path, ckpt = (
        folder / f"{key}.pt",
        folder / f"{key}.json",
        folder / f"{key}.ckpt.pt",
    )
    with torch_determinism(config.num_threads):
        model = build_supernet(space, config, seed)
        if manifest_path.exists() and weights.exists():
            manifest = _read_manifest(manifest_path, key)
            model.load_state_dict(torch.load(weights, weights_only=True))
            logger.debug("supernet %s read from the cache", key)
            return TrainedSupernet(model, key, manifest, weights)
        history = _train(model, config, seed, ckpt, stop_after, progress)
    if len(history["seconds"]) < config.epochs:
        return TrainedSupernet(model, key, _manifest(space, config, seed, key, history), weights)
    manifest = _manifest(space, config, seed, key, history)
    save_atomic(model.state_dict(), weights)
    save_atomic(manifest, manifest_path)
    ckpt.unlink(missing_ok=True)
    return TrainedSupernet(model, key, manifest, weights)


def _read_manifest(path: Path, key: str) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise DataFormatError(f"{path}: unreadable supernet manifest ({err}); delete it") from None
    if manifest.get("key") != key:
        raise DataFormatError(f"{path}: manifest of key {manifest.get('key')!r}, expected {key!r}")
    return manifest


def _train(
    model: Supernet,
    config: SupernetConfig,
    seed: int,
    ckpt: Path,
    stop_after: int | None,
    progress: bool,
) -> dict:
    data = load_dataset(config.data)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "seconds": []}
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history = state["history"]
        logger.info("supernet: resuming after epoch %d", len(history["seconds"]))
    end = config.epochs if stop_after is None else min(int(stop_after), config.epochs)
    start_epoch = len(history["seconds"])
    bar = progress_bar(total=end - start_epoch, desc="supernet", unit="epoch", disable=not progress)
    for epoch in range(start_epoch, end):
        start = time.perf_counter()
        loss, acc = train_epoch(
            model,
            optimizer,
            data,
            config.batch_size,
            config.grad_clip,
            np.random.default_rng((seed, epoch)),
            before_batch=lambda rng: model.set_path(model.sample_path(rng)),
        )
        scheduler.step()
        history["train_loss"].append(loss)
        history["train_acc"].append(acc)
        history["seconds"].append(time.perf_counter() - start)
        state = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "history": history,
        }
        save_atomic(state, ckpt)
        bar.set_postfix_str(f"loss {loss:.3f}")
        bar.update()
    bar.close()
    return history


def _manifest(space, config: SupernetConfig, seed: int, key: str, history: dict) -> dict:
    from omni import __version__

    return {
        "format": CACHE_FORMAT,
        "key": key,
        "space": space.name,
        "seed": seed,
        "config": config.to_dict(),
        "sampling": "one op per edge, uniform, per minibatch (SPOS)",
        "epochs_done": len(history["seconds"]),
        "train_seconds": float(math.fsum(history["seconds"])),
        "history": history,
        "omni_version": __version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
    }


__all__ = [
    "SupernetConfig",
    "TrainedSupernet",
    "build_supernet",
    "default_cache_dir",
    "supernet_key",
    "train_supernet",
]
