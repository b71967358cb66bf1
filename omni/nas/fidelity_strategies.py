"""Strategies of the :class:`~omni.nas.multi_fidelity.MultiFidelitySearcher`: which new runs a
bracket starts and how a rung ranks its runs for promotion. Looked up by name
(``make("omni-hyperband", min_full_runs=10)``).

``hyperband`` is plain Hyperband (Li et al., JMLR 2018): new runs are uniform samples and a
rung promotes by the validation accuracy reached there. ``omni-hyperband`` steers both
decisions with predictors (:class:`OmniHyperband`).
"""

from __future__ import annotations

import logging
from abc import ABC
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from sklearn.base import clone

from features import learning_curve
from features.errors import OmniError
from omni.nas.strategies.guided import mutation_pool
from omni.nas.strategy_registry import StrategyRegistry
from omni.nas.surrogate import default_predictor
from omni.spaces.base import Arch

if TYPE_CHECKING:  # pragma: no cover
    from omni.nas.multi_fidelity import MultiFidelitySearcher, TrainingRun

logger = logging.getLogger(__name__)


class FidelityStrategy(ABC):  # noqa: B024 - every hook has a default: plain Hyperband
    """Proposes new runs and ranks a rung's runs. One instance serves one searcher (the
    searcher copies it). The defaults are plain Hyperband's."""

    #: registry name
    name: ClassVar[str] = ""
    #: reads the told curves (the searcher then refuses results told as a single number)
    needs_curves: ClassVar[bool] = False

    def start_bracket(self, ctx: MultiFidelitySearcher, size: int) -> None:  # noqa: B027
        """Called before the ``size`` proposals that open a bracket; default: nothing."""

    def propose(self, ctx: MultiFidelitySearcher) -> Arch:
        """One new architecture (must satisfy ``ctx.is_candidate``); default: uniform."""
        return ctx.random_candidate()

    def rank(self, ctx: MultiFidelitySearcher, runs: list[TrainingRun], epochs: int) -> np.ndarray:
        """One score per run of a finished rung at ``epochs`` (higher = promoted first);
        default: the metric reached at this rung. A resumed run may have been trained beyond
        ``epochs`` (``run.epochs``); plain Hyperband never resumes, so all its runs have
        exactly ``epochs``."""
        return np.array([r.value for r in runs], dtype=float)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class Hyperband(FidelityStrategy):
    """Plain Hyperband: random new runs, promotion by the accuracy at the current rung."""

    name = "hyperband"


#: statistics of the partial curve the promotion model reads, when the told curves have them:
#: the ranking metric's last and best value and its sum (SoVL-style), plus the paper's SoTL,
#: SoTL-E and SoVL (:mod:`features.learning_curve`)
PROMOTION_STATISTICS = ("{metric}:last", "{metric}:best", "{metric}:sum", "sotl", "sotl_e", "sovl")


class OmniHyperband(FidelityStrategy):
    """Hyperband steered by predictors of the final accuracy.

    **Promotion** (as OMNI uses learning curves, White et al. 2021). Once ``min_full_runs``
    runs reached ``max_epochs``, a rung at ``e`` epochs ranks its runs by a predictor fitted on
    those full runs only: features are the architecture encoding plus learning-curve statistics
    of the first ``e`` epochs (``lc:<statistic>@e`` columns, :data:`PROMOTION_STATISTICS`; the
    full runs' statistics are read from their first ``e`` epochs, exactly as the rung's runs
    are), target the final accuracy. The curve's current value is a noisy ranking of the final
    one (Kendall tau ~0.5 after 1 epoch on nb201-digits); the encoding tells which cells keep
    improving, and SoTL-type sums smooth the epoch-to-epoch noise. Before ``min_full_runs``
    full runs exist, the plain ranking by the current value is used.

    **Proposal** (as BOHB, Falkner et al. 2018, replaces Hyperband's random sampling). Once
    ``min_full_runs`` exist, each bracket fits a predictor over encodings on the final
    accuracies observed so far, scores a pool of ``num_candidates`` architectures (half
    mutations of the ``num_parents`` best fully trained runs, the rest uniform samples) and
    proposes the best predicted; a fraction ``random_fraction`` of proposals (BOHB's 1/3) stays
    uniformly random, which keeps Hyperband's exploration and its guarantees.

    **Resumption** (``resume_paused``; in the spirit of freeze-thaw Bayesian optimisation,
    Swersky et al. 2014). A run a rung stopped is paused with its partial curve
    (:meth:`~omni.nas.multi_fidelity.MultiFidelitySearcher.paused_runs`). When a bracket opens,
    each paused run is scored by the promotion model -- fitted on the full runs, features the
    encoding plus the curve statistics at the paused run's own epochs -- which predicts its
    final accuracy, the quantity the proposal model predicts for new candidates. Paused runs
    and new candidates are ranked together on that scale and the model-based proposals are
    taken from the top of the merged list, so a paused run is resumed when it is now predicted
    to beat the candidates left, typically once more full runs have corrected the noisy
    low-fidelity ranking that stopped it. A resumed run enters the bracket with the epochs it
    has (only new epochs are trained); a rung that mixes runs of different epochs ranks each
    run by the promotion model at its own epochs, again on the predicted-final scale.
    ``resume_paused=False``: paused runs stay stopped, as in Hyperband and BOHB.

    ``predictor``: scikit-learn regressor for both models (cloned, refitted every time);
    ``None``: the library's search default (:func:`omni.nas.surrogate.default_predictor`, an
    :class:`~omni.predictor.OmniPredictor` reading the column labels). ``encoding``: the space's
    encoding the models read (``None``: ``onehot`` where the space has it).
    """

    name = "omni-hyperband"
    needs_curves = True

    def __init__(
        self,
        min_full_runs: int = 10,
        random_fraction: float = 1 / 3,
        num_candidates: int = 100,
        num_parents: int = 10,
        statistics: Sequence[str] = PROMOTION_STATISTICS,
        predictor: Any | None = None,
        encoding: str | None = None,
        resume_paused: bool = True,
    ) -> None:
        if min(min_full_runs, num_candidates, num_parents) < 1:
            raise OmniError("min_full_runs, num_candidates and num_parents must all be >= 1")
        if not 0.0 <= random_fraction <= 1.0:
            raise OmniError(f"random_fraction must be in [0, 1], got {random_fraction}")
        if not statistics:
            raise OmniError("statistics: name at least one learning-curve statistic")
        self.min_full_runs = min_full_runs
        self.random_fraction = random_fraction
        self.num_candidates = num_candidates
        self.num_parents = num_parents
        self.statistics = tuple(statistics)
        self.predictor = predictor
        self.encoding = encoding
        self.resume_paused = resume_paused
        self._queue: deque[Arch] = deque()
        self._encoded: dict[str, np.ndarray] = {}
        self.num_model_rankings_ = 0
        self.num_model_proposals_ = 0
        self.num_resumed_ = 0

    # ------------------------------------------------------------------ models
    def _model(self, ctx: MultiFidelitySearcher, columns: list[str]) -> Any:
        seed = int(ctx.rng.integers(2**31 - 1))
        if self.predictor is None:
            return default_predictor(columns, random_state=seed)
        model = clone(self.predictor)
        if "random_state" in model.get_params():
            model.set_params(random_state=seed)
        return model

    def _encoding_name(self, ctx: MultiFidelitySearcher) -> str:
        if self.encoding is not None:
            if self.encoding not in ctx.space.encodings:
                raise OmniError(
                    f"space {ctx.space.name!r} has no encoding {self.encoding!r}; it has "
                    f"{list(ctx.space.encodings)}"
                )
            return self.encoding
        return "onehot" if "onehot" in ctx.space.encodings else ctx.space.encodings[0]

    def _encode(self, ctx: MultiFidelitySearcher, archs: Sequence[Arch | str]) -> np.ndarray:
        name = self._encoding_name(ctx)
        rows = []
        for arch in archs:
            key = ctx.space.key(arch)
            if key not in self._encoded:
                self._encoded[key] = ctx.encode(arch, name)
            rows.append(self._encoded[key])
        return np.stack(rows)

    def _encoding_columns(self, ctx: MultiFidelitySearcher, width: int) -> list[str]:
        name = self._encoding_name(ctx)
        return [name] if width == 1 else [f"{name}[{k}]" for k in range(width)]

    def curve_features(
        self, ctx: MultiFidelitySearcher, runs: Sequence[TrainingRun], epochs: int
    ) -> tuple[np.ndarray, list[str]]:
        """Encoding + learning-curve statistics of the first ``epochs`` epochs of ``runs``
        (the curves every run has), with ``lc:<statistic>@<epochs>`` column labels."""
        metrics = set.intersection(*(set(r.curves) for r in runs))
        curves = {m: np.stack([r.curves[m][:epochs] for r in runs]) for m in sorted(metrics)}
        blocks, names = [], []
        for spec in self.statistics:
            spec = spec.format(metric=ctx.metric)
            try:
                X, cols = learning_curve.curve_features(curves, epochs, [spec])
            except OmniError:
                continue  # a statistic of a curve that was not told
            for j, col in enumerate(cols):
                label = f"lc:{col}@{epochs}"
                if label not in names and np.isfinite(X[:, j]).any():
                    blocks.append(X[:, j : j + 1])
                    names.append(label)
        if not names:
            raise OmniError(
                f"none of the statistics {list(self.statistics)} can be computed from the "
                f"curves told ({sorted(metrics)})"
            )
        enc = self._encode(ctx, [r.arch for r in runs])
        return np.hstack([enc, *blocks]), self._encoding_columns(ctx, enc.shape[1]) + names

    # ------------------------------------------------------------------ promotion
    def predict_final(
        self, ctx: MultiFidelitySearcher, full: list[TrainingRun], runs: Sequence[TrainingRun]
    ) -> np.ndarray:
        """The promotion model's predicted final accuracy of each of ``runs`` from its curve
        at its own epochs: one model per epoch count, fitted on ``full`` read at those
        epochs."""
        scores = np.full(len(runs), np.nan)
        epochs = np.array([r.epochs for r in runs])
        y = np.array([r.value for r in full], dtype=float)
        for e in np.unique(epochs):
            idx = np.flatnonzero(epochs == e)
            group = [runs[i] for i in idx]
            X, columns = self.curve_features(ctx, [*full, *group], int(e))
            model = self._model(ctx, columns).fit(X[: len(full)], y)
            scores[idx] = np.asarray(model.predict(X[len(full) :]), dtype=float)
        return scores

    def rank(self, ctx: MultiFidelitySearcher, runs: list[TrainingRun], epochs: int) -> np.ndarray:
        full = ctx.full_runs()
        if len(full) < self.min_full_runs or epochs >= ctx.max_epochs:
            return super().rank(ctx, runs, epochs)
        self.num_model_rankings_ += 1
        return self.predict_final(ctx, full, runs)

    # ------------------------------------------------------------------ proposal
    def start_bracket(self, ctx: MultiFidelitySearcher, size: int) -> None:
        self._queue.clear()
        full = ctx.full_runs()
        if len(full) < self.min_full_runs:
            return
        parents = [r.arch for r in sorted(full, key=lambda r: -r.value)[: self.num_parents]]
        pool = mutation_pool(ctx, parents, self.num_candidates // 2)
        seen = {ctx.space.key(a) for a in pool}
        for _ in range(self.num_candidates * 20):
            if len(pool) >= self.num_candidates:
                break
            try:
                arch = ctx.random_candidate()
            except OmniError:
                break
            if ctx.space.key(arch) not in seen:
                seen.add(ctx.space.key(arch))
                pool.append(arch)
        paused = ctx.paused_runs() if self.resume_paused else []
        scores = np.empty(0)
        if pool:
            X_train = self._encode(ctx, [r.arch for r in full])
            columns = self._encoding_columns(ctx, X_train.shape[1])
            model = self._model(ctx, columns).fit(X_train, [r.value for r in full])
            scores = np.asarray(model.predict(self._encode(ctx, pool)), dtype=float)
        if paused:  # on the same scale: predicted final accuracy
            scores = np.concatenate([scores, self.predict_final(ctx, full, paused)])
        merged = [*pool, *(r.arch for r in paused)]
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        self._queue.extend(merged[i] for i in np.argsort(-scores, kind="stable"))
        logger.debug("%s: %d new candidates, %d paused runs", self.name, len(pool), len(paused))

    def propose(self, ctx: MultiFidelitySearcher) -> Arch:
        if self._queue and ctx.rng.random() >= self.random_fraction:
            while self._queue:
                arch = self._queue.popleft()
                if ctx.is_candidate(arch):
                    self.num_model_proposals_ += 1
                    return arch
                if self.resume_paused and ctx.is_paused(arch):
                    self.num_model_proposals_ += 1
                    self.num_resumed_ += 1
                    return arch
        return ctx.random_candidate()


_REGISTRY: StrategyRegistry[FidelityStrategy] = StrategyRegistry(
    "multi-fidelity strategy", FidelityStrategy
)
#: ``register(cls)`` makes ``cls`` available to :func:`make` under ``cls.name``
register = _REGISTRY.register
#: ``get(name)``: the multi-fidelity strategy class registered as ``name``
get = _REGISTRY.get
#: ``make(name, **params)``: a new strategy instance; ``params`` go to its constructor
make = _REGISTRY.make
names = _REGISTRY.names
#: ``resolve(name_or_strategy)``: a new instance, or a private copy of the one given
resolve = _REGISTRY.resolve


def is_registered(name: str) -> bool:
    return name in _REGISTRY


for _cls in (Hyperband, OmniHyperband):
    register(_cls)
