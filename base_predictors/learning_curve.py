"""The study's learning-curve predictors: a statistic of the first ``e`` epochs of training
ranks architectures by itself (nothing is fitted across architectures).

Each reads one column of :mod:`features.learning_curve` (feature group ``lc:<stat>@<e>``), which
orients every statistic so that higher means better -- no sign is flipped here.

- :class:`EarlyStopPredictor` -- the validation accuracy (else loss) after ``e`` epochs (early
  stopping, the study's baseline; ``lc:val_metric:last@e``);
- :class:`SoTLEPredictor` -- minus the training loss summed over the last epoch, SoTL-E
  (Ru et al., "Speedy Performance Estimation for NAS", NeurIPS 2021; ``lc:sotl_e@e``);
- :class:`LCExtrapolationPredictor` -- the final accuracy extrapolated by parametric curves,
  the median of the converged families' predictions (Domhan, Springenberg & Hutter, IJCAI
  2015; ``lc:val_metric:extrapolate@e``); registered twice: ``lce``, and ``lce-hedged``
  whose median also counts the last value seen (``lc:val_metric:extrapolate_hedged@e``).
"""

from __future__ import annotations

from base_predictors.base import CostProfile
from base_predictors.column import ColumnPredictor

_LC_COST = CostProfile(needs_training=False, fit_complexity="O(1)", feature_cost="epochs")


class EarlyStopPredictor(ColumnPredictor):
    """Validation accuracy at epoch ``e`` as the prediction of the final one."""

    family = "learning-curve"
    cost = _LC_COST


class SoTLEPredictor(ColumnPredictor):
    """Minus SoTL-E (training loss of the last epoch at fidelity ``e``); higher = better."""

    family = "learning-curve"
    cost = _LC_COST


class LCExtrapolationPredictor(ColumnPredictor):
    """Parametric learning-curve extrapolation (Domhan et al. 2015's families)."""

    family = "learning-curve"
    cost = _LC_COST
