"""Every predictor a benchmark can evaluate, by name: each proxy, each registered base
predictor, and the composite ``omni``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from base_predictors import registry
from base_predictors.proxy import ProxyPredictor
from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.feature_groups import expand_groups


@dataclass(frozen=True)
class PredictorSpec:
    """A predictor bound to the feature groups it reads."""

    name: str
    family: str
    groups: tuple[str, ...]
    make: Callable[[int | None], Any]
    needs_training: bool = True


def _from_registry(info: registry.PredictorInfo) -> PredictorSpec:
    return PredictorSpec(info.name, info.family, info.groups, info.make, info.cost.needs_training)


def composite_spec(bench: Benchmark) -> PredictorSpec:
    """The untuned composite over the benchmark's default groups (see ``OmniPredictor``)."""
    from omni.feature_groups import feature_matrix
    from omni.predictor import OmniPredictor
    from omni.tuning import DEFAULT_PARAMS

    groups = tuple(g for g in OmniPredictor.default_groups if _has(bench, g))
    _, columns = feature_matrix(bench, groups, [0])
    return PredictorSpec(
        "omni",
        "composite",
        groups,
        lambda rs: OmniPredictor(columns=columns, random_state=rs, **DEFAULT_PARAMS),
    )


def _has(bench: Benchmark, group: str) -> bool:
    try:
        return bool(expand_groups(bench, [group]))
    except OmniError:
        return False


def available(bench: Benchmark) -> dict[str, PredictorSpec]:
    """Name -> spec for every predictor whose inputs ``bench`` has."""
    specs: dict[str, PredictorSpec] = {}
    for proxy in bench.proxies:
        specs[proxy] = PredictorSpec(
            proxy, "zero-cost", (f"zc:{proxy}",), lambda rs: ProxyPredictor(), False
        )
    candidates = [_from_registry(i) for i in registry.all_predictors()]
    for spec in candidates:
        try:
            expand_groups(bench, spec.groups)
        except OmniError:
            continue
        specs[spec.name] = spec
    if len(bench) and any(_has(bench, g) for g in ("onehot", "zc:*")):
        specs["omni"] = composite_spec(bench)
    return specs


def resolve(bench: Benchmark, names: Sequence[str]) -> list[PredictorSpec]:
    """Specs for ``names``; an unknown or unusable name is an error listing what is available."""
    specs = available(bench)
    missing = [n for n in names if n not in specs]
    if missing:
        raise OmniError(
            f"predictor(s) {missing} not available for this benchmark; available: {sorted(specs)}"
        )
    return [specs[n] for n in names]
