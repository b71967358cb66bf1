"""Build a benchmark by training sampled cells for real (``omni build-bench``).

The cells are drawn uniformly from the space's canonical classes (isomorphs count once), each
is trained once with the build seed, and ``repeat_archs`` of them are retrained with further
seeds to measure seed noise: the Kendall tau between two seeds' final accuracies is the ceiling
any predictor can reach on this benchmark. Everything is resumable through ``workdir``.

Zero-cost scores are not computed here; add them to the returned :class:`Benchmark`'s ``zc``
(and ``zc_seconds``) before saving.
"""

from __future__ import annotations

import itertools
import logging
import platform
import time
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau

from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.training.datasets import load_dataset
from omni.training.trainer import METRICS, RunResult, TrainConfig, train_many

logger = logging.getLogger(__name__)


def canonical_classes(space) -> list:
    """Every canonical architecture of an enumerable ``space``, in order of first appearance."""
    return list(dict.fromkeys(space.canonical(a) for a in space.all_archs()))


def sample_canonical(space, n: int, seed: int) -> list[str]:
    """``n`` distinct canonical architectures (string form): uniform over canonical classes
    when the space can be enumerated, else distinct classes of the space's own sampler."""
    if not space.enumerable:
        return _sample_distinct(space, n, seed)
    classes = canonical_classes(space)
    if not 1 <= n <= len(classes):
        raise OmniError(
            f"cannot sample {n} distinct cells: space {space.name!r} has {len(classes)} "
            "canonical cells"
        )
    rows = np.random.default_rng(seed).choice(len(classes), size=n, replace=False)
    return [space.to_str(classes[k]) for k in rows]


def _sample_distinct(space, n: int, seed: int, max_draws: int = 100) -> list[str]:
    rng = np.random.default_rng(seed)
    found: dict[str, None] = {}
    for _ in range(max_draws):
        for arch in space.sample(max(n, 16), rng):
            found.setdefault(space.key(arch))
            if len(found) == n:
                return list(found)
    raise OmniError(f"could not draw {n} distinct architectures of space {space.name!r}")


def seed_noise(accuracies: np.ndarray) -> dict:
    """Kendall tau between every pair of seed columns of an (archs, seeds) accuracy table."""
    accuracies = np.asarray(accuracies, dtype=float)
    taus = [
        float(kendalltau(accuracies[:, i], accuracies[:, j])[0])
        for i, j in itertools.combinations(range(accuracies.shape[1]), 2)
    ]
    return {
        "kendall_tau_pairs": taus,
        "kendall_tau_mean": float(np.mean(taus)) if taus else None,
        "mean_abs_difference": float(
            np.mean(np.abs(accuracies - accuracies.mean(axis=1, keepdims=True)))
        ),
    }


def build_benchmark(
    space,
    config: TrainConfig,
    n_archs: int,
    seed: int = 0,
    seed_repeats: int = 3,
    repeat_archs: int = 20,
    workdir: str | Path | None = None,
    n_jobs: int = 1,
    progress: bool = True,
) -> Benchmark:
    """Sample ``n_archs`` canonical cells, train them (plus the seed-noise repeats) and return
    the :class:`Benchmark`: curves, per-epoch seconds, target = final ``val_acc``.

    The main runs use seed ``seed``; the first ``repeat_archs`` cells of a seeded shuffle are
    also trained with seeds ``seed + 1 .. seed + seed_repeats - 1`` (their ``seed`` run is the
    main one). Rerunning with the same arguments and ``workdir`` resumes where it stopped.
    """
    start = time.perf_counter()
    if seed_repeats < 1 or repeat_archs < 0:
        raise OmniError("seed_repeats must be >= 1 and repeat_archs >= 0")
    repeat_archs = min(repeat_archs, n_archs) if seed_repeats > 1 else 0
    archs = sample_canonical(space, n_archs, seed)
    order = np.random.default_rng([seed, 1]).permutation(n_archs)
    repeated = [archs[k] for k in sorted(order[:repeat_archs])]
    seeds = [seed + k for k in range(seed_repeats)]
    runs = [(a, seed) for a in archs] + [(a, s) for s in seeds[1:] for a in repeated]
    data = load_dataset(config.data)  # fail early on a bad dataset spec
    results = train_many(space, runs, config, workdir=workdir, n_jobs=n_jobs, progress=progress)
    main, extra = results[:n_archs], results[n_archs:]
    bench = _assemble(space, config, main)

    by_run = {(r.arch, r.seed): r for r in results}
    table = np.array([[by_run[(a, s)].final_val_acc for s in seeds] for a in repeated])
    noise = seed_noise(table) if repeat_archs >= 2 else {}
    from omni import __version__

    bench.metadata.update(
        {
            "source": "omni build-bench",
            "network": {
                "space": space.name,
                "channels": list(config.channels),
                "cells_per_stage": config.cells_per_stage,
                "input_shape": list(data.input_shape),
                "num_classes": data.num_classes,
            },
            "data": {
                **config.data.to_dict(),
                "train_images": len(data.y_train),
                "val_images": len(data.y_val),
                "standardisation": "training-split mean and std",
            },
            "epochs": config.epochs,
            "optimizer": config.optimizer_description(),
            "seed": seed,
            "sampling": "uniform over canonical cells, without replacement",
            "target": "val_acc (percent) at the last epoch",
            "seed_repeats": {
                "archs": repeated,
                "seeds": seeds,
                "val_acc": table.tolist(),
                **noise,
            },
            "build": {
                "compute_seconds": float(sum(sum(r.epoch_seconds) for r in main + extra)),
                "wall_seconds_last_session": time.perf_counter() - start,
                "n_jobs": n_jobs,
                "threads_per_job": config.num_threads,
                "omni_version": __version__,
                "torch_version": _torch_version(),
                "python": platform.python_version(),
            },
        }
    )
    return bench


def _torch_version() -> str:
    import torch

    return torch.__version__


def _assemble(space, config: TrainConfig, runs: list[RunResult]) -> Benchmark:
    curves = {m: np.array([r.curves[m] for r in runs], dtype=float) for m in METRICS}
    epoch_seconds = np.array([r.epoch_seconds for r in runs], dtype=float)
    return Benchmark(
        space=space.name,
        dataset=config.data.name,
        archs=[r.arch for r in runs],
        target=curves["val_acc"][:, -1],
        curves=curves,
        epoch_seconds=epoch_seconds,
        train_seconds=epoch_seconds.sum(axis=1),
    )
