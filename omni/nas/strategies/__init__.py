"""Search strategies, looked up by name: ``make("omni-bo", acquisition="ucb")``.

``random`` (random search), ``evolution`` (regularized evolution), ``omni-evolution``
(predictor-guided evolution) and ``omni-bo`` (Bayesian optimisation with a predictive
distribution). A new strategy subclasses :class:`Strategy` and is :func:`register`-ed.
"""

from __future__ import annotations

from omni.nas.strategies.base import SearchContext, Strategy
from omni.nas.strategies.bayesopt import BayesianOptimisation
from omni.nas.strategies.evolution import RegularizedEvolution
from omni.nas.strategies.guided import ModelGuidedStrategy, mutation_pool
from omni.nas.strategies.predictor_evolution import PredictorGuidedEvolution
from omni.nas.strategies.random_search import RandomSearch
from omni.nas.strategy_registry import StrategyRegistry

_REGISTRY: StrategyRegistry[Strategy] = StrategyRegistry("strategy", Strategy)
#: ``register(cls)`` makes ``cls`` available to :func:`make` under ``cls.name``
register = _REGISTRY.register
#: ``get(name)``: the strategy class registered as ``name``
get = _REGISTRY.get
#: ``make(name, **params)``: a new strategy instance; ``params`` go to its constructor
make = _REGISTRY.make
names = _REGISTRY.names
#: ``resolve(name_or_strategy)``: a new instance, or a private copy of the one given
resolve = _REGISTRY.resolve

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
    "resolve",
]
