"""The registry of base predictors: name -> family, default feature groups and a factory.

Feature groups are named as in ``omni.feature_groups`` (``onehot``, ``path``, ``zc:*``, ...);
this layer only stores the names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from base_predictors.base import BasePredictor, CostProfile
from base_predictors.proxy import ProxyPredictor
from base_predictors.xgb import XGBPredictor
from features.errors import OmniError


@dataclass(frozen=True)
class PredictorInfo:
    name: str
    family: str
    groups: tuple[str, ...]
    factory: Callable[..., BasePredictor]
    description: str

    @property
    def cost(self) -> CostProfile:
        return self.factory.cost  # type: ignore[attr-defined]

    def make(self, random_state: int | None = None) -> BasePredictor:
        est = self.factory()
        if "random_state" in est.get_params():
            est.set_params(random_state=random_state)
        return est


_REGISTRY: dict[str, PredictorInfo] = {}


def register(info: PredictorInfo) -> None:
    if info.name in _REGISTRY:
        raise OmniError(f"predictor {info.name!r} is already registered")
    _REGISTRY[info.name] = info


def get(name: str) -> PredictorInfo:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise OmniError(f"unknown predictor {name!r}; registered: {sorted(_REGISTRY)}") from None


def all_predictors() -> list[PredictorInfo]:
    return list(_REGISTRY.values())


register(
    PredictorInfo(
        "xgb-onehot",
        "model-based",
        ("onehot",),
        XGBPredictor,
        "XGBoost over the one-hot adjacency encoding",
    )
)
register(
    PredictorInfo(
        "xgb-zc", "model-based", ("zc:*",), XGBPredictor, "XGBoost over every zero-cost proxy"
    )
)

__all__ = ["PredictorInfo", "ProxyPredictor", "all_predictors", "get", "register"]
