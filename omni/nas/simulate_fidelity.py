"""Simulated multi-fidelity searches on a benchmark's learning curves, comparable with
full-training searches by the epochs they spent.

A :class:`FidelityRun` records, after every training job, the incumbent's final accuracy (the
best architecture trained to ``max_epochs``; NaN before the first one) and the epochs and
seconds spent. Multi-fidelity strategies (``hyperband``, ``omni-hyperband``) drive a
:class:`~omni.nas.multi_fidelity.MultiFidelitySearcher` on a
:class:`~omni.nas.fidelity_oracle.MultiFidelityOracle` until the next job would exceed the
budget; full-training strategies (``random``, ``evolution``, ...) run
:func:`~omni.nas.simulate.run_search` and each query is charged ``max_epochs`` epochs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.nas import fidelity_strategies, strategies
from omni.nas.fidelity_oracle import MultiFidelityOracle
from omni.nas.multi_fidelity import MultiFidelitySearcher
from omni.nas.simulate import each_run, run_search


@dataclass
class FidelityRun:
    """One strategy's trajectory on one seed, one entry per training job."""

    strategy: str
    seed: int
    best_so_far: list[float] = field(default_factory=list)
    cost_epochs: list[int] = field(default_factory=list)
    cost_seconds: list[float] = field(default_factory=list)
    full_trainings: int = 0
    archs_started: int = 0
    resumed: int = 0  # paused runs resumed (multi-fidelity strategies that resume)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "best_so_far": [None if math.isnan(v) else v for v in self.best_so_far],
            "cost_epochs": list(self.cost_epochs),
            "cost_seconds": list(self.cost_seconds),
            "full_trainings": self.full_trainings,
            "archs_started": self.archs_started,
            "resumed": self.resumed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FidelityRun:
        return cls(
            strategy=data["strategy"],
            seed=int(data["seed"]),
            best_so_far=[math.nan if v is None else float(v) for v in data["best_so_far"]],
            cost_epochs=[int(v) for v in data["cost_epochs"]],
            cost_seconds=[float(v) for v in data["cost_seconds"]],
            full_trainings=int(data.get("full_trainings", 0)),
            archs_started=int(data.get("archs_started", 0)),
            resumed=int(data.get("resumed", 0)),
        )


def is_multi_fidelity(name: str) -> bool:
    """True for a strategy of :mod:`omni.nas.fidelity_strategies`."""
    return fidelity_strategies.is_registered(name)


def check_strategy(name: str) -> None:
    """An unknown name (in neither registry) is an :class:`OmniError`."""
    if not (is_multi_fidelity(name) or name in strategies.names()):
        raise OmniError(
            f"unknown strategy {name!r}; registered: "
            f"{strategies.names() + fidelity_strategies.names()}"
        )


def run_fidelity_search(
    bench: Benchmark,
    strategy: str,
    budget_epochs: int,
    seed: int,
    *,
    eta: int = 3,
    min_epochs: int = 1,
    metric: str = "val_acc",
    strategy_params: dict[str, Any] | None = None,
    train_seconds: float | None = None,
) -> FidelityRun:
    """Hyperband-style ``strategy`` on ``bench``'s curves until ``budget_epochs`` are spent."""
    if budget_epochs < 1:
        raise OmniError(f"budget_epochs must be >= 1, got {budget_epochs}")
    oracle = MultiFidelityOracle(bench, metric=metric, train_seconds=train_seconds)
    searcher = MultiFidelitySearcher(
        oracle.space,
        fidelity_strategies.make(strategy, **(strategy_params or {})),
        max_epochs=oracle.max_epochs,
        eta=eta,
        min_epochs=min_epochs,
        metric=metric,
        candidate_filter=oracle.contains,
        random_state=seed,
    )
    run = FidelityRun(strategy, seed)
    while True:
        try:
            job = searcher.ask()
        except OmniError:  # the table is exhausted
            break
        if oracle.cost_epochs + oracle.cost_of(job.arch, job.epochs) > budget_epochs:
            break
        searcher.tell(job, oracle.train(job.arch, job.epochs))
        run.best_so_far.append(_incumbent(searcher))
        run.cost_epochs.append(oracle.cost_epochs)
        run.cost_seconds.append(oracle.cost_seconds)
    run.full_trainings = len(searcher.full_runs())
    run.archs_started = len(searcher.runs)
    run.resumed = searcher.num_resumed
    return run


def _incumbent(searcher: MultiFidelitySearcher) -> float:
    try:
        return searcher.best()[1]
    except OmniError:
        return math.nan


def full_training_run(
    bench: Benchmark,
    strategy: str,
    trainings: int,
    seed: int,
    *,
    metric: str = "val_acc",
    train_seconds: float | None = None,
    **kwargs: Any,
) -> FidelityRun:
    """A single-fidelity ``strategy`` for ``trainings`` full trainings, each charged
    ``max_epochs`` epochs and their seconds; accuracies are the last epoch of ``metric``
    (so regret has the same reference as the multi-fidelity runs)."""
    oracle = MultiFidelityOracle(bench, metric=metric, train_seconds=train_seconds)
    single = run_search(bench, strategy, trainings, seed, train_seconds=train_seconds, **kwargs)
    run = FidelityRun(strategy, seed)
    best = -math.inf
    for arch in single.archs:
        best = max(best, oracle.final(arch))
        oracle.train(arch, oracle.max_epochs)
        run.best_so_far.append(best)
        run.cost_epochs.append(oracle.cost_epochs)
        run.cost_seconds.append(oracle.cost_seconds)
    run.full_trainings = run.archs_started = len(single.archs)
    return run


def run_budget(
    bench: Benchmark,
    strategy: str,
    budget_trainings: int,
    seed: int,
    *,
    eta: int = 3,
    min_epochs: int = 1,
    metric: str = "val_acc",
    train_seconds: float | None = None,
    strategy_params: dict[str, Any] | None = None,
    **kwargs: Any,
) -> FidelityRun:
    """``strategy`` with a budget of ``budget_trainings`` full-training equivalents
    (``budget_trainings * max_epochs`` epochs); ``kwargs`` go to full-training searches."""
    check_strategy(strategy)
    if budget_trainings < 1:
        raise OmniError(f"the budget must be at least one full training, got {budget_trainings}")
    if is_multi_fidelity(strategy):
        epochs = MultiFidelityOracle(bench, metric=metric).max_epochs
        return run_fidelity_search(
            bench,
            strategy,
            budget_trainings * epochs,
            seed,
            eta=eta,
            min_epochs=min_epochs,
            metric=metric,
            strategy_params=strategy_params,
            train_seconds=train_seconds,
        )
    return full_training_run(
        bench,
        strategy,
        budget_trainings,
        seed,
        metric=metric,
        train_seconds=train_seconds,
        strategy_params=strategy_params,
        **kwargs,
    )


def run_many_budget(
    bench: Benchmark,
    strategy_names: Iterable[str],
    budget_trainings: int,
    seeds: Iterable[int],
    *,
    progress: bool = False,
    **kwargs: Any,
) -> list[FidelityRun]:
    """:func:`run_budget` for every (strategy, seed), with an optional progress bar."""
    jobs = [(s, seed) for s in strategy_names for seed in seeds]
    for name, _ in jobs:
        check_strategy(name)
    MultiFidelityOracle(bench, metric=kwargs.get("metric", "val_acc"))  # curves present?
    return each_run(
        jobs,
        lambda name, seed: run_budget(bench, name, budget_trainings, seed, **kwargs),
        progress,
    )
