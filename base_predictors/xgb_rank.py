"""Gradient-boosted trees trained to *rank* (XGBoost's pairwise objective).

Ranking metrics are what NAS needs, and with n training architectures a pairwise loss sees
n(n-1)/2 comparisons instead of n squared errors, so it learns more from few labels; ranking
losses for NAS predictors: e.g. ReNAS (Xu et al., CVPR 2021). Scores are mapped back onto the
target's scale by the training targets' quantiles
(:func:`~base_predictors.base.to_target_scale`), so they mix with other predictions.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from xgboost import XGBRanker

from base_predictors.base import to_target_scale
from base_predictors.xgb import XGBPredictor


class XGBRankPredictor(XGBPredictor):
    """XGBoost ``rank:pairwise`` over one query group (all training architectures).

    Shallower, slower and subsampled by default: a ranking loss overfits few labels quickly.
    """

    def __init__(
        self,
        n_estimators: int = 300,
        max_depth: int = 3,
        learning_rate: float = 0.05,
        subsample: float = 0.8,
        colsample_bytree: float = 0.5,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        pairs_per_sample: int = 64,
        n_jobs: int = 1,
        random_state: int | None = None,
    ) -> None:
        super().__init__(
            n_estimators, max_depth, learning_rate, subsample, colsample_bytree,
            min_child_weight, reg_lambda, n_jobs, random_state,
        )  # fmt: skip
        self.pairs_per_sample = pairs_per_sample

    def fit(self, X, y) -> XGBRankPredictor:
        X, y = self._validate_fit(X, y)
        labels = stats.rankdata(y, method="dense").astype(int) - 1
        self.model_ = XGBRanker(
            objective="rank:pairwise",
            lambdarank_pair_method="mean",
            lambdarank_num_pair_per_sample=max(1, min(len(y) - 1, self.pairs_per_sample)),
            **self._booster_params(),
        )
        self.model_.fit(X, labels, qid=np.zeros(len(y), dtype=int))
        scores = self.model_.predict(X)
        self.score_grid_ = np.sort(scores)
        self.target_grid_ = np.sort(y)
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        scores = self.model_.predict(X).astype(float)
        return to_target_scale(scores, self.score_grid_, self.target_grid_)
