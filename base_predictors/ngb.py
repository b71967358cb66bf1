"""NGBoost (Duan et al. 2020): natural-gradient boosting of a Normal predictive distribution.

Defaults are NASLib's tuned ones for the study (White et al. 2021): 505 stages, learning rate
0.0813, minibatch fraction 0.508, depth-6 trees on 79 % of the features, leaves of at least 15
and splits of at least 20 samples. One change: NASLib caps those minimums at n // 2 of the whole
training set, but each tree sees only the minibatch m = n * 0.508, so at n = 20 no tree could
split and every prediction was the same constant; here the caps are m // 4 and m // 2 of the
minibatch (identical to NASLib's values from n = 120 on). Targets are standardised.
"""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeRegressor

from base_predictors.base import BasePredictor, CostProfile, seed_from, standardize_target
from features.errors import InvalidInputError


class NGBPredictor(BasePredictor):
    """NGBRegressor(Dist=Normal); ``predict_dist`` returns the predictive mean and std."""

    family = "model-based"
    cost = CostProfile(needs_training=True, fit_complexity="O(n log n)", feature_cost="inputs")

    def __init__(
        self,
        n_estimators: int = 505,
        learning_rate: float = 0.08127053060223186,
        minibatch_frac: float = 0.5081694143793387,
        max_depth: int = 6,
        max_features: float = 0.7920456318712875,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.minibatch_frac = minibatch_frac
        self.max_depth = max_depth
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, X, y) -> NGBPredictor:
        X, y = self._validate_fit(X, y)
        if len(X) < 2:
            raise InvalidInputError(
                f"NGBPredictor needs at least 2 architectures, got n_samples={len(X)}"
            )
        z, self.y_mean_, self.y_scale_ = standardize_target(y)
        batch = max(1, int(len(X) * self.minibatch_frac))
        seed = seed_from(self.random_state)
        tree = DecisionTreeRegressor(
            criterion="friedman_mse",
            max_depth=self.max_depth,
            max_features=self.max_features,
            min_samples_leaf=min(max(batch // 4, 1), 15),
            min_samples_split=min(max(batch // 2, 2), 20),
            random_state=seed,
        )
        from ngboost import NGBRegressor  # imported when fitted: its import costs 1.5 s (sympy)
        from ngboost.distns import Normal
        from ngboost.scores import LogScore

        self.model_ = NGBRegressor(
            Dist=Normal,
            Score=LogScore,
            Base=tree,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            minibatch_frac=self.minibatch_frac,
            verbose=False,
            random_state=seed,
        )
        self.model_.fit(X, z)
        return self

    def predict(self, X) -> np.ndarray:
        return self.predict_dist(X)[0]

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the Normal predictive distribution."""
        X = self._validate_predict(X)
        dist = self.model_.pred_dist(X)
        mean = np.asarray(dist.loc, dtype=float) * self.y_scale_ + self.y_mean_
        std = np.asarray(dist.scale, dtype=float) * self.y_scale_
        return mean, std
