"""Random forest (Breiman 2001), one of the study's tree-based model predictors.

Defaults are NASLib's (``RandomForestPredictor``, taken there from NAS-Bench-301's tuned
surrogate): 116 trees, 17 % of the features per split, leaves of at least 2, no bootstrap.
``extra_trees=True`` draws split thresholds at random (Geurts et al. 2006): smoother, and often
steadier with few training architectures.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

from base_predictors.base import BasePredictor, CostProfile, seed_from

#: wide forests over a third of the columns per split (bootstrapped): steadier than the NASLib
#: defaults from 20 training architectures up, used by the GRAF entries and OMNI's ``rf`` kind
WIDE_FOREST = {"n_estimators": 300, "max_features": 0.33, "min_samples_leaf": 1, "bootstrap": True}


class RandomForestPredictor(BasePredictor):
    """Random-forest regressor; ``predict_dist`` gives the spread over trees as its std.

    Missing values (NaN) are handled natively by scikit-learn's trees (learned direction).
    """

    family = "model-based"
    cost = CostProfile(needs_training=True, fit_complexity="O(n log n)", feature_cost="inputs")
    allow_nan = True

    def __init__(
        self,
        n_estimators: int = 116,
        max_features: float = 0.17055852159745608,
        min_samples_leaf: int = 2,
        min_samples_split: int = 2,
        bootstrap: bool = False,
        extra_trees: bool = False,
        n_jobs: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.min_samples_split = min_samples_split
        self.bootstrap = bootstrap
        self.extra_trees = extra_trees
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y) -> RandomForestPredictor:
        X, y = self._validate_fit(X, y)
        forest = ExtraTreesRegressor if self.extra_trees else RandomForestRegressor
        self.model_ = forest(
            n_estimators=self.n_estimators,
            max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf,
            min_samples_split=self.min_samples_split,
            bootstrap=self.bootstrap,
            n_jobs=self.n_jobs,
            random_state=seed_from(self.random_state),
        )
        self.model_.fit(X, y)
        return self

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        return self.model_.predict(X).astype(float)

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Mean over trees and their standard deviation (an ensemble spread, not calibrated)."""
        X = self._validate_predict(X)
        per_tree = np.stack([t.predict(X) for t in self.model_.estimators_])
        return per_tree.mean(axis=0), per_tree.std(axis=0)
