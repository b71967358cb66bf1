"""The study's DARTS encodings (NASLib ``naslib/search_spaces/nasbench301/encodings.py``).

Both work on the 8 ``(input, op)`` pairs of each cell, normal cell first:

- :func:`adjacency_encoding` (NASLib's ``encode_adj``, the ``adjacency_one_hot`` encoding):
  per cell the full 7 x 7 matrix of nodes (0, 1 the cell inputs, 2..5 the intermediate nodes,
  6 the output; ``m[input, node] = 1`` per pair, ``m[2..5, 6] = 1``) flattened row-major (49),
  then the 8 op codes as numbers, in pair order: 2 x 57 = 114 values.
- :func:`path_encoding` (NASLib's ``encode_paths``): binary presence of every path from a cell
  input through 1..4 ops; 4 blocks (normal/c_{k-2}, normal/c_{k-1}, reduce/c_{k-2},
  reduce/c_{k-1}) of 2,801 = 7^0 + ... + 7^4 columns; ops ``o_0 .. o_{L-1}`` (from the input
  outwards) sit at column ``sum_j 7^j (o_j + 1)`` of their block (column 0, the empty path, is
  never set). Every intermediate node feeds the output, so these are all input -> output paths.
  Unlike NASLib's ``get_paths`` (which loops over ``range(len(OPS))`` = 7 pairs and so drops
  the last pair of each cell) all 8 pairs are used. Length 4 x 2,801 = 11,204.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NUM_OPS = 7
NUM_PAIRS = 8
#: nodes of the adjacency matrix: 2 inputs, 4 intermediate nodes, 1 output
ADJ_NODES = 7
ADJACENCY_PER_CELL = ADJ_NODES * ADJ_NODES + NUM_PAIRS
ADJACENCY_LENGTH = 2 * ADJACENCY_PER_CELL
MAX_PATH_OPS = 4
PATHS_PER_INPUT = sum(NUM_OPS**k for k in range(MAX_PATH_OPS + 1))
PATH_LENGTH = 4 * PATHS_PER_INPUT

Pairs = Sequence[tuple[int, int]]


def adjacency_encoding(normal: Pairs, reduce: Pairs) -> np.ndarray:
    """NASLib's ``encode_adj`` layout (114 values; see the module docstring)."""
    parts = []
    for pairs in (normal, reduce):
        matrix = np.zeros((ADJ_NODES, ADJ_NODES), dtype=np.float32)
        for p, (src, _) in enumerate(pairs):
            matrix[src, p // 2 + 2] = 1.0
        matrix[2 : ADJ_NODES - 1, ADJ_NODES - 1] = 1.0
        parts.append(matrix.ravel())
        parts.append(np.array([op for _, op in pairs], dtype=np.float32))
    return np.concatenate(parts)


def adjacency_names() -> list[str]:
    """Column names of :func:`adjacency_encoding`."""
    names = []
    for cell in ("normal", "reduce"):
        names += [f"{cell}:adj[{i},{j}]" for i in range(ADJ_NODES) for j in range(ADJ_NODES)]
        names += [f"{cell}:op[{p}]" for p in range(NUM_PAIRS)]
    return names


def cell_paths(pairs: Pairs) -> list[tuple[int, tuple[int, ...]]]:
    """Every path of a cell as (cell input 0 or 1, op codes from that input outwards)."""
    ending: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for p, (src, op) in enumerate(pairs):
        node = p // 2 + 2
        into = ending.setdefault(node, [])
        if src < 2:
            into.append((src, (op,)))
        else:  # all pairs of node ``src`` come before this one
            into.extend((start, ops + (op,)) for start, ops in ending[src])
    return [path for node in sorted(ending) for path in ending[node]]


def path_column(ops: Sequence[int]) -> int:
    """Column of an op sequence inside its 2,801-wide block."""
    return sum(NUM_OPS**j * (op + 1) for j, op in enumerate(ops))


def path_encoding(normal: Pairs, reduce: Pairs) -> np.ndarray:
    """Binary path encoding over all 8 pairs of both cells (11,204 values)."""
    vec = np.zeros(PATH_LENGTH, dtype=np.float32)
    for c, pairs in enumerate((normal, reduce)):
        for start, ops in cell_paths(pairs):
            vec[(2 * c + start) * PATHS_PER_INPUT + path_column(ops)] = 1.0
    return vec


__all__ = [
    "ADJACENCY_LENGTH",
    "PATH_LENGTH",
    "PATHS_PER_INPUT",
    "adjacency_encoding",
    "adjacency_names",
    "cell_paths",
    "path_column",
    "path_encoding",
]
