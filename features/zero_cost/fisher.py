"""fisher: channel saliency from the empirical Fisher (Theis et al., "Faster gaze prediction
with dense networks and Fisher pruning", 2018; Turner et al., BlockSwap, ICLR 2020; as a NAS
proxy Abdelfattah et al., ICLR 2021; NASLib ``measures/fisher.py``).

For every conv/linear layer with output activations a (N, C, ...) and g = dL/da:

    Delta_c = 1/2 * mean_n ( sum_spatial a[n, c] * g[n, c] )^2
    fisher  = sum over layers, channels c of |Delta_c| * (weights per output channel)

The last factor reproduces NASLib, which broadcasts each channel value to the weights of that
channel before summing. Higher is better.
"""

from __future__ import annotations

import math

import torch

from features.zero_cost._common import Evidence, finite_or_nan

NAME = "fisher"
NEEDS = frozenset({"activations"})


def score(ev: Evidence) -> float:
    total = 0.0
    for layer, pairs in zip(ev.layers, ev.activations, strict=True):
        per_channel_weights = math.prod(layer.weight.shape[1:])
        delta = None
        for act, grad in pairs:
            prod = act * grad
            g_nk = prod.sum(dim=tuple(range(2, prod.dim()))) if prod.dim() > 2 else prod
            d = g_nk.pow(2).mean(0).mul(0.5)
            delta = d if delta is None else delta + d
        if delta is not None:
            total += float(torch.abs(delta).sum()) * per_channel_weights
    return finite_or_nan(NAME, total)
