"""A single score column used as a predictor: the score ranks architectures, nothing is fitted.

The base of the zero-cost proxies (:class:`~base_predictors.proxy.ProxyPredictor`) and of the
learning-curve statistics (:mod:`base_predictors.learning_curve`).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_array, check_consistent_length

from base_predictors.base import BasePredictor, CostProfile
from features.errors import InvalidInputError


class ColumnPredictor(BasePredictor):
    """Predicts its one input column unchanged; NaN (a failed score) stays NaN.

    ``fit`` checks the shape and records it; ``y`` may be omitted (``needs_training`` is False).
    """

    family = "zero-cost"
    cost = CostProfile(needs_training=False, fit_complexity="O(1)", feature_cost="inputs")
    allow_nan = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags

    def _check_one_column(self, X, where: str) -> np.ndarray:
        try:
            X = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
        except ValueError as err:
            raise InvalidInputError(f"{type(self).__name__}.{where}: {err}") from err
        if X.shape[1] != 1:
            raise InvalidInputError(
                f"{type(self).__name__} takes exactly one column (a score), got shape {X.shape}"
            )
        return X

    def fit(self, X, y=None) -> ColumnPredictor:
        X = self._check_one_column(X, "fit")
        if y is not None:
            try:
                check_consistent_length(X, y)
            except ValueError as err:
                raise InvalidInputError(f"{type(self).__name__}.fit: {err}") from err
        self.n_features_in_ = 1
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return X[:, 0].copy()
