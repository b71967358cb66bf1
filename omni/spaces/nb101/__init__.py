"""NAS-Bench-101: the space (:class:`NB101Space`), its cells, graph helpers and network."""

from __future__ import annotations

from omni.spaces.nb101.space import NB101Cell, NB101Space

__all__ = ["NB101Cell", "NB101Space"]
