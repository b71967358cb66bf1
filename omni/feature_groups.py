"""Feature groups: named column sets extracted from a :class:`Benchmark`, each with a cost.

Names:

- ``onehot``, ``path``, ``opcount``, ``padded`` -- encodings of the space's generic DAG;
- ``zc:<proxy>`` -- one zero-cost score (``zc:*`` expands to every proxy of the benchmark);
- ``extra:<column>`` -- a per-architecture column such as ``extra:val_acc_12ep``;

The query cost of a group is what computing it costs for one new architecture: 0 for encodings,
the proxy's measured seconds for a score (median; else the
benchmark's ``metadata["proxy_seconds"]``), declared seconds (``metadata["extra_seconds"]``) for an extra
column; NaN when nobody measured it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from features import encodings
from features.errors import OmniError
from omni import spaces
from omni.data.benchmark import Benchmark

ENCODING_GROUPS = ("onehot", "path", "opcount", "padded")


@lru_cache(maxsize=200_000)
def _encode(space_name: str, arch: str, kind: str) -> np.ndarray:
    space = spaces.get(space_name)
    dag = space.cell(arch)
    if kind == "onehot":
        return encodings.onehot(dag, space.ops)
    if kind == "path":
        return encodings.path_encoding(dag, space.path_ops, space.max_path_length)
    if kind == "opcount":
        return encodings.op_counts(dag, space.ops)
    adj, ops = encodings.padded_dag(dag, space.ops, dag.num_nodes)
    return np.concatenate([adj.ravel(), ops.ravel()])


def expand_groups(bench: Benchmark, names: Sequence[str]) -> list[str]:
    """Resolve wildcards (``zc:*``, ``extra:*``) and check every name exists for ``bench``."""
    out: list[str] = []
    for name in names:
        if name == "zc:*":
            out.extend(f"zc:{p}" for p in bench.proxies)
        elif name == "extra:*":
            out.extend(f"extra:{c}" for c in sorted(bench.extra) if c not in ID_COLUMNS)
        else:
            check_group(bench, name)
            out.append(name)
    return list(dict.fromkeys(out))


ID_COLUMNS = ("benchmark_id", "canonical_id")


def check_group(bench: Benchmark, name: str) -> None:
    kind, _, arg = name.partition(":")
    if name in ENCODING_GROUPS:
        if bench.space not in spaces.names():
            raise OmniError(f"encoding {name!r} needs a registered space; {bench.space!r} is not")
    elif kind == "zc":
        if arg not in bench.zc:
            raise OmniError(f"no proxy {arg!r} in the benchmark; it has {bench.proxies}")
    elif kind == "extra":
        if arg not in bench.extra:
            raise OmniError(f"no column {arg!r} in the benchmark; it has {sorted(bench.extra)}")
    else:
        raise OmniError(
            f"unknown feature group {name!r}: use one of {list(ENCODING_GROUPS)}, "
            "'zc:<proxy>', 'extra:<column>'"
        )


def group_matrix(bench: Benchmark, name: str, rows: np.ndarray | None = None) -> np.ndarray:
    """The (len(rows), k) block of group ``name``."""
    check_group(bench, name)
    rows = np.arange(len(bench)) if rows is None else np.asarray(rows, dtype=int)
    kind, _, arg = name.partition(":")
    if name in ENCODING_GROUPS:
        return np.stack([_encode(bench.space, bench.archs[r], name) for r in rows]).astype(float)
    if kind == "zc":
        return bench.zc[arg][rows, None]
    return bench.extra[arg][rows, None]


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
    if name in ENCODING_GROUPS:
        return 0.0
    if kind == "zc":
        secs = bench.zc_seconds[arg][rows]
        if np.isfinite(secs).any():
            return float(np.nanmedian(secs))
        return float(bench.metadata.get("proxy_seconds", {}).get(arg, float("nan")))
    declared = bench.metadata.get("extra_seconds", {})
    return float(declared.get(arg, float("nan")))
