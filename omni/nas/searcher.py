"""The ask/tell :class:`Searcher`: a NAS loop the user drives.

::

    searcher = Searcher("nb201", "omni-bo", featurizer=featurize, random_state=0)
    for _ in range(100):
        arch = searcher.ask()
        searcher.tell(arch, train_and_validate(arch))
    best_arch, best_accuracy = searcher.best()
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import clone

from features.errors import OmniError
from omni import spaces
from omni.nas import strategies
from omni.nas.history import Evaluation
from omni.nas.strategies.base import Strategy
from omni.nas.surrogate import default_predictor
from omni.spaces.base import Arch, SearchSpace, as_rng

logger = logging.getLogger(__name__)

Featurizer = Callable[[Sequence[str]], np.ndarray]
CandidateFilter = Callable[[str], bool]

#: random draws tried before the space is declared exhausted (then every arch is enumerated)
RANDOM_TRIES = 2_000
#: largest space whose architectures are enumerated when random draws keep failing
ENUMERATE_LIMIT = 1_000_000


class Searcher:
    """Ask/tell neural architecture search over a :class:`~omni.spaces.SearchSpace`.

    Parameters
    ----------
    space : a space or its registered name.
    strategy : a registered strategy name (``random``, ``evolution``, ``omni-evolution``,
        ``omni-bo``) or a :class:`~omni.nas.strategies.Strategy` (copied, so one instance can
        configure several searchers).
    featurizer : ``archs (strings) -> X``, the predictor's features of architectures; needed by
        predictor-guided strategies. If it has a ``columns`` attribute, the default predictor
        reads it as its column labels.
    predictor : scikit-learn regressor, cloned and refitted on every evaluation so far whenever
        the strategy needs it (``omni-bo`` needs ``predict_dist``). ``None``: ``OmniPredictor``
        (with an NGBoost meta-model when the strategy needs a predictive distribution).
    candidate_filter : ``arch string -> bool``; only accepted architectures are proposed
        (e.g. ``TabularOracle.contains``).
    random_state : seed; the same seed and the same told accuracies give the same trajectory.

    Architectures are proposed once up to isomorphism, in pruned string form.
    """

    def __init__(
        self,
        space: SearchSpace | str,
        strategy: Strategy | str = "omni-evolution",
        *,
        featurizer: Featurizer | None = None,
        predictor: Any | None = None,
        candidate_filter: CandidateFilter | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.space = spaces.get(space)
        self.strategy = strategies.resolve(strategy)
        if self.strategy.uses_predictor and featurizer is None:
            raise OmniError(
                f"strategy {self.strategy.name!r} ranks candidates with a predictor: pass "
                "featurizer=callable(archs) -> X, e.g. omni.nas.BenchmarkFeaturizer(bench)"
            )
        self.featurizer = featurizer
        self.rng = as_rng(random_state)
        self._model_seed = int(self.rng.integers(2**31 - 1))
        if predictor is None and self.strategy.uses_predictor:
            predictor = default_predictor(
                getattr(featurizer, "columns", None),
                distribution=self.strategy.needs_distribution,
            )
        if (
            predictor is not None
            and self.strategy.needs_distribution
            and not hasattr(predictor, "predict_dist")
        ):
            raise OmniError(
                f"strategy {self.strategy.name!r} needs predict_dist(X) -> (mean, std); "
                f"{type(predictor).__name__} has none: wrap it in omni.nas.EnsemblePredictor"
            )
        self.predictor = predictor
        self.candidate_filter = candidate_filter
        self._history: list[Evaluation] = []
        self._pending: dict[str, str] = {}  # canonical key -> asked string
        self._told: set[str] = set()
        self._best: Evaluation | None = None
        self._num_fits = 0

    def __repr__(self) -> str:
        return (
            f"Searcher(space={self.space.name!r}, strategy={self.strategy!r}, "
            f"told={len(self._history)}, pending={len(self._pending)})"
        )

    # ------------------------------------------------------------------ public loop
    def ask(self) -> str:
        """The next architecture to evaluate (string form)."""
        arch = self.space.prune(self.strategy.propose(self))
        if not self.is_candidate(arch):
            raise OmniError(
                f"strategy {self.strategy.name!r} proposed an architecture that was already "
                "evaluated or that the candidate filter rejects"
            )
        text = self.space.to_str(arch)
        self._pending[self._key(arch)] = text
        return text

    def tell(
        self,
        arch: str | Arch,
        accuracy: float,
        curve: Sequence[float] | np.ndarray | None = None,
        proxies: Mapping[str, float] | None = None,
    ) -> Evaluation:
        """Record the accuracy of an architecture returned by :meth:`ask`.

        Raises :class:`OmniError` -- and changes nothing -- for an architecture the space
        rejects or that was not asked (or was already told), a non-finite accuracy, or a
        malformed curve or proxy dict.
        """
        parsed = self.space.coerce(arch)  # InvalidArchitectureError is an OmniError
        key = self._key(parsed)
        if key not in self._pending:
            if key in self._told:
                raise OmniError(f"{self.space.to_str(parsed)} was already told; tell it once")
            raise OmniError(
                f"{self.space.to_str(parsed)} was never asked: tell() accepts only "
                "architectures returned by ask()"
            )
        value = _finite_float(accuracy, "accuracy")
        curve_arr = None if curve is None else _curve(curve)
        proxy_dict = None if proxies is None else _proxies(proxies)
        evaluation = Evaluation(
            arch=self._pending[key],
            accuracy=value,
            step=len(self._history),
            curve=curve_arr,
            proxies=proxy_dict,
        )
        self.strategy.observe(self, evaluation)
        del self._pending[key]
        self._told.add(key)
        self._history.append(evaluation)
        if self._best is None or value > self._best.accuracy:
            self._best = evaluation
        return evaluation

    def record(
        self,
        arch: str | Arch,
        accuracy: float,
        curve: Sequence[float] | np.ndarray | None = None,
        proxies: Mapping[str, float] | None = None,
    ) -> Evaluation:
        """Tell an evaluation this searcher did not ask for (another worker's, a stored
        study's); as :meth:`tell` otherwise."""
        parsed = self.space.coerce(arch)
        key = self._key(parsed)
        if key not in self._pending and key not in self._told:
            _finite_float(accuracy, "accuracy")  # nothing changes on bad input
            self._pending[key] = self.space.to_str(self.space.prune(parsed))
        return self.tell(parsed, accuracy, curve=curve, proxies=proxies)

    def exclude(self, arch: str | Arch) -> None:
        """Never propose ``arch`` (a failed run, asked here or elsewhere); a pending one is
        dropped as by :meth:`discard`."""
        key = self._key(self.space.coerce(arch))
        self._pending.pop(key, None)
        self._told.add(key)

    def discard(self, arch: str | Arch) -> None:
        """Drop a pending architecture whose evaluation failed; it is not proposed again."""
        parsed = self.space.coerce(arch)
        key = self._key(parsed)
        if key not in self._pending:
            raise OmniError(f"{self.space.to_str(parsed)} is not pending: nothing to discard")
        del self._pending[key]
        self._told.add(key)

    def best(self) -> tuple[str, float]:
        """The most accurate architecture told so far and its accuracy."""
        if self._best is None:
            raise OmniError("nothing evaluated yet: tell() at least one result first")
        return self._best.arch, self._best.accuracy

    @property
    def history(self) -> list[Evaluation]:
        """Every evaluation, in the order told (a copy)."""
        return list(self._history)

    @property
    def pending(self) -> list[str]:
        """Architectures asked but not yet told."""
        return list(self._pending.values())

    @property
    def num_asked(self) -> int:
        return len(self._history) + len(self._pending)

    # ------------------------------------------------------------------ for strategies
    def is_candidate(self, arch: Arch | str) -> bool:
        """Neither told nor pending (up to isomorphism) and accepted by the filter."""
        key = self._key(arch)
        if key in self._told or key in self._pending:
            return False
        if self.candidate_filter is None:
            return True
        return bool(self.candidate_filter(self.space.to_str(self.space.prune(arch))))

    def random_candidate(self) -> Arch:
        """A uniformly drawn candidate; every architecture is enumerated if draws keep failing."""
        for _ in range(RANDOM_TRIES):
            arch = self.space.sample(1, self.rng)[0]
            if self.is_candidate(arch):
                return self.space.prune(arch)
        if self.space.enumerable and (self.space.size or 0) <= ENUMERATE_LIMIT:
            archs = list(self.space.all_archs())
            for i in self.rng.permutation(len(archs)):
                if self.is_candidate(archs[i]):
                    return self.space.prune(archs[i])
        raise OmniError(
            "no architecture left to propose: every candidate was evaluated or filtered out"
        )

    def features(self, archs: Sequence[str]) -> np.ndarray:
        """The featurizer's matrix for ``archs``, checked."""
        if self.featurizer is None:
            raise OmniError("this searcher has no featurizer")
        X = np.asarray(self.featurizer(list(archs)), dtype=float)
        if X.ndim != 2 or len(X) != len(archs):
            raise OmniError(
                f"featurizer returned shape {X.shape} for {len(archs)} architectures; "
                "expected (n_archs, n_features)"
            )
        return X

    def fit_predictor(self) -> Any:
        """A clone of the predictor fitted on every evaluation so far."""
        if self.predictor is None:
            raise OmniError("this searcher has no predictor")
        model = clone(self.predictor)
        if "random_state" in model.get_params():
            model.set_params(random_state=(self._model_seed + self._num_fits) % (2**31 - 1))
        self._num_fits += 1
        X = self.features([e.arch for e in self._history])
        y = np.array([e.accuracy for e in self._history])
        return model.fit(X, y)

    def _key(self, arch: Arch | str) -> str:
        return self.space.key(arch)


def _finite_float(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise OmniError(f"{what} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise OmniError(f"{what} must be finite, got {out}; drop a failed run with discard(arch)")
    return out


def _curve(curve: Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        arr = np.array(curve, dtype=float)
    except (TypeError, ValueError):
        raise OmniError("curve must be a sequence of numbers (one per epoch)") from None
    if arr.ndim != 1:
        raise OmniError(f"curve must be one-dimensional (one value per epoch), got {arr.shape}")
    return arr


def _proxies(proxies: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(proxies, Mapping):
        raise OmniError(f"proxies must be a dict name -> score, got {type(proxies).__name__}")
    out = {}
    for name, score in proxies.items():
        if not isinstance(name, str):
            raise OmniError(f"proxy names must be strings, got {name!r}")
        try:
            out[name] = float(score)
        except (TypeError, ValueError):
            raise OmniError(f"proxy {name!r}: score must be a number, got {score!r}") from None
    return out
