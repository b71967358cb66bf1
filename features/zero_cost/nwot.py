"""nwot: NAS without training, second version (Mellor et al., ICML 2021, arXiv:2006.04647v3;
NASLib ``measures/nwot.py``).

Every ReLU-family module turns each image n into a binary code c_n (its input > 0). With
K = sum over ReLU layers of [c c^T + (1 - c)(1 - c)^T] (units minus Hamming distance):

    nwot = log |det K|

Higher is better. NaN when the model has no ReLU module or K is singular.
"""

from __future__ import annotations

import numpy as np

from features.zero_cost._common import Evidence, failed, finite_or_nan

NAME = "nwot"
NEEDS = frozenset({"relu_kernel"})


def score(ev: Evidence) -> float:
    if ev.relu_kernel is None:
        return failed(NAME, "the model has no ReLU module")
    sign, logdet = np.linalg.slogdet(ev.relu_kernel)
    if sign == 0:
        return failed(NAME, "the ReLU code kernel is singular (identical activation patterns)")
    return finite_or_nan(NAME, logdet)
