"""The study's evaluation protocol: splits over canonical classes, metrics, the loop."""

from omni.evaluation.metrics import METRICS, score_predictions
from omni.evaluation.protocol import RECORD_KEYS, evaluate, summarize
from omni.evaluation.splits import mutation_split, uniform_split

__all__ = [
    "METRICS",
    "RECORD_KEYS",
    "evaluate",
    "mutation_split",
    "score_predictions",
    "summarize",
    "uniform_split",
]
