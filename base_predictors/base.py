"""What every base predictor shares: the scikit-learn contract plus a declared cost profile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

from features.errors import NotFittedError, OmniError

FAMILIES = ("model-based", "learning-curve", "hybrid", "zero-cost")


@dataclass(frozen=True)
class CostProfile:
    """What using a predictor costs, beyond its features.

    ``needs_training``: fitting needs trained (labelled) architectures; ``fit_complexity``: how fit
    time grows with the number of training architectures n; ``feature_cost``: what its inputs
    cost per queried architecture (``"none"`` for encodings, ``"zero-cost"`` for proxies,
    ``"epochs"`` for partial learning curves).
    """

    needs_training: bool
    fit_complexity: str
    feature_cost: str


class BasePredictor(RegressorMixin, BaseEstimator):
    """Scikit-learn regressor with validation that raises the library's errors."""

    #: allow NaN in X (models that handle missing values natively)
    allow_nan: bool = False

    def _validate_fit(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        try:
            X, y = check_X_y(
                X,
                y,
                dtype=np.float64,
                ensure_all_finite="allow-nan" if self.allow_nan else True,
                y_numeric=True,
            )
        except ValueError as err:
            raise OmniError(f"{type(self).__name__}.fit: {err}") from err
        if not np.all(np.isfinite(y)):
            raise OmniError(f"{type(self).__name__}.fit: y has NaN or infinite values")
        self.n_features_in_ = X.shape[1]
        return X, y

    def _validate_predict(self, X) -> np.ndarray:
        try:
            check_is_fitted(self)
        except Exception as err:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit first"
            ) from err
        try:
            X = check_array(
                X, dtype=np.float64, ensure_all_finite="allow-nan" if self.allow_nan else True
            )
        except ValueError as err:
            raise OmniError(f"{type(self).__name__}.predict: {err}") from err
        if X.shape[1] != self.n_features_in_:
            raise OmniError(
                f"{type(self).__name__}.predict: X has {X.shape[1]} features, "
                f"fit saw {self.n_features_in_}"
            )
        return X
