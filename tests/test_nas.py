"""omni.nas: the ask/tell searcher, its strategies, the tabular oracle and ``omni search``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import Ridge

from features.errors import OmniError
from omni import spaces
from omni.cli import main
from omni.data import Benchmark
from omni.nas import (
    BenchmarkFeaturizer,
    EnsemblePredictor,
    Searcher,
    TabularOracle,
    acquisition,
    run_search,
    strategies,
)
from omni.nas.strategies import RegularizedEvolution

SPACE = spaces.get("nb201")
GUIDED = {"num_init": 10, "k": 5, "num_candidates": 40}


@pytest.fixture(scope="module")
def full_bench() -> Benchmark:
    """Every pruned NB201 cell (a complete table, like the real one) with a synthetic target:
    convolutions help, a skip from input to output helps, plus noise; one informative proxy."""
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(SPACE.to_str(SPACE.prune(a)) for a in SPACE.all_archs()))
    ops = [SPACE.parse(a) for a in archs]
    score = np.array(
        [
            2.0 * a.count("nor_conv_3x3")
            + 1.2 * a.count("nor_conv_1x1")
            + 3.0 * (a[3] == "skip_connect")
            for a in ops
        ]
    )
    target = 70 + 2 * score + rng.normal(0, 0.5, len(archs))
    zc = {"good": score + rng.normal(0, 2.0, len(archs)), "noise": rng.normal(size=len(archs))}
    return Benchmark("nb201", "synthetic", archs, target, zc=zc)


def ridge_ensemble(random_state=None, columns=None, distribution=False):
    """A fast predictor with a predictive distribution (bootstrap ridge ensemble)."""
    return EnsemblePredictor(Ridge(alpha=1.0), n_members=5, random_state=random_state)


def guided_params(name: str) -> dict:
    return dict(GUIDED) if name.startswith("omni") else {}


def make_searcher(bench, strategy="omni-bo", seed=0, **params):
    oracle = TabularOracle(bench)
    return (
        Searcher(
            "nb201",
            strategies.make(strategy, **params),
            featurizer=BenchmarkFeaturizer(bench, oracle=oracle),
            predictor=ridge_ensemble(),
            candidate_filter=oracle.contains,
            random_state=seed,
        ),
        oracle,
    )


def snapshot(searcher: Searcher) -> tuple:
    population = getattr(searcher.strategy, "population", None)
    return (
        [(e.arch, e.accuracy, e.step) for e in searcher.history],
        sorted(searcher.pending),
        searcher.best(),
        None if population is None else [e.arch for e in population],
        searcher.num_asked,
    )


# ---------------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", ["random", "evolution", "omni-evolution", "omni-bo"])
def test_same_seed_same_trajectory(toy_bench, name):
    kwargs = {"predictor": ridge_ensemble, "strategy_params": guided_params(name)}
    if name == "evolution":
        kwargs["strategy_params"] = {"population_size": 8, "sample_size": 3}
    a = run_search(toy_bench, name, 25, seed=3, **kwargs)
    b = run_search(toy_bench, name, 25, seed=3, **kwargs)
    c = run_search(toy_bench, name, 25, seed=4, **kwargs)
    assert a.archs == b.archs and a.best_so_far == b.best_so_far
    assert a.cost_seconds == b.cost_seconds
    assert a.archs != c.archs
    keys = {SPACE.to_str(SPACE.canonical(x)) for x in a.archs}
    assert len(keys) == 25  # never the same cell (nor an isomorph) twice
    assert np.all(np.diff(a.best_so_far) >= 0)


# ---------------------------------------------------------------------- tell() errors
def test_tell_errors_leave_state_intact(toy_bench):
    searcher, oracle = make_searcher(toy_bench, "evolution", population_size=4, sample_size=2)
    for _ in range(6):
        arch = searcher.ask()
        searcher.tell(arch, oracle.query(arch))
    pending = searcher.ask()
    never_asked = next(a for a in toy_bench.archs if searcher.is_candidate(a))
    told = searcher.history[0].arch
    before = snapshot(searcher)
    bad_calls = [
        (never_asked, 50.0),
        (told, 50.0),
        (pending, math.nan),
        (pending, math.inf),
        (pending, "90"),
        (pending, True),
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", 50.0),
        ("not an architecture", 50.0),
        (("none",) * 3, 50.0),
    ]
    for arch, acc in bad_calls:
        with pytest.raises(OmniError):
            searcher.tell(arch, acc)
        assert snapshot(searcher) == before
    with pytest.raises(OmniError):
        searcher.tell(pending, 50.0, curve=[[1.0, 2.0]])
    with pytest.raises(OmniError):
        searcher.tell(pending, 50.0, proxies={"jacov": "high"})
    assert snapshot(searcher) == before
    # the pending architecture is still accepted, also as an op tuple
    evaluation = searcher.tell(SPACE.parse(pending), 99.0, curve=[1.0, 2.0], proxies={"p": 1})
    assert evaluation.arch == pending and evaluation.step == 6
    assert searcher.best() == (pending, 99.0)
    assert searcher.pending == []


def test_best_before_any_tell_and_discard(toy_bench):
    searcher, _ = make_searcher(toy_bench, "random")
    with pytest.raises(OmniError, match="nothing evaluated"):
        searcher.best()
    arch = searcher.ask()
    searcher.discard(arch)
    assert searcher.pending == [] and not searcher.is_candidate(arch)
    with pytest.raises(OmniError):
        searcher.tell(arch, 50.0)


def test_searcher_configuration_errors(toy_bench):
    with pytest.raises(OmniError, match="featurizer"):
        Searcher("nb201", "omni-evolution")
    with pytest.raises(OmniError, match="predict_dist"):
        Searcher("nb201", "omni-bo", featurizer=lambda a: np.zeros((len(a), 1)), predictor=Ridge())
    with pytest.raises(OmniError, match="unknown strategy"):
        Searcher("nb201", "annealing")
    with pytest.raises(OmniError, match="acquisition"):
        strategies.make("omni-bo", acquisition="pi")
    with pytest.raises(OmniError):
        strategies.make("evolution", population_size=3, sample_size=5)


def test_default_predictor_is_the_composite(toy_bench):
    from omni.predictor import OmniPredictor

    featurizer = BenchmarkFeaturizer(toy_bench)
    evo = Searcher("nb201", "omni-evolution", featurizer=featurizer)
    bo = Searcher("nb201", "omni-bo", featurizer=featurizer)
    for s in (evo, bo):
        assert isinstance(s.predictor, OmniPredictor)
        assert list(s.predictor.columns) == featurizer.columns
    assert bo.predictor.get_params()["meta"] == "ngboost"


# ---------------------------------------------------------------------- regularized evolution
def test_regularized_evolution_ages_out_the_oldest():
    def accuracy(arch: str) -> float:
        return float(arch.count("conv_3x3") + 0.5 * arch.count("conv_1x1"))

    strategy = RegularizedEvolution(population_size=5, sample_size=5)
    searcher = Searcher("nb201", strategy, random_state=0)
    told = []
    for step in range(15):
        arch = searcher.ask()
        if step >= 5:  # sample_size == population: the child is the best member's neighbour
            best = max(searcher.strategy.population, key=lambda e: e.accuracy).arch
            assert arch in {SPACE.to_str(SPACE.prune(n)) for n in SPACE.neighbours(best)}
        searcher.tell(arch, 100.0 if step == 0 else accuracy(arch))  # the first: best ever
        told.append(arch)
        assert [e.arch for e in searcher.strategy.population] == told[-5:]
    assert searcher.best() == (told[0], 100.0)
    assert told[0] not in [e.arch for e in searcher.strategy.population]
    assert strategy.population == []  # the searcher works on its own copy


# ---------------------------------------------------------------------- guided search works
def test_guided_strategies_beat_random_search(full_bench):
    optimum = TabularOracle(full_bench).optimum
    seeds = range(4)
    regret = {}
    for name in ("random", "omni-evolution", "omni-bo"):
        runs = [
            run_search(
                full_bench,
                name,
                40,
                s,
                predictor=ridge_ensemble,
                strategy_params=guided_params(name),
            )
            for s in seeds
        ]
        regret[name] = np.array([optimum - r.best_so_far[-1] for r in runs])
    for name in ("omni-evolution", "omni-bo"):
        # observed: guided <= 3 pp on every seed, random >= 6 pp
        assert regret[name].mean() < regret["random"].mean() - 2.0, regret
        assert np.all(regret[name] < regret["random"]), regret


# ---------------------------------------------------------------------- oracle and features
def test_oracle_lookup_and_costs(toy_bench):
    toy_bench.zc_seconds["good"][:] = 2.0
    toy_bench.metadata["proxy_seconds"] = {"noise": 0.5}
    oracle = TabularOracle(toy_bench, train_seconds=100.0)
    arch = toy_bench.archs[7]
    assert oracle.query(arch) == toy_bench.target[7]
    # an unpruned spelling of the same cell: an op on a dead edge is ignored
    dead = SPACE.coerce(arch)
    assert oracle.row(SPACE.to_str(SPACE.prune(dead))) == 7
    assert oracle.cost_seconds == 100.0 and oracle.num_queries == 1
    assert oracle.optimum == float(np.max(toy_bench.target))
    missing = next(
        SPACE.to_str(a) for a in SPACE.sample(500, 1) if not oracle.contains(SPACE.to_str(a))
    )
    with pytest.raises(OmniError, match="not in the benchmark"):
        oracle.query(missing)
    assert not oracle.contains("garbage")
    featurizer = BenchmarkFeaturizer(toy_bench, ("onehot", "zc:*"), oracle=oracle)
    X = featurizer(toy_bench.archs[:3])
    assert X.shape == (3, len(featurizer.columns))
    assert oracle.proxy_cost == pytest.approx(3 * (2.0 + 0.5))
    featurizer(toy_bench.archs[:4])  # the first three were paid for already
    assert oracle.proxy_cost == pytest.approx(4 * 2.5)
    assert oracle.cost_seconds == pytest.approx(100.0 + 10.0)


def test_oracle_on_nb201_answers_every_cell(nb201_bench):
    oracle = TabularOracle(nb201_bench)
    assert oracle.optimum == pytest.approx(91.57)
    assert all(oracle.contains(SPACE.to_str(a)) for a in SPACE.sample(300, 0))
    assert oracle.cost_unit != "seconds"  # the shared table has no training times
    oracle.query(nb201_bench.archs[0])
    assert oracle.cost_seconds == 1.0


def test_acquisitions_match_closed_forms():
    rng = np.random.default_rng(0)
    mean, std = np.array([1.0, 0.0, 2.0]), np.array([1.0, 2.0, 0.0])
    ei = acquisition.expected_improvement(mean, std, 1.0, rng)
    assert ei[0] == pytest.approx(stats.norm.pdf(0.0))
    z = -0.5
    assert ei[1] == pytest.approx(-1.0 * stats.norm.cdf(z) + 2.0 * stats.norm.pdf(z))
    assert ei[2] == pytest.approx(1.0)
    assert np.allclose(acquisition.upper_confidence_bound(mean, std, 0, rng, beta=2), [3, 4, 2])
    a = acquisition.thompson(mean, std, 0.0, np.random.default_rng(5))
    b = acquisition.thompson(mean, std, 0.0, np.random.default_rng(5))
    assert np.array_equal(a, b) and a[2] == 2.0


# ---------------------------------------------------------------------- CLI
def test_search_cli_json_and_plot(tmp_path, toy_bench, capsys):
    path = toy_bench.save(tmp_path / "toy.json")
    out, png = tmp_path / "search.json", tmp_path / "search.png"
    code = main(
        [
            "search",
            str(path),
            "--strategy",
            "random,evolution,omni-evolution",
            "--queries",
            "26",
            "--seeds",
            "2",
            "--predictor",
            "xgb-ensemble",
            "--json",
            str(out),
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert data["optimum"] == pytest.approx(float(np.max(toy_bench.target)))
    assert len(data["runs"]) == 6
    for run in data["runs"]:
        assert {"strategy", "seed", "best_so_far", "cost_seconds"} <= set(run)
        assert len(run["best_so_far"]) == len(run["cost_seconds"]) == 26
        assert np.all(np.diff(run["best_so_far"]) >= 0)
        assert np.all(np.diff(run["cost_seconds"]) > 0)
        assert max(run["best_so_far"]) <= data["optimum"]
    assert {r["strategy"] for r in data["runs"]} == {"random", "evolution", "omni-evolution"}
    assert png.stat().st_size > 0
    text = capsys.readouterr().out
    assert "@25" in text and "@26" in text and "omni-evolution" in text


def test_search_cli_bad_input(tmp_path, toy_bench, capsys):
    path = toy_bench.save(tmp_path / "toy.json")
    assert main(["search", str(path), "--strategy", "annealing", "--quiet"]) == 2
    assert "unknown strategy" in capsys.readouterr().err
    assert main(["search", str(path), "--queries", "0", "--quiet"]) == 2


def test_regularized_evolution_is_registered():
    assert strategies.names()[:4] == ["random", "evolution", "omni-evolution", "omni-bo"]
    assert isinstance(strategies.make("evolution"), RegularizedEvolution)
