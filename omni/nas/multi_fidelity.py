"""The ask/tell :class:`MultiFidelitySearcher`: Hyperband (Li et al., JMLR 2018) over a
search space, where a run is trained epoch by epoch and resumed when it is promoted.

::

    searcher = MultiFidelitySearcher("nb201", "hyperband", max_epochs=12, random_state=0)
    for _ in range(200):
        job = searcher.ask()                    # train job.arch up to job.epochs epochs,
        curve = resume_training(job.arch, job.epochs)  # resuming from job.start_epochs
        searcher.tell(job, curve)               # its validation accuracy per epoch so far
    best_arch, best_accuracy = searcher.best()

Brackets (:func:`~omni.nas.brackets.hyperband_brackets`) are opened in Hyperband's order,
most exploratory first, and cycled. A rung promotes its top ``1/eta`` runs (ranked by the
strategy) once every run of the rung was told; while a bracket waits for results, ``ask``
opens the next bracket, so several workers can be kept busy (sequential ask/tell is plain
Hyperband). The incumbent, :meth:`MultiFidelitySearcher.best`, is the best architecture
trained to ``max_epochs`` -- the convention of the Hyperband paper, which reports the best
fully trained configuration; a run stopped early never becomes the incumbent.

**Paused runs.** A run that a rung did not promote is *paused*, not lost: it keeps its epochs
and curves, and a strategy may resume it when a later bracket opens by proposing its
architecture again (:meth:`MultiFidelitySearcher.paused_runs` lists them; plain Hyperband
never does). A resumed run takes one of the new bracket's starting seats and enters its first
rung with the epochs it has: a job trains it only up to the first rung it has not reached,
resuming from its own epochs (so only the new epochs are trained), and at the rungs it
already reached it is ranked with its told curve, without a job. It still has to survive each
ranking to go further, and it stays the same run: one run per architecture, isomorphs
included.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from features.errors import OmniError
from omni import spaces
from omni.nas import fidelity_strategies
from omni.nas.brackets import Bracket, hyperband_brackets
from omni.nas.fidelity_strategies import FidelityStrategy
from omni.nas.searcher import Searcher
from omni.spaces.base import Arch, SearchSpace, as_rng

CandidateFilter = Callable[[str], bool]
#: what :meth:`MultiFidelitySearcher.tell` accepts: the metric at ``job.epochs``, its curve
#: from epoch 1 to ``job.epochs``, or several curves by metric name
Result = float | Sequence[float] | np.ndarray | Mapping[str, Sequence[float] | np.ndarray]


@dataclass(frozen=True)
class Job:
    """Train ``arch`` up to ``epochs`` epochs, resuming its run from ``start_epochs``
    (0: a new run). ``bracket`` and ``rung`` place the job in Hyperband's schedule."""

    arch: str
    epochs: int
    start_epochs: int
    bracket: int
    rung: int
    id: int


@dataclass
class TrainingRun:
    """What is known of one architecture's run: epochs trained, the metric there, and the
    curves told (metric -> values from epoch 1; empty when only values were told)."""

    arch: str
    epochs: int = 0
    value: float = math.nan
    curves: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class FidelityEvaluation:
    """One told job: its value (the metric at ``job.epochs``) and ``step`` in the history."""

    job: Job
    value: float
    step: int


@dataclass
class _OpenBracket:
    number: int
    schedule: Bracket
    rung: int = 0
    members: list[str] = field(default_factory=list)  # run keys of the current rung
    told: set[str] = field(default_factory=set)
    queue: deque[Job] = field(default_factory=deque)


class MultiFidelitySearcher:
    """Ask/tell Hyperband over a :class:`~omni.spaces.SearchSpace`.

    Parameters
    ----------
    space : a space or its registered name.
    strategy : ``hyperband``, ``omni-hyperband`` (see :mod:`omni.nas.fidelity_strategies`) or a
        :class:`~omni.nas.fidelity_strategies.FidelityStrategy` (copied).
    max_epochs : epochs of a full training (the top rung).
    eta : Hyperband's reduction factor (an integer >= 2): each rung keeps ``1/eta`` of its runs.
    min_epochs : epochs of the lowest rung of the most exploratory bracket.
    metric : the name under which a plain curve is stored and the curve a dict of curves
        ranks by (higher = better).
    candidate_filter : ``arch string -> bool``; only accepted architectures are proposed.
    random_state : seed; the same seed and the same told results give the same jobs.
    """

    def __init__(
        self,
        space: SearchSpace | str,
        strategy: FidelityStrategy | str = "hyperband",
        *,
        max_epochs: int,
        eta: int = 3,
        min_epochs: int = 1,
        metric: str = "val_acc",
        candidate_filter: CandidateFilter | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.space = spaces.get(space)
        self.strategy = fidelity_strategies.resolve(strategy)
        if not isinstance(metric, str) or not metric:
            raise OmniError(f"metric must be a curve name such as 'val_acc', got {metric!r}")
        self.brackets = hyperband_brackets(max_epochs, eta, min_epochs)
        self.max_epochs = int(max_epochs)
        self.eta = int(eta)
        self.min_epochs = int(min_epochs)
        self.metric = metric
        self.candidate_filter = candidate_filter
        self.rng = as_rng(random_state)
        # the single-fidelity searcher's candidate bookkeeping (isomorphs, filter, enumeration
        # of an exhausted space), sharing this searcher's generator
        self._candidates = Searcher(
            self.space, "random", candidate_filter=candidate_filter, random_state=self.rng
        )
        self._runs: dict[str, TrainingRun] = {}
        self._pending: dict[int, tuple[Job, _OpenBracket]] = {}
        self._open: list[_OpenBracket] = []
        self._history: list[FidelityEvaluation] = []
        self._best: TrainingRun | None = None
        self._dropped: set[str] = set()  # runs discarded as failed: never resumed
        self._num_resumed = 0
        self._num_brackets = 0
        self._next_id = 0

    def __repr__(self) -> str:
        return (
            f"MultiFidelitySearcher(space={self.space.name!r}, strategy={self.strategy!r}, "
            f"max_epochs={self.max_epochs}, eta={self.eta}, told={len(self._history)}, "
            f"pending={len(self._pending)})"
        )

    # ------------------------------------------------------------------ public loop
    def ask(self) -> Job:
        """The next job: an architecture and the epochs to train its run up to."""
        while True:
            for bracket in self._open:
                if bracket.queue:
                    return self._hand_out(bracket)
            # a bracket of resumed runs that already reached its first rungs may need no job
            # before its top rung; that rung (max_epochs) always needs one, so this ends
            self._open_bracket()

    def tell(self, job: Job, result: Result) -> FidelityEvaluation:
        """Record the outcome of a job returned by :meth:`ask`: the metric at ``job.epochs``
        (a number), its curve from epoch 1 to ``job.epochs``, or a dict of such curves that
        holds :attr:`metric` (strategies reading learning-curve statistics need curves).

        Raises :class:`OmniError` -- and changes nothing -- for a job that was not asked or
        was already told, a non-finite value, or a curve of the wrong length or shape.
        """
        bracket = self._pending_bracket(job)
        value, curves = self._parse(result, job.epochs)
        if self.strategy.needs_curves and not curves:
            raise OmniError(
                f"strategy {self.strategy.name!r} reads learning curves: tell the curve "
                f"(one value per epoch, {job.epochs} values), not a single number"
            )
        del self._pending[job.id]
        key = self.space.key(job.arch)
        run = self._runs[key]
        run.epochs, run.value = job.epochs, value
        run.curves = curves or {}
        evaluation = FidelityEvaluation(job=job, value=value, step=len(self._history))
        self._history.append(evaluation)
        if job.epochs == self.max_epochs and (self._best is None or value > self._best.value):
            self._best = run
        bracket.told.add(key)
        self._advance_if_complete(bracket)
        return evaluation

    def discard(self, job: Job) -> None:
        """Drop a pending job whose training failed: its run leaves the bracket (never
        promoted) and its architecture is not proposed again."""
        bracket = self._pending_bracket(job)
        del self._pending[job.id]
        key = self.space.key(job.arch)
        bracket.members.remove(key)
        self._dropped.add(key)
        self._advance_if_complete(bracket)

    def best(self) -> tuple[str, float]:
        """The best architecture trained to ``max_epochs`` and its value there."""
        if self._best is None:
            raise OmniError(f"no run reached {self.max_epochs} epochs yet: keep asking and telling")
        return self._best.arch, self._best.value

    @property
    def history(self) -> list[FidelityEvaluation]:
        """Every told job, in the order told (a copy)."""
        return list(self._history)

    @property
    def pending(self) -> list[Job]:
        """Jobs asked but not told yet."""
        return [job for job, _ in self._pending.values()]

    @property
    def runs(self) -> list[TrainingRun]:
        """Every run started, in the order asked (copies)."""
        return [copy.deepcopy(r) for r in self._runs.values()]

    def full_runs(self) -> list[TrainingRun]:
        """Runs trained to ``max_epochs`` and told (the strategies' training data)."""
        return [r for r in self._runs.values() if r.epochs == self.max_epochs]

    def paused_runs(self) -> list[TrainingRun]:
        """Told runs stopped below ``max_epochs`` that no open bracket holds and that were not
        discarded, in the order started: the runs a strategy may resume."""
        active = {key for bracket in self._open for key in bracket.members}
        return [
            run
            for key, run in self._runs.items()
            if 0 < run.epochs < self.max_epochs and key not in active and key not in self._dropped
        ]

    @property
    def num_resumed(self) -> int:
        """Times a paused run was resumed (seated in a new bracket)."""
        return self._num_resumed

    @property
    def num_brackets(self) -> int:
        """Brackets opened so far."""
        return self._num_brackets

    # ------------------------------------------------------------------ for strategies
    def is_candidate(self, arch: Arch | str) -> bool:
        """Never proposed here (up to isomorphism) and accepted by the filter."""
        return self._candidates.is_candidate(arch)

    def is_paused(self, arch: Arch | str) -> bool:
        """``arch``'s run (up to isomorphism) is paused: proposing it resumes that run."""
        key = self.space.key(arch)
        run = self._runs.get(key)
        if run is None or key in self._dropped or not 0 < run.epochs < self.max_epochs:
            return False
        return all(key not in bracket.members for bracket in self._open)

    def random_candidate(self) -> Arch:
        """A uniformly drawn candidate."""
        return self._candidates.random_candidate()

    def encode(self, arch: Arch | str, encoding: str) -> np.ndarray:
        return np.asarray(self.space.encode(arch, encoding), dtype=float)

    # ------------------------------------------------------------------ internals
    def _open_bracket(self) -> _OpenBracket:
        schedule = self.brackets[self._num_brackets % len(self.brackets)]
        bracket = _OpenBracket(number=self._num_brackets, schedule=schedule)
        self.strategy.start_bracket(self, schedule.num_runs)
        self._open.append(bracket)  # open already: a run resumed here is no longer paused
        try:
            for _ in range(schedule.num_runs):
                try:
                    arch = self.space.prune(self.strategy.propose(self))
                except OmniError:
                    if bracket.members:  # the space ran dry: a smaller bracket
                        break
                    raise
                key = self.space.key(arch)
                if self.is_paused(arch):  # resumed
                    self._seat(bracket, key)
                    self._num_resumed += 1
                    continue
                if not self.is_candidate(arch):
                    raise OmniError(
                        f"strategy {self.strategy.name!r} proposed an architecture that was "
                        "already proposed (and is not paused) or that the candidate filter "
                        "rejects"
                    )
                text = self.space.to_str(arch)
                self._candidates.exclude(arch)
                self._runs[key] = TrainingRun(arch=text)
                self._seat(bracket, key)
        except OmniError:
            self._open.remove(bracket)
            raise
        self._num_brackets += 1
        self._advance_if_complete(bracket)  # when every seat went to a run already there
        return bracket

    def _seat(self, bracket: _OpenBracket, key: str) -> None:
        """Put a run in the bracket's current rung: a job up to the rung's epochs, resuming
        from the run's own; none when it has them already (it counts as told there)."""
        run = self._runs[key]
        target = bracket.schedule.rungs[bracket.rung].epochs
        bracket.members.append(key)
        if run.epochs >= target:
            bracket.told.add(key)
        else:
            bracket.queue.append(self._job(run.arch, target, run.epochs, bracket))

    def _job(self, arch: str, epochs: int, start: int, bracket: _OpenBracket) -> Job:
        job = Job(arch, int(epochs), int(start), bracket.number, bracket.rung, self._next_id)
        self._next_id += 1
        return job

    def _hand_out(self, bracket: _OpenBracket) -> Job:
        job = bracket.queue.popleft()
        self._pending[job.id] = (job, bracket)
        return job

    def _pending_bracket(self, job: Job) -> _OpenBracket:
        if not isinstance(job, Job):
            raise OmniError(f"tell() takes the Job returned by ask(), got {type(job).__name__}")
        entry = self._pending.get(job.id)
        if entry is None or entry[0] != job:
            told = any(e.job == job for e in self._history)
            raise OmniError(
                f"job {job.id} ({job.arch} to {job.epochs} epochs) "
                + ("was already told; tell it once" if told else "was never asked by ask()")
            )
        return entry[1]

    def _advance_if_complete(self, bracket: _OpenBracket) -> None:
        """Promote the top of a finished rung (or close a finished bracket); again while the
        promoted runs all reached the next rung already (resumed runs)."""
        while not bracket.queue and not any(b is bracket for _, b in self._pending.values()):
            if not self._promote(bracket):
                return

    def _promote(self, bracket: _OpenBracket) -> bool:
        """Rank a finished rung and seat its top in the next; False: the bracket closed."""
        schedule = bracket.schedule
        members = [k for k in bracket.members if k in bracket.told]
        if bracket.rung + 1 >= len(schedule.rungs) or not members:
            if bracket in self._open:
                self._open.remove(bracket)
            return False
        epochs = schedule.rungs[bracket.rung].epochs
        runs = [self._runs[k] for k in members]
        scores = np.asarray(self.strategy.rank(self, runs, epochs), dtype=float)
        if scores.shape != (len(runs),):
            raise OmniError(f"{self.strategy.name}: got {scores.shape} scores for {len(runs)} runs")
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        keep = min(schedule.rungs[bracket.rung + 1].size, len(members))
        order = np.argsort(-scores, kind="stable")[:keep]
        bracket.rung += 1
        bracket.members = []
        bracket.told = set()
        for i in order:
            self._seat(bracket, members[i])
        return True

    def _parse(self, result: object, epochs: int) -> tuple[float, dict[str, np.ndarray]]:
        if isinstance(result, bool):
            raise OmniError(f"a result must be a number or a curve, got {result!r}")
        if isinstance(result, int | float | np.integer | np.floating):
            value = float(result)
            if not math.isfinite(value):
                raise OmniError(
                    f"the value must be finite, got {value}; drop a failed run with discard(job)"
                )
            return value, {}
        if isinstance(result, Mapping):
            if self.metric not in result:
                raise OmniError(
                    f"the curves told must include {self.metric!r} (the ranking metric); got "
                    f"{sorted(map(str, result))}"
                )
            curves = {}
            for name, curve in result.items():
                if not isinstance(name, str):
                    raise OmniError(f"curve names must be strings, got {name!r}")
                curves[name] = _curve(curve, epochs, name)
        else:
            curves = {self.metric: _curve(result, epochs, self.metric)}
        return float(curves[self.metric][-1]), curves


def _curve(curve: object, epochs: int, name: str) -> np.ndarray:
    try:
        arr = np.array(curve, dtype=float)
    except (TypeError, ValueError):
        raise OmniError(f"curve {name!r} must be a sequence of numbers, one per epoch") from None
    if arr.shape != (epochs,):
        raise OmniError(
            f"curve {name!r} must hold one value per epoch from epoch 1 to {epochs} "
            f"({epochs} values), got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise OmniError(f"curve {name!r} has NaN/inf; drop a failed run with discard(job)")
    return arr
