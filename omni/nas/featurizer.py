"""Features of candidate architectures read from a benchmark's feature groups."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.feature_groups import expand_groups, feature_matrix
from omni.nas.oracle import TabularOracle

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
