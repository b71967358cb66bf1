"""What the predictor-guided strategies share: a random start, mutation-based candidate pools,
and batches of ``k`` proposals per predictor refit (White et al. 2021, section 5)."""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections import deque
from typing import Any

import numpy as np

from features.errors import OmniError
from omni.nas.strategies.base import SearchContext, Strategy
from omni.spaces.base import Arch

logger = logging.getLogger(__name__)

#: draws per wanted candidate before a pool is declared as full as it gets
POOL_TRIES_PER_CANDIDATE = 20
#: fewest evaluations a predictor is fitted on (fewer: keep sampling at random)
MIN_TRAIN = 4


def mutation_pool(
    ctx: SearchContext, parents: list[str], size: int, max_edits: int = 1
) -> list[Arch]:
    """Up to ``size`` distinct candidates, each 1..``max_edits`` mutations of a parent.

    Parents are used in turn (the best first). Candidates satisfy ``ctx.is_candidate`` and are
    distinct up to isomorphism; fewer than ``size`` come back when the neighbourhood runs dry.
    """
    pool: dict[str, Arch] = {}
    space = ctx.space
    for attempt in range(size * POOL_TRIES_PER_CANDIDATE):
        if len(pool) >= size:
            break
        child: Arch = space.coerce(parents[attempt % len(parents)])
        for _ in range(int(ctx.rng.integers(1, max_edits + 1))):
            child = space.mutate(child, ctx.rng)
        key = space.key(child)
        if key not in pool and ctx.is_candidate(child):
            pool[key] = space.prune(child)
    return list(pool.values())


class ModelGuidedStrategy(Strategy):
    """Random for the first ``num_init`` proposals; then, every ``k`` proposals, refit the
    predictor on all evaluations, build a pool of ``num_candidates`` mutations of the
    ``num_parents`` best architectures, and queue the ``k`` best by :meth:`score`."""

    uses_predictor = True

    def __init__(
        self,
        num_init: int = 20,
        k: int = 10,
        num_candidates: int = 100,
        num_parents: int = 10,
        max_edits: int = 1,
    ) -> None:
        if min(num_init, k, num_candidates, num_parents, max_edits) < 1:
            raise OmniError(
                "num_init, k, num_candidates, num_parents and max_edits must all be >= 1"
            )
        if k > num_candidates:
            raise OmniError(f"k ({k}) cannot exceed num_candidates ({num_candidates})")
        self.num_init = num_init
        self.k = k
        self.num_candidates = num_candidates
        self.num_parents = num_parents
        self.max_edits = max_edits
        self._queue: deque[Arch] = deque()

    @abstractmethod
    def score(self, ctx: SearchContext, model: Any, X: np.ndarray, best: float) -> np.ndarray:
        """One score per candidate row of ``X`` (higher = evaluate sooner)."""

    def propose(self, ctx: SearchContext) -> Arch:
        if ctx.num_asked < self.num_init or len(ctx.history) < MIN_TRAIN:
            return ctx.random_candidate()
        while self._queue:
            arch = self._queue.popleft()
            if ctx.is_candidate(arch):
                return arch
        self._refill(ctx)
        return self._queue.popleft() if self._queue else ctx.random_candidate()

    def _refill(self, ctx: SearchContext) -> None:
        history = sorted(ctx.history, key=lambda e: (-e.accuracy, e.step))
        parents = [e.arch for e in history[: self.num_parents]]
        pool = mutation_pool(ctx, parents, self.num_candidates, self.max_edits)
        if len(pool) < self.k:  # local neighbourhood exhausted: widen with random candidates
            seen = {ctx.space.key(a) for a in pool}
            for _ in range(self.num_candidates * POOL_TRIES_PER_CANDIDATE):
                if len(pool) >= self.num_candidates:
                    break
                arch = ctx.random_candidate()
                key = ctx.space.key(arch)
                if key not in seen:
                    seen.add(key)
                    pool.append(arch)
        if not pool:
            return
        model = ctx.fit_predictor()
        X = ctx.features([ctx.space.to_str(a) for a in pool])
        scores = np.asarray(self.score(ctx, model, X, history[0].accuracy), dtype=float)
        if scores.shape != (len(pool),):
            raise OmniError(f"{self.name}: got {scores.shape} scores for {len(pool)} candidates")
        scores = np.where(np.isfinite(scores), scores, -np.inf)
        order = np.argsort(-scores, kind="stable")[: self.k]
        logger.debug("%s: pool of %d, queued %d", self.name, len(pool), len(order))
        self._queue.extend(pool[i] for i in order)
