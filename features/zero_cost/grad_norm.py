"""grad_norm: sum of per-layer gradient norms (Abdelfattah et al., "Zero-Cost Proxies for
Lightweight NAS", ICLR 2021; NASLib ``measures/grad_norm.py``).

    grad_norm = sum over conv/linear layers l of || dL/dW_l ||_2

L is the cross-entropy of the minibatch. Higher is better.
"""

from __future__ import annotations

from features.zero_cost._common import Evidence, finite_or_nan

NAME = "grad_norm"
NEEDS = frozenset({"weight_grads"})


def score(ev: Evidence) -> float:
    total = sum(float(g.norm()) for g in ev.weight_grads if g is not None)
    return finite_or_nan(NAME, total)
