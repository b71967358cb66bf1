"""Features of candidate architectures: read from a benchmark's feature groups
(:class:`BenchmarkFeaturizer`) or computed from the space itself (:class:`SpaceFeaturizer`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from features.errors import OmniError
from omni import spaces
from omni.data.benchmark import Benchmark
from omni.feature_groups import expand_groups, feature_matrix
from omni.nas.oracle import TabularOracle
from omni.spaces.base import SearchSpace

DEFAULT_GROUPS = ("onehot", "zc:*")


class BenchmarkFeaturizer:
    """``archs -> X`` from ``groups`` of the benchmark row answering for each architecture
    (encodings and zero-cost scores looked up by pruned form, else by isomorph).

    With an ``oracle``, rows come from it and the zero-cost proxies read are charged to its
    ledger, once per architecture, as if computed. ``columns`` labels the columns
    (``OmniPredictor(columns=...)`` routes its base predictors by them).
    """

    def __init__(
        self,
        bench: Benchmark,
        groups: Sequence[str] = DEFAULT_GROUPS,
        oracle: TabularOracle | None = None,
    ) -> None:
        self.bench = bench
        self.groups = expand_groups(bench, groups)
        self.oracle = TabularOracle(bench) if oracle is None else oracle
        if self.oracle.bench is not bench:
            raise OmniError("the oracle answers for a different benchmark than the featurizer")
        self.proxies = [g.partition(":")[2] for g in self.groups if g.startswith("zc:")]
        _, self.columns = feature_matrix(bench, self.groups, np.array([0]))

    def rows(self, archs: Sequence[str]) -> np.ndarray:
        """Table rows of ``archs``; an architecture the table lacks is an error."""
        rows = []
        for arch in archs:
            row = self.oracle.row(arch)
            if row is None:
                raise OmniError(f"{arch!r} is not in the benchmark: no features to read")
            rows.append(row)
        return np.asarray(rows, dtype=int)

    def __call__(self, archs: Sequence[str]) -> np.ndarray:
        rows = self.rows(archs)
        if self.proxies:
            self.oracle.charge_proxies(rows.tolist(), self.proxies)
        if len(rows) == 0:
            return np.empty((0, len(self.columns)))
        X, _ = feature_matrix(self.bench, self.groups, rows)
        return X


#: encodings a :class:`SpaceFeaturizer` reads by default, those of them the space has
DEFAULT_ENCODINGS = ("onehot", "graph")


class SpaceFeaturizer:
    """``archs -> X`` computed from the space, for architectures no table holds: the
    ``encodings`` of the space and, optionally, zero-cost ``proxies`` scored on the real
    networks (:func:`omni.zero_cost.score_architectures` with ``zc_options``; each
    architecture scored once per featurizer, up to isomorphism). Column labels as the
    benchmark's feature groups (``onehot[3]``, ``zc:jacov``).
    """

    def __init__(
        self,
        space: SearchSpace | str,
        encodings: Sequence[str] | None = None,
        proxies: Sequence[str] = (),
        zc_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.space = spaces.get(space) if isinstance(space, str) else space
        if encodings is None:
            encodings = [e for e in DEFAULT_ENCODINGS if e in self.space.encodings]
            encodings = encodings or list(self.space.encodings[:1])
        for name in encodings:
            if name not in self.space.encodings:
                raise OmniError(
                    f"space {self.space.name!r} has no encoding {name!r}; it has "
                    f"{list(self.space.encodings)}"
                )
        if not encodings and not proxies:
            raise OmniError("a SpaceFeaturizer needs at least one encoding or proxy")
        self.encodings = tuple(encodings)
        self.proxies = tuple(proxies)
        self.zc_options = dict(zc_options or {})
        self._scores: dict[str, np.ndarray] = {}
        example = self.space.sample(1, 0)[0]
        self.columns: list[str] = []
        for name in self.encodings:
            width = len(self.space.encode(example, name))
            self.columns.extend([name] if width == 1 else [f"{name}[{k}]" for k in range(width)])
        self.columns.extend(f"zc:{p}" for p in self.proxies)

    def __call__(self, archs: Sequence[Any]) -> np.ndarray:
        parsed = [self.space.coerce(a) for a in archs]
        if not parsed:
            return np.empty((0, len(self.columns)))
        blocks = [
            np.stack([self.space.encode(a, name) for a in parsed]).astype(float)
            for name in self.encodings
        ]
        if self.proxies:
            blocks.append(self._proxy_scores(parsed))
        return np.hstack(blocks)

    def _proxy_scores(self, archs: list[Any]) -> np.ndarray:
        from omni.zero_cost import score_architectures

        keys = [self.space.key(a) for a in archs]
        todo = {k: a for k, a in zip(keys, archs, strict=True) if k not in self._scores}
        if todo:
            options = {"progress": False, **self.zc_options}
            result = score_architectures(self.space, list(todo.values()), self.proxies, **options)
            for i, key in enumerate(todo):
                self._scores[key] = np.array([result.scores[p][i] for p in self.proxies])
        return np.stack([self._scores[k] for k in keys])
