"""Bayesian optimisation over mutation-based candidate pools (BANANAS-style, White et al. 2021):
the predictor's ``predict_dist`` gives a mean and a std per candidate, an acquisition
(expected improvement, UCB, independent Thompson sampling) ranks them."""

from __future__ import annotations

from typing import Any

import numpy as np

from features.errors import OmniError
from omni.nas import acquisition as acq
from omni.nas.strategies.base import SearchContext
from omni.nas.strategies.guided import ModelGuidedStrategy


class BayesianOptimisation(ModelGuidedStrategy):
    """Candidates ranked by ``acquisition`` (``ei``, ``ucb`` or ``its``) of the predictive
    distribution; ``xi`` (EI) and ``beta`` (UCB) are its parameters."""

    name = "omni-bo"
    needs_distribution = True

    def __init__(
        self,
        acquisition: str = "ei",
        xi: float = 0.0,
        beta: float = 1.0,
        num_init: int = 20,
        k: int = 10,
        num_candidates: int = 100,
        num_parents: int = 10,
        max_edits: int = 1,
    ) -> None:
        super().__init__(num_init, k, num_candidates, num_parents, max_edits)
        acq.get(acquisition)  # fail early on an unknown name
        self.acquisition = acquisition
        self.xi = xi
        self.beta = beta

    def score(self, ctx: SearchContext, model: Any, X: np.ndarray, best: float) -> np.ndarray:
        mean, std = model.predict_dist(X)
        mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
        if mean.shape != std.shape:
            raise OmniError("predict_dist returned mean and std of different shapes")
        if self.acquisition == "ei":
            return acq.expected_improvement(mean, std, best, ctx.rng, xi=self.xi)
        if self.acquisition == "ucb":
            return acq.upper_confidence_bound(mean, std, best, ctx.rng, beta=self.beta)
        return acq.get(self.acquisition)(mean, std, best, ctx.rng)
