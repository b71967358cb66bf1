"""grasp: gradient signal preservation (Wang et al., "Picking Winning Tickets Before Training
by Preserving Gradient Flow", ICLR 2020; as a NAS proxy Abdelfattah et al., ICLR 2021; NASLib
``measures/grasp.py``).

With g = dL/dW over conv/linear weights and H the Hessian of L:

    grasp = sum over conv/linear weights of  -w * (H g)

NASLib's orientation (its code notes accuracy correlates with -theta H g): higher is better.
"""

from __future__ import annotations

from features.zero_cost._common import Evidence, finite_or_nan

NAME = "grasp"
NEEDS = frozenset({"weight_grads", "hessian_grads"})


def score(ev: Evidence) -> float:
    total = sum(
        float((-layer.weight.detach() * hg).sum())
        for layer, hg in zip(ev.layers, ev.hessian_grads, strict=True)
        if hg is not None
    )
    return finite_or_nan(NAME, total)
