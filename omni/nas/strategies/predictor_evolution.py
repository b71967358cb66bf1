"""Predictor-guided evolution, the search framework of White et al. (NeurIPS 2021, section 5):
mutate the best architectures into a candidate pool, rank the pool with a predictor refitted on
everything evaluated so far, evaluate the top ``k``."""

from __future__ import annotations

from typing import Any

import numpy as np

from omni.nas.strategies.base import SearchContext
from omni.nas.strategies.guided import ModelGuidedStrategy


class PredictorGuidedEvolution(ModelGuidedStrategy):
    """Candidates ranked by the predictor's mean (see :class:`ModelGuidedStrategy`)."""

    name = "omni-evolution"

    def score(self, ctx: SearchContext, model: Any, X: np.ndarray, best: float) -> np.ndarray:
        return np.asarray(model.predict(X), dtype=float)
