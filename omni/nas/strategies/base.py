"""The strategy interface: how a :class:`~omni.nas.Searcher` chooses the next architecture.

A strategy only proposes; the searcher owns the history, the bookkeeping of asked and told
architectures and the checks. Strategies see the searcher through :class:`SearchContext`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np

from omni.nas.history import Evaluation
from omni.spaces.base import Arch, SearchSpace


class SearchContext(Protocol):
    """What a strategy may read from and ask of its searcher."""

    space: SearchSpace
    rng: np.random.Generator

    @property
    def history(self) -> list[Evaluation]: ...

    @property
    def num_asked(self) -> int:
        """Architectures asked so far (told + pending)."""
        ...

    def is_candidate(self, arch: Arch | str) -> bool:
        """Not evaluated or pending yet (isomorphs included) and accepted by the filter."""
        ...

    def random_candidate(self) -> Arch: ...

    def features(self, archs: Sequence[str]) -> np.ndarray: ...

    def fit_predictor(self) -> Any:
        """A fresh predictor fitted on every evaluation so far."""
        ...


class Strategy(ABC):
    """Chooses architectures. One instance serves one searcher (the searcher copies it)."""

    #: registry name
    name: ClassVar[str] = ""
    #: ranks candidates with a predictor (the searcher then needs a featurizer)
    uses_predictor: ClassVar[bool] = False
    #: needs ``predict_dist`` from the predictor
    needs_distribution: ClassVar[bool] = False

    @abstractmethod
    def propose(self, ctx: SearchContext) -> Arch:
        """The next architecture to evaluate; must satisfy ``ctx.is_candidate``."""

    def observe(self, ctx: SearchContext, evaluation: Evaluation) -> None:  # noqa: B027
        """Called once per accepted ``tell`` (after all checks passed); default: nothing."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"
