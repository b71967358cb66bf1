"""epe_nas: per-class Jacobian correlation (Lopes et al., "EPE-NAS: Efficient Performance
Estimation Without Training for Neural Architecture Search", ICANN 2021; NASLib
``measures/epe_nas.py``).

J holds input gradients d(sum of logits)/dx as in jacov. For each class c present in the batch,
with R_c the correlation matrix of the rows of J whose target is c and k = 1e-5:

    s_c = sum_ij log(|R_c[i, j]| + k)
    epe_nas = sum_c |s_c|                                      (C <= 100 output classes)
    epe_nas = (1 / #classes) sum_c sum_c' |s_c - s_c'|         (C > 100)

Higher is better. A class with a single image contributes log(1 + k). NaN when the output
ignores the input or a class's correlation is undefined (constant Jacobian row).

NaN (logged) on a token batch: a sequence has no class (its targets are seq_len next tokens of a
large vocabulary), and grouping by any one token would leave one sequence per group and the
same constant score for every network.
"""

from __future__ import annotations

import numpy as np

from features.zero_cost._common import Evidence, failed, finite_or_nan

NAME = "epe_nas"
NEEDS = frozenset({"input_grad"})
K = 1e-5


def epe_from_jacobian(jac: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    jac = np.asarray(jac, dtype=np.float64)
    labels = np.asarray(labels).reshape(-1)
    per_class = {}
    for c in np.unique(labels):
        rows = jac[labels == c]
        if len(rows) == 1:
            per_class[c] = float(np.log(1.0 + K))
            continue
        with np.errstate(all="ignore"):
            corr = np.corrcoef(rows)
        if not np.all(np.isfinite(corr)):
            return failed(NAME, f"undefined Jacobian correlation in class {c} (constant row)")
        per_class[c] = float(np.sum(np.log(np.abs(corr) + K)))
    s = np.array(list(per_class.values()))
    if num_classes <= 100:
        value = np.sum(np.abs(s))
    else:
        value = np.sum(np.abs(s[:, None] - s[None, :])) / len(s)
    return finite_or_nan(NAME, value)


def score(ev: Evidence) -> float:
    if ev.tokens:
        return failed(NAME, "undefined on token batches (a sequence has no single class)")
    if ev.input_grad is None:
        return failed(NAME, "the output does not depend on the input (no input gradient)")
    num_classes = int(ev.logits.shape[-1]) if ev.logits is not None else 0
    return epe_from_jacobian(ev.input_grad.cpu().numpy(), ev.targets.cpu().numpy(), num_classes)
