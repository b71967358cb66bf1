"""Regularized (aging) evolution, Real et al. (AAAI 2019)."""

from __future__ import annotations

from collections import deque

from features.errors import OmniError
from omni.nas.history import Evaluation
from omni.nas.strategies.base import SearchContext, Strategy
from omni.spaces.base import Arch


class RegularizedEvolution(Strategy):
    """Population of the ``population_size`` most recent evaluations.

    The first ``population_size`` architectures are random. Afterwards each proposal samples
    ``sample_size`` members uniformly, mutates the most accurate one (one edge op; a random architecture when every
    mutation was seen), and each
    ``tell`` adds the child and ages out the oldest member.
    """

    name = "evolution"

    def __init__(self, population_size: int = 20, sample_size: int = 5) -> None:
        if population_size < 1 or not 1 <= sample_size <= population_size:
            raise OmniError(
                f"need population_size >= 1 and 1 <= sample_size <= population_size, got "
                f"{population_size} and {sample_size}"
            )
        self.population_size = population_size
        self.sample_size = sample_size
        self._population: deque[Evaluation] = deque()

    @property
    def population(self) -> list[Evaluation]:
        """Current members, oldest first."""
        return list(self._population)

    def propose(self, ctx: SearchContext) -> Arch:
        if ctx.num_asked < self.population_size or not self._population:
            return ctx.random_candidate()
        members = list(self._population)
        k = min(self.sample_size, len(members))
        picked = ctx.rng.choice(len(members), size=k, replace=False)
        parent = max((members[i] for i in picked), key=lambda e: e.accuracy)
        options = ctx.space.neighbours(parent.arch)
        for i in ctx.rng.permutation(len(options)):  # a uniform mutation that is still new
            if ctx.is_candidate(options[i]):
                return options[i]
        return ctx.random_candidate()

    def observe(self, ctx: SearchContext, evaluation: Evaluation) -> None:
        self._population.append(evaluation)
        while len(self._population) > self.population_size:
            self._population.popleft()
