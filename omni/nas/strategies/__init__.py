"""Search strategies, looked up by name: ``make("omni-bo", acquisition="ucb")``.

``random`` (random search), ``evolution`` (regularized evolution), ``omni-evolution``
(predictor-guided evolution) and ``omni-bo`` (Bayesian optimisation with a predictive
distribution). A new strategy subclasses :class:`Strategy` and is :func:`register`-ed.
"""

from __future__ import annotations

from typing import Any

from features.errors import OmniError
from omni.nas.strategies.base import SearchContext, Strategy
from omni.nas.strategies.bayesopt import BayesianOptimisation
from omni.nas.strategies.evolution import RegularizedEvolution
from omni.nas.strategies.guided import ModelGuidedStrategy, mutation_pool
from omni.nas.strategies.predictor_evolution import PredictorGuidedEvolution
from omni.nas.strategies.random_search import RandomSearch

_REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy], overwrite: bool = False) -> type[Strategy]:
    """Make ``cls`` available to :func:`make` under ``cls.name``."""
    if not cls.name:
        raise OmniError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY and not overwrite:
        raise OmniError(f"a strategy named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def get(name: str) -> type[Strategy]:
    """The strategy class registered as ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise OmniError(f"unknown strategy {name!r}; registered: {names()}") from None


def make(name: str, **params: Any) -> Strategy:
    """A new strategy instance; ``params`` go to its constructor."""
    cls = get(name)
    try:
        return cls(**params)
    except TypeError as err:
        raise OmniError(f"strategy {name!r}: {err}") from None


def names() -> list[str]:
    return list(_REGISTRY)


for _cls in (RandomSearch, RegularizedEvolution, PredictorGuidedEvolution, BayesianOptimisation):
    register(_cls)

__all__ = [
    "BayesianOptimisation",
    "ModelGuidedStrategy",
    "PredictorGuidedEvolution",
    "RandomSearch",
    "RegularizedEvolution",
    "SearchContext",
    "Strategy",
    "get",
    "make",
    "mutation_pool",
    "names",
    "register",
]
