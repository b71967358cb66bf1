from __future__ import annotations

import json
import math

import numpy as np
import optuna
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_estimator

from base_predictors.pairwise import PairwisePredictor
from features.errors import BudgetError, NotFittedError, OmniError
from omni.budget import Budget
from omni.cli import main
from omni.evaluation.splits import uniform_split
from omni.feature_groups import feature_matrix
from omni.persistence import load_model, save_model
from omni.predictor import OmniPredictor
from omni.tuning import Profile, default_plan, tune


@pytest.fixture
def timed_bench(toy_bench):
    n = len(toy_bench)
    toy_bench.zc_seconds["good"] = np.full(n, 2.0)  # the informative proxy is the dear one
    toy_bench.zc_seconds["noise"] = np.full(n, 0.1)
    return toy_bench


def xy(bench, rows):
    X, cols = feature_matrix(bench, ["onehot", "zc:*"], rows)
    return X, bench.target[rows], cols


def test_estimator_contract():
    check_estimator(OmniPredictor(cv=2))


@pytest.mark.parametrize(
    "meta", ["rank", "ridge", "ngboost", "xgboost", "mean", "pairwise-full", ("rank", "ridge")]
)
def test_learns_and_is_deterministic(toy_bench, meta):
    split = uniform_split(toy_bench, 100, 100, random_state=0)
    X, y, cols = xy(toy_bench, split.train)
    Xt, yt, _ = xy(toy_bench, split.test)
    model = OmniPredictor(columns=cols, meta=meta, random_state=3).fit(X, y)
    assert stats.kendalltau(yt, model.predict(Xt))[0] > 0.5
    again = clone(model).set_params(n_jobs=2).fit(X, y)  # base predictors fitted side by side
    np.testing.assert_array_equal(model.predict(Xt), again.predict(Xt))
    mean, std = model.predict_dist(Xt)
    np.testing.assert_allclose(mean, model.predict(Xt))
    assert np.all(std > 0)


def test_a_base_kind_as_meta_model_reads_predictions_and_raw_columns(toy_bench):
    split = uniform_split(toy_bench, 60, 100, random_state=5)
    X, y, cols = xy(toy_bench, split.train)
    bases = ("xgb-rank@all", "rf@all")
    model = OmniPredictor(columns=cols, base_predictors=bases, meta="pairwise-full").fit(X, y)
    final = model.model_.final_estimator_
    assert isinstance(final, PairwisePredictor)
    assert final.n_features_in_ == len(bases) + X.shape[1]
    with pytest.raises(OmniError, match="unknown pairwise-full hyper-parameters"):
        OmniPredictor(columns=cols, meta="pairwise-full", meta_params={"power": 2}).fit(X, y)


def test_ngboost_gives_a_real_distribution(toy_bench):
    split = uniform_split(toy_bench, 100, 200, random_state=1)
    X, y, cols = xy(toy_bench, split.train)
    model = OmniPredictor(columns=cols, meta="ngboost", passthrough=True, random_state=0).fit(X, y)
    _, std = model.predict_dist(xy(toy_bench, split.test)[0])
    assert np.ptp(std) > 0  # heteroscedastic, not a constant width


def test_nan_features_are_handled(toy_bench):
    split = uniform_split(toy_bench, 50, 100, random_state=2)
    X, y, cols = xy(toy_bench, split.train)
    X[::3, -1] = np.nan
    for meta in ("rank", "ridge", "ngboost", "xgboost", "mean"):
        pred = OmniPredictor(columns=cols, meta=meta, random_state=0).fit(X, y).predict(X)
        assert np.isfinite(pred).all()


def test_mean_meta_averages_the_base_predictors(toy_bench):
    split = uniform_split(toy_bench, 50, 100, random_state=4)
    X, y, cols = xy(toy_bench, split.train)
    Xt = xy(toy_bench, split.test)[0]
    bases = ("xgb-rank@all", "rf@zc", "et@encoding")
    model = OmniPredictor(columns=cols, base_predictors=bases, meta="mean", random_state=1)
    model.fit(X, y)
    singles = [
        OmniPredictor(columns=cols, base_predictors=(b,), meta="mean", random_state=1).fit(X, y)
        for b in bases
    ]
    np.testing.assert_allclose(
        model.predict(Xt), np.mean([m.predict(Xt) for m in singles], axis=0), rtol=1e-6
    )
    with pytest.raises(OmniError, match="at least one"):
        OmniPredictor(columns=cols, base_predictors=(), meta="mean").fit(X, y)


def test_a_blended_meta_model_averages_its_members_over_one_set_of_base_predictions(toy_bench):
    split = uniform_split(toy_bench, 50, 100, random_state=6)
    X, y, cols = xy(toy_bench, split.train)
    Xt = xy(toy_bench, split.test)[0]
    bases = ("xgb-rank@all", "rf@all")
    blend = OmniPredictor(
        columns=cols,
        base_predictors=bases,
        meta=("rank", "pairwise-full"),
        meta_params={"rank": {"power": 4.0}},
        random_state=2,
    ).fit(X, y)
    members = [
        OmniPredictor(
            columns=cols, base_predictors=bases, meta=kind, meta_params=params, random_state=2
        ).fit(X, y)
        for kind, params in (("rank", {"power": 4.0}), ("pairwise-full", None))
    ]
    np.testing.assert_allclose(
        blend.predict(Xt), np.mean([m.predict(Xt) for m in members], axis=0), rtol=1e-6
    )
    rank = blend.model_.final_estimator_.named_estimators_["rank"].named_steps["model"]
    assert rank.power_ == 4.0 and rank.n_features_in_ == len(bases)  # the rank member's inputs
    for meta in [("rank",), ("rank", "rank"), ("rank", "mean"), ("rank", "svm")]:
        with pytest.raises(OmniError, match="meta"):
            OmniPredictor(columns=cols, meta=meta).fit(X, y)
    unknown = {"rank": {"depth": 2}}
    with pytest.raises(OmniError, match=r"rank\.depth"):
        OmniPredictor(columns=cols, meta=("rank", "ridge"), meta_params=unknown).fit(X, y)


def test_rank_meta_weighs_predictions_and_low_fidelity_columns_only(toy_bench):
    toy_bench.extra["val_acc_early"] = toy_bench.target + 1.0
    X, cols = feature_matrix(toy_bench, ["onehot", "zc:*", "extra:val_acc_early"], np.arange(60))
    y = toy_bench.target[:60]
    for bases, passthrough, expected in [
        (("xgb-rank@all", "rf@all"), True, 2 + 1),  # not the proxies, not the encodings
        (("xgb-rank@all", "rf@all"), False, 2),
        ((), False, 1),
    ]:
        model = OmniPredictor(
            columns=cols, base_predictors=bases, passthrough=passthrough, meta="rank"
        ).fit(X, y)
        final = (model.model_.final_estimator_ if bases else model.model_).named_steps["model"]
        assert final.n_features_in_ == expected
        assert final.nonnegative == tuple(range(len(bases)))  # base predictions never inverted
    onehot = [k for k, c in enumerate(cols) if c.startswith("onehot")]
    with pytest.raises(OmniError, match="neither"):
        OmniPredictor(columns=[cols[k] for k in onehot], base_predictors=(), meta="rank").fit(
            X[:, onehot], y
        )


def test_rank_meta_reads_each_curve_statistic_at_its_latest_fidelity_only():
    """``lc:sotl@3`` is noise next to ``lc:sotl@6`` for level 1; the trees still see both."""
    rng = np.random.default_rng(0)
    cols = ["onehot[0]", "lc:sotl@3", "lc:sotl@6", "lc:sovl@3", "extra:val_acc_12ep", "extra:hw_x"]
    X, y = rng.normal(size=(30, len(cols))), rng.normal(size=30)
    model = OmniPredictor(columns=cols, base_predictors=("rf@lc",), meta="rank").fit(X, y)
    final = model.model_.final_estimator_
    kept = final.named_steps["select"].transformers_[0][2]
    # nor a hardware cost: it measures the device, not the architecture's accuracy
    assert kept == [0, 1 + cols.index("lc:sotl@6"), 1 + cols.index("lc:sovl@3"), 1 + 4]
    assert model.model_.estimators_[0].named_steps["model"].n_features_in_ == 3


def test_ridge_base_extrapolates_a_linear_low_fidelity_column_that_trees_cut_into_steps():
    """Test architectures beyond the training range: a forest predicts one value for all of
    them, the ridge base keeps their order (and the rank meta-model can be told its powers)."""
    rng = np.random.default_rng(0)
    cols = ["onehot[0]", "extra:late"]
    late = np.concatenate([rng.uniform(0, 1, 20), rng.uniform(1.5, 3, 30)])
    X = np.column_stack([rng.normal(size=50), late])
    y = 2 * late + rng.normal(0, 0.05, 50)
    fit = {"columns": cols, "passthrough": False, "random_state": 0}
    meta = {"power": "auto", "powers": (1.0, np.inf)}
    ridge = OmniPredictor(base_predictors=("ridge@fidelity",), meta_params=meta, **fit)
    forest = OmniPredictor(base_predictors=("rf@fidelity",), **fit)
    out = {m: m.fit(X[:20], y[:20]).predict(X[20:]) for m in (ridge, forest)}
    assert stats.kendalltau(y[20:], out[ridge])[0] > 0.9
    assert np.ptp(out[forest]) < 1e-9 < np.ptp(out[ridge])
    assert ridge.model_.final_estimator_.named_steps["model"].power_ in (1.0, np.inf)


def test_rank_meta_leans_on_a_dominant_low_fidelity_column_with_few_architectures(toy_bench):
    """20 architectures, one near-perfect low-fidelity column: trees cannot learn it that well."""
    rng = np.random.default_rng(7)
    toy_bench.extra["late"] = toy_bench.target + rng.normal(0, 0.5, len(toy_bench))
    split = uniform_split(toy_bench, 200, 20, random_state=3)
    groups = ["onehot", "zc:*", "extra:late"]
    X, cols = feature_matrix(toy_bench, groups, split.train)
    Xt, _ = feature_matrix(toy_bench, groups, split.test)
    y, yt = toy_bench.target[split.train], toy_bench.target[split.test]
    late = stats.kendalltau(yt, Xt[:, cols.index("extra:late")])[0]
    tau = {
        meta: stats.kendalltau(
            yt, OmniPredictor(columns=cols, meta=meta, random_state=0).fit(X, y).predict(Xt)
        )[0]
        for meta in ("rank", "mean")
    }
    assert tau["rank"] >= late - 0.03
    assert tau["rank"] > tau["mean"] + 0.05


def test_bad_input(toy_bench):
    X, y, cols = xy(toy_bench, np.arange(30))
    with pytest.raises(NotFittedError):
        OmniPredictor().predict(X)
    with pytest.raises(OmniError, match="labels"):
        OmniPredictor(columns=cols[:-1]).fit(X, y)
    with pytest.raises(OmniError, match="unknown base predictor"):
        OmniPredictor(columns=cols, base_predictors=("magic@all",)).fit(X, y)
    with pytest.raises(OmniError, match="unknown meta"):
        OmniPredictor(columns=cols, meta="svm").fit(X, y)
    model = OmniPredictor(columns=cols).fit(X, y)
    with pytest.raises(OmniError, match="features"):
        model.predict(X[:, :-1])


def test_tuning_respects_the_budget_and_beats_untuned(timed_bench):
    train = uniform_split(timed_bench, 0, 60, random_state=0).train
    profile, study = tune(
        timed_bench, train, Budget(query_seconds=1.0), n_trials=6, random_state=0, folds=2
    )
    assert "zc:good" not in profile.groups  # 2 s per architecture does not fit 1 s
    assert profile.query_seconds <= 1.0
    default = study.trials[0]  # the untuned plan is always trial 0
    assert profile.cv_kendall_tau >= default.values[0]
    with pytest.raises(BudgetError, match="cheapest plan"):
        tune(timed_bench, train, Budget(query_seconds=0.001), n_trials=2)


def test_tuning_respects_the_init_budget(timed_bench):
    """Fitting may cost at most init_seconds: training the 40 architectures (10 s each), their
    proxies and the fit. 470 s buy the 0.1 s proxy on 40 architectures, not the 2 s one."""
    train = uniform_split(timed_bench, 0, 40, random_state=0).train
    with pytest.raises(BudgetError, match="records no training seconds"):
        tune(timed_bench, train, Budget(init_seconds=470.0), n_trials=2)
    timed_bench.train_seconds[:] = 10.0
    budget = Budget(init_seconds=470.0)
    assert default_plan(timed_bench, budget, train)[0] == ["graph", "zc:noise"]
    assert "zc:good" in default_plan(timed_bench, budget)[0]  # no rows: init unchecked
    profile, study = tune(timed_bench, train, budget, n_trials=3, random_state=0, folds=2)
    assert "zc:good" not in profile.groups
    assert 400.0 < profile.init_seconds <= 470.0
    for trial in study.trials:  # pruned plans were never timed: infeasible
        over = trial.user_attrs.get("init_seconds", math.inf) > 470.0
        assert over == (trial.user_attrs["constraint"][1] > 0)
    with pytest.raises(BudgetError, match="alone costs 400 s, over the init budget"):
        tune(timed_bench, train, Budget(init_seconds=399.0), n_trials=2)


def test_tuner_skips_a_mean_of_no_base_predictors(tmp_path, timed_bench):
    from omni.tuning import BASE_CHOICES, candidate_groups

    storage, budget = f"sqlite:///{tmp_path / 'study.db'}", Budget(query_seconds=10.0)
    rows = np.arange(40)
    groups = candidate_groups(timed_bench, budget)
    study = optuna.create_study(storage=storage, study_name="s", direction="maximize")
    bad = {f"use:{g}": True for g in groups}
    bad.update({f"base:{b}": False for b in BASE_CHOICES})
    study.enqueue_trial({**bad, "meta": "mean", "passthrough": True})
    profile, study = tune(
        timed_bench, rows, budget, n_trials=3, storage=storage, study_name="s", folds=3
    )
    states = [t.state for t in study.trials]
    assert states[0] == optuna.trial.TrialState.PRUNED
    assert optuna.trial.TrialState.COMPLETE in states
    assert profile.params["base_predictors"] or profile.params["meta"] != "mean"


@pytest.mark.parametrize("fresh_noise, keeps_default", [(3.0, True), (1.0, True), (0.3, False)])
def test_a_lucky_cv_score_must_survive_fresh_folds(
    monkeypatch, timed_bench, fresh_noise, keeps_default
):
    """On the study's folds every other plan looks far better. On fresh folds the default's
    predictions carry noise of 1 (in target std) and the other plan's ``fresh_noise``: worse,
    as good but independently wrong (a gain within the paired error), or clearly better."""
    from omni import tuning

    def fake_oof(model, X, y, random_state=0, folds=5):
        default = list(model.base_predictors) == tuning.DEFAULT_PARAMS["base_predictors"] and (
            model.meta == tuning.DEFAULT_PARAMS["meta"]
        )
        rng = np.random.default_rng(random_state * 2 + default)
        study_noise, fresh = (2.0, 1.0) if default else (0.01, fresh_noise)
        noise = study_noise if random_state == 0 else fresh
        return y + noise * y.std() * rng.standard_normal(len(y))

    monkeypatch.setattr(tuning, "oof_predictions", fake_oof)
    profile, study = tune(timed_bench, np.arange(60), Budget(10.0), n_trials=4, random_state=0)
    assert len(study.trials) == 4
    is_default = (
        profile.params["base_predictors"] == tuning.DEFAULT_PARAMS["base_predictors"]
        and profile.params["meta"] == tuning.DEFAULT_PARAMS["meta"]
    )
    assert is_default == keeps_default
    decision = profile.extra["confirmation"]  # what the tuner weighed, kept with the profile
    assert decision["departed"] == (not keeps_default)
    assert decision["compared"] == 3 and decision["threshold_errors"] > 2


def test_paired_gain_tells_a_steady_gain_from_luck():
    from omni.tuning import paired_tau_gain

    rng = np.random.default_rng(0)
    y = rng.standard_normal(100)
    shared = rng.standard_normal(100)
    base = y + shared
    steady = y + 0.8 * shared  # the same errors, a little smaller: a real gain
    gain, error = paired_tau_gain(y, steady, base)
    assert 0 < error < gain < 0.1  # far below tau's 0.068 for independent rankings at n=100
    lucky = y + rng.standard_normal(100)  # as good, but independently wrong
    gain, error = paired_tau_gain(y, lucky, base)
    assert abs(gain) < 2 * error
    assert paired_tau_gain(y, base, base) == (0.0, 0.0)


def test_the_first_trial_is_the_untuned_default_plan(monkeypatch, timed_bench):
    from omni import tuning

    monkeypatch.setattr(tuning, "oof_predictions", lambda model, X, y, **k: y)  # all plans tie
    budget = Budget(10.0)
    profile, study = tune(timed_bench, np.arange(40), budget, n_trials=1, random_state=0)
    assert study.trials[0].params["rank_power"] == "auto"
    assert profile.params == tuning.DEFAULT_PARAMS
    assert profile.groups == tuning.default_plan(timed_bench, budget)[0]


def test_multi_objective_front(timed_bench):
    from omni.tuning import pareto_front

    train = uniform_split(timed_bench, 0, 30, random_state=0).train
    _, study = tune(
        timed_bench, train, Budget(query_seconds=5.0), n_trials=4, multi_objective=True, folds=2
    )
    front = pareto_front(study)
    assert front and all(f["query_seconds"] <= 5.0 for f in front)


def test_profile_save_load_identical_predictions(tmp_path, timed_bench):
    train = uniform_split(timed_bench, 0, 50, random_state=0).train
    profile, _ = tune(timed_bench, train, Budget(), n_trials=3, folds=3)
    again = Profile.from_dict(json.loads(json.dumps(profile.to_dict())))
    X, _ = feature_matrix(timed_bench, again.groups, train)
    m1 = again.make_predictor(timed_bench, random_state=0).fit(X, timed_bench.target[train])
    m2 = profile.make_predictor(timed_bench, random_state=0).fit(X, timed_bench.target[train])
    np.testing.assert_array_equal(m1.predict(X), m2.predict(X))
    path = save_model(tmp_path / "m.omni", m1, groups=again.groups)
    loaded, info = load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), m1.predict(X))
    assert info["groups"] == again.groups


def test_load_refuses_other_versions(tmp_path, monkeypatch):
    import omni.persistence as persistence

    path = save_model(tmp_path / "m.omni", {"any": 1})
    here = persistence.versions()
    monkeypatch.setattr(persistence, "versions", lambda: {**here, "omni-nas": "9.9"})
    with pytest.raises(OmniError, match="other versions: omni-nas"):
        load_model(path)
    (tmp_path / "junk").write_text("x")
    with pytest.raises(OmniError, match="junk: not an omni model file"):
        load_model(tmp_path / "junk")


def test_cli_tune_fit_predict(tmp_path, timed_bench, capsys):
    bench = timed_bench.save(tmp_path / "toy.json.gz")
    prof, model = tmp_path / "p.json", tmp_path / "m.omni"
    storage = f"sqlite:///{tmp_path / 's.db'}"
    assert (
        main(
            [
                "tune",
                str(bench),
                "--train-size",
                "40",
                "--trials",
                "2",
                "--storage",
                storage,
                "--query-budget",
                "3",
                "--out",
                str(prof),
            ]
        )
        == 0
    )
    assert json.loads(prof.read_text())["query_seconds"] <= 3
    assert (
        main(["fit", str(bench), "--train-size", "40", "--profile", str(prof), "--out", str(model)])
        == 0
    )
    archs = tmp_path / "archs.txt"
    archs.write_text("\n".join(timed_bench.archs[:3]) + "\n")
    capsys.readouterr()
    assert main(["predict", str(model), str(archs)]) == 0
    out = capsys.readouterr().out
    assert timed_bench.archs[0] in out and "predicted" in out
    archs.write_text("not an arch\n")
    assert main(["predict", str(model), str(archs)]) == 2


def test_the_departure_threshold_grows_with_the_plans_compared():
    from omni.tuning import departure_threshold

    one, three, many = (departure_threshold(m) for m in (1, 3, 29))
    assert 1.6 < one < three < many < 3.0
    # the bound holds: the best of m null gains passes it at most alpha of the time
    rng = np.random.default_rng(0)
    best = rng.standard_normal((20000, 3)).max(axis=1)
    assert (best > three).mean() <= 0.05
    with pytest.raises(OmniError, match="compared >= 1"):
        departure_threshold(0)
