"""What every base predictor shares: the scikit-learn contract plus a declared cost profile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

from features.errors import InvalidInputError, NotFittedError, OmniError

FAMILIES = ("model-based", "learning-curve", "hybrid", "zero-cost", "weight-sharing")
#: families whose predictors need no labelled (trained) architectures
TRAINING_FREE_FAMILIES = ("learning-curve", "zero-cost", "weight-sharing")


#: largest magnitude every model can take (scikit-learn's trees cast their input to float32)
FLOAT32_MAX = float(np.finfo(np.float32).max)


def representable(X: np.ndarray) -> np.ndarray:
    """``X`` with magnitudes beyond float32's range saturated (a proxy such as synflow can
    exceed 1e38): monotone, so rankings below the cap are kept; NaN stays NaN."""
    return np.clip(X, -FLOAT32_MAX, FLOAT32_MAX)


class InvalidParameterError(OmniError, ValueError):
    """A predictor's constructor parameter that makes no sense (checked in ``fit``)."""


class PredictorNotFittedError(NotFittedError, SklearnNotFittedError):
    """``predict`` before ``fit``: the library's :class:`NotFittedError` and scikit-learn's."""


@dataclass(frozen=True)
class CostProfile:
    """What using a predictor costs, beyond its features.

    ``needs_training``: fitting needs trained (labelled) architectures; ``fit_complexity``: how fit
    time grows with the number of training architectures n; ``feature_cost``: what its inputs
    cost per queried architecture (``"none"`` for encodings, ``"zero-cost"`` for proxies,
    ``"epochs"`` for partial learning curves, ``"inputs"`` when it depends on the groups fed,
    ``"weight-sharing"`` for a supernet trained once plus one sub-network evaluation each).
    """

    needs_training: bool
    fit_complexity: str
    feature_cost: str


def seed_from(random_state) -> int:
    """A 31-bit integer seed from a scikit-learn ``random_state`` (``None`` counts as 0, so that
    every predictor of the library is deterministic by default)."""
    if random_state is None:
        random_state = 0
    return int(check_random_state(random_state).randint(2**31 - 1))


def standardize_target(y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(y - mean) / scale`` with the scale of a constant target taken as 1."""
    mean = float(np.mean(y))
    scale = float(np.std(y))
    if not np.isfinite(scale) or scale <= 1e-12:
        scale = 1.0
    return (y - mean) / scale, mean, scale


def to_target_scale(
    scores: np.ndarray, score_grid: np.ndarray, target_grid: np.ndarray
) -> np.ndarray:
    """Map scores onto the target's scale monotonically: a score's quantile among the sorted
    training scores ``score_grid`` becomes the same quantile of the sorted training targets.

    Ranking models score on an arbitrary scale; this lets their predictions mix with others.
    A tiny score-proportional term keeps the order strict where quantiles tie.
    """
    q = np.searchsorted(score_grid, scores, side="right") / len(score_grid)
    spread = np.interp(q, np.linspace(0, 1, len(target_grid)), target_grid)
    return spread + 1e-6 * scores


class BasePredictor(RegressorMixin, BaseEstimator):
    """Scikit-learn regressor with validation that raises the library's errors."""

    #: allow NaN in X (models that handle missing values natively)
    allow_nan: bool = False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.allow_nan
        return tags

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
            raise InvalidInputError(f"{type(self).__name__}.fit: {err}") from err
        if not np.all(np.isfinite(y)):
            raise InvalidInputError(f"{type(self).__name__}.fit: y has NaN or infinite values")
        self.n_features_in_ = X.shape[1]
        return representable(X), y

    def _check_fitted(self) -> None:
        try:
            check_is_fitted(self)
        except Exception as err:
            raise PredictorNotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit first"
            ) from err

    def _validate_predict(self, X) -> np.ndarray:
        self._check_fitted()
        try:
            X = check_array(
                X, dtype=np.float64, ensure_all_finite="allow-nan" if self.allow_nan else True
            )
        except ValueError as err:
            raise InvalidInputError(f"{type(self).__name__}.predict: {err}") from err
        if X.shape[1] != self.n_features_in_:
            raise InvalidInputError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input (the number fit saw)"
            )
        return representable(X)
