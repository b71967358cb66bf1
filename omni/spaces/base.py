"""The :class:`SearchSpace` contract: everything space-specific sits behind it.

Callers -- splits, training, search, the CLI, feature groups, benchmarks -- hold a
``SearchSpace`` and never a concrete class. An architecture (``Arch``) is whatever hashable
value a space chooses (an op tuple for ops-on-edges cells, a matrix-and-ops pair for NB101);
outside the space it travels as its string form (:meth:`SearchSpace.to_str`).

A space implements: :meth:`parse` / :meth:`to_str` / :meth:`validate`, :meth:`canonical`,
:meth:`sample`, :meth:`neighbours`, :meth:`graphs` (the labelled DAG(s) the features encode),
:meth:`network` and its :attr:`tasks`. Everything else has a default built on those.
A space that lists its :meth:`decisions` (one categorical choice each) can be searched from
Optuna: :meth:`suggest` asks them of a trial, so a study's params map back to an architecture.
:func:`omni.spaces.checks.check_space` tests that an implementation keeps the contract.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from features import encodings as _enc
from features.dag import CellDAG
from features.errors import InvalidArchitectureError, OmniError
from features.graph_features import feature_names as _graph_feature_names
from features.graph_features import graph_features

Arch = Hashable


def as_rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """A numpy Generator from a seed, a Generator (returned as is) or None."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


@dataclass(frozen=True)
class Decision:
    """One categorical choice of a space: a parameter ``name`` and its ``choices``
    (strings, ints, bools or None, as Optuna's ``suggest_categorical`` takes)."""

    name: str
    choices: tuple[Any, ...]


@dataclass(frozen=True)
class Task:
    """What a network is built for: its input shape (without batch) and number of outputs.

    ``inputs`` is what the network reads: ``"image"`` (float tensors ``(N, *input_shape)``, one
    label per input) or ``"tokens"`` (a language model: integer ids ``< num_outputs`` of shape
    ``(seq_len, batch)`` with ``input_shape == (seq_len,)``, logits ``(seq_len, batch,
    num_outputs)``, trained by next-token cross-entropy).
    """

    name: str
    input_shape: tuple[int, ...]
    num_outputs: int
    inputs: str = "image"

    def __post_init__(self) -> None:
        shape = tuple(int(v) for v in self.input_shape)
        if not shape or min(shape) < 1:
            raise OmniError(f"task {self.name!r}: input_shape must be positive, got {shape}")
        if int(self.num_outputs) < 1:
            raise OmniError(f"task {self.name!r}: num_outputs must be >= 1")
        if self.inputs not in ("image", "tokens"):
            raise OmniError(f"task {self.name!r}: inputs must be 'image' or 'tokens'")
        if self.inputs == "tokens" and len(shape) != 1:
            raise OmniError(f"task {self.name!r}: a token task's input_shape is (seq_len,)")
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "num_outputs", int(self.num_outputs))


class SearchSpace(ABC):
    """A search space of neural architectures (see the module docstring).

    Class attributes a space sets: ``name``; ``tasks`` (task name -> :class:`Task`) and
    ``default_task``; ``enumerable`` (``all_archs`` may be called); ``encodings`` (the names
    :meth:`encode` understands, each of one fixed length); ``graph_ops`` (labels of the inner
    nodes of :meth:`graphs`, the vocabulary of graph features and op counts);
    ``structural_ops`` (labels of graph_ops that mark cell inputs rather than operations: the
    graph features keep them in every op subset); ``max_nodes`` (most nodes one DAG can have,
    for the padded encoding).
    """

    name: str = "space"
    tasks: Mapping[str, Task] = {}
    default_task: str | None = None
    enumerable: bool = False
    encodings: tuple[str, ...] = ("graph", "opcount")
    graph_ops: tuple[str, ...] = ()
    structural_ops: tuple[str, ...] = ()
    max_nodes: int | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # ---------------------------------------------------------------- parse / print
    @abstractmethod
    def parse(self, text: str) -> Arch:
        """The architecture of a string (the space's form, or a published key it knows).

        Raises :class:`InvalidArchitectureError` naming the rule broken.
        """

    @abstractmethod
    def to_str(self, arch: Any) -> str:
        """The string form; ``parse(to_str(a)) == a``."""

    @abstractmethod
    def validate(self, arch: Any) -> Arch:
        """A non-string architecture object checked and normalised (else the error)."""

    def coerce(self, arch: Any) -> Arch:
        """Accept a string or an architecture object; return the validated architecture."""
        return self.parse(arch) if isinstance(arch, str) else self.validate(arch)

    def is_valid(self, arch: Any) -> bool:
        try:
            self.coerce(arch)
        except InvalidArchitectureError:
            return False
        return True

    # ---------------------------------------------------------------- identity
    def prune(self, arch: Any) -> Arch:
        """The functional form: parts that cannot affect the output removed (default: none)."""
        return self.coerce(arch)

    @abstractmethod
    def canonical(self, arch: Any) -> Arch:
        """The representative of ``arch``'s isomorphism class (idempotent)."""

    def key(self, arch: Any) -> str:
        """A string equal for two architectures exactly when they are isomorphic."""
        return self.to_str(self.canonical(arch))

    # ---------------------------------------------------------------- sampling and moves
    @abstractmethod
    def sample(self, n: int, random_state: int | np.random.Generator | None = None) -> list[Arch]:
        """``n`` architectures drawn at random (with replacement)."""

    @abstractmethod
    def neighbours(self, arch: Any) -> list[Arch]:
        """Every architecture one elementary change away (each valid, none equal to ``arch``)."""

    def mutate(self, arch: Any, random_state: int | np.random.Generator | None = None) -> Arch:
        """A random neighbour (default: uniform over :meth:`neighbours`)."""
        rng = as_rng(random_state)
        options = self.neighbours(arch)
        if not options:
            raise OmniError(f"{self.to_str(arch)!r} has no neighbour in space {self.name!r}")
        return options[int(rng.integers(len(options)))]

    @property
    def size(self) -> int | None:
        """Number of architectures (None when unknown or astronomically large)."""
        return None

    def all_archs(self) -> Iterable[Arch]:
        """Every architecture; only for spaces with ``enumerable = True``."""
        raise OmniError(f"space {self.name!r} cannot be enumerated")

    # ---------------------------------------------------------------- decisions (Optuna)
    def decisions(self) -> tuple[Decision, ...]:
        """The space's categorical choices, the same for every architecture (default: none).

        A space that lists them also implements :meth:`to_decisions` and
        :meth:`from_decisions`; choices some combinations of which break a rule are allowed
        (:meth:`from_decisions` then raises).
        """
        return ()

    def to_decisions(self, arch: Any) -> dict[str, Any]:
        """The value of every decision that gives ``arch`` (up to isomorphism)."""
        raise OmniError(_no_decisions(self))

    def from_decisions(self, values: Mapping[str, Any]) -> Arch:
        """The architecture of one value per decision; :class:`InvalidArchitectureError`
        naming the rule when the combination is not an architecture of the space."""
        raise OmniError(_no_decisions(self))

    def suggest(self, trial: Any) -> Arch:
        """The architecture an Optuna ``trial`` chooses: one ``suggest_categorical`` per
        decision, in order. A combination that breaks a rule of the space prunes the trial
        (``optuna.TrialPruned`` naming the rule): random and TPE samplers can draw them,
        :class:`omni.integrations.OmniSampler` never does."""
        decisions = require_decisions(self)
        values = {d.name: trial.suggest_categorical(d.name, d.choices) for d in decisions}
        try:
            return self.from_decisions(values)
        except InvalidArchitectureError as err:
            import optuna

            raise optuna.TrialPruned(f"not an architecture of {self.name!r}: {err}") from None

    # ---------------------------------------------------------------- graphs and encodings
    @abstractmethod
    def graphs(self, arch: Any) -> tuple[CellDAG, ...]:
        """The labelled DAG(s) of ``arch`` (ops on nodes; one DAG per cell)."""

    def encode(self, arch: Any, name: str) -> np.ndarray:
        """Encoding ``name`` (one of :attr:`encodings`) of ``arch`` as a float vector.

        Defaults: ``graph`` (GRAF-style graph features, :mod:`features.graph_features`) and
        ``opcount`` over every DAG of :meth:`graphs`, concatenated; ``padded`` (adjacency and
        one-hot labels padded to :attr:`max_nodes`, the graph networks' input) where a space
        has a single DAG and sets ``max_nodes``.
        """
        self._check_encoding(name)
        dags = self.graphs(arch)
        if name == "graph":
            parts = [graph_features(d, self.graph_ops, self.structural_ops) for d in dags]
        elif name == "opcount":
            parts = [_enc.op_counts(d, self.graph_ops) for d in dags]
        elif name == "padded" and self.max_nodes and len(dags) == 1:
            adj, labels = _enc.padded_dag(dags[0], self.graph_ops, self.max_nodes)
            parts = [adj.ravel(), labels.ravel()]
        else:
            raise OmniError(f"space {self.name!r} lists encoding {name!r} but does not build it")
        return np.concatenate(parts).astype(np.float32)

    def encoding_names(self, name: str) -> list[str] | None:
        """Column names of encoding ``name`` when it has meaningful ones (else None)."""
        if name == "graph":
            per = _graph_feature_names(self.graph_ops, self.structural_ops)
            n = len(self.graphs(self.sample(1, 0)[0]))
            return per if n == 1 else [f"cell{k}:{c}" for k in range(n) for c in per]
        return None

    def _check_encoding(self, name: str) -> None:
        if name not in self.encodings:
            raise OmniError(
                f"space {self.name!r} has no encoding {name!r}; it has {list(self.encodings)}"
            )

    # ---------------------------------------------------------------- networks
    def task(self, task: str | Task | None = None) -> Task:
        """A :class:`Task` from a name of :attr:`tasks`, a ``Task`` (as is) or None (default)."""
        if isinstance(task, Task):
            return task
        name = self.default_task if task is None else task
        if name not in self.tasks:
            raise OmniError(
                f"space {self.name!r} has no task {task!r}; it knows {sorted(self.tasks)} "
                "(or pass omni.spaces.Task(name, input_shape, num_outputs))"
            )
        return self.tasks[name]

    @abstractmethod
    def network(self, arch: Any, task: str | Task | None = None, **options: Any):
        """The torch network of ``arch`` for ``task`` (the space's reference skeleton).

        ``options`` are the skeleton's settings (width, depth, ...); its defaults reproduce
        the published parameter counts.
        """


def _no_decisions(space: SearchSpace) -> str:
    return (
        f"space {space.name!r} lists no decisions: implement decisions(), to_decisions() "
        "and from_decisions() to search it from Optuna"
    )


def require_decisions(space: SearchSpace) -> tuple[Decision, ...]:
    """The decisions of ``space``; :class:`OmniError` when it lists none."""
    decisions = space.decisions()
    if not decisions:
        raise OmniError(_no_decisions(space))
    return decisions


def checked_decisions(space: SearchSpace, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` of every decision of ``space``, each one of its choices (else the error)."""
    if not isinstance(values, Mapping):
        raise InvalidArchitectureError(
            f"decisions of {space.name!r} are a mapping name -> value, got {type(values).__name__}"
        )
    out = {}
    for d in space.decisions():
        if d.name not in values:
            raise InvalidArchitectureError(f"decision {d.name!r} of {space.name!r} is missing")
        if values[d.name] not in d.choices:
            raise InvalidArchitectureError(
                f"decision {d.name!r} of {space.name!r} is {values[d.name]!r}; "
                f"it takes one of {list(d.choices)}"
            )
        out[d.name] = values[d.name]
    return out


def int_tuple(key: str, length: int, example: str) -> tuple[int, ...]:
    """The integers of a NASLib tuple key ``"(a, b, ...)"`` of ``length`` elements, else the
    :class:`InvalidArchitectureError` naming what is wrong (``example`` shows the form)."""
    text = key.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise invalid(key, f"a NASLib key looks like {example!r}")
    try:
        codes = tuple(int(t) for t in text[1:-1].split(","))
    except ValueError:
        raise invalid(key, "NASLib key elements must be integers") from None
    if len(codes) != length:
        raise invalid(key, f"a NASLib key here has {length} elements, found {len(codes)}")
    return codes


def invalid(arch: Any, rule: str) -> InvalidArchitectureError:
    """The error for an architecture that breaks ``rule`` (spaces raise it)."""
    return InvalidArchitectureError(f"{arch!r}: {rule}")


__all__ = ["Arch", "SearchSpace", "Task", "as_rng", "int_tuple", "invalid"]
