"""LcSVR (Baker et al., "Accelerating Neural Architecture Search using Performance Prediction",
ICLR-W 2018): a nu-support-vector regressor over architecture features plus statistics of the
partial learning curve -- the study's hybrid family.

As in NASLib's ``SVR_Estimator``: RBF ``NuSVR`` whose C ~ log-uniform(1e-5, 10),
nu ~ uniform(0, 1) and gamma ~ log-uniform(1e-5, 10) are chosen by random search with 3-fold
cross-validation (R^2). NASLib draws 1000 settings; ``n_hypers`` defaults to 50 here, which
keeps a fit at n = 400 to about a second. Inputs and target are standardised (NASLib does not).
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import NuSVR

from base_predictors.base import BasePredictor, CostProfile, seed_from, standardize_target


def _svr(C: float, nu: float, gamma: float):
    return make_pipeline(StandardScaler(), NuSVR(C=C, nu=nu, gamma=gamma, kernel="rbf"))


class LcSVRPredictor(BasePredictor):
    """NuSVR with hyper-parameters by cross-validated random search."""

    family = "hybrid"
    cost = CostProfile(needs_training=True, fit_complexity="O(n^2)", feature_cost="epochs")

    def __init__(self, n_hypers: int = 50, cv: int = 3, random_state: int | None = None) -> None:
        self.n_hypers = n_hypers
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y) -> LcSVRPredictor:
        X, y = self._validate_fit(X, y)
        z, self.y_mean_, self.y_scale_ = standardize_target(y)
        rng = np.random.default_rng(seed_from(self.random_state))
        k = int(self.n_hypers)
        hypers = np.column_stack(
            [
                np.exp(rng.uniform(np.log(1e-5), np.log(10.0), k)),
                rng.uniform(0.05, 1.0, k),
                np.exp(rng.uniform(np.log(1e-5), np.log(10.0), k)),
            ]
        )
        folds = min(int(self.cv), len(X) // 2)
        if folds >= 2 and k > 1:
            splitter = KFold(folds, shuffle=True, random_state=seed_from(self.random_state))
            scores = [
                np.nanmean(cross_val_score(_svr(*h), X, z, cv=splitter, error_score=np.nan))
                for h in hypers
            ]
            scores = np.where(np.isfinite(scores), scores, -np.inf)
            best = hypers[int(np.argmax(scores))]
        else:  # too few architectures to cross-validate: scikit-learn's defaults
            best = np.array([1.0, 0.5, 1.0 / max(1, X.shape[1])])
        self.best_params_ = {"C": float(best[0]), "nu": float(best[1]), "gamma": float(best[2])}
        self.model_ = _svr(*best).fit(X, z)
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return self.model_.predict(X) * self.y_scale_ + self.y_mean_
