"""plain: first-order Taylor term (Mozer & Smolensky 1989; as a NAS proxy Abdelfattah et al.,
ICLR 2021; NASLib ``measures/plain.py``).

    plain = sum over conv/linear weights w of  w * dL/dw      (signed)

Higher is better, as stored by NAS-Bench-Suite-Zero.
"""

from __future__ import annotations

from features.zero_cost._common import Evidence, finite_or_nan

NAME = "plain"
NEEDS = frozenset({"weight_grads"})


def score(ev: Evidence) -> float:
    total = sum(
        float((layer.weight.detach() * g).sum())
        for layer, g in zip(ev.layers, ev.weight_grads, strict=True)
        if g is not None
    )
    return finite_or_nan(NAME, total)
