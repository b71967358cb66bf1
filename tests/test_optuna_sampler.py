"""OmniSampler: architecture search inside an ordinary Optuna study."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from features.errors import OmniError
from omni import spaces
from omni.integrations import ARCH_ATTR, OmniSampler
from omni.nas import Featurizer, Searcher, strategies

optuna.logging.set_verbosity(optuna.logging.WARNING)
NB201 = spaces.get("nb201")
CONV = {"nor_conv_3x3": 1.0, "nor_conv_1x1": 0.6, "avg_pool_3x3": 0.1, "skip_connect": 0.2}


def small_strategy(name: str = "omni-bo"):
    return strategies.make(name, num_init=4, k=3, num_candidates=12, num_parents=3)


def score(arch) -> float:
    """A deterministic stand-in for accuracy: weighted op counts of the pruned cell."""
    return float(sum(CONV.get(op, 0.0) for op in NB201.prune(arch)))


def objective(trial: optuna.Trial) -> float:
    return score(NB201.suggest(trial))


def sampler(seed: int = 0, **kw) -> OmniSampler:
    return OmniSampler(space="nb201", seed=seed, strategy=small_strategy(), **kw)


def archs_of(study: optuna.Study) -> list[str]:
    return [t.system_attrs[ARCH_ATTR] for t in study.trials if ARCH_ATTR in t.system_attrs]


def test_proposals_are_valid_distinct_and_guided():
    study = optuna.create_study(direction="maximize", sampler=sampler())
    study.optimize(objective, n_trials=14)
    archs = archs_of(study)
    assert len(archs) == 14
    assert len({NB201.key(a) for a in archs}) == 14  # never the same class twice
    for t in study.trials:  # the params are the decisions of the architecture
        assert NB201.key(NB201.from_decisions(t.params)) == NB201.key(t.system_attrs[ARCH_ATTR])
    assert study.sampler.searcher._num_fits >= 3  # the predictor chose the later trials


def test_same_seed_same_trajectory():
    runs = []
    for _ in range(2):
        study = optuna.create_study(direction="maximize", sampler=sampler(seed=3))
        study.optimize(objective, n_trials=9)
        runs.append(archs_of(study))
    assert runs[0] == runs[1]


def test_resumes_a_stored_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = optuna.create_study(
        study_name="s", storage=url, direction="maximize", sampler=sampler()
    )
    first.optimize(objective, n_trials=6)
    again = optuna.load_study(study_name="s", storage=url, sampler=sampler(seed=1))
    again.optimize(objective, n_trials=6)
    archs = archs_of(again)
    assert len(archs) == 12 and len({NB201.key(a) for a in archs}) == 12
    assert len(again.sampler.searcher.history) == 11  # every finished trial was told


def test_failed_and_pruned_trials_are_not_proposed_again():
    bad: set[str] = set()

    def flaky(trial: optuna.Trial) -> float:
        arch = NB201.suggest(trial)
        if trial.number % 3 == 1:
            bad.add(NB201.key(arch))
            raise optuna.TrialPruned("diverged")
        if trial.number % 3 == 2:
            bad.add(NB201.key(arch))
            raise ValueError("out of memory")
        return score(arch)

    study = optuna.create_study(direction="maximize", sampler=sampler())
    study.optimize(flaky, n_trials=15, catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert states.count(optuna.trial.TrialState.FAIL) == 5
    assert states.count(optuna.trial.TrialState.PRUNED) == 5
    keys = [NB201.key(a) for a in archs_of(study)]
    assert len(set(keys)) == len(keys) == 15
    told = {NB201.key(e.arch) for e in study.sampler.searcher.history}
    assert not told & bad


def test_minimising_a_loss_searches_the_same_way():
    study = optuna.create_study(direction="minimize", sampler=sampler())
    study.optimize(lambda t: -objective(t), n_trials=8)
    hist = study.sampler.searcher.history
    assert max(e.accuracy for e in hist) == pytest.approx(-study.best_value)


def test_other_parameters_come_from_the_independent_sampler():
    def with_lr(trial: optuna.Trial) -> float:
        arch = NB201.suggest(trial)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        assert 1e-4 <= lr <= 1e-1
        return score(arch) - abs(np.log10(lr) + 2)

    study = optuna.create_study(direction="maximize", sampler=sampler())
    study.optimize(with_lr, n_trials=6)
    assert len({t.params["lr"] for t in study.trials}) == 6


def test_trials_added_by_hand_count():
    arch = NB201.parse(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    study = optuna.create_study(direction="maximize", sampler=sampler())
    study.enqueue_trial(NB201.to_decisions(arch))
    study.optimize(objective, n_trials=4)
    assert study.best_value == pytest.approx(score(arch))
    assert NB201.key(arch) not in {NB201.key(a) for a in archs_of(study)}  # not asked again
    assert len(study.sampler.searcher.history) == 3


def test_a_decision_suggested_with_other_choices_is_an_error():
    def wrong(trial: optuna.Trial) -> float:
        trial.suggest_categorical("edge_1_0", ["none", "skip_connect"])
        return 0.0

    study = optuna.create_study(sampler=sampler())
    with pytest.raises(OmniError, match="space.suggest"):
        study.optimize(wrong, n_trials=1)


def test_multi_objective_studies_are_refused():
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler())
    with pytest.raises(OmniError, match="single-objective"):
        study.optimize(lambda t: (objective(t), 0.0), n_trials=1)


def test_every_registered_space_can_be_searched():
    for name in spaces.names():
        space = spaces.get(name)
        if not space.decisions():
            continue
        study = optuna.create_study(
            direction="maximize",
            sampler=OmniSampler(space=space, seed=0, strategy=small_strategy("omni-evolution")),
        )

        def size(trial: optuna.Trial, space=space) -> float:
            return float(len(space.to_str(space.suggest(trial))))

        study.optimize(size, n_trials=6)
        keys = {space.key(a) for a in archs_of(study)}
        assert len(keys) == 6, name
        assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials), name


def test_searcher_record_and_exclude():
    searcher = Searcher("nb201", "random", random_state=0)
    a, b = NB201.sample(2, 1)
    searcher.record(a, 0.5)
    searcher.exclude(b)
    assert not searcher.is_candidate(a) and not searcher.is_candidate(b)
    with pytest.raises(OmniError, match="already told"):
        searcher.record(a, 0.6)
    with pytest.raises(OmniError, match="finite"):
        searcher.record(NB201.sample(1, 2)[0], float("nan"))
    assert len(searcher.history) == 1 and searcher.pending == []


def test_space_featurizer_labels_and_scores_proxies_once(monkeypatch):
    import omni.zero_cost as zc

    calls = []
    real = zc.score_architectures

    def counting(space, archs, proxies, **kw):
        calls.append(len(archs))
        return real(space, archs, proxies, **kw)

    monkeypatch.setattr(zc, "score_architectures", counting)
    feat = Featurizer(
        "nb201",
        ["onehot", "zc:synflow"],
        zc_options={
            "input_shape": (3, 8, 8),
            "network_kwargs": {"channels": (4, 8, 16), "cells_per_stage": 1},
        },
    )
    archs = NB201.sample(3, 0)
    X = feat(archs)
    assert X.shape == (3, len(feat.columns)) and feat.columns[-1] == "zc:synflow"
    np.testing.assert_allclose(feat(archs[:1]), X[:1])
    assert calls == [len({NB201.key(a) for a in archs})]
    with pytest.raises(OmniError, match="no encoding"):
        Featurizer("nb201", ["nope"]).fit()


def test_the_sampler_pickles_mid_study():
    import pickle

    study = optuna.create_study(direction="maximize", sampler=sampler())
    study.optimize(objective, n_trials=6)
    copy = pickle.loads(pickle.dumps(study.sampler))
    study.sampler = copy
    study.optimize(objective, n_trials=3)
    assert len({NB201.key(a) for a in archs_of(study)}) == 9
