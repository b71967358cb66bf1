"""Gradient-boosted trees trained to *rank* (XGBoost's pairwise objective).

Ranking metrics are what NAS needs, and with n training architectures a pairwise loss sees
n(n-1)/2 comparisons instead of n squared errors, so it learns more from few labels; ranking
losses for NAS predictors: e.g. ReNAS (Xu et al., CVPR 2021). Scores are mapped back onto the
target's scale by the training targets' quantiles, so they mix with other predictions.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from xgboost import XGBRanker

from base_predictors.base import BasePredictor, CostProfile


class XGBRankPredictor(BasePredictor):
    """XGBoost ``rank:pairwise`` over one query group (all training architectures)."""

    family = "model-based"
    cost = CostProfile(needs_training=True, fit_complexity="O(n log n)", feature_cost="inputs")
    allow_nan = True

    def __init__(
        self,
        n_estimators: int = 300,
        max_depth: int = 3,
        learning_rate: float = 0.05,
        subsample: float = 0.8,
        colsample_bytree: float = 0.5,
        pairs_per_sample: int = 64,
        n_jobs: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.pairs_per_sample = pairs_per_sample
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y) -> XGBRankPredictor:
        X, y = self._validate_fit(X, y)
        labels = stats.rankdata(y, method="dense").astype(int) - 1
        self.model_ = XGBRanker(
            objective="rank:pairwise",
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            lambdarank_pair_method="mean",
            lambdarank_num_pair_per_sample=max(1, min(len(y) - 1, self.pairs_per_sample)),
            n_jobs=self.n_jobs,
            random_state=0 if self.random_state is None else self.random_state,
        )
        self.model_.fit(X, labels, qid=np.zeros(len(y), dtype=int))
        scores = self.model_.predict(X)
        self.score_grid_ = np.sort(scores)
        self.target_grid_ = np.sort(y)
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        scores = self.model_.predict(X).astype(float)
        # monotone map: score quantile among training scores -> same quantile of training y
        q = np.searchsorted(self.score_grid_, scores, side="right") / len(self.score_grid_)
        spread = np.interp(q, np.linspace(0, 1, len(self.target_grid_)), self.target_grid_)
        # keep order strictly where quantiles tie, with a tiny score-proportional term
        return spread + 1e-6 * scores
