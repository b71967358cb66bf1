"""What a zero-cost proxy costs on this machine, where a benchmark file records nothing.

A query budget is seconds on this machine. Published files often carry no per-proxy seconds
(NAS-Bench-Suite-Zero's JSON of NB201 has none; some record one proxy's), and an unknown cost can
never fit a finite budget, so a budget that should bind nothing would silently drop proxies.
:func:`fill_proxy_costs` closes that gap: it builds a few of the space's reference networks for
the benchmark's task, times each missing proxy on a random minibatch of the task's shape (the
cost does not depend on pixel values), and records the median in ``metadata["proxy_seconds"]``
with ``metadata["proxy_seconds_sources"][proxy] = "measured"``. Results are cached in a JSON file
keyed by space, task shape, batch size, proxy and torch version (``$OMNI_CACHE_DIR``, default
``~/.cache/omni-nas``). :func:`cost_sources` reports, per feature group, where its cost came from:
``file`` (per architecture, in the benchmark), ``published`` (a median from a companion file),
``measured`` (here), ``free`` (encodings) or ``unknown`` (excluded under a finite budget).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from features.errors import OmniError
from features.zero_cost import PROXIES
from omni import spaces
from omni.data.benchmark import Benchmark

logger = logging.getLogger(__name__)

#: networks timed per proxy, and the minibatch they are timed on (as ``omni zc``'s default)
SAMPLE_ARCHS = 3
BATCH_SIZE = 64


def cache_file() -> Path:
    root = Path(os.environ.get("OMNI_CACHE_DIR") or Path.home() / ".cache" / "omni-nas")
    return root / "proxy_seconds.json"


def _task(bench: Benchmark):
    space = spaces.get(bench.space)
    try:
        return space, space.task(bench.dataset)
    except OmniError:
        return space, space.task()


def _key(space_name: str, task, proxy: str) -> str:
    shape = "x".join(str(v) for v in task.input_shape)
    return f"{space_name}|{task.inputs}:{shape}->{task.num_outputs}|b{BATCH_SIZE}|{proxy}|torch{torch.__version__}"


def _read_cache(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        logger.warning("ignoring unreadable proxy-cost cache %s", path)
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)}


def _write_cache(path: Path, entries: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({**_read_cache(path), **entries}, indent=1, sort_keys=True))
    os.replace(tmp, path)


def measure_proxy_seconds(
    bench: Benchmark, proxies: Sequence[str], progress: bool = False
) -> dict[str, float]:
    """Median seconds of each proxy on :data:`SAMPLE_ARCHS` of the benchmark's architectures,
    built for its task; cached. Raises :class:`OmniError` where the space builds no network."""
    from omni.zero_cost import score_architectures

    space, task = _task(bench)
    path = cache_file()
    cached = _read_cache(path)
    out = {
        p: cached[_key(space.name, task, p)] for p in proxies if _key(space.name, task, p) in cached
    }
    todo = [p for p in proxies if p not in out]
    if todo:
        rows = np.random.default_rng(0).choice(
            len(bench), min(SAMPLE_ARCHS, len(bench)), replace=False
        )
        logger.warning(
            "measuring %d proxies' seconds on %d %s networks (%s): the file records none",
            len(todo), len(rows), space.name, task.name,
        )  # fmt: skip
        results = score_architectures(
            space,
            [bench.archs[r] for r in rows],
            proxies=todo,
            data="random",
            batch_size=BATCH_SIZE,
            input_shape=task.input_shape,
            num_classes=task.num_outputs,
            progress=progress,
        )
        fresh = {p: float(np.nanmedian(results.seconds[p])) for p in todo}
        _write_cache(path, {_key(space.name, task, p): s for p, s in fresh.items()})
        out.update(fresh)
    return out


def _has_file_seconds(bench: Benchmark, proxy: str) -> bool:
    return bool(np.isfinite(bench.zc_seconds.get(proxy, np.array([]))).any())


def fill_proxy_costs(bench: Benchmark, progress: bool = False) -> list[str]:
    """Measure (or read from the cache) every proxy whose cost ``bench`` lacks; returns them.
    Columns that are no proxy the library computes keep an unknown cost.

    Leaves ``bench`` unchanged when its space cannot build networks (a logged warning): those
    costs stay unknown.
    """
    known = bench.metadata.setdefault("proxy_seconds", {})
    sources = bench.metadata.setdefault("proxy_seconds_sources", {})
    for proxy in known:
        sources.setdefault(proxy, "published")
    missing = [
        p
        for p in bench.proxies
        if p in PROXIES and not _has_file_seconds(bench, p) and p not in known
    ]
    if not missing:
        return []
    try:
        measured = measure_proxy_seconds(bench, missing, progress=progress)
    except OmniError as err:
        logger.warning(
            "cannot measure proxy costs of %s here (%s): they stay unknown", bench.space, err
        )
        return []
    known.update(measured)
    sources.update(dict.fromkeys(measured, "measured"))
    return list(measured)


def cost_sources(bench: Benchmark, groups: Sequence[str]) -> dict[str, str]:
    """Where each group's query cost comes from (see the module docstring)."""
    from omni.feature_groups import expand_groups, group_query_seconds, is_encoding

    out = {}
    sources = bench.metadata.get("proxy_seconds_sources", {})
    for group in expand_groups(bench, groups):
        kind, _, arg = group.partition(":")
        if is_encoding(group):
            out[group] = "free"
        elif not np.isfinite(group_query_seconds(bench, group)):
            out[group] = "unknown"
        elif kind == "zc" and not _has_file_seconds(bench, arg):
            out[group] = sources.get(arg, "published")
        else:
            out[group] = "file"
    return out
