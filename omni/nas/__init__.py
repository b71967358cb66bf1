"""Predictor-guided neural architecture search: an ask/tell :class:`Searcher`, its strategies,
and a :class:`TabularOracle` to simulate searches on a benchmark table; multi-fidelity search
(Hyperband, OMNI-guided Hyperband) with :class:`MultiFidelitySearcher` and
:class:`MultiFidelityOracle`."""

from __future__ import annotations

from omni.featurizer import DEFAULT_GROUPS, Featurizer
from omni.nas import acquisition, fidelity_strategies, strategies
from omni.nas.brackets import Bracket, Rung, hyperband_brackets
from omni.nas.featurizer import BenchmarkFeaturizer
from omni.nas.fidelity_oracle import MultiFidelityOracle
from omni.nas.history import Evaluation
from omni.nas.multi_fidelity import FidelityEvaluation, Job, MultiFidelitySearcher, TrainingRun
from omni.nas.oracle import TabularOracle
from omni.nas.searcher import Searcher
from omni.nas.simulate import SearchRun, run_many, run_search
from omni.nas.strategies import Strategy
from omni.nas.surrogate import PREDICTORS, EnsemblePredictor, default_predictor, xgb_ensemble

__all__ = [
    "DEFAULT_GROUPS",
    "PREDICTORS",
    "BenchmarkFeaturizer",
    "Bracket",
    "EnsemblePredictor",
    "Evaluation",
    "Featurizer",
    "FidelityEvaluation",
    "Job",
    "MultiFidelityOracle",
    "MultiFidelitySearcher",
    "Rung",
    "SearchRun",
    "Searcher",
    "Strategy",
    "TabularOracle",
    "TrainingRun",
    "acquisition",
    "default_predictor",
    "fidelity_strategies",
    "hyperband_brackets",
    "run_many",
    "run_search",
    "strategies",
    "xgb_ensemble",
]
