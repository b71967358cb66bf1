"""The generic cell DAG every encoding consumes.

Operations sit on nodes. Node 0 is the cell input (label ``"input"``), the last node is the
output (label ``"output"``). Spaces whose operations sit on edges (NAS-Bench-201, DARTS) map
each edge to a node of its own, so one set of encodings serves both kinds of space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.errors import OmniError

INPUT = "input"
OUTPUT = "output"


@dataclass(frozen=True)
class CellDAG:
    """Adjacency (``adjacency[i, j]`` = edge i -> j, only i < j) and one op label per node."""

    adjacency: np.ndarray
    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        adj = np.asarray(self.adjacency, dtype=bool)
        n = len(self.ops)
        if adj.shape != (n, n):
            raise OmniError(f"adjacency has shape {adj.shape}, expected ({n}, {n}) for {n} ops")
        if np.any(np.tril(adj)):
            raise OmniError("adjacency must be strictly upper triangular (edges go forward)")
        if n < 2 or self.ops[0] != INPUT or self.ops[-1] != OUTPUT:
            raise OmniError(f"first op must be {INPUT!r} and last {OUTPUT!r}, got {self.ops}")
        object.__setattr__(self, "adjacency", adj)
        object.__setattr__(self, "ops", tuple(self.ops))

    @property
    def num_nodes(self) -> int:
        return len(self.ops)

    def paths(self) -> list[tuple[str, ...]]:
        """All input -> output paths, each as the labels of its inner nodes."""
        n = self.num_nodes
        found: list[tuple[str, ...]] = []

        def walk(node: int, labels: tuple[str, ...]) -> None:
            if node == n - 1:
                found.append(labels)
                return
            for nxt in np.flatnonzero(self.adjacency[node]):
                nxt = int(nxt)
                walk(nxt, labels if nxt == n - 1 else labels + (self.ops[nxt],))

        walk(0, ())
        return found
