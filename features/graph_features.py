"""Graph features of a cell: op counts, path lengths and degrees restricted to op subsets.

The idea follows GRAF (Kadlecova et al., ICML 2024, "Surprisingly Strong Performance
Prediction with Neural Graph Features"): simple, interpretable graph statistics computed on
the sub-graph that keeps only some operations say a lot about accuracy -- e.g. "is there an
input -> output path made only of convolutions, and how short is it?".

For every non-empty subset ``S`` of the op vocabulary this module computes, on the *live* part
of the cell (nodes on some input -> output path), keeping only inner nodes whose op is in ``S``:

- ``min_len``  -- fewest inner nodes on an input -> output path (``num_nodes`` when none exists);
- ``max_len``  -- most inner nodes on such a path (-1 when none exists);
- ``paths``    -- how many such paths exist;
- ``in_out``   -- edges leaving the cell input into ``S``;
- ``out_in``   -- edges entering the cell output from ``S``.

Then one live-node count per op. Everything is defined on :class:`~features.dag.CellDAG`, so it
serves every space with ops on nodes or on edges, for any vocabulary size. Labels given as
``structural`` (nodes that stand for the cell's inputs, such as a recurrent cell's hidden states)
are kept in every subset instead of being enumerated, so they do not double the column count.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from features.dag import CellDAG
from features.errors import OmniError

PER_SUBSET = ("min_len", "max_len", "paths", "in_out", "out_in")


def op_subsets(ops: Sequence[str]) -> list[tuple[str, ...]]:
    """Every non-empty subset of ``ops``, smallest first."""
    return [c for k in range(1, len(ops) + 1) for c in combinations(ops, k)]


def _enumerated(ops: Sequence[str], structural: Sequence[str]) -> list[str]:
    return [op for op in ops if op not in structural]


def feature_names(ops: Sequence[str], structural: Sequence[str] = ()) -> list[str]:
    """Column names, in the order of :func:`graph_features`."""
    subsets = op_subsets(_enumerated(ops, structural))
    names = [f"{stat}({','.join(s)})" for s in subsets for stat in PER_SUBSET]
    return names + [f"live_count({op})" for op in ops]


def live_nodes(dag: CellDAG) -> np.ndarray:
    """Boolean mask of nodes reachable from the input that also reach the output."""
    adj = dag.adjacency
    n = dag.num_nodes
    forward = np.zeros(n, dtype=bool)
    forward[0] = True
    for v in range(1, n):
        forward[v] = bool(np.any(adj[:v, v] & forward[:v]))
    backward = np.zeros(n, dtype=bool)
    backward[-1] = True
    for v in range(n - 2, -1, -1):
        backward[v] = bool(np.any(adj[v, v + 1 :] & backward[v + 1 :]))
    return forward & backward


def _restricted_paths(adj: np.ndarray, keep: np.ndarray) -> tuple[float, float, float]:
    """(min inner nodes, max inner nodes, path count) over input -> output paths through ``keep``."""
    n = len(keep)
    inf = float("inf")
    shortest = np.full(n, inf)
    longest = np.full(n, -inf)
    count = np.zeros(n)
    shortest[0], longest[0], count[0] = 0.0, 0.0, 1.0
    for v in range(1, n):
        if not keep[v]:
            continue
        preds = np.flatnonzero(adj[:v, v] & keep[:v])
        preds = preds[count[preds] > 0]
        if len(preds) == 0:
            continue
        step = 0.0 if v == n - 1 else 1.0
        shortest[v] = shortest[preds].min() + step
        longest[v] = longest[preds].max() + step
        count[v] = count[preds].sum()
    if count[-1] == 0:
        return float(n), -1.0, 0.0
    return shortest[-1], longest[-1], count[-1]


def graph_features(dag: CellDAG, ops: Sequence[str], structural: Sequence[str] = ()) -> np.ndarray:
    """The feature vector of one cell (see the module docstring; names: :func:`feature_names`)."""
    if len(set(ops)) != len(ops) or not ops:
        raise OmniError(f"op vocabulary must be non-empty without duplicates: {list(ops)}")
    if not set(structural) <= set(ops) or not _enumerated(ops, structural):
        raise OmniError(f"structural labels {list(structural)} must be some of the ops {list(ops)}")
    n = dag.num_nodes
    live = live_nodes(dag)
    labels = np.asarray(dag.ops, dtype=object)
    inner = np.zeros(n, dtype=bool)
    inner[1:-1] = True
    out: list[float] = []
    for subset in op_subsets(_enumerated(ops, structural)):
        keep = live & inner & np.isin(labels, [*subset, *structural])
        keep[0] = keep[-1] = True
        shortest, longest, count = _restricted_paths(dag.adjacency, keep)
        keep_inner = keep & inner
        out += [
            shortest,
            longest,
            count,
            float(np.sum(dag.adjacency[0] & keep_inner)),
            float(np.sum(dag.adjacency[:, -1] & keep_inner)),
        ]
    out += [float(np.sum(live & inner & (labels == op))) for op in ops]
    return np.asarray(out, dtype=np.float32)
