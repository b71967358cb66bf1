"""l2_norm: sum of per-layer weight norms at initialisation (NAS-Bench-Suite-Zero, Krishnakumar
et al., NeurIPS 2022 Datasets & Benchmarks; NASLib ``measures/l2_norm.py``).

    l2_norm = sum over conv/linear layers l of || W_l ||_2

Data-independent. Higher is better, as stored by NAS-Bench-Suite-Zero.
"""

from __future__ import annotations

import torch

from features.zero_cost._common import Evidence, finite_or_nan, weight_layers

NAME = "l2_norm"
NEEDS: frozenset[str] = frozenset()


def score(ev: Evidence) -> float:
    with torch.no_grad():
        total = sum(float(layer.weight.norm()) for layer in weight_layers(ev.model))
    return finite_or_nan(NAME, total)
