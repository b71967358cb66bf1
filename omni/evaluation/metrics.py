"""Ranking and correlation metrics of the study (White et al. 2021, section 3)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from features.errors import OmniError

METRICS = (
    "kendall_tau",
    "spearman",
    "pearson",
    "sparse_kendall_tau",
    "precision_at_10",
    "precision_at_20",
)


def _finite_predictions(y_pred: np.ndarray) -> np.ndarray:
    """NaN predictions (a proxy that failed) rank below every real prediction."""
    y_pred = np.asarray(y_pred, dtype=float)
    bad = ~np.isfinite(y_pred)
    if bad.all():
        return np.zeros_like(y_pred)
    if bad.any():
        y_pred = y_pred.copy()
        good = y_pred[~bad]
        y_pred[bad] = good.min() - 1.0 - abs(good.max() - good.min())
    return y_pred


def precision_at_k(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> float:
    """Fraction of the true top-k that the predicted top-k contains."""
    if k > len(y_true):
        return float("nan")
    top_true = set(np.argsort(-np.asarray(y_true), kind="stable")[:k])
    top_pred = set(np.argsort(-np.asarray(y_pred), kind="stable")[:k])
    return len(top_true & top_pred) / k


def score_predictions(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Every metric of :data:`METRICS` for one test set.

    ``sparse_kendall_tau`` rounds truth and prediction to one decimal (0.1 percentage points when
    both are accuracies in percent), as the study does. Correlations of a constant prediction are
    NaN (scipy's convention), not 0.
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = _finite_predictions(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise OmniError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must be equal 1-d shapes")
    if len(y_true) < 2 or not np.all(np.isfinite(y_true)):
        raise OmniError("need at least 2 finite true values to score a ranking")
    constant = np.ptp(y_pred) == 0
    with np.errstate(all="ignore"):
        out = {
            "kendall_tau": np.nan if constant else stats.kendalltau(y_true, y_pred)[0],
            "spearman": np.nan if constant else stats.spearmanr(y_true, y_pred)[0],
            "pearson": np.nan if constant else stats.pearsonr(y_true, y_pred)[0],
        }
        rounded = np.round(y_pred, 1)
        out["sparse_kendall_tau"] = (
            np.nan if np.ptp(rounded) == 0 else stats.kendalltau(np.round(y_true, 1), rounded)[0]
        )
    out["precision_at_10"] = precision_at_k(y_true, y_pred, 10)
    out["precision_at_20"] = precision_at_k(y_true, y_pred, 20)
    return {k: float(v) for k, v in out.items()}


def interval_coverage(y_true: np.ndarray, mean: np.ndarray, std: np.ndarray, level: float) -> float:
    """Fraction of ``y_true`` inside the central ``level`` interval of Normal(mean, std) (a
    calibrated predictor covers ``level`` of the test points)."""
    if not 0 < level < 1:
        raise OmniError(f"level must be in (0, 1), got {level}")
    y_true, mean, std = (np.asarray(a, dtype=float) for a in (y_true, mean, std))
    if not y_true.shape == mean.shape == std.shape or y_true.ndim != 1:
        raise OmniError(f"y_true, mean and std must be equal 1-d shapes, got {y_true.shape}")
    half = stats.norm.ppf(0.5 + level / 2) * std
    return float(np.mean(np.abs(y_true - mean) <= half))
