"""The registry of base predictors: name -> family, default feature groups and a factory.

Feature groups are named as in ``omni.feature_groups`` (``onehot``, ``path``, ``padded``,
``zc:*``, ``lc:<stat>@<epochs>``, ...); this layer only stores the names. Default groups follow
the study (White et al. 2021, via NASLib): tree models, the GP and SemiNAS read the one-hot
adjacency encoding, BANANAS the path encoding, the GCN the padded DAG; learning-curve predictors
read one statistic at fidelity ``e`` epochs, and ``get("early-stop@12")`` gives any other
fidelity of a learning-curve or hybrid predictor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from base_predictors.bananas import BananasPredictor
from base_predictors.base import BasePredictor, CostProfile
from base_predictors.bnn import HybridBNNPredictor
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
from base_predictors.random_forest import WIDE_FOREST, RandomForestPredictor
from base_predictors.seminas import SemiNASPredictor
from base_predictors.weight_sharing import WeightSharingPredictor
from base_predictors.xgb import XGBPredictor
from features.errors import OmniError

#: fidelity (epochs of the partial learning curve) of the registered learning-curve entries
DEFAULT_FIDELITY = 5
#: unlabelled architectures the omni layer should encode for a semi-supervised predictor
DEFAULT_UNLABELED = 1000

_LC_GROUP = re.compile(r"^(lc:.+)@(\d+)$")


@dataclass(frozen=True)
class PredictorInfo:
    """A registered predictor.

    ``unlabeled``: how many unlabelled architectures of the space the caller should encode with
    ``groups`` and pass to :meth:`make` as ``unlabeled_X`` (0 = the predictor takes none).
    """

    name: str
    family: str
    groups: tuple[str, ...]
    factory: Callable[..., BasePredictor]
    description: str
    unlabeled: int = 0
    params: dict = field(default_factory=dict)

    @property
    def cost(self) -> CostProfile:
        return self.factory.cost  # type: ignore[attr-defined]

    @property
    def fidelity(self) -> int | None:
        """Epochs of the learning-curve groups it reads (None: it reads no curve)."""
        found = [int(m.group(2)) for g in self.groups if (m := _LC_GROUP.match(g))]
        return max(found) if found else None

    def make(self, random_state: int | None = None, **params: Any) -> BasePredictor:
        """A fresh estimator; ``params`` are constructor parameters (e.g. ``unlabeled_X``)."""
        est = self.factory(**{**self.params, **params})
        if "random_state" in est.get_params():
            est.set_params(random_state=random_state)
        return est

    def at_fidelity(self, epochs: int) -> PredictorInfo:
        """The same predictor reading its learning-curve groups at ``epochs``, named
        ``<name>@<epochs>``."""
        if self.fidelity is None:
            raise OmniError(f"predictor {self.name!r} reads no learning curve: no fidelity")
        if int(epochs) < 1:
            raise OmniError(f"fidelity must be at least 1 epoch, got {epochs}")
        groups = tuple(
            f"{m.group(1)}@{int(epochs)}" if (m := _LC_GROUP.match(g)) else g for g in self.groups
        )
        base = self.name.split("@")[0]
        return replace(self, name=f"{base}@{int(epochs)}", groups=groups)


_REGISTRY: dict[str, PredictorInfo] = {}


def register(info: PredictorInfo) -> None:
    if info.name in _REGISTRY:
        raise OmniError(f"predictor {info.name!r} is already registered")
    _REGISTRY[info.name] = info


def get(name: str) -> PredictorInfo:
    """The predictor called ``name``; ``<name>@<e>`` gives a learning-curve predictor at ``e``."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    base, sep, epochs = name.rpartition("@")
    if sep and base in _REGISTRY and epochs.isdigit():
        return _REGISTRY[base].at_fidelity(int(epochs))
    raise OmniError(f"unknown predictor {name!r}; registered: {sorted(_REGISTRY)}")


def all_predictors() -> list[PredictorInfo]:
    return list(_REGISTRY.values())


def _lc(stat: str) -> str:
    return f"lc:{stat}@{DEFAULT_FIDELITY}"


#: the hybrid predictors' inputs: the encoding + partial validation-curve statistics (LcSVR's)
_HYBRID_GROUPS = (
    "onehot",
    _lc("val_metric:last"),
    _lc("val_metric:best"),
    _lc("val_metric:window_mean"),
    _lc("val_metric:slope"),
    _lc("val_metric:sum"),
)

for _info in (
    PredictorInfo(
        "xgb-onehot",
        "model-based",
        ("onehot",),
        XGBPredictor,
        "XGBoost over the one-hot adjacency encoding",
    ),
    PredictorInfo(
        "xgb-zc", "model-based", ("zc:*",), XGBPredictor, "XGBoost over every zero-cost proxy"
    ),
    PredictorInfo(
        "rf",
        "model-based",
        ("onehot",),
        RandomForestPredictor,
        "random forest over the one-hot adjacency encoding (NASLib / NB301 defaults)",
    ),
    PredictorInfo(
        "rf-graph",
        "model-based",
        ("graph",),
        RandomForestPredictor,
        "random forest over graph features (op-subset path lengths and degrees)",
        params=WIDE_FOREST,
    ),
    PredictorInfo(
        "rf-graf",
        "model-based",
        ("graph", "zc:*"),
        RandomForestPredictor,
        "random forest over graph features and every proxy (GRAF, Kadlecova et al. 2024)",
        params=WIDE_FOREST,
    ),
    PredictorInfo(
        "pairwise-graf",
        "model-based",
        ("graph", "zc:*"),
        PairwisePredictor,
        "XGBoost judging which of two architectures is better (BRP-NAS), graph features + proxies",
    ),
    PredictorInfo(
        "ngb",
        "model-based",
        ("onehot",),
        NGBPredictor,
        "NGBoost (Normal) over the one-hot adjacency encoding",
    ),
    PredictorInfo(
        "gp",
        "model-based",
        ("onehot",),
        GPPredictor,
        "Gaussian process, exponential-Hamming kernel, marginal-likelihood hyper-parameters",
    ),
    PredictorInfo(
        "bananas",
        "model-based",
        ("path",),
        BananasPredictor,
        "BANANAS: ensemble of 5 MLPs over the path encoding",
    ),
    PredictorInfo(
        "gcn",
        "model-based",
        ("padded",),
        GCNPredictor,
        "GCN neural predictor (Wen et al.) over the padded cell DAG",
    ),
    PredictorInfo(
        "seminas",
        "model-based",
        ("onehot",),
        SemiNASPredictor,
        "SemiNAS-style encoder-predictor-decoder with pseudo-labelled random architectures",
        unlabeled=DEFAULT_UNLABELED,
    ),
    PredictorInfo(
        "early-stop",
        "learning-curve",
        (_lc("val_metric:last"),),
        EarlyStopPredictor,
        "the validation metric after e epochs (accuracy where there is one)",
    ),
    PredictorInfo(
        "sotle",
        "learning-curve",
        (_lc("sotl_e"),),
        SoTLEPredictor,
        "minus the training loss of epoch e (SoTL-E)",
    ),
    PredictorInfo(
        "lce",
        "learning-curve",
        (_lc("val_metric:extrapolate"),),
        LCExtrapolationPredictor,
        "parametric extrapolation of the validation curve (Domhan et al.)",
    ),
    PredictorInfo(
        "lce-hedged",
        "learning-curve",
        (_lc("val_metric:extrapolate_hedged"),),
        LCExtrapolationPredictor,
        "LCE with the last value seen among the candidates of the families' median",
    ),
    PredictorInfo(
        "lcsvr",
        "hybrid",
        _HYBRID_GROUPS,
        LcSVRPredictor,
        "nu-SVR over the encoding + partial validation-curve statistics (LcSVR)",
    ),
    PredictorInfo(
        "bnn",
        "hybrid",
        _HYBRID_GROUPS,
        HybridBNNPredictor,
        "Bayesian neural network (deep ensemble, recalibrated) over the encoding + partial "
        "validation-curve statistics",
    ),
    PredictorInfo(
        "ws-spos",
        "weight-sharing",
        ("ws:spos-s0",),
        WeightSharingPredictor,
        "weight sharing: a sub-network's accuracy in a one-shot supernet (SPOS), trained once",
    ),
):
    register(_info)

__all__ = [
    "DEFAULT_FIDELITY",
    "DEFAULT_UNLABELED",
    "PredictorInfo",
    "ProxyPredictor",
    "all_predictors",
    "get",
    "register",
]
