"""Middle layer: the study's single predictors, each a scikit-learn regressor with a cost."""

from base_predictors.bananas import BananasPredictor
from base_predictors.base import BasePredictor, CostProfile
from base_predictors.column import ColumnPredictor
from base_predictors.gcn import GCNPredictor
from base_predictors.gp import GPPredictor
from base_predictors.lcsvr import LcSVRPredictor
from base_predictors.learning_curve import (
    EarlyStopPredictor,
    LCExtrapolationPredictor,
    SoTLEPredictor,
)
from base_predictors.ngb import NGBPredictor
from base_predictors.pairwise import PairwisePredictor
from base_predictors.proxy import ProxyPredictor
from base_predictors.random_forest import RandomForestPredictor
from base_predictors.seminas import SemiNASPredictor
from base_predictors.xgb import XGBPredictor
from base_predictors.xgb_rank import XGBRankPredictor

__all__ = [
    "BananasPredictor",
    "BasePredictor",
    "ColumnPredictor",
    "CostProfile",
    "EarlyStopPredictor",
    "GCNPredictor",
    "GPPredictor",
    "LCExtrapolationPredictor",
    "LcSVRPredictor",
    "NGBPredictor",
    "PairwisePredictor",
    "ProxyPredictor",
    "RandomForestPredictor",
    "SemiNASPredictor",
    "SoTLEPredictor",
    "XGBPredictor",
    "XGBRankPredictor",
]
