"""An Optuna sampler that searches architectures with OMNI: :class:`OmniSampler`.

::

    space = omni.spaces.get("nb201")

    def objective(trial):
        arch = space.suggest(trial)           # one suggest_categorical per decision
        return train_and_validate(arch)

    study = optuna.create_study(direction="maximize", sampler=OmniSampler(space="nb201", seed=0))
    study.optimize(objective, n_trials=100)

Before each trial the sampler reads every finished trial of the study (its own, another
worker's, a stored study's), tells them to a :class:`~omni.nas.Searcher` and asks it for the
next architecture; ``space.suggest`` then receives that architecture's decisions. Parameters
that are not decisions of the space (a learning rate beside the architecture) come from
``independent_sampler``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from features.errors import InvalidArchitectureError, OmniError
from omni import spaces
from omni.featurizer import Featurizer, default_encodings
from omni.nas.searcher import Searcher
from omni.nas.strategies import Strategy
from omni.spaces.base import Arch, SearchSpace, require_decisions

#: trial system attribute holding the architecture the sampler chose (string form)
ARCH_ATTR = "omni:arch"
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class OmniSampler(BaseSampler):
    """Architecture search for an Optuna study, guided by :class:`~omni.predictor.OmniPredictor`.

    Parameters
    ----------
    space : a :class:`~omni.spaces.SearchSpace` or its registered name; the objective reads
        its architecture with ``space.suggest(trial)``.
    seed : seed of the search (and of the default independent sampler).
    strategy : a :class:`~omni.nas.Searcher` strategy name or instance. Default ``omni-bo``:
        random for the first ``num_init`` trials (20), then every ``k`` trials (10) it refits
        the predictor on the finished trials, scores ``num_candidates`` (100) mutations of the
        ten best and random architectures by expected improvement under the predictor's
        distribution, and proposes the best ones; ``omni-evolution`` ranks by the mean alone.
    featurizer : ``archs -> X``, the features the predictor may read. Default: the space's
        encodings (a :class:`~omni.featurizer.Featurizer` of ``onehot`` and ``graph``); one
        with ``zc:`` groups adds zero-cost scores computed on the networks, one with a
        ``table`` (or a :class:`~omni.nas.BenchmarkFeaturizer`) reads a table's.
    predictor : regressor refitted on the finished trials (default: the search composite).
    candidate_filter : ``arch string -> bool``; only accepted architectures are proposed.
    independent_sampler : samples the parameters that are not decisions of the space.

    Trials that failed or were pruned are never proposed again; trials added by hand or by
    another sampler count when their params are a complete set of decisions.
    """

    def __init__(
        self,
        space: SearchSpace | str,
        *,
        seed: int | None = None,
        strategy: Strategy | str = "omni-bo",
        featurizer: Callable[[Sequence[str]], Any] | None = None,
        predictor: Any | None = None,
        candidate_filter: Callable[[str], bool] | None = None,
        independent_sampler: BaseSampler | None = None,
    ) -> None:
        self.space = spaces.get(space)
        self._decisions = {d.name: d for d in require_decisions(self.space)}
        self.seed = seed
        self.strategy = strategy
        if featurizer is None:
            featurizer = Featurizer(self.space, default_encodings(self.space)).fit()
        self.featurizer = featurizer
        self.predictor = predictor
        self.candidate_filter = candidate_filter
        self._independent = independent_sampler or RandomSampler(seed=seed)
        self._lock = threading.Lock()
        self._reset(None)

    def __getstate__(self) -> dict[str, Any]:  # picklable (Ray ships samplers to its workers)
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _reset(self, study_id: int | None) -> None:
        self._study_id = study_id
        self._synced: set[int] = set()
        self._values: dict[int, dict[str, Any]] = {}
        self.searcher = Searcher(
            self.space,
            self.strategy,
            featurizer=self.featurizer,
            predictor=self.predictor,
            candidate_filter=self.candidate_filter,
            random_state=self.seed,
        )

    # ------------------------------------------------------------------ Optuna's sampler API
    def reseed_rng(self) -> None:
        self._independent.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if study._is_multi_objective():
            raise OmniError("OmniSampler searches single-objective studies only")
        if "fixed_params" in trial.system_attrs:  # an enqueued trial: its params are given
            return
        with self._lock:
            if self._study_id != study._study_id:
                self._reset(study._study_id)
            self._sync(study)
            text = self.searcher.ask()
        study._storage.set_trial_system_attr(trial._trial_id, ARCH_ATTR, text)
        self._values[trial.number] = self.space.to_decisions(text)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        values = self._values.get(trial.number)
        if values is None and ARCH_ATTR in trial.system_attrs:  # asked by another process
            values = self.space.to_decisions(trial.system_attrs[ARCH_ATTR])
            self._values[trial.number] = values
        if values is not None and param_name in values:
            if not (
                isinstance(param_distribution, CategoricalDistribution)
                and tuple(param_distribution.choices) == self._decisions[param_name].choices
            ):
                raise OmniError(
                    f"parameter {param_name!r} is a decision of space {self.space.name!r}: "
                    f"suggest it with space.suggest(trial), choices "
                    f"{list(self._decisions[param_name].choices)}"
                )
            return values[param_name]
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._values.pop(trial.number, None)
        self._independent.after_trial(study, trial, state, values)

    # ------------------------------------------------------------------ the study's history
    def _sync(self, study: Study) -> None:
        """Tell the searcher every finished trial it has not seen."""
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        for t in study.get_trials(deepcopy=False, states=_FINISHED):
            if t.number in self._synced:
                continue
            self._synced.add(t.number)
            arch = self._arch_of(t)
            if arch is None:
                continue
            value = t.value if t.state == TrialState.COMPLETE else None
            try:
                if value is not None and math.isfinite(value):
                    self.searcher.record(arch, sign * value)
                else:
                    self.searcher.exclude(arch)
            except OmniError:  # the same architecture evaluated twice: the first one counts
                continue

    def _arch_of(self, trial: FrozenTrial) -> Arch | None:
        text = trial.system_attrs.get(ARCH_ATTR)
        if text is not None:
            return self.space.parse(text)
        if not all(name in trial.params for name in self._decisions):
            return None
        try:
            return self.space.from_decisions({n: trial.params[n] for n in self._decisions})
        except InvalidArchitectureError:
            return None


__all__ = ["ARCH_ATTR", "OmniSampler"]
