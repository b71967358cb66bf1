"""Multi-fidelity search: Hyperband's brackets, the epoch-charging oracle, the ask/tell
searcher, OMNI-guided promotion, and ``omni search`` with multi-fidelity strategies."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from features.errors import OmniError
from omni import load_benchmark, spaces
from omni.cli import main
from omni.data import Benchmark
from omni.nas import (
    Job,
    MultiFidelityOracle,
    MultiFidelitySearcher,
    fidelity_strategies,
    hyperband_brackets,
)
from omni.nas.fidelity_report import regret_at_epochs
from omni.nas.fidelity_strategies import OmniHyperband
from omni.nas.simulate_fidelity import run_budget, run_fidelity_search

NB201 = spaces.get("nb201")


@pytest.fixture(scope="module")
def digits() -> Benchmark:
    return load_benchmark("nb201-digits")


@pytest.fixture(scope="module")
def small(digits) -> Benchmark:
    return digits.subset(np.arange(150))


def shape(max_epochs, eta, min_epochs=1):
    return [
        [(r.size, r.epochs) for r in b.rungs]
        for b in hyperband_brackets(max_epochs, eta, min_epochs)
    ]


# ---------------------------------------------------------------------- brackets
def test_brackets_of_twelve_epochs_and_eta_three():
    # R = 12, s_max = 2 (9 <= 12 < 27), B = 36: n = ceil(3 * 3**s / (s + 1)), r = 12 / 3**s
    assert shape(12, 3) == [[(9, 1), (3, 4), (1, 12)], [(5, 4), (1, 12)], [(3, 12)]]
    # epochs trained in all, each promoted run resumed: 9*1 + 3*3 + 1*8, 5*4 + 1*8, 3*12
    assert [b.epochs for b in hyperband_brackets(12, 3)] == [26, 28, 36]


def test_brackets_of_the_hyperband_paper():
    # Li et al. (2018), Table 1: R = 81, eta = 3
    assert shape(81, 3) == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert shape(27, 3, min_epochs=3) == [[(9, 3), (3, 9), (1, 27)], [(5, 9), (1, 27)], [(3, 27)]]
    assert shape(2, 3) == [[(1, 2)]]


@pytest.mark.parametrize(
    "args", [(0, 3, 1), (12, 1, 1), (12, 3, 0), (4, 3, 5), (12.0, 3, 1), (12, True, 1)]
)
def test_bad_bracket_arguments(args):
    with pytest.raises(OmniError):
        hyperband_brackets(*args)


# ---------------------------------------------------------------------- oracle
def test_oracle_reveals_the_prefix_and_charges_only_new_epochs(small):
    oracle = MultiFidelityOracle(small)
    arch, row = small.archs[7], 7
    seconds = small.epoch_seconds[row]
    curves = oracle.train(arch, 4)
    assert set(curves) == set(small.curves)
    for name, curve in curves.items():
        assert np.array_equal(curve, small.curves[name][row, :4])
    assert oracle.cost_epochs == 4 and oracle.cost_seconds == pytest.approx(seconds[:4].sum())
    curves = oracle.train(arch, 12)  # resumed: 8 more epochs
    assert np.array_equal(curves["val_acc"], small.curves["val_acc"][row])
    assert oracle.cost_epochs == 12 and oracle.cost_seconds == pytest.approx(seconds.sum())
    again = oracle.train(arch, 2)  # already trained further: free
    assert np.array_equal(again["val_acc"], small.curves["val_acc"][row, :2])
    assert oracle.cost_epochs == 12 and oracle.epochs_trained(arch) == 12
    assert oracle.cost_of(small.archs[8], 5) == 5
    assert oracle.final(arch) == small.curves["val_acc"][row, -1]
    for bad in (0, 13, 2.5):
        with pytest.raises(OmniError):
            oracle.train(arch, bad)
    assert oracle.cost_epochs == 12


def test_oracle_needs_curves(small):
    bare = Benchmark("nb201", "bare", small.archs, small.target)
    with pytest.raises(OmniError, match="no learning curves"):
        MultiFidelityOracle(bare)
    with pytest.raises(OmniError, match="val_loss"):
        MultiFidelityOracle(small, metric="val_loss")  # a loss does not rank higher-is-better


# ---------------------------------------------------------------------- searcher
def test_successive_halving_promotes_the_best_of_a_rung():
    searcher = MultiFidelitySearcher("nb201", "hyperband", max_epochs=12, random_state=0)
    first = [searcher.ask() for _ in range(9)]
    assert [(j.epochs, j.start_epochs, j.rung) for j in first] == [(1, 0, 0)] * 9
    assert len({NB201.key(j.arch) for j in first}) == 9
    for value, job in enumerate(first):
        searcher.tell(job, [float(value)])
    second = [searcher.ask() for _ in range(3)]
    assert [j.arch for j in second] == [first[8].arch, first[7].arch, first[6].arch]
    assert [(j.epochs, j.start_epochs, j.rung) for j in second] == [(4, 1, 1)] * 3
    for value, job in zip((5.0, 9.0, 1.0), second, strict=True):
        searcher.tell(job, value)  # values alone are accepted by plain Hyperband
    final = searcher.ask()
    assert (final.arch, final.epochs, final.start_epochs) == (first[7].arch, 12, 4)
    with pytest.raises(OmniError, match="no run reached 12"):
        searcher.best()
    searcher.tell(final, np.linspace(50, 90, 12))
    assert searcher.best() == (first[7].arch, 90.0)
    nxt = searcher.ask()  # the second bracket: 5 runs at 4 epochs
    assert (nxt.bracket, nxt.epochs, nxt.start_epochs) == (1, 4, 0)


def test_bad_tells_raise_and_change_nothing():
    searcher = MultiFidelitySearcher("nb201", "hyperband", max_epochs=12, random_state=1)
    job = searcher.ask()
    other = searcher.ask()
    searcher.tell(other, 1.0)
    before = (searcher.history, searcher.pending, searcher.runs)
    forged = Job(job.arch, job.epochs, job.start_epochs, job.bracket, job.rung, id=999)
    bad = [
        (job, float("nan")),
        (job, True),
        (job, "high"),
        (job, [1.0, 2.0]),  # 2 values for a 1-epoch job
        (job, [[1.0]]),
        (job, [float("inf")]),
        (job, {"train_loss": [0.5]}),  # without the ranking metric
        (job, {"val_acc": [0.5], "train_loss": [0.5, 0.4]}),
        (other, 2.0),  # told already
        (forged, 1.0),  # never asked
        (job.arch, 1.0),  # not a Job
    ]
    for j, result in bad:
        with pytest.raises(OmniError):
            searcher.tell(j, result)
    after = (searcher.history, searcher.pending, searcher.runs)
    assert repr(before) == repr(after)
    searcher.tell(job, {"val_acc": [0.5], "train_loss": [0.7]})
    assert len(searcher.history) == 2


def test_omni_hyperband_wants_curves():
    searcher = MultiFidelitySearcher("nb201", "omni-hyperband", max_epochs=12, random_state=0)
    job = searcher.ask()
    with pytest.raises(OmniError, match="learning curves"):
        searcher.tell(job, 0.5)
    assert searcher.history == [] and searcher.pending == [job]


def test_discard_drops_a_failed_run():
    searcher = MultiFidelitySearcher("nb201", "hyperband", max_epochs=3, random_state=0)
    jobs = [searcher.ask() for _ in range(3)]  # bracket s=1: 3 runs at 1 epoch, 1 at 3
    searcher.discard(jobs[2])
    searcher.tell(jobs[0], [1.0])
    searcher.tell(jobs[1], [2.0])
    nxt = searcher.ask()
    assert (nxt.arch, nxt.epochs) == (jobs[1].arch, 3)
    with pytest.raises(OmniError):
        searcher.discard(jobs[2])
    assert not searcher.is_candidate(jobs[2].arch)


def test_same_seed_same_trajectory(small):
    a = run_fidelity_search(small, "hyperband", 300, seed=3)
    b = run_fidelity_search(small, "hyperband", 300, seed=3)
    c = run_fidelity_search(small, "hyperband", 300, seed=4)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()
    assert a.cost_epochs[-1] <= 300 and np.all(np.diff(a.cost_epochs) >= 0)
    finite = np.array([v for v in a.best_so_far if np.isfinite(v)])
    assert len(finite) and np.all(np.diff(finite) >= 0)


def test_full_training_strategies_are_charged_every_epoch(small):
    run = run_budget(small, "random", 5, seed=0)
    assert run.cost_epochs == [12, 24, 36, 48, 60]
    optimum = MultiFidelityOracle(small).optimum
    regret = regret_at_epochs(run, optimum, [11, 12, 60, 1000])
    assert np.isnan(regret[0]) and regret[1] == pytest.approx(optimum - run.best_so_far[0])


# ---------------------------------------------------------------------- OMNI promotion
class MinusLast(RegressorMixin, BaseEstimator):
    """Predicts minus the last column: reverses the order of the current value."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return -np.asarray(X)[:, -1]


def promoted(strategy) -> tuple[str, list[Job]]:
    """Two full runs (a parallel s=0 bracket), then a rung of three runs told 10, 20, 30."""
    searcher = MultiFidelitySearcher("nb201", strategy, max_epochs=3, random_state=0)
    low = [searcher.ask() for _ in range(3)]  # bracket s=1: 3 runs at 1 epoch
    full = [searcher.ask() for _ in range(2)]  # bracket s=0 opens while s=1 waits
    assert [j.epochs for j in low + full] == [1, 1, 1, 3, 3]
    for value, job in zip((70.0, 80.0), full, strict=True):
        searcher.tell(job, [value - 20, value - 10, value])
    for value, job in zip((10.0, 20.0, 30.0), low, strict=True):
        searcher.tell(job, [value])
    return searcher.ask().arch, low


def test_omni_promotion_follows_the_predictor():
    guided = OmniHyperband(
        min_full_runs=2, random_fraction=1.0, statistics=("{metric}:last",), predictor=MinusLast()
    )
    arch, low = promoted(guided)
    assert arch == low[0].arch  # the predictor's best, the current worst
    plain, low = promoted("hyperband")
    assert plain == low[2].arch
    waiting = OmniHyperband(min_full_runs=3, predictor=MinusLast())  # too few full runs yet
    arch, low = promoted(waiting)
    assert arch == low[2].arch


def test_omni_features_are_encoding_and_curve_statistics():
    searcher = MultiFidelitySearcher("nb201", "omni-hyperband", max_epochs=12, random_state=0)
    strategy = searcher.strategy
    jobs = [searcher.ask() for _ in range(2)]
    for job in jobs:
        searcher.tell(job, {"val_acc": [40.0], "train_loss": [2.0]})
    told = [r for r in searcher.runs if r.curves]
    X, columns = strategy.curve_features(searcher, told, 1)
    assert columns[-5:] == [
        "lc:val_acc:last@1",
        "lc:val_acc:best@1",
        "lc:val_acc:sum@1",
        "lc:train_loss:sum@1",  # SoTL (the loss is negated: higher = better)
        "lc:train_loss:sum_last@1",  # SoTL-E; SoVL needs a val_loss curve
    ]
    assert np.allclose(X[:, -5:], [[40, 40, 40, -2, -2]] * 2)
    assert X.shape[1] == len(NB201.encode(jobs[0].arch, "onehot")) + 5


def test_strategy_registry():
    assert fidelity_strategies.names()[:2] == ["hyperband", "omni-hyperband"]
    with pytest.raises(OmniError, match="unknown multi-fidelity strategy"):
        fidelity_strategies.make("bohb")
    with pytest.raises(OmniError):
        fidelity_strategies.make("omni-hyperband", random_fraction=2.0)


# ---------------------------------------------------------------------- CLI
def test_search_cli_multi_fidelity(tmp_path, small, capsys):
    path = small.save(tmp_path / "small.json")
    out, png = tmp_path / "mf.json", tmp_path / "mf.png"
    code = main(
        [
            "search",
            str(path),
            "--strategy",
            "random,evolution,hyperband,omni-hyperband",
            "--budget-trainings",
            "15",
            "--seeds",
            "1",
            "--json",
            str(out),
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert {r["strategy"] for r in data["runs"]} == {
        "random",
        "evolution",
        "hyperband",
        "omni-hyperband",
    }
    assert data["meta"]["budget_epochs"] == 180
    for run in data["runs"]:
        assert 0 < run["cost_epochs"][-1] <= 180
    text = capsys.readouterr().out
    assert "@25%" in text and "@100%" in text and "omni-hyperband" in text
    assert png.stat().st_size > 0


def test_search_cli_without_curves(tmp_path, small, capsys):
    bare = Benchmark("nb201", "bare", small.archs, small.target)
    path = bare.save(tmp_path / "bare.json")
    assert main(["search", str(path), "--strategy", "hyperband", "--quiet"]) == 2
    assert "no learning curves" in capsys.readouterr().err
    assert main(["search", str(path), "--strategy", "hyperbandx", "--quiet"]) == 2
    assert "unknown strategy" in capsys.readouterr().err


# ---------------------------------------------------------------------- resuming paused runs
class Last(RegressorMixin, BaseEstimator):
    """Predicts the last column: for a paused run its accuracy at its own epochs, for a new
    candidate an encoding bit (0 or 1), so paused runs rank first."""

    def fit(self, X, y):
        self.fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X)[:, -1]


def resuming(small, resume_paused=True):
    oracle = MultiFidelityOracle(small)
    strategy = OmniHyperband(
        min_full_runs=2,
        random_fraction=0.0,
        statistics=("{metric}:last",),
        predictor=Last(),
        resume_paused=resume_paused,
    )
    searcher = MultiFidelitySearcher(
        oracle.space, strategy, max_epochs=12, candidate_filter=oracle.contains, random_state=0
    )
    return oracle, searcher


def test_a_paused_run_predicted_best_is_resumed_and_charged_only_new_epochs(small):
    oracle, searcher = resuming(small)
    bracket_of: dict[str, int] = {}
    resumed_to_full = []
    for _ in range(150):
        job = searcher.ask()
        key = NB201.key(job.arch)
        resumed = key in bracket_of and bracket_of[key] != job.bracket
        assert job.start_epochs == oracle.epochs_trained(job.arch)  # from its own epochs
        before = oracle.cost_epochs
        searcher.tell(job, oracle.train(job.arch, job.epochs))
        assert oracle.cost_epochs - before == job.epochs - job.start_epochs
        if resumed:
            assert 0 < job.start_epochs < job.epochs
            if job.epochs == 12:
                resumed_to_full.append(job.arch)
        bracket_of[key] = job.bracket
    assert searcher.num_resumed > 0 and resumed_to_full
    # one run per architecture: a resumed run is the same run, never a second one
    keys = [NB201.key(r.arch) for r in searcher.runs]
    assert len(keys) == len(set(keys))
    assert all(r.epochs == 12 for r in searcher.runs if r.arch in resumed_to_full)


def test_no_resuming_when_switched_off_or_in_plain_hyperband(small):
    _, searcher = resuming(small, resume_paused=False)
    oracle = MultiFidelityOracle(small)
    for _ in range(150):
        job = searcher.ask()
        searcher.tell(job, oracle.train(job.arch, job.epochs))
    assert searcher.num_resumed == 0 and searcher.strategy.num_resumed_ == 0
    assert searcher.paused_runs()  # there were runs to resume
    assert run_fidelity_search(small, "hyperband", 600, seed=0).resumed == 0
