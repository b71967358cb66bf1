"""Gradient-boosted trees (XGBoost; Chen & Guestrin 2016), the study's strongest model-based
family. Missing values (failed proxies) take XGBoost's learned default branch: no imputation."""

from __future__ import annotations

import numpy as np
from xgboost import XGBRegressor

from base_predictors.base import BasePredictor, CostProfile


class XGBPredictor(BasePredictor):
    """XGBoost regressor. Defaults follow NASLib's XGBoost predictor (depth 6, eta 0.3 ->
    here a gentler 0.1 with more rounds, which is steadier at small n), one thread."""

    family = "model-based"
    cost = CostProfile(needs_training=True, fit_complexity="O(n log n)", feature_cost="inputs")
    allow_nan = True

    def __init__(
        self,
        n_estimators: int = 300,
        max_depth: int = 6,
        learning_rate: float = 0.1,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        min_child_weight: float = 1.0,
        reg_lambda: float = 1.0,
        n_jobs: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _booster_params(self) -> dict:
        """The constructor's settings as XGBoost keyword arguments (shared by subclasses)."""
        return {
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "learning_rate": self.learning_rate,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "min_child_weight": self.min_child_weight,
            "reg_lambda": self.reg_lambda,
            "n_jobs": self.n_jobs,
            "random_state": 0 if self.random_state is None else self.random_state,
            "tree_method": "hist",
        }

    def fit(self, X, y) -> XGBPredictor:
        X, y = self._validate_fit(X, y)
        self.model_ = XGBRegressor(**self._booster_params())
        self.model_.fit(X, y)
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return self.model_.predict(X).astype(float)
