"""Middle layer: the study's single predictors, each a scikit-learn regressor with a cost."""

from base_predictors.base import BasePredictor, CostProfile
from base_predictors.proxy import ProxyPredictor
from base_predictors.xgb import XGBPredictor

__all__ = ["BasePredictor", "CostProfile", "ProxyPredictor", "XGBPredictor"]
