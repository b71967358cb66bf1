"""Zero-cost scores of many architectures of a space, on real torch networks.

    results = score_architectures("nb201", archs, proxies=["jacov", "synflow"], data="digits",
                                  n_jobs=2, cache_dir="zc-cache")
    bench = results.to_benchmark()          # a Benchmark, target NaN, like a published file

Each architecture's network is built by its space with ``torch.manual_seed(seed)`` and scored by
:func:`features.zero_cost.compute_proxies` on one minibatch drawn once from ``data``.
Architectures run in parallel with joblib (``n_jobs``); with ``cache_dir`` every finished
architecture is written to disk at once, so an interrupted run resumes where it stopped.
The cache key is (space, architecture, proxy, data, seed, batch size, input shape, classes,
network options, and the input kind of a token space); a ``.npz`` source is identified by its
content hash.

A space whose default task reads tokens (``Task.inputs == "tokens"``, a language model) is
scored on a seeded ``random`` batch of ``batch_size`` token sequences of ``input_shape[0]`` ids
below ``num_classes`` (the vocabulary), with next-token targets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from joblib import Parallel, delayed

from features.errors import InvalidArchitectureError, OmniError
from features.zero_cost import check_proxies, compute_proxies
from features.zero_cost.batches import make_batch, npz_info
from omni import spaces
from omni.data.benchmark import Benchmark
from omni.progress import progress_bar
from omni.spaces import SearchSpace, Task

logger = logging.getLogger(__name__)

CACHE_VERSION = 1


@dataclass
class ZeroCostResults:
    """Scores and seconds per proxy, aligned with ``archs`` (string form); NaN = failed."""

    space: str
    archs: list[str]
    proxies: list[str]
    scores: dict[str, np.ndarray]
    seconds: dict[str, np.ndarray]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.archs)

    def records(self) -> list[dict[str, Any]]:
        """``[{"arch", "scores": {proxy: float|None}, "seconds": {proxy: float}}]``."""
        out = []
        for i, arch in enumerate(self.archs):
            scores = {p: _json_float(self.scores[p][i]) for p in self.proxies}
            seconds = {p: float(self.seconds[p][i]) for p in self.proxies}
            out.append({"arch": arch, "scores": scores, "seconds": seconds})
        return out

    def to_benchmark(
        self, target: Sequence[float] | None = None, dataset: str | None = None
    ) -> Benchmark:
        """The scores as a :class:`Benchmark` (``target`` NaN unless given)."""
        n = len(self.archs)
        tgt = np.full(n, np.nan) if target is None else np.asarray(target, dtype=float)
        return Benchmark(
            space=self.space,
            dataset=dataset or str(self.metadata.get("data", "unknown")),
            archs=list(self.archs),
            target=tgt,
            zc={p: self.scores[p].copy() for p in self.proxies},
            zc_seconds={p: self.seconds[p].copy() for p in self.proxies},
            metadata={"zero_cost": dict(self.metadata)},
        )


def add_scores(bench: Benchmark, results: ZeroCostResults) -> Benchmark:
    """Put ``results``' scores and seconds into ``bench`` (in place), matched by architecture."""
    row = {a: k for k, a in enumerate(results.archs)}
    missing = [a for a in bench.archs if a not in row]
    if missing:
        raise OmniError(
            f"{len(missing)} benchmark architectures were not scored, e.g. {missing[0]}"
        )
    rows = np.array([row[a] for a in bench.archs], dtype=int)
    for p in results.proxies:
        bench.zc[p] = results.scores[p][rows].copy()
        bench.zc_seconds[p] = results.seconds[p][rows].copy()
    bench.metadata["zero_cost"] = dict(results.metadata)
    return bench


def _json_float(v: float) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


# ---------------------------------------------------------------------------------- inputs
def _resolve_space(space: str | SearchSpace) -> SearchSpace:
    return spaces.get(space) if isinstance(space, str) else space


def _parse_archs(space: SearchSpace, archs: Iterable[Any]) -> list[Any]:
    parsed = []
    for k, arch in enumerate(archs):
        try:
            parsed.append(space.coerce(arch))
        except InvalidArchitectureError as err:
            raise InvalidArchitectureError(f"architecture #{k + 1}: {err}") from None
    if not parsed:
        raise OmniError("no architectures to score")
    return parsed


def _data_id(data: str | Path) -> str:
    text = str(data)
    if text in ("random", "digits"):
        return text
    path = Path(text)
    if not path.is_file():
        raise OmniError(f"unknown minibatch source {text!r}: use 'random', 'digits' or a .npz path")
    return "npz:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _defaults(
    data: str | Path, input_shape: Sequence[int] | None, num_classes: int | None, default: Task
) -> tuple[tuple[int, ...], int]:
    text = str(data)
    if text.endswith(".npz") and (input_shape is None or num_classes is None):
        shape, classes = npz_info(text)
        input_shape = input_shape or shape
        num_classes = num_classes or classes
    shape = tuple(int(v) for v in (input_shape or default.input_shape))
    if len(shape) < 1 or min(shape) < 1:
        raise OmniError(f"input_shape must be positive sizes, got {input_shape!r}")
    classes = int(num_classes or default.num_outputs)
    if classes < 1:
        raise OmniError(f"num_classes must be >= 1, got {num_classes}")
    return shape, classes


def _task(num_classes: int, shape: Sequence[int], inputs: str = "image") -> Task:
    return Task("zero-cost", tuple(int(v) for v in shape), int(num_classes), inputs)


# ---------------------------------------------------------------------------------- cache
class _Cache:
    """One JSON file per (space, arch, data, seed, batch, shape, classes, network options)."""

    def __init__(self, root: str | Path | None, common: dict[str, Any]) -> None:
        self.root = None if root is None else Path(root)
        self.common = common
        if self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, arch: str) -> Path:
        key = json.dumps({**self.common, "arch": arch, "v": CACHE_VERSION}, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.json"  # type: ignore[operator]

    def load(self, arch: str) -> dict[str, tuple[float, float]]:
        if self.root is None:
            return {}
        path = self._path(arch)
        if not path.exists():
            return {}
        try:
            entry = json.loads(path.read_text())
            return {
                p: (math.nan if v["score"] is None else float(v["score"]), float(v["seconds"]))
                for p, v in entry["proxies"].items()
            }
        except (OSError, ValueError, KeyError, TypeError):
            logger.warning("ignoring unreadable cache entry %s", path)
            return {}

    def store(self, arch: str, values: dict[str, tuple[float, float]]) -> None:
        if self.root is None:
            return
        path = self._path(arch)
        merged = {**self.load(arch), **values}
        entry = {
            "key": {**self.common, "arch": arch},
            "proxies": {
                p: {"score": _json_float(s), "seconds": float(t)} for p, (s, t) in merged.items()
            },
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(entry))
        os.replace(tmp, path)


# ---------------------------------------------------------------------------------- work
def _score_one(
    index: int,
    space: SearchSpace,
    arch: Any,
    proxies: list[str],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    seed: int,
    task: Task,
    network_kwargs: dict[str, Any],
    threads: int | None,
) -> tuple[int, dict[str, float], dict[str, float]]:
    if threads is not None:
        torch.set_num_threads(threads)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = space.network(arch, task, **network_kwargs)
    scores, seconds = compute_proxies(
        model, inputs, targets, proxies=proxies, seed=seed, input_kind=task.inputs
    )
    return index, scores, seconds


def score_architectures(
    space: str | SearchSpace,
    archs: Iterable[Any],
    proxies: Iterable[str] | str | None = None,
    data: str | Path = "random",
    batch_size: int = 64,
    seed: int = 0,
    input_shape: Sequence[int] | None = None,
    num_classes: int | None = None,
    n_jobs: int = 1,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    network_kwargs: dict[str, Any] | None = None,
) -> ZeroCostResults:
    """Zero-cost scores of ``archs`` (strings, NASLib keys or op tuples) of ``space``.

    ``data`` is ``random``, ``digits`` or a ``.npz`` path (see
    :mod:`features.zero_cost.batches`); ``input_shape`` and ``num_classes`` default to the
    space's default task (the file's own for ``.npz``). ``network_kwargs`` go to
    ``space.network`` (e.g. ``channels``, ``cells_per_stage``). Raises :class:`OmniError` for an
    unknown space or proxy, an architecture the space rejects or a bad shape/data source.
    """
    space = _resolve_space(space)
    names = check_proxies(proxies)
    parsed = _parse_archs(space, archs)
    data_id = _data_id(data)
    default = space.task()
    shape, classes = _defaults(data, input_shape, num_classes, default)
    net_task = _task(classes, shape, default.inputs)
    network_kwargs = dict(network_kwargs or {})
    if int(batch_size) < 2:
        raise OmniError(f"batch_size must be >= 2, got {batch_size}")
    # build one network up front: bad shapes / options fail here with the space's message
    space.network(parsed[0], net_task, **network_kwargs)
    inputs, targets = make_batch(
        data, shape, int(batch_size), classes, int(seed), input_kind=net_task.inputs
    )
    if int(targets.max()) >= classes:
        raise OmniError(f"labels go up to {int(targets.max())}, but num_classes is {classes}")

    arch_strs = [space.to_str(a) for a in parsed]
    common = {
        "space": space.name,
        "data": data_id,
        "seed": int(seed),
        "batch_size": int(batch_size),
        "input_shape": list(shape),
        "num_classes": classes,
        "network": {k: network_kwargs[k] for k in sorted(network_kwargs)},
    }
    if net_task.inputs != "image":  # image keys stay as they were, so old caches still hit
        common["inputs"] = net_task.inputs
    cache = _Cache(cache_dir, json.loads(json.dumps(common, default=list)))
    unique = list(dict.fromkeys(arch_strs))
    known = {a: cache.load(a) for a in unique}
    todo = [
        (a, [p for p in names if p not in known[a]])
        for a in unique
        if any(p not in known[a] for p in names)
    ]
    logger.info(
        "%d of %d architectures need scoring (%d cached)",
        len(todo),
        len(unique),
        len(unique) - len(todo),
    )
    if todo:
        threads = 1 if n_jobs != 1 else None
        tasks = (
            delayed(_score_one)(
                k,
                space,
                space.parse(a),
                missing,
                inputs,
                targets,
                int(seed),
                net_task,
                network_kwargs,
                threads,
            )
            for k, (a, missing) in enumerate(todo)
        )
        if n_jobs == 1:
            stream = (task[0](*task[1], **task[2]) for task in tasks)
        else:
            stream = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(tasks)
        with progress_bar(
            total=len(todo), desc=f"zero-cost {space.name}", disable=not progress
        ) as bar:
            for k, scores, seconds in stream:
                arch = todo[k][0]
                fresh = {p: (scores[p], seconds[p]) for p in scores}
                known[arch] = {**known[arch], **fresh}
                cache.store(arch, fresh)
                bar.update(1)
    score_cols = {p: np.array([known[a][p][0] for a in arch_strs], dtype=float) for p in names}
    second_cols = {p: np.array([known[a][p][1] for a in arch_strs], dtype=float) for p in names}
    metadata = {**common, "data": str(data), "data_id": data_id, "proxies": names}
    return ZeroCostResults(space.name, arch_strs, names, score_cols, second_cols, metadata)


def score_like(
    bench: Benchmark,
    archs: Iterable[Any],
    proxies: Iterable[str],
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> ZeroCostResults:
    """Scores of ``archs`` computed as ``bench``'s own were (its ``zero_cost`` metadata: data,
    seed, batch, input shape, classes, network options), so they sit on the same scale as the
    table's. :class:`OmniError` when the benchmark does not record how its scores were made
    (a published file): scores computed here under other settings would not be comparable."""
    made = bench.metadata.get("zero_cost")
    if not isinstance(made, dict) or "data" not in made:
        raise OmniError(
            f"benchmark {bench.space}/{bench.dataset} does not record how its zero-cost scores "
            "were computed (a published file), so scores of new architectures computed here "
            "would not be comparable: score them with `omni zc` under the file's settings and "
            "pass that file as --bench"
        )
    shape = made.get("input_shape")
    return score_architectures(
        made.get("space", bench.space),
        archs,
        proxies=list(proxies),
        data=made["data"],
        batch_size=int(made.get("batch_size", 64)),
        seed=int(made.get("seed", 0)),
        input_shape=None if shape is None else tuple(shape),
        num_classes=made.get("num_classes"),
        cache_dir=cache_dir,
        progress=progress,
        network_kwargs=made.get("network"),
    )


__all__ = ["ZeroCostResults", "score_architectures", "score_like"]
