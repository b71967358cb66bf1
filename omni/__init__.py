"""omni-nas: predict how good a neural architecture will be before it is fully trained.

The public surface is small on purpose; everything else is private to its module.
"""

from __future__ import annotations

from features.errors import OmniError
from omni import spaces
from omni.budget import Budget
from omni.data import Benchmark, load_benchmark
from omni.featurizer import Featurizer
from omni.nas import Searcher
from omni.predictor import OmniPredictor

__version__ = "0.1.0"

__all__ = [
    "Benchmark",
    "Budget",
    "Featurizer",
    "OmniError",
    "OmniPredictor",
    "Searcher",
    "__version__",
    "load_benchmark",
    "spaces",
]
