"""Weight sharing: a one-shot supernet of an ops-on-edges space, trained once, ranks every
architecture by its accuracy with inherited weights (White et al. 2021's weight-sharing
predictors; single-path one-shot sampling, Guo et al. 2020).

- :mod:`~omni.weight_sharing.supernet`: the :class:`Supernet`, assembled through the space
  contract (any :class:`~omni.spaces.CellSpace`: ``nb201``, ``tnb101-micro``, a user's);
- :mod:`~omni.weight_sharing.training`: :func:`train_supernet`, resumable and cached by a hash
  of its settings (``$OMNI_CACHE_DIR/supernets``);
- :mod:`~omni.weight_sharing.scoring`: :func:`score_archs` (batch-norm recalibration, then
  validation accuracy) and :func:`attach_ws_scores`, which adds the ``ws:<name>`` feature group
  to a benchmark.
"""

from omni.weight_sharing.scoring import attach_ws_scores, score_archs
from omni.weight_sharing.supernet import Supernet
from omni.weight_sharing.training import SupernetConfig, TrainedSupernet, train_supernet

__all__ = [
    "Supernet",
    "SupernetConfig",
    "TrainedSupernet",
    "attach_ws_scores",
    "score_archs",
    "train_supernet",
]
