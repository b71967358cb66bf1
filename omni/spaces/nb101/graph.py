"""Graph helpers of NAS-Bench-101 cells: pruning, NB101's isomorphism hash, canonical forms.

A cell is an upper-triangular 0/1 adjacency matrix (vertex 0 the input, the last vertex the
output) and one label per vertex. The functions here work on numpy arrays and integer labels;
:mod:`omni.spaces.nb101.space` wraps them behind the ``SearchSpace`` contract.
"""

from __future__ import annotations

import hashlib
import itertools
from functools import cache

import numpy as np

INPUT = "input"
OUTPUT = "output"
CONV1X1 = "conv1x1-bn-relu"
CONV3X3 = "conv3x3-bn-relu"
MAXPOOL3X3 = "maxpool3x3"

#: interior op labels, in the order of the space's ``graph_ops`` (and of the path encoding)
OPS = (CONV1X1, CONV3X3, MAXPOOL3X3)
#: NASLib's op codes of the key strings: code k is ``NASLIB_CODES[k]``
NASLIB_CODES = (INPUT, OUTPUT, MAXPOOL3X3, CONV1X1, CONV3X3)
#: labels of NB101's hash: the index in its ``available_ops`` flag, -1 input, -2 output
HASH_LABELS = {INPUT: -1, OUTPUT: -2, CONV3X3: 0, CONV1X1: 1, MAXPOOL3X3: 2}

MAX_VERTICES = 7
MAX_EDGES = 9


def live_mask(matrix: np.ndarray) -> np.ndarray:
    """Vertices on some input -> output path (reachable from 0 and reaching the last vertex)."""
    adj = np.asarray(matrix, dtype=bool)
    n = adj.shape[0]
    forward = np.zeros(n, dtype=bool)
    forward[0] = True
    for v in range(1, n):
        forward[v] = bool(np.any(adj[:v, v] & forward[:v]))
    backward = np.zeros(n, dtype=bool)
    backward[n - 1] = True
    for v in range(n - 2, -1, -1):
        backward[v] = bool(np.any(adj[v, v + 1 :] & backward[v + 1 :]))
    return forward & backward


def prune_matrix(matrix: np.ndarray, ops: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Delete the vertices that lie on no input -> output path (NB101's ``ModelSpec._prune``).

    Edges between two live vertices always lie on such a path, so the pruned cell is the
    sub-graph induced by the live vertices. When the input does not reach the output no vertex
    is live and the result has zero vertices.
    """
    keep = np.flatnonzero(live_mask(matrix))
    adj = np.asarray(matrix)[np.ix_(keep, keep)]
    return adj, tuple(ops[int(k)] for k in keep)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def nb101_hash(matrix: np.ndarray, ops: tuple[str, ...]) -> str:
    """NB101's isomorphism-invariant hash of a (pruned) cell, as in ``graph_util.hash_module``.

    Each vertex starts from the MD5 of ``(out-degree, in-degree, label)``; then, as many times
    as there are vertices, a vertex's hash becomes the MD5 of its in-neighbours' hashes (sorted,
    joined), ``|``, its out-neighbours' hashes (sorted, joined), ``|``, its own hash. The
    fingerprint is the MD5 of the sorted list of vertex hashes. Labels are
    :data:`HASH_LABELS`, so the result is the hash NB101's API gives the pruned cell.
    """
    adj = np.asarray(matrix, dtype=bool)
    n = adj.shape[0]
    out_degree = adj.sum(axis=1).tolist()
    in_degree = adj.sum(axis=0).tolist()
    labels = [HASH_LABELS[op] for op in ops]
    hashes = [
        _md5(str((o, i, lab))) for o, i, lab in zip(out_degree, in_degree, labels, strict=True)
    ]
    preds = [np.flatnonzero(adj[:, v]).tolist() for v in range(n)]
    succs = [np.flatnonzero(adj[v]).tolist() for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted(hashes[w] for w in preds[v]))
                + "|"
                + "".join(sorted(hashes[w] for w in succs[v]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


@cache
def _permutations(n: int) -> np.ndarray:
    """Every vertex permutation of an n-vertex cell fixing the input and the output, (m, n)."""
    inner = list(itertools.permutations(range(1, n - 1)))
    return np.array([(0, *p, n - 1) for p in inner], dtype=np.intp).reshape(len(inner), n)


def canonical_form(
    matrix: np.ndarray, codes: tuple[int, ...]
) -> tuple[np.ndarray, tuple[int, ...]]:
    """The smallest (row-major matrix bits, op codes) over relabellings of the interior vertices.

    Only relabellings that keep the matrix upper triangular count (at most 5! = 120 for
    7 vertices); two cells are isomorphic exactly when their canonical forms are equal. Works
    on any cell; callers pass pruned ones. ``codes`` are integer op labels (any fixed coding).
    """
    adj = np.asarray(matrix, dtype=np.int8)
    n = adj.shape[0]
    if n <= 3:
        return adj.copy(), tuple(codes)
    perms = _permutations(n)
    # new vertex i is old vertex perm[i]: new[i, j] = old[perm[i], perm[j]]
    permuted = adj[perms[:, :, None], perms[:, None, :]]
    lower = np.tril(np.ones((n, n), dtype=bool))
    upper_ok = ~np.any(permuted[:, lower], axis=1)
    permuted, perms = permuted[upper_ok], perms[upper_ok]
    keys = np.concatenate(
        [permuted.reshape(len(perms), -1), np.asarray(codes, dtype=np.int8)[perms]], axis=1
    )
    best = int(np.lexsort(keys.T[::-1])[0])
    return permuted[best].copy(), tuple(int(c) for c in keys[best, n * n :])


__all__ = [
    "HASH_LABELS",
    "INPUT",
    "MAX_EDGES",
    "MAX_VERTICES",
    "NASLIB_CODES",
    "OPS",
    "OUTPUT",
    "canonical_form",
    "live_mask",
    "nb101_hash",
    "prune_matrix",
]
