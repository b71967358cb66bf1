"""params: number of parameters, in millions (NAS-Bench-Suite-Zero / NASLib
convention, e.g. 1.531546 for the all-``nor_conv_3x3`` NAS-Bench-201 cell on CIFAR-10).

    params = sum of numel(p) over all parameters / 1e6

Data-independent; frozen parameters count, BatchNorm running statistics (buffers) do not.
"""

from __future__ import annotations

from features.zero_cost._common import Evidence

NAME = "params"
NEEDS: frozenset[str] = frozenset()


def score(ev: Evidence) -> float:
    return sum(p.numel() for p in ev.model.parameters()) / 1e6
