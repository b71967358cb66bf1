"""Feature groups: named column sets extracted from a :class:`Benchmark`, each with a cost.

Names:

- a name without ``:`` -- an encoding of the benchmark's space (``space.encodings``, e.g.
  ``onehot``, ``path``, ``opcount``, ``graph``, ``padded``; ``graph``: op-subset path lengths
  and degrees, :mod:`features.graph_features`), built by ``space.encode``;
- ``zc:<proxy>`` -- one zero-cost score (``zc:*`` expands to every proxy of the benchmark);
- ``extra:<column>`` -- a per-architecture column such as ``extra:val_acc_12ep``;
- ``lc:<statistic>@<e>`` -- a learning-curve statistic at fidelity ``e`` (``lc:sotl_e@5``,
  ``lc:val_acc:last@3``; see ``features.learning_curve``), costing the seconds of ``e`` epochs;
- ``ws:<name>`` -- a weight-sharing score: the accuracy of the architecture's sub-network in a
  trained supernet (``ws:*`` expands to every one the benchmark holds; attach them with
  :func:`omni.weight_sharing.attach_ws_scores`);

The query cost of a group is what computing it costs for one new architecture: 0 for encodings,
the proxy's measured seconds for a score (median; else the
benchmark's ``metadata["proxy_seconds"]``), declared seconds (``metadata["extra_seconds"]``) for an extra
column, the measured seconds of one sub-network evaluation for a weight-sharing score; NaN when
nobody measured it. The init cost of a group is what it costs once, whatever the number of
architectures: training the supernet for a weight-sharing score, nothing for the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from features import learning_curve
from features.errors import OmniError
from omni import spaces
from omni.data.benchmark import Benchmark

#: the encodings every space of the study offers (a space may offer more or fewer)
ENCODING_GROUPS = ("onehot", "path", "opcount", "graph", "padded")


def is_encoding(name: str) -> bool:
    """True for an encoding group (a name without a ``kind:`` prefix)."""
    return ":" not in name


def encoding_groups(bench: Benchmark) -> tuple[str, ...]:
    """The encodings ``bench``'s space offers (none for an unregistered space)."""
    return spaces.get(bench.space).encodings if spaces.is_registered(bench.space) else ()


@lru_cache(maxsize=200_000)
def _encode(space_name: str, arch: str, kind: str) -> np.ndarray:
    return spaces.get(space_name).encode(arch, kind)


def expand_groups(bench: Benchmark, names: Sequence[str]) -> list[str]:
    """Resolve wildcards (``zc:*``, ``extra:*``) and check every name exists for ``bench``."""
    out: list[str] = []
    for name in names:
        if name == "zc:*":
            out.extend(f"zc:{p}" for p in bench.proxies)
        elif name == "extra:*":
            out.extend(f"extra:{c}" for c in sorted(bench.extra) if c not in ID_COLUMNS)
        elif name == "ws:*":
            if not bench.ws:
                raise OmniError(_NO_WS)
            out.extend(f"ws:{w}" for w in sorted(bench.ws))
        else:
            check_group(bench, name)
            out.append(name)
    return list(dict.fromkeys(out))


ID_COLUMNS = ("benchmark_id", "canonical_id")
_NO_WS = (
    "the benchmark holds no weight-sharing scores: attach them with "
    "omni.weight_sharing.attach_ws_scores(bench) (trains a supernet once, then caches it)"
)


def check_group(bench: Benchmark, name: str) -> None:
    kind, _, arg = name.partition(":")
    if is_encoding(name):
        if not spaces.is_registered(bench.space):
            raise OmniError(f"encoding {name!r} needs a registered space; {bench.space!r} is not")
        if name not in spaces.get(bench.space).encodings:
            raise OmniError(
                f"unknown feature group {name!r}: space {bench.space!r} has the encodings "
                f"{list(spaces.get(bench.space).encodings)}; other groups are "
                "'zc:<proxy>', 'extra:<column>', 'lc:<statistic>@<epochs>'"
            )
    elif kind == "zc":
        if arg not in bench.zc:
            raise OmniError(f"no proxy {arg!r} in the benchmark; it has {bench.proxies}")
    elif kind == "extra":
        if arg not in bench.extra:
            raise OmniError(f"no column {arg!r} in the benchmark; it has {sorted(bench.extra)}")
    elif kind == "ws":
        if arg not in bench.ws:
            raise OmniError(
                f"no weight-sharing score {arg!r} in the benchmark; it has {sorted(bench.ws)}"
                if bench.ws
                else _NO_WS
            )
    elif kind == "lc":
        stat, fidelity = parse_lc(name)
        if not bench.curves:
            raise OmniError(f"{name!r}: the benchmark has no learning curves")
        if fidelity > bench.num_epochs:
            raise OmniError(f"{name!r}: curves have only {bench.num_epochs} epochs")
    else:
        raise OmniError(
            f"unknown feature group {name!r}: use one of {list(encoding_groups(bench))}, "
            "'zc:<proxy>', 'extra:<column>', 'lc:<statistic>@<epochs>', 'ws:<name>'"
        )


def group_matrix(bench: Benchmark, name: str, rows: np.ndarray | None = None) -> np.ndarray:
    """The (len(rows), k) block of group ``name``."""
    check_group(bench, name)
    rows = np.arange(len(bench)) if rows is None else np.asarray(rows, dtype=int)
    kind, _, arg = name.partition(":")
    if is_encoding(name):
        return np.stack([_encode(bench.space, bench.archs[r], name) for r in rows]).astype(float)
    if kind == "zc":
        return bench.zc[arg][rows, None]
    if kind == "ws":
        return bench.ws[arg][rows, None]
    if kind == "lc":
        stat, fidelity = parse_lc(name)
        curves = {m: c[rows] for m, c in bench.curves.items()}
        return learning_curve.curve_features(curves, fidelity, [stat])[0]
    return bench.extra[arg][rows, None]


def parse_lc(name: str) -> tuple[str, int]:
    """``"lc:sotl_e@5"`` -> (``"sotl_e"``, 5)."""
    stat, at, fidelity = name[3:].rpartition("@")
    if not at or not stat or not fidelity.isdigit() or int(fidelity) < 1:
        raise OmniError(f"learning-curve group {name!r} must read 'lc:<statistic>@<epochs>'")
    return stat, int(fidelity)


#: statistics the tuner may buy at each fidelity (paper names resolve to the curves present)
LC_STATISTICS = ("sotl", "sotl_e", "sovl")


def lc_groups(bench: Benchmark, fidelities: Sequence[int] | None = None) -> list[str]:
    """Learning-curve groups of ``bench``: the paper statistics and the last validation value
    at a few fidelities (default: 10 %, 25 % and 50 % of the epochs)."""
    if not bench.curves:
        return []
    epochs = bench.num_epochs
    if fidelities is None:
        fidelities = sorted({max(1, round(epochs * f)) for f in (0.1, 0.25, 0.5)})
    stats = list(LC_STATISTICS)
    val = next((m for m in ("val_acc", "val_loss") if m in bench.curves), None)
    if val:
        stats.append(f"{val}:last")
    out = []
    for e in fidelities:
        for stat in stats:
            name = f"lc:{stat}@{e}"
            try:
                group_matrix(bench, name, np.arange(min(2, len(bench))))
            except OmniError:
                continue
            out.append(name)
    return out


def feature_matrix(
    bench: Benchmark, names: Sequence[str], rows: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Concatenated blocks of several groups, with one column name per column."""
    blocks, columns = [], []
    for name in expand_groups(bench, names):
        block = group_matrix(bench, name, rows)
        blocks.append(block)
        columns.extend(
            [name] if block.shape[1] == 1 else [f"{name}[{k}]" for k in range(block.shape[1])]
        )
    if not blocks:
        raise OmniError("no feature groups selected")
    return np.hstack(blocks), columns


def group_query_seconds(bench: Benchmark, name: str, rows: np.ndarray | None = None) -> float:
    """Median seconds one architecture's group costs (NaN when unmeasured)."""
    check_group(bench, name)
    rows = np.arange(len(bench)) if rows is None else np.asarray(rows, dtype=int)
    kind, _, arg = name.partition(":")
    if is_encoding(name):
        return 0.0
    if kind == "zc":
        secs = bench.zc_seconds[arg][rows]
        if np.isfinite(secs).any():
            return float(np.nanmedian(secs))
        return float(bench.metadata.get("proxy_seconds", {}).get(arg, float("nan")))
    if kind == "ws":
        secs = bench.ws_seconds[arg][rows]
        return float(np.nanmedian(secs)) if np.isfinite(secs).any() else float("nan")
    if kind == "lc":
        _, fidelity = parse_lc(name)
        if bench.epoch_seconds is None:
            return float("nan")
        secs = learning_curve.fidelity_seconds(fidelity, bench.epoch_seconds[rows])
        return float(np.nanmedian(secs)) if np.isfinite(secs).any() else float("nan")
    declared = bench.metadata.get("extra_seconds", {})
    return float(declared.get(arg, float("nan")))


def groups_query_seconds(
    bench: Benchmark, names: Sequence[str], rows: np.ndarray | None = None
) -> float:
    """Per-architecture cost of several groups bought together.

    Costs add up, except learning-curve groups: one partial training run serves every
    statistic, so they cost the dearest fidelity among them. Unmeasured costs count as 0
    (finite budgets admit only measured groups, see ``omni.tuning.candidate_groups``).
    """
    names = expand_groups(bench, names)
    lc = [group_query_seconds(bench, g, rows) for g in names if g.startswith("lc:")]
    other = [group_query_seconds(bench, g, rows) for g in names if not g.startswith("lc:")]
    lc_cost = float(np.nanmax(lc)) if lc and np.isfinite(lc).any() else 0.0
    return float(np.nansum(other)) + lc_cost


def group_init_seconds(bench: Benchmark, name: str) -> float:
    """Seconds group ``name`` costs once, before any architecture is queried: a supernet's
    training for ``ws:<name>`` (NaN when unrecorded), 0 for every other group."""
    check_group(bench, name)
    kind, _, arg = name.partition(":")
    if kind != "ws":
        return 0.0
    info = bench.metadata.get("weight_sharing", {}).get(arg, {})
    return float(info.get("init_seconds", float("nan")))


def groups_init_seconds(bench: Benchmark, names: Sequence[str]) -> float:
    """One-off cost of several groups bought together (each supernet once; unrecorded costs
    count as 0, like :func:`groups_query_seconds`)."""
    costs = [group_init_seconds(bench, g) for g in expand_groups(bench, names)]
    return float(np.nansum(costs)) if costs else 0.0


def plan_init_seconds(
    bench: Benchmark, names: Sequence[str], rows: np.ndarray, needs_training: bool = True
) -> float:
    """One-off seconds of a predictor reading ``names`` fitted on the architectures ``rows``,
    its own fitting time aside: training them (for a predictor that needs trained
    architectures), their features, and the groups' one-off costs (a supernet). Unrecorded
    costs count as 0, as in :func:`groups_query_seconds`.

    A full training run passes through every partial one, so where the training time of
    every row is recorded, learning-curve groups add nothing on top of it."""
    rows = np.asarray(rows, dtype=int)
    once = groups_init_seconds(bench, names)
    if not needs_training:
        return once
    train_seconds = bench.train_seconds[rows]
    if len(rows) and np.isfinite(train_seconds).all():
        names = [g for g in expand_groups(bench, names) if not g.startswith("lc:")]
    training = float(np.nansum(train_seconds))
    return training + groups_query_seconds(bench, names, rows) * len(rows) + once
