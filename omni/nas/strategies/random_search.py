"""Random search: uniform samples of the space, never repeating an architecture."""

from __future__ import annotations

from omni.nas.strategies.base import SearchContext, Strategy
from omni.spaces.base import Arch


class RandomSearch(Strategy):
    """Uniform op assignments (Li & Talwalkar 2019's baseline), skipping seen architectures."""

    name = "random"

    def propose(self, ctx: SearchContext) -> Arch:
        return ctx.random_candidate()
