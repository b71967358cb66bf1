"""A space restricted to a finite set of its architectures (a benchmark table).

Published tables of the large spaces hold a sliver of them (NB101: 500 of 423k cells; DARTS:
725 of ~10^18): a mutation of a table architecture almost never lands in the table, so a search
on the table needs moves that stay inside it. :class:`RestrictedSpace` keeps the parent space's
parsing, identity, graphs, encodings and networks, samples from the table, and makes the
``num_neighbours`` table architectures nearest in the parent's encoding (L1 distance of columns
scaled to their range over the table: Hamming distance on the study's one-hot encoding, where
the space has one) the neighbours of an architecture.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.base import Arch, Decision, SearchSpace, Task, as_rng

#: encodings used for distances, in order of preference
DISTANCE_ENCODINGS = ("onehot", "adjacency", "graph")


class RestrictedSpace(SearchSpace):
    """``space`` limited to ``archs`` (one member per isomorphism class is kept)."""

    enumerable = True

    def __init__(self, space: SearchSpace, archs: Sequence[Any], num_neighbours: int = 20) -> None:
        if num_neighbours < 1:
            raise OmniError(f"num_neighbours must be >= 1, got {num_neighbours}")
        self.space = space
        self.name = space.name
        self.tasks = space.tasks
        self.default_task = space.default_task
        self.encodings = space.encodings
        self.graph_ops = space.graph_ops
        self.max_nodes = space.max_nodes
        members: dict[str, Arch] = {}
        for arch in archs:
            members.setdefault(space.key(arch), space.coerce(arch))
        if len(members) < 2:
            raise OmniError("a restricted space needs at least two distinct architectures")
        self._keys = list(members)
        self._archs = list(members.values())
        self._row = {k: i for i, k in enumerate(self._keys)}
        self._encoding = next(
            (e for e in DISTANCE_ENCODINGS if e in space.encodings), space.encodings[0]
        )
        vectors = np.stack([self._position(a, scaled=False) for a in self._archs])
        scale = vectors.max(axis=0) - vectors.min(axis=0)  # 1 for bits: Hamming distance
        self._scale = np.where(scale > 0, scale, 1.0)
        self._vectors = vectors / self._scale
        self.num_neighbours = min(int(num_neighbours), len(self._archs) - 1)

    def __repr__(self) -> str:
        return f"RestrictedSpace({self.space!r}, {len(self._archs)} architectures)"

    # the parent's own rules for everything an architecture is
    def parse(self, text: str) -> Arch:
        return self.space.parse(text)

    def to_str(self, arch: Any) -> str:
        return self.space.to_str(arch)

    def validate(self, arch: Any) -> Arch:
        return self.space.validate(arch)

    def prune(self, arch: Any) -> Arch:
        return self.space.prune(arch)

    def canonical(self, arch: Any) -> Arch:
        return self.space.canonical(arch)

    def key(self, arch: Any) -> str:
        return self.space.key(arch)

    def graphs(self, arch: Any):
        return self.space.graphs(arch)

    def encode(self, arch: Any, name: str) -> np.ndarray:
        return self.space.encode(arch, name)

    def encoding_names(self, name: str) -> list[str] | None:
        return self.space.encoding_names(name)

    def network(self, arch: Any, task: str | Task | None = None, **options: Any):
        return self.space.network(arch, task, **options)

    def decisions(self) -> tuple[Decision, ...]:
        return self.space.decisions()

    def to_decisions(self, arch: Any) -> dict[str, Any]:
        return self.space.to_decisions(arch)

    def from_decisions(self, values: Mapping[str, Any]) -> Arch:
        """The parent's architecture, if the table holds it (else the error)."""
        arch = self.space.from_decisions(values)
        if not self.contains(arch):
            raise InvalidArchitectureError(f"{self.space.to_str(arch)!r} is not in the table")
        return arch

    def _position(self, arch: Any, scaled: bool = True) -> np.ndarray:
        vec = np.asarray(self.space.encode(arch, self._encoding), dtype=float)
        return vec / self._scale if scaled else vec

    # moves inside the table
    def contains(self, arch: Any) -> bool:
        return self.space.key(arch) in self._row

    @property
    def size(self) -> int:
        return len(self._archs)

    def all_archs(self) -> Iterable[Arch]:
        return iter(self._archs)

    def sample(self, n: int, random_state: int | np.random.Generator | None = None) -> list[Arch]:
        rows = as_rng(random_state).integers(0, len(self._archs), size=int(n))
        return [self._archs[r] for r in rows]

    def neighbours(self, arch: Any) -> list[Arch]:
        """The ``num_neighbours`` nearest table architectures (ties broken by table order)."""
        key = self.space.key(arch)
        vec = self._vectors[self._row[key]] if key in self._row else self._position(arch)
        dist = np.abs(self._vectors - vec).sum(axis=1)
        order = np.argsort(dist, kind="stable")
        out = [self._archs[i] for i in order if self._keys[i] != key]
        return out[: self.num_neighbours]
