"""A binary relation predictor: gradient-boosted trees that judge which of two architectures is
better (after BRP-NAS, Dudziak et al., NeurIPS 2020).

With n training architectures a regressor sees n targets; a pairwise classifier sees up to
n(n-1) ordered comparisons, each labelled "the first one is better". The classifier reads the
difference of the two feature vectors and both vectors themselves, so it can learn that a
proxy gap matters more among good cells than among bad ones. An architecture's score is its
mean probability of beating a fixed set of anchors (the training architectures), mapped onto
the target's scale by quantiles so that it mixes with other predictions. Without the second
vector (``with_second=False``) the classifier reads a third fewer columns; the difference and
the first vector still determine the second.
"""

from __future__ import annotations

import numpy as np
from xgboost import XGBClassifier

from base_predictors.base import CostProfile, seed_from, to_target_scale
from base_predictors.xgb import XGBPredictor

#: rows of pair features built at once when scoring (bounds the memory of ``predict``)
_CHUNK_ROWS = 1 << 16


def _pair_features(A: np.ndarray, B: np.ndarray, with_second: bool = True) -> np.ndarray:
    """``[A - B, A]`` (and ``B`` with ``with_second``), float32, written in place."""
    d = A.shape[1]
    out = np.empty((len(A), (3 if with_second else 2) * d), dtype=np.float32)
    np.subtract(A, B, out=out[:, :d], casting="unsafe")
    out[:, d : 2 * d] = A
    if with_second:
        out[:, 2 * d :] = B
    return out


class PairwisePredictor(XGBPredictor):
    """XGBoost classifier over pairs of architectures; a scikit-learn regressor.

    Parameters beyond :class:`XGBPredictor`'s: ``max_pairs`` caps the ordered training pairs
    (a seeded random subset beyond it), ``max_anchors`` the training architectures each query is
    compared with (prediction costs ``max_anchors`` classifier rows per architecture),
    ``with_second`` whether the pair's features include the second architecture's vector.
    """

    cost = CostProfile(needs_training=True, fit_complexity="O(n^2), capped", feature_cost="inputs")

    def __init__(
        self,
        n_estimators: int = 300,
        max_depth: int = 4,
        learning_rate: float = 0.05,
        subsample: float = 0.8,
        colsample_bytree: float = 0.5,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        max_pairs: int = 20000,
        max_anchors: int = 256,
        with_second: bool = True,
        n_jobs: int = 1,
        random_state: int | None = None,
    ) -> None:
        super().__init__(
            n_estimators, max_depth, learning_rate, subsample, colsample_bytree,
            min_child_weight, reg_lambda, n_jobs, random_state,
        )  # fmt: skip
        self.max_pairs = max_pairs
        self.max_anchors = max_anchors
        self.with_second = with_second

    def fit(self, X, y) -> PairwisePredictor:
        X, y = self._validate_fit(X, y)
        rng = np.random.default_rng(seed_from(self.random_state))
        first, second = np.nonzero(y[:, None] != y[None, :])
        if len(first) > self.max_pairs:
            keep = np.sort(rng.choice(len(first), int(self.max_pairs), replace=False))
            first, second = first[keep], second[keep]
        anchors = np.arange(len(y))
        if len(anchors) > self.max_anchors:
            anchors = np.sort(rng.choice(len(y), int(self.max_anchors), replace=False))
        self.anchors_ = X[anchors]
        if len(first) == 0:  # a constant target: nothing to order
            self.model_ = None
        else:
            self.model_ = XGBClassifier(objective="binary:logistic", **self._booster_params())
            self.model_.fit(
                _pair_features(X[first], X[second], self.with_second), (y[first] > y[second])
            )
        scores = self._win_rate(X)
        self.score_grid_ = np.sort(scores)
        self.target_grid_ = np.sort(y)
        return self

    def _win_rate(self, X: np.ndarray) -> np.ndarray:
        """Mean probability of beating each anchor."""
        if self.model_ is None:
            return np.full(len(X), 0.5)
        m = len(self.anchors_)
        step = max(1, _CHUNK_ROWS // m)
        out = np.empty(len(X))
        for start in range(0, len(X), step):
            Q = X[start : start + step]
            pairs = _pair_features(
                np.repeat(Q, m, axis=0), np.tile(self.anchors_, (len(Q), 1)), self.with_second
            )
            out[start : start + step] = (
                self.model_.predict_proba(pairs)[:, 1].reshape(-1, m).mean(1)
            )
        return out

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return to_target_scale(self._win_rate(X), self.score_grid_, self.target_grid_)
