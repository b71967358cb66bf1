"""A zero-cost proxy used as a predictor: the score itself ranks architectures, no fitting."""

from __future__ import annotations

from base_predictors.base import CostProfile
from base_predictors.column import ColumnPredictor


class ProxyPredictor(ColumnPredictor):
    """Predicts the single input column unchanged (a proxy's score); NaN stays NaN."""

    family = "zero-cost"
    cost = CostProfile(needs_training=False, fit_complexity="O(1)", feature_cost="zero-cost")
