"""Query budgets are seconds on this machine: unknown proxy costs are measured here, and a budget
that binds nothing changes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from omni import proxy_costs
from omni.data import Benchmark
from omni.feature_groups import expand_groups, feature_matrix
from omni.predictors import composite_spec
from omni.proxy_costs import cache_file, cost_sources, fill_proxy_costs
from omni.tuning import PREDICT_SECONDS

TRAIN, TEST = np.arange(60), np.arange(300, 400)


@pytest.fixture
def untimed_bench(toy_bench):
    """The toy cells with two proxies the library computes, and no seconds for either."""
    rng = np.random.default_rng(1)
    n = len(toy_bench)
    zc = {"params": toy_bench.zc["good"].copy(), "nwot": rng.normal(size=n)}
    return Benchmark("nb201", "cifar10", list(toy_bench.archs), toy_bench.target.copy(), zc=zc)


def _predictions(bench, spec):
    X, _ = feature_matrix(bench, spec.groups, TRAIN)
    model = spec.make(0).fit(X, bench.target[TRAIN])
    return model.predict(feature_matrix(bench, spec.groups, TEST)[0])


def test_unknown_costs_are_measured_once_and_cached(untimed_bench, monkeypatch):
    assert cost_sources(untimed_bench, ["zc:*"]) == {"zc:nwot": "unknown", "zc:params": "unknown"}
    assert sorted(fill_proxy_costs(untimed_bench)) == ["nwot", "params"]
    seconds = untimed_bench.metadata["proxy_seconds"]
    assert all(np.isfinite(seconds[p]) and seconds[p] > 0 for p in ("nwot", "params"))
    assert cost_sources(untimed_bench, ["onehot", "zc:*"]) == {
        "onehot": "free",
        "zc:nwot": "measured",
        "zc:params": "measured",
    }
    assert len(json.loads(cache_file().read_text())) >= 2

    def no_network(*args, **kwargs):
        raise AssertionError("the cache should have answered")

    monkeypatch.setattr("omni.zero_cost.score_architectures", no_network)
    fresh = Benchmark(
        "nb201", "cifar10", untimed_bench.archs, untimed_bench.target, zc=untimed_bench.zc
    )
    fill_proxy_costs(fresh)
    assert fresh.metadata["proxy_seconds"] == seconds


def test_a_budget_that_binds_nothing_changes_nothing(untimed_bench):
    free = composite_spec(untimed_bench)
    fill_proxy_costs(untimed_bench)
    total = sum(untimed_bench.metadata["proxy_seconds"].values())
    loose = composite_spec(untimed_bench, query_budget=10 * total + 1.0)
    assert expand_groups(untimed_bench, loose.groups) == expand_groups(untimed_bench, free.groups)
    np.testing.assert_array_equal(
        _predictions(untimed_bench, loose), _predictions(untimed_bench, free)
    )
    # a budget that does bind drops the dearer proxy (groups are bought cheapest first)
    costs = untimed_bench.metadata["proxy_seconds"]
    cheap, dear = sorted(("nwot", "params"), key=costs.get)
    tight = composite_spec(
        untimed_bench, query_budget=costs[cheap] + PREDICT_SECONDS + 0.5 * costs[dear]
    )
    assert f"zc:{cheap}" in tight.groups and f"zc:{dear}" not in tight.groups


def test_columns_the_library_cannot_compute_keep_an_unknown_cost(toy_bench):
    assert fill_proxy_costs(toy_bench) == []
    assert set(cost_sources(toy_bench, ["zc:*"]).values()) == {"unknown"}


def test_a_space_without_networks_leaves_costs_unknown(untimed_bench, monkeypatch, caplog):
    from features.errors import OmniError

    def fail(*args, **kwargs):
        raise OmniError("no network for this space")

    monkeypatch.setattr(proxy_costs, "measure_proxy_seconds", fail)
    assert fill_proxy_costs(untimed_bench) == []
    assert "stay unknown" in caplog.text
    assert set(cost_sources(untimed_bench, ["zc:*"]).values()) == {"unknown"}
