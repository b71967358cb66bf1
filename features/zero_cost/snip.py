"""snip: connection sensitivity (Lee et al., "SNIP: Single-shot Network Pruning based on
Connection Sensitivity", ICLR 2019; as a NAS proxy Abdelfattah et al., ICLR 2021; NASLib
``measures/snip.py``).

    snip = sum over conv/linear weights w of | w * dL/dw |

(|dL/dm| for a multiplicative mask m = 1 on each weight equals |w dL/dw|.) Higher is better.
"""

from __future__ import annotations

from features.zero_cost._common import Evidence, finite_or_nan

NAME = "snip"
NEEDS = frozenset({"weight_grads"})


def score(ev: Evidence) -> float:
    total = sum(
        float((layer.weight.detach() * g).abs().sum())
        for layer, g in zip(ev.layers, ev.weight_grads, strict=True)
        if g is not None
    )
    return finite_or_nan(NAME, total)
