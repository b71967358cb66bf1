"""Successive-halving brackets of Hyperband (Li et al., JMLR 2018): how many runs start at
which fidelity, and how many of them each rung promotes.

With ``R = max_epochs / min_epochs`` and ``s_max`` the largest ``s`` with ``eta**s <= R``,
bracket ``s`` (``s_max`` down to 0) starts ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` runs
at ``R * eta**-s`` units of ``min_epochs``; rung ``i`` keeps ``floor(n / eta**i)`` runs at
``eta**i`` times that. Epoch counts are rounded to the nearest integer (at least
``min_epochs``), and the top rung is exactly ``max_epochs``. For 12 epochs and ``eta = 3``:
``[(9, 1), (3, 4), (1, 12)]``, ``[(5, 4), (1, 12)]`` and ``[(3, 12)]`` as (runs, epochs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from features.errors import OmniError


@dataclass(frozen=True)
class Rung:
    """``size`` runs trained up to ``epochs`` epochs."""

    size: int
    epochs: int


@dataclass(frozen=True)
class Bracket:
    """One successive-halving schedule: rungs from the lowest fidelity to ``max_epochs``."""

    s: int
    rungs: tuple[Rung, ...]

    @property
    def num_runs(self) -> int:
        """Runs the bracket starts."""
        return self.rungs[0].size

    @property
    def epochs(self) -> int:
        """Epochs the bracket trains in all, each run resumed from its previous rung."""
        total, below = 0, 0
        for rung in self.rungs:
            total += rung.size * (rung.epochs - below)
            below = rung.epochs
        return total


def _positive_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise OmniError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def hyperband_brackets(max_epochs: int, eta: int = 3, min_epochs: int = 1) -> list[Bracket]:
    """Hyperband's brackets, the most exploratory (``s = s_max``) first."""
    max_epochs = _positive_int(max_epochs, "max_epochs", 1)
    eta = _positive_int(eta, "eta", 2)
    min_epochs = _positive_int(min_epochs, "min_epochs", 1)
    if min_epochs > max_epochs:
        raise OmniError(f"min_epochs ({min_epochs}) cannot exceed max_epochs ({max_epochs})")
    ratio = max_epochs / min_epochs
    s_max = 0
    while eta ** (s_max + 1) <= ratio * (1 + 1e-12):
        s_max += 1
    brackets = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) * eta**s / (s + 1) - 1e-9)
        rungs = []
        for i in range(s + 1):
            if i == s:
                epochs = max_epochs
            else:
                epochs = max(min_epochs, math.floor(max_epochs / eta ** (s - i) + 0.5))
            rungs.append(Rung(size=max(1, n // eta**i), epochs=epochs))
        brackets.append(Bracket(s=s, rungs=tuple(rungs)))
    return brackets
