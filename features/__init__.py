"""Bottom layer: turns raw evidence (cells, curves, networks) into numbers.

Knows torch and numpy; knows no search space by name.
"""

from features.dag import CellDAG
from features.errors import OmniError

__all__ = ["CellDAG", "OmniError"]
