"""Score architectures with a trained supernet, and attach the scores to a benchmark.

A sub-network's score is its validation accuracy (percent) with inherited weights, after its
batch-norm statistics are re-estimated on the training images with its path fixed (the
running averages of training mix every path, which misranks sub-networks). The seconds each
score took -- recalibration plus evaluation -- are its query cost.

:func:`attach_ws_scores` computes the score of every architecture of a :class:`Benchmark` with
the supernet trained (or read from the cache) for the benchmark's own skeleton and data, and
stores them as the ``ws:<name>`` feature group: ``bench.ws[name]`` and
``bench.ws_seconds[name]`` per architecture, and ``bench.metadata["weight_sharing"][name]``
with the supernet's training seconds (the group's init cost) and cache key. Scores are cached
beside the supernet, so attaching again costs a file read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.progress import progress_bar
from omni.reporting import write_json
from omni.training.datasets import load_dataset
from omni.training.trainer import evaluate_model, recalibrate_bn, torch_determinism
from omni.weight_sharing.supernet import Supernet, check_arch
from omni.weight_sharing.training import (
    SupernetConfig,
    TrainedSupernet,
    default_cache_dir,
    train_supernet,
)

logger = logging.getLogger(__name__)

#: images per forward pass while scoring (recalibration and evaluation)
SCORE_BATCH = 256
#: training images that re-estimate a sub-network's batch-norm statistics (a fixed, seeded
#: subset: 256 of nb201-digits' 900 give the statistics at a third of the cost of all of them)
RECALIBRATION_IMAGES = 256


def score_archs(
    supernet: Supernet,
    archs: Sequence,
    config: SupernetConfig,
    batch_size: int = SCORE_BATCH,
    recalibration_images: int | None = RECALIBRATION_IMAGES,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Validation accuracy (percent) of each architecture's sub-network with inherited weights,
    after batch-norm recalibration on ``recalibration_images`` training images (a seeded
    subset, the same for every architecture; None: all); and the seconds each took.

    An architecture the supernet's space rejects raises :class:`InvalidArchitectureError`
    before any work. The supernet's running statistics are left as the last one set them.
    """
    space = supernet.space
    paths = [check_arch(space, a) for a in archs]
    data = load_dataset(config.data)
    x_recal = data.x_train
    if recalibration_images is not None and recalibration_images < len(x_recal):
        if recalibration_images < 2:
            raise OmniError(f"recalibration_images must be >= 2, got {recalibration_images}")
        pick = np.sort(np.random.default_rng(0).permutation(len(x_recal))[:recalibration_images])
        x_recal = x_recal[torch.from_numpy(pick)]
    scores = np.full(len(paths), np.nan)
    seconds = np.full(len(paths), np.nan)
    bar = progress_bar(paths, desc="ws scores", unit="arch", disable=not progress)
    with torch_determinism(config.num_threads):
        for k, path in enumerate(bar):
            start = time.perf_counter()
            supernet.set_path(path)
            recalibrate_bn(supernet, x_recal, batch_size)
            _, acc = evaluate_model(supernet, data.x_val, data.y_val, batch_size)
            seconds[k] = time.perf_counter() - start
            scores[k] = acc if np.isfinite(acc) else np.nan
    return scores, seconds


def default_name(seed: int) -> str:
    """The group argument of a default supernet: ``spos-s<seed>`` (``ws:spos-s0``)."""
    return f"spos-s{int(seed)}"


def attach_ws_scores(
    bench: Benchmark,
    name: str | None = None,
    config: SupernetConfig | None = None,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> str:
    """Score every architecture of ``bench`` with a supernet and add group ``ws:<name>``.

    ``config`` defaults to :meth:`SupernetConfig.for_benchmark` (the benchmark's skeleton and
    data); ``name`` to ``spos-s<seed>``. The supernet is trained only when the cache
    (``cache_dir``, default ``$OMNI_CACHE_DIR/supernets``) lacks it. Returns the group name.
    """
    from omni import spaces

    space = spaces.get(bench.space)
    config = SupernetConfig.for_benchmark(bench) if config is None else config
    name = default_name(seed) if name is None else str(name)
    if not name or ":" in name or "[" in name:
        raise OmniError(
            f"a weight-sharing group name is plain text without ':' or '[', got {name!r}"
        )
    archs = [space.to_str(check_arch(space, a)) for a in bench.archs]
    trained = train_supernet(space, config, seed=seed, cache_dir=cache_dir, progress=progress)
    scores, seconds = _cached_scores(trained, archs, config, cache_dir, progress)
    bench.ws[name] = scores
    bench.ws_seconds[name] = seconds
    bench.metadata.setdefault("weight_sharing", {})[name] = {
        "init_seconds": trained.train_seconds,
        "supernet": trained.key,
        "seed": int(seed),
        "config": config.to_dict(),
        "score": "validation accuracy (percent) with inherited weights, BN recalibrated",
    }
    return f"ws:{name}"


def ws_scores_like(
    bench: Benchmark,
    name: str,
    archs: Sequence,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores (and seconds) of ``archs`` on the scale of ``bench``'s group ``ws:<name>``: the
    supernet its metadata records, read from the cache (``cache_dir``, default
    ``$OMNI_CACHE_DIR/supernets``) or, on a machine without it, trained again with the same
    settings and seed; then scored as :func:`attach_ws_scores` scored the table."""
    from omni import spaces

    info = bench.metadata.get("weight_sharing", {}).get(name)
    if not info or "config" not in info or "seed" not in info:
        raise OmniError(
            f"the benchmark records no supernet for ws:{name} (attach_ws_scores writes it): "
            "scores of new architectures cannot be computed"
        )
    config = SupernetConfig.from_dict(info["config"])
    trained = train_supernet(
        spaces.get(bench.space),
        config,
        seed=int(info["seed"]),
        cache_dir=cache_dir,
        progress=progress,
    )
    if trained.key != info.get("supernet", trained.key):
        raise OmniError(
            f"ws:{name} was scored with supernet {info['supernet']}, but its recorded settings "
            f"now give {trained.key} (another omni-nas cache format?): attach the scores again"
        )
    return score_archs(trained.model, archs, config, progress=progress)


def _cached_scores(
    trained: TrainedSupernet,
    archs: list[str],
    config: SupernetConfig,
    cache_dir: str | Path | None,
    progress: bool,
) -> tuple[np.ndarray, np.ndarray]:
    digest = hashlib.sha1(
        json.dumps(
            {
                "archs": archs,
                "batch": SCORE_BATCH,
                "recalibration_images": RECALIBRATION_IMAGES,
                "torch": torch.__version__,
            }
        ).encode()
    ).hexdigest()[:12]
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = folder / f"{trained.key}.scores-{digest}.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("archs") == archs:
            return _floats(data["scores"]), _floats(data["seconds"])
    scores, seconds = score_archs(trained.model, archs, config, progress=progress)
    write_json(
        path,
        {"archs": archs, "scores": scores.tolist(), "seconds": seconds.tolist()},
    )
    return scores, seconds


def _floats(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


__all__ = ["attach_ws_scores", "default_name", "score_archs", "ws_scores_like"]
