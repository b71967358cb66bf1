"""omni-nas: predict how good a neural architecture will be before it is fully trained.

The public surface is small on purpose; everything else is private to its module.
"""

from __future__ import annotations

from features.errors import OmniError
from omni import spaces
from omni.data import Benchmark, load_benchmark

__version__ = "0.1.0"

__all__ = ["Benchmark", "OmniError", "__version__", "load_benchmark", "spaces"]
