"""jacov: Jacobian covariance (Mellor et al., "Neural Architecture Search without Training",
ICML 2021, first version arXiv:2006.04647v1; NASLib ``measures/jacov.py``).

J is the (N, D) matrix of input gradients d(sum of logits)/dx, one row per image. With
lambda_i the eigenvalues of the (N, N) correlation matrix of the rows of J and k = 1e-5:

    jacov = -sum_i [ log(lambda_i + k) + 1 / (lambda_i + k) ]

Higher is better (uncorrelated Jacobians: every lambda_i = 1 gives the maximum, -N).
NaN when the output ignores the input or a row of J is constant (undefined correlation).

On a token batch x is the output of the model's first ``nn.Embedding`` (token ids have no
gradient) and a row of J is one sequence.
"""

from __future__ import annotations

import numpy as np

from features.zero_cost._common import Evidence, failed, finite_or_nan, first_embedding

NAME = "jacov"
NEEDS = frozenset({"input_grad"})
K = 1e-5


def jacov_from_jacobian(jac: np.ndarray) -> float:
    """The jacov score of an (N, D) Jacobian (NaN, logged, when it is degenerate)."""
    jac = np.asarray(jac, dtype=np.float64)
    if jac.ndim != 2 or jac.shape[0] < 2:
        return failed(NAME, f"needs at least 2 Jacobian rows, got shape {jac.shape}")
    if not np.all(np.isfinite(jac)):
        return failed(NAME, "the Jacobian has NaN/inf entries")
    if np.any(np.ptp(jac, axis=1) == 0):
        return failed(NAME, "degenerate Jacobian: a row is constant (output ignores the input?)")
    with np.errstate(all="ignore"):
        corr = np.corrcoef(jac)
    if not np.all(np.isfinite(corr)):
        return failed(NAME, "degenerate Jacobian: undefined correlation")
    v = np.linalg.eigvalsh(corr)
    if np.any(v + K <= 0):
        return failed(NAME, f"correlation eigenvalue {v.min():.3g} <= -k (numerically singular)")
    return finite_or_nan(NAME, -np.sum(np.log(v + K) + 1.0 / (v + K)))


def score(ev: Evidence) -> float:
    if ev.tokens and first_embedding(ev.model) is None:
        return failed(NAME, "a token model without an nn.Embedding has no input to differentiate")
    if ev.input_grad is None:
        return failed(NAME, "the output does not depend on the input (no input gradient)")
    return jacov_from_jacobian(ev.input_grad.cpu().numpy())
