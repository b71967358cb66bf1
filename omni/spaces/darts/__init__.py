"""DARTS / NAS-Bench-301: the space (:class:`DartsSpace`), its encodings and network."""

from __future__ import annotations

from omni.spaces.darts.space import DartsGenotype, DartsSpace

__all__ = ["DartsGenotype", "DartsSpace"]
