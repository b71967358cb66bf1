"""A zero-cost proxy used as a predictor: the score itself ranks architectures, no fitting."""

from __future__ import annotations

import numpy as np

from base_predictors.base import BasePredictor, CostProfile
from features.errors import OmniError


class ProxyPredictor(BasePredictor):
    """Predicts the single input column unchanged (a proxy's score); NaN stays NaN."""

    family = "zero-cost"
    cost = CostProfile(needs_training=False, fit_complexity="O(1)", feature_cost="zero-cost")
    allow_nan = True

    def fit(self, X, y=None) -> ProxyPredictor:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != 1:
            raise OmniError(
                f"ProxyPredictor takes exactly one column (a score), got shape {X.shape}"
            )
        self.n_features_in_ = 1
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return X[:, 0].copy()
