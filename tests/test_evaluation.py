from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from features.errors import OmniError
from omni import spaces
from omni.cli import main
from omni.evaluation import RECORD_KEYS, evaluate, mutation_split, score_predictions, uniform_split
from omni.evaluation.metrics import precision_at_k
from omni.evaluation.splits import canonical_keys
from omni.predictors import resolve


def test_metrics_match_scipy():
    rng = np.random.default_rng(0)
    y = rng.normal(size=50) * 10 + 70
    p = y + rng.normal(size=50) * 5
    m = score_predictions(y, p)
    assert m["kendall_tau"] == pytest.approx(stats.kendalltau(y, p)[0])
    assert m["spearman"] == pytest.approx(stats.spearmanr(y, p)[0])
    assert m["pearson"] == pytest.approx(stats.pearsonr(y, p)[0])
    assert m["sparse_kendall_tau"] == pytest.approx(
        stats.kendalltau(np.round(y, 1), np.round(p, 1))[0]
    )


def test_precision_at_k_by_hand():
    y = np.arange(10.0)
    assert precision_at_k(y, y, 3) == 1.0
    assert precision_at_k(y, -y, 3) == 0.0
    assert precision_at_k(y, np.array([9, 8, 0, 1, 2, 3, 4, 5, 6, 7.0]), 3) == pytest.approx(1 / 3)


def test_failed_predictions_rank_last_and_constants_are_nan():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    m = score_predictions(y, np.array([np.nan, 2.0, 3.0, 4.0]))
    assert m["kendall_tau"] == pytest.approx(1.0)
    assert np.isnan(score_predictions(y, np.ones(4))["kendall_tau"])
    with pytest.raises(OmniError):
        score_predictions(y, np.ones(3))


def test_uniform_split_is_disjoint_over_canonical_classes(toy_bench):
    # add an isomorph of the first arch: it must never be on the other side
    space = spaces.get("nb201")
    keys = canonical_keys(toy_bench)
    split = uniform_split(toy_bench, 100, 300, random_state=1)
    train_keys = {keys[r] for r in split.train}
    test_keys = {keys[r] for r in split.test}
    assert not train_keys & test_keys
    assert len(test_keys) == 100 and len(train_keys) == 300
    assert np.array_equal(split.train_rows(20), split.train[:20])
    with pytest.raises(OmniError, match="exceed"):
        uniform_split(toy_bench, 500, 500)
    assert space.name == "nb201"


def test_isomorphs_never_straddle(nb201_bench):
    keys = canonical_keys(nb201_bench)
    for seed in range(3):
        split = uniform_split(nb201_bench, 200, 1000, random_state=seed)
        assert not {keys[r] for r in split.train} & {keys[r] for r in split.test}
    assert len(set(keys)) == 8_765


def test_mutation_split_is_local(nb201_bench):
    space = spaces.get("nb201")
    split = mutation_split(nb201_bench, 50, 100, random_state=0)
    keys = canonical_keys(nb201_bench)
    assert not {keys[r] for r in split.train} & {keys[r] for r in split.test}
    # test cells are good on average: they sit around top-5% seeds
    assert nb201_bench.target[split.test].mean() > np.median(nb201_bench.target)
    assert all(space.is_valid(nb201_bench.archs[r]) for r in split.test)


def test_single_proxy_kt_unbiased(nb201_bench):
    """The harness does not bias: per-split proxy KT averages to the full-benchmark KT."""
    specs = resolve(nb201_bench, ["jacov", "synflow"])
    recs = evaluate(nb201_bench, specs, [10], seeds=range(10), progress=False)
    for name in ("jacov", "synflow"):
        mean = np.mean([r["kendall_tau"] for r in recs if r["predictor"] == name])
        x = nb201_bench.zc[name]
        ok = np.isfinite(x)
        full = stats.kendalltau(x[ok], nb201_bench.target[ok])[0]
        assert abs(mean - full) < 0.03


def test_evaluate_records_and_cli(tmp_path, toy_bench):
    specs = resolve(toy_bench, ["good", "xgb-onehot"])
    recs = evaluate(toy_bench, specs, [20, 50], test_size=100, seeds=[0, 1], progress=False)
    assert len(recs) == 2 * 2 * 2
    assert all(set(RECORD_KEYS) <= set(r) for r in recs)
    good = [r["kendall_tau"] for r in recs if r["predictor"] == "good"]
    assert min(good) > 0.5
    path = toy_bench.save(tmp_path / "toy.json.gz")
    out, png = tmp_path / "r.json", tmp_path / "r.png"
    code = main(
        [
            "evaluate",
            str(path),
            "--predictors",
            "good,xgb-onehot",
            "--train-sizes",
            "20,50",
            "--test-size",
            "100",
            "--seeds",
            "2",
            "--json",
            str(out),
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    assert code == 0 and png.stat().st_size > 0
    records = json.loads(out.read_text())["records"]
    assert len(records) == 8 and set(RECORD_KEYS) <= set(records[0])


def test_cli_bad_input_is_a_clear_error(tmp_path, capsys, toy_bench):
    path = toy_bench.save(tmp_path / "toy.json.gz")
    assert main(["evaluate", str(path), "--predictors", "nope", "--quiet"]) == 2
    assert "not available" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing.json"), "--quiet"]) == 2


def test_cli_query_budget_and_fidelity(tmp_path, capsys, toy_bench):
    from omni.cli.evaluate_cmd import at_fidelity

    n = len(toy_bench)
    toy_bench.zc_seconds["good"] = np.full(n, 2.0)
    toy_bench.zc_seconds["noise"] = np.full(n, 0.1)
    path = toy_bench.save(tmp_path / "toy.json.gz")
    out = tmp_path / "r.json"
    args = ["evaluate", str(path), "--predictors", "omni,good,noise,xgb-zc", "--seeds", "1"]
    args += ["--train-sizes", "20", "--test-size", "50", "--query-budget", "1", "--quiet"]
    assert main([*args, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "skipping good" in printed and "skipping xgb-zc" in printed
    records = json.loads(out.read_text())["records"]
    assert {r["predictor"] for r in records} == {"omni", "noise"}
    omni = next(r for r in records if r["predictor"] == "omni")
    assert 0.1 <= omni["query_seconds"] <= 1.0  # the plan bought the cheap proxy, not the dear one
    assert main([*args[:-3], "--query-budget", "0.001", "--quiet"]) == 2
    assert at_fidelity("early-stop", 7) == "early-stop@7"
    assert at_fidelity("sotle@3", 7) == "sotle@7"
    assert at_fidelity("xgb-zc", 7) == "xgb-zc" and at_fidelity("jacov", 7) == "jacov"
