"""The weight-sharing predictor: a sub-network's accuracy in a trained one-shot supernet.

White et al. (2021) count one-shot methods among the predictor families: a supernet holding
every architecture is trained once, then each architecture is scored by the accuracy of its
sub-network with the inherited weights. The supernet and the scoring live in
``omni.weight_sharing``; this predictor reads the score column (feature group ``ws:<name>``)
and ranks by it. With a target in ``fit`` it also fits an increasing linear map from the
score to the target's scale (so its predictions mix with other predictors'); the ranking is
the score's either way.
"""

from __future__ import annotations

import numpy as np

from base_predictors.base import CostProfile
from base_predictors.column import ColumnPredictor
from features.errors import InvalidInputError


class WeightSharingPredictor(ColumnPredictor):
    """Predicts ``slope_ * score + intercept_`` from one weight-sharing score column.

    ``calibrate``: with a target in ``fit`` and at least two distinct finite scores, fit the
    least-squares line from score to target; a line that does not increase (the score does
    not track the target on these architectures) is replaced by the identity, since a
    predictor never inverts its score. Without a target, or with ``calibrate=False``: the
    identity. NaN scores stay NaN.

    Cost profile: no labelled architectures needed; the feature costs a supernet's training
    once (the group's init seconds) and one sub-network evaluation per architecture.
    """

    family = "weight-sharing"
    cost = CostProfile(needs_training=False, fit_complexity="O(n)", feature_cost="weight-sharing")

    def __init__(self, calibrate: bool = True) -> None:
        self.calibrate = calibrate

    def fit(self, X, y=None) -> WeightSharingPredictor:
        super().fit(X, y)  # one column, lengths agree
        X = self._check_one_column(X, "fit")
        self.slope_, self.intercept_ = 1.0, 0.0
        if y is None or not self.calibrate:
            return self
        try:
            y = np.asarray(y, dtype=float).ravel()
        except (TypeError, ValueError) as err:
            raise InvalidInputError(f"{type(self).__name__}.fit: y is not numeric ({err})") from err
        score = X[:, 0]
        ok = np.isfinite(score) & np.isfinite(y)
        if ok.sum() >= 2 and np.ptp(score[ok]) > 0:
            slope, intercept = np.polyfit(score[ok], y[ok], 1)
            if np.isfinite(slope) and slope > 0:
                self.slope_, self.intercept_ = float(slope), float(intercept)
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return self.slope_ * X[:, 0] + self.intercept_


__all__ = ["WeightSharingPredictor"]
