"""A rank ensemble of scores: each column is turned into its rank among the training
architectures and the ranks are averaged, weighted by each column's Kendall tau with the
target on the training set.

It learns only a weight (and a sign) per column, so it is usable from a handful of labelled
architectures, where tree models over many proxies still overfit. In the spirit of the
voting ensembles of zero-cost proxies (Abdelfattah et al., ICLR 2021, section 5).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from base_predictors.base import BasePredictor, CostProfile


class RankEnsemblePredictor(BasePredictor):
    """Weighted mean of training-set-relative ranks; weights = train Kendall tau per column.

    ``min_abs_tau``: columns whose train tau is weaker are dropped (all kept if none pass).
    A NaN score takes the middle rank (0.5): a failed proxy says nothing either way.
    """

    family = "zero-cost"
    cost = CostProfile(needs_training=True, fit_complexity="O(n log n)", feature_cost="inputs")
    allow_nan = True

    def __init__(self, min_abs_tau: float = 0.0, power: float = 1.0) -> None:
        self.min_abs_tau = min_abs_tau
        self.power = power

    def fit(self, X, y) -> RankEnsemblePredictor:
        X, y = self._validate_fit(X, y)
        taus = np.zeros(X.shape[1])
        self.reference_ = []
        for j in range(X.shape[1]):
            col = X[:, j]
            ok = np.isfinite(col)
            self.reference_.append(np.sort(col[ok]))
            if ok.sum() >= 3 and np.ptp(col[ok]) > 0:
                tau = stats.kendalltau(col[ok], y[ok])[0]
                taus[j] = 0.0 if not np.isfinite(tau) else tau
        keep = np.abs(taus) >= self.min_abs_tau
        if not keep.any():
            keep[:] = True
        weights = np.sign(taus) * np.abs(taus) ** self.power * keep
        total = np.abs(weights).sum()
        self.taus_ = taus
        self.weights_ = weights / total if total > 0 else np.full(X.shape[1], 1.0 / X.shape[1])
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() or 1.0)
        return self

    def _ranks(self, X: np.ndarray) -> np.ndarray:
        ranks = np.full(X.shape, 0.5)
        for j, ref in enumerate(self.reference_):
            ok = np.isfinite(X[:, j])
            if len(ref):
                lo = np.searchsorted(ref, X[ok, j], side="left")
                hi = np.searchsorted(ref, X[ok, j], side="right")
                ranks[ok, j] = (lo + hi) / (2.0 * len(ref))
        return ranks

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        score = (self._ranks(X) - 0.5) @ self.weights_
        # on the target's scale, so that a meta-model can mix it with other predictions
        return self.y_mean_ + 2.0 * self.y_std_ * score
