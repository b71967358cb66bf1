"""Features of candidate architectures during a simulated search: a
:class:`~omni.featurizer.Featurizer` over the benchmark table whose zero-cost reads are charged
to the oracle's ledger (:class:`BenchmarkFeaturizer`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.featurizer import DEFAULT_GROUPS, Featurizer
from omni.nas.oracle import TabularOracle


class BenchmarkFeaturizer:
    """``archs -> X`` from ``groups`` of the benchmark row answering for each architecture
    (the oracle's look-up: pruned form, else isomorph), through a
    :class:`~omni.featurizer.Featurizer` of the table.

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
        self.featurizer = Featurizer.for_table(bench, groups)
        self.groups = list(self.featurizer.groups_)
        self.oracle = TabularOracle(bench) if oracle is None else oracle
        if self.oracle.bench is not bench:
            raise OmniError("the oracle answers for a different benchmark than the featurizer")
        self.proxies = self.featurizer.proxies
        self.columns = list(self.featurizer.columns_)

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
        return self.featurizer.transform_rows(rows)
