"""Predictor-guided neural architecture search: an ask/tell :class:`Searcher`, its strategies,
and a :class:`TabularOracle` to simulate searches on a benchmark table."""

from __future__ import annotations

from omni.nas import acquisition, strategies
from omni.nas.featurizer import DEFAULT_GROUPS, BenchmarkFeaturizer, SpaceFeaturizer
from omni.nas.history import Evaluation
from omni.nas.oracle import TabularOracle
from omni.nas.searcher import Searcher
from omni.nas.simulate import SearchRun, run_many, run_search
from omni.nas.strategies import Strategy
from omni.nas.surrogate import PREDICTORS, EnsemblePredictor, default_predictor, xgb_ensemble

__all__ = [
    "DEFAULT_GROUPS",
    "PREDICTORS",
    "BenchmarkFeaturizer",
    "EnsemblePredictor",
    "Evaluation",
    "SearchRun",
    "Searcher",
    "SpaceFeaturizer",
    "Strategy",
    "TabularOracle",
    "acquisition",
    "default_predictor",
    "run_many",
    "run_search",
    "strategies",
    "xgb_ensemble",
]
