"""A rank ensemble of scores: each column is turned into its rank among the training
architectures and the ranks are averaged, weighted by each column's Kendall tau with the
target on the training set.

It learns only a weight (and a sign) per column, so it is usable from a handful of labelled
architectures, where tree models over many proxies still overfit. In the spirit of the
voting ensembles of zero-cost proxies (Abdelfattah et al., ICLR 2021, section 5).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.model_selection import KFold

from base_predictors.base import BasePredictor, CostProfile
from features.errors import InvalidInputError

#: powers ``power="auto"`` chooses from by default: 1 weighs columns almost evenly, 32 all but
#: picks one (``np.inf``, allowed as a power or in ``powers``, takes the strongest column alone)
AUTO_POWERS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)

#: how ``power="auto"`` turns the held-out scores of the powers into a choice: ``"best"`` the
#: highest score; ``"one-se"`` the sharpest power within one standard error of the best (the
#: one-standard-error rule of Breiman et al.: prefer the simpler model, here the one relying on
#: fewer columns, when the data cannot tell them apart)
SELECT_RULES = ("best", "one-se")


def kendall_null_se(n: int) -> float:
    """Standard error of Kendall's tau between ``n`` independent rankings (no ties)."""
    return float(np.sqrt(2.0 * (2 * n + 5) / (9.0 * n * (n - 1)))) if n > 1 else float("inf")


def _column_taus(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    taus = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        col = X[:, j]
        ok = np.isfinite(col)
        if ok.sum() >= 3 and np.ptp(col[ok]) > 0:
            tau = stats.kendalltau(col[ok], y[ok])[0]
            taus[j] = 0.0 if not np.isfinite(tau) else tau
    return taus


def _weights(
    taus: np.ndarray, min_abs_tau: float, power: float, nonnegative: tuple[int, ...] = ()
) -> np.ndarray:
    keep = np.abs(taus) >= min_abs_tau
    if not keep.any():
        keep[:] = True
    strength = np.abs(taus) * keep
    idx = list(nonnegative)
    strength[idx] = np.where(taus[idx] < 0, 0.0, strength[idx])  # never inverted
    if np.isinf(power):  # the strongest column alone (ties share)
        strength = ((strength == strength.max()) & (strength > 0)).astype(float)
    else:
        strength = strength**power
    weights = np.sign(taus) * strength
    total = np.abs(weights).sum()
    return weights / total if total > 0 else np.full(len(taus), 1.0 / len(taus))


def _ranks(X: np.ndarray, reference: list[np.ndarray]) -> np.ndarray:
    """Each value's position among its column's reference values, in [0, 1]; NaN -> 0.5.

    A reference value gets its mid-rank; values in between are interpolated, and values beyond
    the ends approach 0 or 1 exponentially (at the mean reference spacing), so that the map is
    strictly increasing: test architectures that fall between two training architectures keep
    their order instead of tying.
    """
    ranks = np.full(X.shape, 0.5)
    for j, ref in enumerate(reference):
        ok = np.isfinite(X[:, j])
        if not len(ref) or not ok.any():
            continue
        values, first, counts = np.unique(ref, return_index=True, return_counts=True)
        mid = (first + counts / 2.0) / len(ref)
        span = values[-1] - values[0]
        scale = span / len(ref) if span > 0 else 1.0
        x = X[ok, j]
        r = np.interp(x, values, mid)
        below, above = x < values[0], x > values[-1]
        r[below] = mid[0] * np.exp(-(values[0] - x[below]) / scale)
        r[above] = 1.0 - (1.0 - mid[-1]) * np.exp(-(x[above] - values[-1]) / scale)
        ranks[ok, j] = r
    return ranks


def _references(X: np.ndarray) -> list[np.ndarray]:
    return [np.sort(col[np.isfinite(col)]) for col in X.T]


class RankEnsemblePredictor(BasePredictor):
    """Weighted mean of training-set-relative ranks; weights = train Kendall tau per column,
    raised to ``power`` (1: near-even mix; large: the best column alone).

    ``power="auto"``: the power of ``powers`` (default :data:`AUTO_POWERS`) whose weights rank held-out
    architectures best, by ``cv``-fold cross-validation on the training set (the held-out
    ranks of all folds pooled into one Kendall tau, ``repeats`` fold draws averaged).
    ``select``: :data:`SELECT_RULES` -- the best score, or the one-standard-error rule (the
    sharpest power whose score is within Kendall tau's standard error for n pairs of the best).
    ``min_abs_tau``: columns whose train tau is weaker are dropped (all kept if none pass).
    ``nonnegative``: indices of columns that may not get a negative weight (predictions of other
    models: a negative tau on a few architectures is noise, not a reason to invert them).
    A NaN score takes the middle rank (0.5): a failed proxy says nothing either way.
    """

    family = "zero-cost"
    cost = CostProfile(needs_training=True, fit_complexity="O(n log n)", feature_cost="inputs")
    allow_nan = True

    def __init__(
        self,
        min_abs_tau: float = 0.0,
        power: float | str = 1.0,
        cv: int = 5,
        repeats: int = 3,
        nonnegative: tuple[int, ...] = (),
        powers: tuple[float, ...] = AUTO_POWERS,
        select: str = "best",
        random_state: int | None = None,
    ) -> None:
        self.min_abs_tau = min_abs_tau
        self.power = power
        self.powers = powers
        self.select = select
        self.cv = cv
        self.repeats = repeats
        self.nonnegative = nonnegative
        self.random_state = random_state

    def fit(self, X, y) -> RankEnsemblePredictor:
        X, y = self._validate_fit(X, y)
        if self.power == "auto":
            self.power_ = self._choose_power(X, y)
        elif isinstance(self.power, str):
            raise InvalidInputError(f"power must be a number or 'auto', got {self.power!r}")
        else:
            self.power_ = float(self.power)
        self.reference_ = _references(X)
        self.taus_ = _column_taus(X, y)
        self.weights_ = _weights(self.taus_, self.min_abs_tau, self.power_, tuple(self.nonnegative))
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() or 1.0)
        return self

    def _choose_power(self, X: np.ndarray, y: np.ndarray) -> float:
        """The power ``select`` picks from the pooled held-out Kendall taus (ties: the smaller)."""
        n_splits = min(int(self.cv), len(y))
        powers = tuple(float(p) for p in self.powers)
        if not powers or any(np.isnan(p) or p < 0 for p in powers):
            raise InvalidInputError(f"powers must be non-negative numbers, got {self.powers!r}")
        if self.select not in SELECT_RULES:
            raise InvalidInputError(f"select must be one of {SELECT_RULES}, got {self.select!r}")
        if n_splits < 2:
            return powers[0]
        scores = np.zeros(len(powers))
        nonnegative = tuple(self.nonnegative)
        for repeat in range(int(self.repeats)):
            seed = None if self.random_state is None else self.random_state + repeat
            held = np.zeros((len(y), len(powers)))
            for train, test in KFold(n_splits, shuffle=True, random_state=seed).split(X):
                ranks = _ranks(X[test], _references(X[train])) - 0.5
                taus = _column_taus(X[train], y[train])
                for p, power in enumerate(powers):
                    held[test, p] = ranks @ _weights(taus, self.min_abs_tau, power, nonnegative)
            for p in range(len(powers)):
                tau = stats.kendalltau(held[:, p], y)[0]
                scores[p] += 0.0 if not np.isfinite(tau) else tau
        scores /= max(int(self.repeats), 1)
        if self.select == "best":
            return powers[int(np.argmax(scores))]
        near = scores >= scores.max() - kendall_null_se(len(y))
        return max(p for p, ok in zip(powers, near, strict=True) if ok)

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        score = (_ranks(X, self.reference_) - 0.5) @ self.weights_
        # on the target's scale, so that a meta-model can mix it with other predictions
        return self.y_mean_ + 2.0 * self.y_std_ * score
