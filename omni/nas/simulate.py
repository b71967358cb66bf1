"""Simulated searches: a strategy queries a :class:`TabularOracle` and its trajectory (best so
far and cumulative cost per query) is recorded, so strategies compare by queries and by cost."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.nas import strategies
from omni.nas.featurizer import DEFAULT_GROUPS, BenchmarkFeaturizer
from omni.nas.oracle import TabularOracle
from omni.nas.searcher import Searcher
from omni.nas.surrogate import PredictorFactory, predictor_factory
from omni.progress import progress_bar


@dataclass
class SearchRun:
    """One strategy's trajectory on one seed."""

    strategy: str
    seed: int
    best_so_far: list[float] = field(default_factory=list)
    cost_seconds: list[float] = field(default_factory=list)
    archs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "best_so_far": list(self.best_so_far),
            "cost_seconds": list(self.cost_seconds),
            "archs": list(self.archs),
        }


def run_search(
    bench: Benchmark,
    strategy: str,
    queries: int,
    seed: int,
    *,
    groups: Sequence[str] = DEFAULT_GROUPS,
    predictor: str | PredictorFactory = "omni",
    strategy_params: dict[str, Any] | None = None,
    train_seconds: float | None = None,
) -> SearchRun:
    """Run ``strategy`` for ``queries`` oracle queries with seed ``seed``.

    Predictor-guided strategies read ``groups`` through a :class:`BenchmarkFeaturizer` (its
    proxies are charged to the oracle); ``predictor`` names their predictor (see
    :data:`~omni.nas.surrogate.PREDICTORS`) or is a factory
    ``(random_state, columns, distribution) -> estimator``.
    """
    if queries < 1:
        raise OmniError(f"queries must be >= 1, got {queries}")
    oracle = TabularOracle(bench, train_seconds=train_seconds)
    chosen = strategies.make(strategy, **(strategy_params or {}))
    featurizer = model = None
    if chosen.uses_predictor:
        featurizer = BenchmarkFeaturizer(bench, groups, oracle=oracle)
        model = predictor_factory(predictor)(seed, featurizer.columns, chosen.needs_distribution)
    searcher = Searcher(
        oracle.space,
        chosen,
        featurizer=featurizer,
        predictor=model,
        candidate_filter=oracle.contains,
        random_state=seed,
    )
    run = SearchRun(strategy, seed)
    for _ in range(queries):
        arch = searcher.ask()
        searcher.tell(arch, oracle.query(arch))
        run.archs.append(arch)
        run.best_so_far.append(searcher.best()[1])
        run.cost_seconds.append(oracle.cost_seconds)
    return run


def run_many(
    bench: Benchmark,
    strategy_names: Iterable[str],
    queries: int,
    seeds: Iterable[int],
    *,
    progress: bool = False,
    **kwargs: Any,
) -> list[SearchRun]:
    """:func:`run_search` for every (strategy, seed), with an optional progress bar."""
    jobs = [(s, seed) for s in strategy_names for seed in seeds]
    for name, _ in jobs:
        strategies.get(name)  # unknown names fail before any work
    predictor_factory(kwargs.get("predictor", "omni"))
    return each_run(
        jobs, lambda name, seed: run_search(bench, name, queries, seed, **kwargs), progress
    )


def each_run(jobs: list[tuple[str, int]], run: Callable[[str, int], Any], progress: bool) -> list:
    """``run(strategy, seed)`` for every job, in order, with an optional progress bar."""
    runs = []
    with progress_bar(total=len(jobs), disable=not progress, desc="search", unit="run") as bar:
        for name, seed in jobs:
            bar.set_postfix_str(f"{name} seed {seed}")
            runs.append(run(name, seed))
            bar.update()
    return runs
