"""Optuna tuning of the composite per (space, dataset, budget).

A trial chooses which feature groups to buy, which base predictors to stack and the
meta-model's hyper-parameters. The objective is the Kendall tau of out-of-fold predictions on
the *training* architectures only; a plan whose per-architecture query cost exceeds the budget
is infeasible (Optuna's constraint mechanism), so the sampler learns to avoid it. Studies live
in an Optuna storage (SQLite by default; any RDB URL shares one study between processes) and
resume when run again with the same name.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState
from scipy import stats
from sklearn.model_selection import KFold, cross_val_predict

from features.errors import BudgetError, OmniError
from omni.budget import Budget
from omni.data.benchmark import Benchmark
from omni.feature_groups import (
    encoding_groups,
    expand_groups,
    group_init_seconds,
    group_query_seconds,
    groups_query_seconds,
    is_encoding,
    lc_groups,
    plan_init_seconds,
)
from omni.featurizer import Featurizer
from omni.predictor import META_KINDS, RANK_META_POWER, OmniPredictor
from omni.proxy_costs import fill_proxy_costs
from omni.storage import HEARTBEAT_SECONDS, open_storage

logger = logging.getLogger(__name__)

#: trial states that count towards a study's total
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)

BASE_CHOICES = (
    "xgb-rank@all",
    "rf@all",
    "et@all",
    "pairwise@all",
    "pairwise-full@all",
    "rank@scores",
    "xgb-small@all",
    "xgb@all",
)
#: encodings of the untuned plan (graph features beat one-hot, path and op counts on both
#: NB201 benchmarks in ``benchmarks/omni_bench.py``; the tuner may add the others)
DEFAULT_ENCODINGS = ("graph",)
#: powers of the rank meta-model the tuner may fix instead of choosing one by CV ("auto")
RANK_POWERS = [RANK_META_POWER, 1.0, 4.0, 16.0]
#: an allowance for the prediction itself (meta-model + base models) per architecture
PREDICT_SECONDS = 0.01


@dataclass
class Profile:
    """The tuned plan for one (space, dataset, budget): reused by ``fit``."""

    space: str
    dataset: str
    budget: dict
    groups: list[str]
    params: dict
    cv_kendall_tau: float
    query_seconds: float
    train_size: int
    #: one-off seconds of the plan on the training architectures (training them included)
    init_seconds: float | None = None
    trials: int = 0
    library_version: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Profile:
        try:
            return cls(**data)
        except TypeError as err:
            raise OmniError(f"not a profile: {err}") from None

    def make_predictor(self, bench: Benchmark, random_state: int | None = None) -> OmniPredictor:
        """The composite this profile describes, labelled with ``bench``'s columns."""
        columns = Featurizer.for_table(bench, self.groups).columns_
        return OmniPredictor(columns=columns, random_state=random_state, **self.params)


def candidate_groups(bench: Benchmark, budget: Budget) -> list[str]:
    """Feature groups whose cost fits the budget (unknown costs never fit a finite one); under a
    finite budget, proxies the file has no seconds for are timed here first
    (:func:`omni.proxy_costs.fill_proxy_costs`)."""
    if math.isfinite(budget.query_seconds) or math.isfinite(budget.init_seconds):
        fill_proxy_costs(bench)
    names = [g for g in encoding_groups(bench) if g != "padded"]
    names += [f"zc:{p}" for p in bench.proxies]
    names += [f"extra:{c}" for c in bench.metadata.get("extra_seconds", {}) if c in bench.extra]
    names += [f"ws:{w}" for w in bench.ws]
    names += lc_groups(bench)
    out = []
    for name in expand_groups(bench, names):
        cost = group_query_seconds(bench, name)
        if math.isfinite(budget.init_seconds) and not (
            math.isfinite(cost) and math.isfinite(group_init_seconds(bench, name))
        ):
            continue  # a finite init budget buys every training architecture's features
        if math.isinf(budget.query_seconds) or (
            math.isfinite(cost) and cost + PREDICT_SECONDS <= budget.query_seconds
        ):
            out.append(name)
    return out


def check_training_cost(bench: Benchmark, train_rows: np.ndarray, budget: Budget) -> None:
    """:class:`BudgetError` when a finite init budget cannot even pay for training the
    training architectures, or cannot be checked because the table has no training times."""
    if math.isinf(budget.init_seconds):
        return
    secs = bench.train_seconds[np.asarray(train_rows, dtype=int)]
    if not np.isfinite(secs).all():
        raise BudgetError(
            f"an init budget of {budget.init_seconds:g} s cannot be checked: the benchmark "
            f"records no training seconds for {int((~np.isfinite(secs)).sum())} of the "
            f"{len(secs)} training architectures (drop the init budget)"
        )
    if secs.sum() > budget.init_seconds:
        raise BudgetError(
            f"training the {len(secs)} training architectures alone costs {secs.sum():.4g} s, "
            f"over the init budget of {budget.init_seconds:g} s: train fewer architectures "
            "or raise the budget"
        )


def plan_fits(
    bench: Benchmark, groups: Sequence[str], budget: Budget, train_rows: np.ndarray | None
) -> bool:
    """The plan's query cost fits, and so does its init cost on ``train_rows`` (not checked
    when None)."""
    if plan_cost(bench, groups) > budget.query_seconds:
        return False
    if train_rows is None or math.isinf(budget.init_seconds):
        return True
    return plan_init_seconds(bench, groups, train_rows) <= budget.init_seconds


def plan_cost(bench: Benchmark, groups: Sequence[str]) -> float:
    """Query seconds per architecture of a plan: its groups' cost plus the prediction."""
    return groups_query_seconds(bench, groups) + PREDICT_SECONDS


def oof_predictions(
    model: OmniPredictor, X: np.ndarray, y: np.ndarray, random_state: int = 0, folds: int = 5
) -> np.ndarray:
    """Out-of-fold predictions of every training architecture (shuffled K-fold)."""
    cv = KFold(min(folds, len(y)), shuffle=True, random_state=random_state)
    return cross_val_predict(model, X, y, cv=cv)


def _tau(y: np.ndarray, pred: np.ndarray) -> float:
    tau = stats.kendalltau(y, pred)[0]
    return float(tau) if np.isfinite(tau) else -1.0


def paired_tau_gain(
    y: np.ndarray, pred: np.ndarray, baseline: np.ndarray, n_boot: int = 200, random_state: int = 0
) -> tuple[float, float]:
    """Kendall-tau gain of ``pred`` over ``baseline`` on ``y`` and its bootstrap standard error.

    Both taus are taken on the same resampled architectures, so the error is that of the
    *difference*: two plans whose predictions move together differ by less noise than two
    independent rankings, and a small but steady gain can be told from luck.
    """
    y, pred, baseline = (np.asarray(a, dtype=float) for a in (y, pred, baseline))
    gain = _tau(y, pred) - _tau(y, baseline)
    rng = np.random.default_rng(random_state)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        boots.append(_tau(y[idx], pred[idx]) - _tau(y[idx], baseline[idx]))
    return gain, float(np.std(boots, ddof=1))


def departure_threshold(compared: int, alpha: float = 0.05) -> float:
    """Paired standard errors a tuned plan's gain must exceed, when it is the best of
    ``compared`` plans that challenge the default.

    A one-sided Bonferroni bound: if no challenger is truly better, each gain is about normal
    around zero, and the largest of ``compared`` of them passes ``Phi^-1(1 - alpha / compared)``
    errors with probability at most ``alpha`` (1.64 errors for one plan, 2.13 for 3, 2.94 for 29).
    """
    if compared < 1 or not 0 < alpha < 1:
        raise OmniError(f"need compared >= 1 and 0 < alpha < 1, got {compared} and {alpha}")
    return float(stats.norm.ppf(1.0 - alpha / compared))


def _suggest(trial: optuna.Trial, groups: Sequence[str]) -> tuple[list[str], dict]:
    chosen = [g for g in groups if trial.suggest_categorical(f"use:{g}", [True, False])]
    base = tuple(b for b in BASE_CHOICES if trial.suggest_categorical(f"base:{b}", [True, False]))
    meta = trial.suggest_categorical("meta", list(META_KINDS))
    if meta == "ngboost":
        meta_params = {
            "n_estimators": trial.suggest_int("ngb_n_estimators", 100, 800, log=True),
            "learning_rate": trial.suggest_float("ngb_learning_rate", 0.005, 0.1, log=True),
            "max_depth": trial.suggest_int("ngb_max_depth", 1, 5),
            "minibatch_frac": trial.suggest_float("ngb_minibatch_frac", 0.5, 1.0),
        }
    elif meta == "xgboost":
        meta_params = {
            "n_estimators": trial.suggest_int("xgb_n_estimators", 50, 800, log=True),
            "learning_rate": trial.suggest_float("xgb_learning_rate", 0.01, 0.3, log=True),
            "max_depth": trial.suggest_int("xgb_max_depth", 2, 8),
            "subsample": trial.suggest_float("xgb_subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("xgb_colsample_bytree", 0.3, 1.0),
            "min_child_weight": trial.suggest_float("xgb_min_child_weight", 0.5, 10, log=True),
        }
    elif meta == "rank":
        meta_params = {"power": trial.suggest_categorical("rank_power", RANK_POWERS)}
    else:
        meta_params = {}
    passthrough = trial.suggest_categorical("passthrough", [True, False]) if base else True
    params = {
        "base_predictors": base,
        "passthrough": passthrough,
        "meta": meta,
        "meta_params": meta_params,
    }
    return chosen, params


def default_plan(
    bench: Benchmark, budget: Budget, train_rows: np.ndarray | None = None
) -> tuple[list[str], dict]:
    """The untuned composite (``OmniPredictor``'s defaults: ranking XGBoost, a random forest,
    extra trees and the pairwise relation predictor under the rank ensemble) over the graph
    features and every other affordable group.

    Groups are bought cheapest first while the plan stays within the query budget and, given
    ``train_rows``, within the init budget on them: a rule that looks at costs only, never at
    how well a group predicts. Of the (free) encodings only :data:`DEFAULT_ENCODINGS` are
    taken; the tuner may try the others.
    """
    groups = [
        g for g in candidate_groups(bench, budget) if not is_encoding(g) or g in DEFAULT_ENCODINGS
    ]
    if not groups:
        raise BudgetError(cheapest_message(bench, budget))
    chosen: list[str] = []
    for group in sorted(groups, key=lambda g: group_query_seconds(bench, g)):
        if plan_fits(bench, [*chosen, group], budget, train_rows):
            chosen.append(group)
    return [g for g in groups if g in chosen], dict(DEFAULT_PARAMS)


_DEFAULTS = OmniPredictor().get_params()
#: the untuned composite: ``OmniPredictor``'s own defaults
DEFAULT_PARAMS = {
    "base_predictors": list(_DEFAULTS["base_predictors"]),
    "passthrough": _DEFAULTS["passthrough"],
    "meta": _DEFAULTS["meta"],
    # spelled out, so that the tuner's enqueued default trial reads back the same plan
    "meta_params": dict(
        _DEFAULTS["meta_params"]
        or ({"power": RANK_META_POWER} if _DEFAULTS["meta"] == "rank" else {})
    ),
}


def cheapest_message(bench: Benchmark, budget: Budget, train_rows: np.ndarray | None = None) -> str:
    options = [*DEFAULT_ENCODINGS] + [f"zc:{p}" for p in bench.proxies]
    costs = sorted((plan_cost(bench, [g]), g) for g in expand_groups(bench, options))
    cost, group = costs[0]
    if math.isfinite(budget.init_seconds) and train_rows is not None:
        init = plan_init_seconds(bench, [group], train_rows)
        return (
            f"no plan fits a budget of {budget.query_seconds:g} s per architecture and "
            f"{budget.init_seconds:g} s to fit; the cheapest plan ({group!r} alone) costs "
            f"{cost:.3g} s per architecture and {init:.4g} s on the {len(train_rows)} training "
            "architectures before its fit"
        )
    return (
        f"no plan fits a query budget of {budget.query_seconds:g} s per architecture; the cheapest "
        f"plan ({group!r} alone) costs {cost:.3g} s per architecture"
    )


def tune(
    bench: Benchmark,
    train_rows: np.ndarray,
    budget: Budget,
    n_trials: int | None = 30,
    timeout: float | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    random_state: int = 0,
    multi_objective: bool = False,
    progress: bool = False,
    folds: int = 5,
    confirm_repeats: int = 3,
    confirm_alpha: float = 0.05,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> tuple[Profile, optuna.Study]:
    """Tune the composite on ``train_rows`` of ``bench`` within ``budget``.

    ``n_trials`` is a total: the study holds that many finished (complete or pruned) trials
    when this returns (Optuna's ``MaxTrialsCallback``), so a rerun, or several processes on
    one ``storage`` (:func:`omni.storage.open_storage`), add only the trials still missing;
    ``None`` runs until ``timeout``. A trial whose process was killed is failed by the
    storage's heartbeat (every ``heartbeat`` seconds) and retried once.

    Single-objective: maximise CV Kendall tau subject to the budget. Multi-objective: the front
    of (CV Kendall tau, query seconds); the returned profile is the best plan within the budget.
    The first trial is always the untuned default plan. A tuned plan replaces it only when its
    CV tau is higher on the study's folds *and*, on average over ``confirm_repeats`` fresh fold
    splits, higher by more than :func:`departure_threshold` paired standard errors
    (:func:`paired_tau_gain`). The paired error is the noise of the difference between the two
    plans. The threshold grows with the number of plans the best was picked from, since fresh
    folds of the same architectures do not undo the winner's curse: when no plan beats the
    default, the tuner leaves it with probability of about ``confirm_alpha`` at most.
    """
    if n_trials is not None and n_trials < 1:
        raise OmniError(f"n_trials must be >= 1 (a total for the study), got {n_trials}")
    if folds < 2:
        raise OmniError(f"folds must be >= 2 (cross-validation), got {folds}")
    train_rows = np.asarray(train_rows, dtype=int)
    y = bench.target[train_rows]
    if len(train_rows) < 8 or not np.isfinite(y).all():
        raise OmniError("tuning needs at least 8 training architectures with finite targets")
    check_training_cost(bench, train_rows, budget)
    groups = candidate_groups(bench, budget)
    if not groups:
        raise BudgetError(cheapest_message(bench, budget))
    featurizer = Featurizer.for_table(bench, groups)
    X_all, columns = featurizer.transform_rows(train_rows), featurizer.columns_
    column_group = [c.split("[", 1)[0] for c in columns]

    def plan_predictions(chosen: Sequence[str], params: dict, cv_seed: int) -> np.ndarray:
        keep = [k for k, g in enumerate(column_group) if g in chosen]
        model = OmniPredictor(
            columns=[columns[k] for k in keep], random_state=random_state, **params
        )
        return oof_predictions(model, X_all[:, keep], y, random_state=cv_seed, folds=folds)

    def confirm(
        best: optuna.trial.FrozenTrial, default: optuna.trial.FrozenTrial, compared: int
    ) -> dict:
        gains, errors = [], []
        for r in range(confirm_repeats):
            seed = random_state + 1000 + r
            tuned = plan_predictions(_groups_of(best, groups), _params_of(best), seed)
            untuned = plan_predictions(_groups_of(default, groups), _params_of(default), seed)
            gain, error = paired_tau_gain(y, tuned, untuned, random_state=seed)
            gains.append(gain)
            errors.append(error)
        z = departure_threshold(compared, confirm_alpha)
        gain, error = float(np.mean(gains)), float(np.mean(errors))
        logger.info(
            "tuned plan vs default on fresh folds: gains %s, paired standard errors %s, "
            "threshold %.2f errors (best of %d plans)",
            np.round(gains, 3),
            np.round(errors, 3),
            z,
            compared,
        )
        return {
            "trial": best.number,
            "gain": gain,
            "paired_error": error,
            "threshold_errors": z,
            "compared": compared,
            "departed": gain > z * error,
        }

    def constrain(trial: optuna.Trial, violation: list[float]) -> None:
        """Optuna's constraints (set once per trial) and our copy of them."""
        trial.set_user_attr("constraint", violation)
        trial.set_constraint("query_seconds_over_budget", violation[0])
        trial.set_constraint("init_seconds_over_budget", violation[1])

    def objective(trial: optuna.Trial):
        chosen, params = _suggest(trial, groups)
        cost = plan_cost(bench, chosen) if chosen else math.inf
        trial.set_user_attr("query_seconds", cost)
        if not chosen:
            constrain(trial, [1.0, 1.0])
            return (-1.0, 1e9) if multi_objective else -1.0
        # unscored until the fit is timed: a pruned plan stays infeasible
        trial.set_user_attr("constraint", [cost - budget.query_seconds, 1.0])
        start = time.perf_counter()
        try:
            tau = _tau(y, plan_predictions(chosen, params, random_state))
        except OmniError as err:  # a combination the composite rejects (e.g. a mean of nothing)
            raise optuna.TrialPruned(str(err)) from None
        seconds = time.perf_counter() - start
        # the fit itself, estimated as one fold's share of the cross-validation
        init = plan_init_seconds(bench, chosen, train_rows) + seconds / min(folds, len(y))
        trial.set_user_attr("seconds", seconds)
        trial.set_user_attr("init_seconds", init)
        constrain(trial, [cost - budget.query_seconds, init - budget.init_seconds])
        return (tau, cost) if multi_objective else tau

    sampler = (
        optuna.samplers.NSGAIISampler(seed=random_state)
        if multi_objective
        else optuna.samplers.TPESampler(seed=random_state, n_startup_trials=8)
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=open_storage(storage, heartbeat=heartbeat) if storage else None,
        study_name=study_name,
        load_if_exists=study_name is not None,
        sampler=sampler,
        directions=["maximize", "minimize"] if multi_objective else ["maximize"],
    )
    if not study.trials:
        study.enqueue_trial(
            _default_trial_params(bench, budget, groups, train_rows), skip_if_exists=True
        )
    missing = None if n_trials is None else max(n_trials - len(_finished(study)), 0)
    if missing != 0:
        total = [] if n_trials is None else [MaxTrialsCallback(n_trials, states=FINISHED)]
        study.optimize(
            objective,
            n_trials=missing,
            timeout=timeout,
            callbacks=total,
            show_progress_bar=progress,
        )
    profile = _best_profile(bench, study, groups, budget, train_rows, multi_objective, confirm)
    return profile, study


def _default_trial_params(
    bench: Benchmark, budget: Budget, groups: Sequence[str], train_rows: np.ndarray
) -> dict:
    """The params of the untuned plan as the tuner's search space spells them."""
    d_groups, d_params = default_plan(bench, budget, train_rows)
    fixed = {f"use:{g}": g in d_groups for g in groups}
    fixed.update({f"base:{b}": b in d_params["base_predictors"] for b in BASE_CHOICES})
    fixed.update({"meta": d_params["meta"], "passthrough": d_params["passthrough"]})
    if d_params["meta"] == "rank":
        fixed["rank_power"] = d_params["meta_params"]["power"]
    return fixed


def _finished(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return study.get_trials(deepcopy=False, states=FINISHED)


def _groups_of(trial: optuna.trial.FrozenTrial, groups: Sequence[str]) -> list[str]:
    return [g for g in groups if trial.params.get(f"use:{g}")]


def _best_profile(bench, study, groups, budget, train_rows, multi_objective, confirm) -> Profile:
    from omni import __version__

    n_train = len(train_rows)
    feasible = [
        t
        for t in study.trials
        if t.state == optuna.trial.TrialState.COMPLETE
        and all(c <= 0 for c in t.user_attrs.get("constraint", [1.0]))
    ]
    if not feasible:
        raise BudgetError(cheapest_message(bench, budget, train_rows))
    best = max(feasible, key=lambda t: t.values[0])
    # the enqueued untuned plan: trial 0, or its retry when trial 0's process was killed
    default = next((t for t in feasible if t.params == study.trials[0].params), study.trials[0])
    challenged = not multi_objective and default in feasible and best.number != default.number
    decision = None
    if challenged and best.values[0] > default.values[0]:
        decision = confirm(best, default, compared=len(feasible) - 1)
    if challenged and not (decision and decision["departed"]):
        best = default  # a CV gain within noise is no reason to leave the default plan
    chosen = _groups_of(best, groups)
    params = _params_of(best)
    return Profile(
        space=bench.space,
        dataset=bench.dataset,
        budget=budget.to_dict(),
        groups=chosen,
        params=params,
        cv_kendall_tau=float(best.values[0]),
        query_seconds=float(best.user_attrs["query_seconds"]),
        train_size=n_train,
        init_seconds=best.user_attrs.get("init_seconds"),
        trials=len(study.trials),
        library_version=__version__,
        extra={
            "multi_objective": multi_objective,
            "study": study.study_name,
            "confirmation": decision,
        },
    )


def _params_of(trial: optuna.trial.FrozenTrial) -> dict:
    p = trial.params
    base = tuple(b for b in BASE_CHOICES if p.get(f"base:{b}"))
    meta = p["meta"]
    prefix = {"ngboost": "ngb_", "xgboost": "xgb_", "rank": "rank_"}.get(meta)
    meta_params = {k[len(prefix) :]: v for k, v in p.items() if prefix and k.startswith(prefix)}
    return {
        "base_predictors": list(base),
        "passthrough": bool(p.get("passthrough", True)),
        "meta": meta,
        "meta_params": meta_params,
    }


def pareto_front(study: optuna.Study) -> list[dict]:
    """(CV Kendall tau, query seconds, plan) of every Pareto-optimal feasible trial."""
    return [
        {"cv_kendall_tau": t.values[0], "query_seconds": t.values[1], "params": t.params}
        for t in study.best_trials
        if all(c <= 0 for c in t.user_attrs.get("constraint", [1.0]))
    ]
