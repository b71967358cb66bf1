"""omni-nas inside other tools' loops: :class:`OmniSampler`, an Optuna sampler (Ray Tune's
``OptunaSearch`` takes it too) that searches a space's architectures with OMNI."""

from __future__ import annotations

from omni.integrations.optuna_sampler import ARCH_ATTR, OmniSampler

__all__ = ["ARCH_ATTR", "OmniSampler"]
