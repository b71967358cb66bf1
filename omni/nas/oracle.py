"""A tabular oracle: a benchmark answers accuracy queries, and every query is charged its cost.

Architectures are looked up by their pruned form (the cell as the benchmark measured it) and,
failing that, by an isomorph in the table, so a searcher may propose any member of a class.
Costs: a query costs the architecture's ``train_seconds`` when the table has it, else
``train_seconds`` given to the oracle, else one unit. Zero-cost proxies are charged once per
architecture (its measured seconds, else the benchmark's ``metadata["proxy_seconds"]``) when a
featurizer reads them (see :class:`~omni.nas.BenchmarkFeaturizer`).

A table that holds a sliver of its space (fewer than half of its architectures' neighbours are
in it: NB101's, DARTS' or TransNAS-Bench's published files) is searched inside the table:
:attr:`TabularOracle.space` is then a :class:`~omni.spaces.restricted.RestrictedSpace`, whose
moves go to the nearest table architectures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from features.errors import InvalidArchitectureError, OmniError
from omni import spaces
from omni.data.benchmark import Benchmark
from omni.spaces.base import Arch
from omni.spaces.restricted import RestrictedSpace

#: fraction of neighbours a table must hold for a search to use the space's own moves
MIN_NEIGHBOUR_COVERAGE = 0.5
#: table architectures whose neighbourhoods measure that coverage
COVERAGE_SAMPLE = 50


class ArchLookup:
    """Membership by table row: a subclass's ``row(arch)`` (None: cannot answer) decides."""

    def row(self, arch: Arch | str) -> int | None:
        raise NotImplementedError

    def contains(self, arch: Arch | str) -> bool:
        """True when the oracle can answer for ``arch`` (use it as a candidate filter)."""
        return self.row(arch) is not None

    def __contains__(self, arch: object) -> bool:
        return isinstance(arch, str | tuple) and self.contains(arch)


class TabularOracle(ArchLookup):
    """Accuracy look-ups on ``bench`` with a cost ledger.

    ``train_seconds``: assumed seconds of one training where the table has none (``None``: one
    unit per query -- then :attr:`cost_unit` says so). ``restrict``: search inside the table
    (see the module docstring; ``None`` decides by :attr:`neighbour_coverage`).
    """

    def __init__(
        self, bench: Benchmark, train_seconds: float | None = None, restrict: bool | None = None
    ) -> None:
        if not spaces.is_registered(bench.space):
            raise OmniError(f"the oracle needs a registered space; {bench.space!r} is not")
        if train_seconds is not None and not (math.isfinite(train_seconds) and train_seconds > 0):
            raise OmniError(f"train_seconds must be a positive number, got {train_seconds}")
        self.bench = bench
        self.space = spaces.get(bench.space)
        self.train_seconds = train_seconds
        self._exact: dict[str, int] = {}
        self._canonical: dict[str, int] = {}
        for row, text in enumerate(bench.archs):
            if not math.isfinite(bench.target[row]):
                continue
            try:
                arch = self.space.coerce(text)
            except InvalidArchitectureError as err:
                raise OmniError(
                    f"benchmark row {row} rejected by space {bench.space!r}: {err}"
                ) from None
            self._exact.setdefault(self.space.to_str(self.space.prune(arch)), row)
            self._canonical.setdefault(self.space.key(arch), row)
        if not self._exact:
            raise OmniError("the benchmark has no architecture with a finite target")
        self.neighbour_coverage = self._coverage()
        if restrict is None:
            restrict = self.neighbour_coverage < MIN_NEIGHBOUR_COVERAGE
        if restrict:
            archs = [bench.archs[r] for r in sorted(self._canonical.values())]
            self.space = RestrictedSpace(self.space, archs)
        self.reset()

    def _coverage(self) -> float:
        """Fraction of the neighbours of (up to 50) table architectures that the table holds."""
        rows = sorted(self._canonical.values())
        picked = np.random.default_rng(0).permutation(len(rows))[:COVERAGE_SAMPLE]
        hits = total = 0
        for k in picked:
            for nb in self.space.neighbours(self.bench.archs[rows[k]]):
                hits += self.space.key(nb) in self._canonical
                total += 1
        return hits / total if total else 0.0

    def reset(self) -> None:
        """Zero the ledger (queries, training and proxy costs)."""
        self.num_queries = 0
        self.train_cost = 0.0
        self.proxy_cost = 0.0
        self._proxies_paid: set[tuple[int, str]] = set()

    # ------------------------------------------------------------------ look-ups
    def row(self, arch: Arch | str) -> int | None:
        """The table row answering for ``arch`` (None: not in the table or invalid)."""
        try:
            parsed = self.space.coerce(arch)
        except InvalidArchitectureError:
            return None
        row = self._exact.get(self.space.to_str(self.space.prune(parsed)))
        if row is None:
            row = self._canonical.get(self.space.key(parsed))
        return row

    @property
    def rows(self) -> list[int]:
        """The table rows the oracle answers with (finite target; one per distinct pruned
        architecture)."""
        return list(self._exact.values())

    @property
    def optimum(self) -> float:
        """The best accuracy the table holds (the regret reference)."""
        return float(np.nanmax(self.bench.target[self.rows]))

    @property
    def has_train_seconds(self) -> bool:
        return bool(np.isfinite(self.bench.train_seconds).any())

    @property
    def cost_unit(self) -> str:
        """What :attr:`cost_seconds` counts."""
        if self.has_train_seconds or self.train_seconds is not None:
            return "seconds"
        return "seconds of proxies + 1 per query (the table has no training times)"

    # ------------------------------------------------------------------ charged queries
    def query(self, arch: Arch | str) -> float:
        """The accuracy of ``arch``; charges one training."""
        row = self.row(arch)
        if row is None:
            raise OmniError(
                f"{arch!r} is not in the benchmark; filter candidates with oracle.contains"
            )
        secs = float(self.bench.train_seconds[row])
        if not math.isfinite(secs):
            secs = 1.0 if self.train_seconds is None else float(self.train_seconds)
        self.num_queries += 1
        self.train_cost += secs
        return float(self.bench.target[row])

    def proxy_seconds(self, row: int, proxy: str) -> float:
        """Seconds computing ``proxy`` costs for table row ``row`` (0 when nobody measured it)."""
        if proxy not in self.bench.zc:
            raise OmniError(f"no proxy {proxy!r} in the benchmark; it has {self.bench.proxies}")
        secs = float(self.bench.zc_seconds[proxy][row])
        if not math.isfinite(secs):
            secs = float(self.bench.metadata.get("proxy_seconds", {}).get(proxy, math.nan))
        return secs if math.isfinite(secs) else 0.0

    def charge_proxies(self, rows: Iterable[int], proxies: Iterable[str]) -> float:
        """Charge computing ``proxies`` on ``rows`` (each pair once); returns what was added."""
        proxies = list(proxies)
        added = 0.0
        for row in rows:
            for proxy in proxies:
                if (row, proxy) not in self._proxies_paid:
                    self._proxies_paid.add((row, proxy))
                    added += self.proxy_seconds(row, proxy)
        self.proxy_cost += added
        return added

    @property
    def cost_seconds(self) -> float:
        """Everything charged so far: trainings plus proxies."""
        return self.train_cost + self.proxy_cost
