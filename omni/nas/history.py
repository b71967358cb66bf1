"""What a search has seen: one :class:`Evaluation` per architecture told to a searcher."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Evaluation:
    """One evaluated architecture: its string form, accuracy and optional evidence.

    ``curve`` (per-epoch values) and ``proxies`` (proxy name -> score) are kept as told, for the
    user's featurizer and analysis; ``step`` is the position in the searcher's history.
    """

    arch: str
    accuracy: float
    step: int
    curve: np.ndarray | None = None
    proxies: dict[str, float] | None = None
