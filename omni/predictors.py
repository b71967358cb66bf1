"""Every predictor a benchmark can evaluate, by name: each proxy, each registered base
predictor, and the composite ``omni``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from base_predictors import registry
from base_predictors.proxy import ProxyPredictor
from features.errors import OmniError
from omni import spaces
from omni.data.benchmark import Benchmark
from omni.feature_groups import expand_groups, is_encoding
from omni.featurizer import Featurizer


@dataclass(frozen=True)
class PredictorSpec:
    """A predictor bound to the feature groups it reads."""

    name: str
    family: str
    groups: tuple[str, ...]
    make: Callable[[int | None], Any]
    needs_training: bool = True


@lru_cache(maxsize=32)
def unlabeled_pool(space_name: str, groups: tuple[str, ...], size: int, seed: int) -> np.ndarray:
    """Encodings of ``size`` random architectures of a space (semi-supervised predictors)."""
    space = spaces.get(space_name)
    archs = [space.to_str(a) for a in space.sample(size, np.random.default_rng(10_000 + seed))]
    return Featurizer(space_name, list(groups)).fit().transform(archs)


def _from_registry(info: registry.PredictorInfo, bench: Benchmark) -> PredictorSpec:
    make = info.make
    if (
        info.unlabeled
        and spaces.is_registered(bench.space)
        and all(is_encoding(g) for g in info.groups)
    ):

        def make(rs, info=info, space=bench.space):
            pool = unlabeled_pool(space, tuple(info.groups), info.unlabeled, int(rs or 0))
            return info.make(rs, unlabeled_X=pool)

    return PredictorSpec(info.name, info.family, info.groups, make, info.cost.needs_training)


#: what the composite reads of a partial learning curve at fidelity e (the study's OMNI)
COMPOSITE_LC_STATISTICS = ("sotl_e", "val_metric:last")


def composite_spec(
    bench: Benchmark, query_budget: float | None = None, fidelity: int | None = None
) -> PredictorSpec:
    """The untuned composite (see ``OmniPredictor``): its default groups, or -- with a query
    budget in seconds per architecture -- the untuned plan of ``omni.tuning.default_plan``.
    With ``fidelity`` e (``omni@e``) it also reads the first e epochs of each learning curve
    (:data:`COMPOSITE_LC_STATISTICS`)."""
    from omni.budget import Budget
    from omni.predictor import OmniPredictor
    from omni.tuning import DEFAULT_PARAMS, default_plan

    if query_budget is None:
        groups = tuple(g for g in OmniPredictor.default_groups if _has(bench, g))
    else:
        groups = tuple(default_plan(bench, Budget(query_seconds=query_budget))[0])
    name = "omni"
    if fidelity is not None:
        groups += tuple(f"lc:{stat}@{fidelity}" for stat in COMPOSITE_LC_STATISTICS)
        name = f"omni@{fidelity}"
    columns = Featurizer.for_table(bench, groups).columns_
    return PredictorSpec(
        name,
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
    candidates = [_from_registry(i, bench) for i in registry.all_predictors()]
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
    for name in names:  # any fidelity of a learning-curve predictor: "early-stop@12", "omni@3"
        base, _, epochs = name.partition("@")
        if name not in specs and base == "omni" and epochs.isdigit() and int(epochs) >= 1:
            specs[name] = composite_spec(bench, fidelity=int(epochs))
        elif name not in specs and "@" in name:
            with contextlib.suppress(OmniError):
                specs[name] = _from_registry(registry.get(name), bench)
    missing = [n for n in names if n not in specs]
    if missing:
        raise OmniError(
            f"predictor(s) {missing} not available for this benchmark; available: {sorted(specs)}"
        )
    return [specs[n] for n in names]
