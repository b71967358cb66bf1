"""Acquisition functions of Bayesian optimisation over a predictive mean and std.

Each takes the predicted ``mean`` and ``std`` of the candidates (higher accuracy = better), the
best accuracy observed so far and a random generator, and returns one score per candidate:
the candidates with the highest scores are evaluated next.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from features.errors import OmniError

Acquisition = Callable[..., np.ndarray]

#: std floor, so that a model that is certain everywhere still ranks by its mean
MIN_STD = 1e-9


def expected_improvement(
    mean: np.ndarray, std: np.ndarray, best: float, rng: np.random.Generator, xi: float = 0.0
) -> np.ndarray:
    """E[max(y - best - xi, 0)] under y ~ N(mean, std^2) (Jones et al. 1998)."""
    std = np.maximum(std, MIN_STD)
    z = (mean - best - xi) / std
    return (mean - best - xi) * stats.norm.cdf(z) + std * stats.norm.pdf(z)


def upper_confidence_bound(
    mean: np.ndarray, std: np.ndarray, best: float, rng: np.random.Generator, beta: float = 1.0
) -> np.ndarray:
    """mean + beta * std (Srinivas et al. 2010)."""
    return mean + beta * np.maximum(std, 0.0)


def thompson(
    mean: np.ndarray, std: np.ndarray, best: float, rng: np.random.Generator
) -> np.ndarray:
    """Independent Thompson sampling: one draw from N(mean, std^2) per candidate (BANANAS's ITS)."""
    return mean + np.maximum(std, 0.0) * rng.standard_normal(len(mean))


ACQUISITIONS: dict[str, Acquisition] = {
    "ei": expected_improvement,
    "ucb": upper_confidence_bound,
    "its": thompson,
}


def get(name: str) -> Acquisition:
    """The acquisition called ``name`` (``ei``, ``ucb``, ``its``)."""
    try:
        return ACQUISITIONS[name]
    except KeyError:
        raise OmniError(
            f"unknown acquisition {name!r}; use one of {sorted(ACQUISITIONS)}"
        ) from None
