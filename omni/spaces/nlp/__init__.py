"""NAS-Bench-NLP: recurrent cells (:mod:`~omni.spaces.nlp.cell`), the space, the LM network."""

from __future__ import annotations

from omni.spaces.nlp.cell import RecurrentCell
from omni.spaces.nlp.space import NLPSpace

__all__ = ["NLPSpace", "RecurrentCell"]
