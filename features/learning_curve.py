"""Statistics of partial learning curves: what the first ``e`` epochs say about the last one.

A learning curve is a row of per-epoch values of one metric (``train_loss``, ``val_acc``, ...);
a benchmark holds an (n, epochs) array per metric. At fidelity ``e`` only the first ``e`` epochs
of each row are read. Every statistic is computed on the *oriented* curve, higher = better:
metrics whose name contains ``loss`` or ``err`` are negated, others (accuracies) are used as
they are. So ``train_loss:sum`` is minus SoTL and ``train_acc:sum`` is its accuracy analogue.

Per-curve statistics (:data:`STATISTICS`):

- ``sum``: sum over epochs 1..e -- SoTL on a training curve, SoVL on a validation curve
  (Ru et al., *Speedy Performance Estimation for Neural Architecture Search*, NeurIPS 2021);
- ``sum_last``: sum over the last ``last_epochs`` (E) epochs -- SoTL-E (E = 1 by default, the
  paper's recommendation; E is capped at e);
- ``last``, ``best`` (max), ``window_mean`` (mean of the last ``window`` epochs), ``slope``
  (least-squares slope per epoch over the last ``window`` epochs; NaN when fewer than 2);
- ``extrapolate``: the value at ``target_epoch`` predicted by the parametric families of
  Domhan et al. (IJCAI 2015) in :data:`CURVE_FAMILIES`, combined by the median of the fits that
  converge (Domhan et al. combine their families too); the last value when none converges.
  The family with the smallest residual sum of squares alone (``combine="best"``) is the
  worse rule on short prefixes: the most flexible family fits them best and extrapolates worst
  (``benchmarks/lce_combine.py`` measures the rules on the shared curves);
- ``extrapolate_hedged``: the same, with the last value seen as one more candidate of the
  median (``combine="median-last"``): the flat curve joins the families as the one without
  parameters, so that of two converged fits a wild one cannot carry the prediction alone.

Paper names (:data:`PAPER_STATISTICS`) resolve to one column on whichever metric a benchmark
has: ``sotl`` / ``sotl_e`` use ``train_loss`` (else ``train_acc``), ``sovl`` uses ``val_loss``
(else ``val_acc``). Each feature depends on its own row only, so nothing is fitted across
architectures and there is no normalisation to leak.
"""

from __future__ import annotations

import functools
import logging
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from features.errors import OmniError

logger = logging.getLogger(__name__)

#: substrings of a metric name that mean "lower is better"
LOWER_IS_BETTER_MARKERS = ("loss", "err")


def orientation(metric: str) -> float:
    """-1 for metrics where lower is better (losses, errors), +1 otherwise."""
    name = metric.lower()
    return -1.0 if any(marker in name for marker in LOWER_IS_BETTER_MARKERS) else 1.0


def natural_limits(metric: str, values: np.ndarray) -> tuple[float, float]:
    """Range a metric can take, in *oriented* units, used to bound extrapolated asymptotes.

    Losses and errors are >= 0 (oriented: <= 0); accuracies lie in [0, 100] when any observed
    value exceeds 1 (percent), else in [0, 1]; anything else is unbounded.
    """
    name = metric.lower()
    if orientation(metric) < 0:
        return -math.inf, 0.0
    if "acc" in name:
        top = 100.0 if np.nanmax(values, initial=0.0) > 1.0 else 1.0
        return 0.0, top
    return -math.inf, math.inf


# ---------------------------------------------------------------------- parametric families
@dataclass(frozen=True)
class CurveFamily:
    """A saturating curve ``f(t, *params)`` increasing towards an asymptote ``c`` (first
    parameter), with a starting-point rule and parameter bounds on the normalised scale."""

    name: str
    func: Callable[..., np.ndarray]
    jac: Callable[..., np.ndarray]
    p0: Callable[[np.ndarray, np.ndarray], list[float]]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def num_params(self) -> int:
        return len(self.lower)


def _pow3(t, c, a, alpha):
    return c - a * t ** (-alpha)


def _pow3_jac(t, c, a, alpha):
    p = t ** (-alpha)
    return np.column_stack([np.ones_like(t), -p, a * p * np.log(t)])


def _exp3(t, c, a, b):
    return c - a * np.exp(-b * t)


def _exp3_jac(t, c, a, b):
    e = np.exp(-b * t)
    return np.column_stack([np.ones_like(t), -e, a * t * e])


def _ilog2(t, c, a):
    return c - a / np.log(t + 1.0)


def _ilog2_jac(t, c, a):
    return np.column_stack([np.ones_like(t), -1.0 / np.log(t + 1.0)])


def _log_power(t, c, a, b, k):
    return c - a / (1.0 + (t / np.exp(b)) ** k)


def _log_power_jac(t, c, a, b, k):
    log_ratio = np.log(t) - b
    u = np.exp(k * log_ratio)
    du = a / (1.0 + u) ** 2
    return np.column_stack([np.ones_like(t), -1.0 / (1.0 + u), -du * k * u, du * u * log_ratio])


def _gain(y: np.ndarray) -> float:
    return max(float(y[-1] - y[0]), 1e-3)


CURVE_FAMILIES: dict[str, CurveFamily] = {
    family.name: family
    for family in (
        # pow3: c - a t^-alpha
        CurveFamily(
            "pow3",
            _pow3,
            _pow3_jac,
            lambda t, y: [y[-1] + 0.1, _gain(y) + 0.1, 0.5],
            (-np.inf, 0.0, 0.0),
            (np.inf, np.inf, 10.0),
        ),
        # exponential: c - a exp(-b t)
        CurveFamily(
            "exp3",
            _exp3,
            _exp3_jac,
            lambda t, y: [y[-1] + 0.1, (_gain(y) + 0.1) * math.exp(3.0 / t[-1]), 3.0 / t[-1]],
            (-np.inf, 0.0, 0.0),
            (np.inf, np.inf, 10.0),
        ),
        # ilog2: c - a / log(t + 1)
        CurveFamily(
            "ilog2",
            _ilog2,
            _ilog2_jac,
            lambda t, y: [y[-1] + 0.1, (_gain(y) + 0.1) * math.log(2.0)],
            (-np.inf, 0.0),
            (np.inf, np.inf),
        ),
        # log-power (Domhan's a / (1 + (t / e^b)^-k) with a free offset): c - a / (1 + (t/e^b)^k)
        CurveFamily(
            "log_power",
            _log_power,
            _log_power_jac,
            lambda t, y: [y[-1] + 0.1, 2.0 * (_gain(y) + 0.1), math.log(t[-1] / 4.0 + 1.0), 1.0],
            (-np.inf, 0.0, -np.inf, 0.0),
            (np.inf, np.inf, np.inf, 10.0),
        ),
    )
}


#: cap on the function evaluations of one fit (a fit that needs more counts as not converged)
MAX_FIT_EVALUATIONS = 200


#: how :func:`extrapolate_curve` turns the converged fits into one prediction
COMBINE_RULES = ("median", "best", "median-last")


def fit_curve_families(
    values: np.ndarray,
    target_epoch: int,
    families: Sequence[str] | None = None,
    limits: tuple[float, float] = (-math.inf, math.inf),
) -> dict[str, tuple[float, float]]:
    """Fit each family to one oriented curve (epochs 1..e): ``name -> (residual sum of squares,
    prediction at epoch target_epoch)`` for the fits that converge (none for a flat curve or
    fewer than 3 epochs). The asymptote ``c`` is kept within ``limits``. Fitting happens on a
    scale where the observed curve spans 1, so the bounds are unit-free and the residuals of
    one curve's families compare."""
    y = np.asarray(values, dtype=float)
    last = float(y[-1])
    span = float(np.ptp(y))
    if span == 0.0 or len(y) < 3:
        return {}
    t = np.arange(1, len(y) + 1, dtype=float)
    y_n = (y - last) / span
    c_low, c_high = ((v - last) / span for v in limits)
    fits: dict[str, tuple[float, float]] = {}
    for name in families or CURVE_FAMILIES:
        family = CURVE_FAMILIES[name]
        if len(y) <= family.num_params:
            continue
        lower = (max(family.lower[0], c_low), *family.lower[1:])
        upper = (min(family.upper[0], c_high), *family.upper[1:])
        p0 = np.clip(family.p0(t, y_n), lower, upper)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", OptimizeWarning)
                params, _ = curve_fit(
                    family.func,
                    t,
                    y_n,
                    p0=p0,
                    bounds=(lower, upper),
                    jac=family.jac,
                    max_nfev=MAX_FIT_EVALUATIONS,
                )
                rss = float(np.sum((family.func(t, *params) - y_n) ** 2))
                pred = float(family.func(float(target_epoch), *params))
        except (RuntimeError, ValueError):
            continue
        if math.isfinite(rss) and math.isfinite(pred):
            fits[name] = (rss, last + span * pred)
    return fits


def combine_fits(
    fits: dict[str, tuple[float, float]], last: float, combine: str = "median"
) -> tuple[float, tuple[str, ...]]:
    """One prediction from :func:`fit_curve_families`' fits: the median of their predictions
    (``"median"``), the prediction of the smallest residual (``"best"``), or the median of
    their predictions and ``last`` (``"median-last"``); ``(last, ())`` when nothing converged."""
    if combine not in COMBINE_RULES:
        raise OmniError(f"combine must be one of {COMBINE_RULES}, got {combine!r}")
    if not fits:
        return float(last), ()
    if combine == "best":
        name = min(fits, key=lambda n: fits[n][0])
        return fits[name][1], (name,)
    preds = [pred for _, pred in fits.values()]
    if combine == "median-last":
        preds.append(float(last))
    return float(np.median(preds)), tuple(fits)


def extrapolate_curve(
    values: np.ndarray,
    target_epoch: int,
    families: Sequence[str] | None = None,
    limits: tuple[float, float] = (-math.inf, math.inf),
    combine: str = "median",
) -> tuple[float, tuple[str, ...]]:
    """Predict epoch ``target_epoch`` of one oriented curve: its families' fits
    (:func:`fit_curve_families`) combined by ``combine`` (:func:`combine_fits`). Returns
    (prediction, names of the families it rests on); (last value, ()) when none converges."""
    if combine not in COMBINE_RULES:
        raise OmniError(f"combine must be one of {COMBINE_RULES}, got {combine!r}")
    fits = fit_curve_families(values, target_epoch, families, limits)
    return combine_fits(fits, float(np.asarray(values, dtype=float)[-1]), combine)


# ---------------------------------------------------------------------- statistics registry
@dataclass(frozen=True)
class StatContext:
    """What a statistic may need besides the oriented (n, e) prefix."""

    metric: str
    target_epoch: int
    window: int
    last_epochs: int
    limits: tuple[float, float]


@dataclass(frozen=True)
class Statistic:
    """A per-row statistic of an oriented (n, e) curve prefix -> (n,) values."""

    name: str
    func: Callable[[np.ndarray, StatContext], np.ndarray]
    description: str


def _sum(y: np.ndarray, ctx: StatContext) -> np.ndarray:
    return y.sum(axis=1)


def _sum_last(y: np.ndarray, ctx: StatContext) -> np.ndarray:
    return y[:, -min(ctx.last_epochs, y.shape[1]) :].sum(axis=1)


def _last(y: np.ndarray, ctx: StatContext) -> np.ndarray:
    return y[:, -1].copy()


def _best(y: np.ndarray, ctx: StatContext) -> np.ndarray:
    return y.max(axis=1)


def _window_mean(y: np.ndarray, ctx: StatContext) -> np.ndarray:
    return y[:, -min(ctx.window, y.shape[1]) :].mean(axis=1)


def _slope(y: np.ndarray, ctx: StatContext) -> np.ndarray:
    w = min(ctx.window, y.shape[1])
    if w < 2:
        return np.full(len(y), np.nan)
    tail = y[:, -w:]
    x = np.arange(w, dtype=float) - (w - 1) / 2.0
    return (tail - tail.mean(axis=1, keepdims=True)) @ x / float(x @ x)


def _extrapolate(y: np.ndarray, ctx: StatContext, combine: str = "median") -> np.ndarray:
    out = np.empty(len(y))
    fallbacks = 0
    for row, values in enumerate(y):
        out[row], used = extrapolate_curve(
            values, ctx.target_epoch, limits=ctx.limits, combine=combine
        )
        fallbacks += not used
    if fallbacks:
        logger.info(
            "%s: no curve family converged for %d of %d rows at e=%d; used the last value",
            ctx.metric,
            fallbacks,
            len(y),
            y.shape[1],
        )
    return out


STATISTICS: dict[str, Statistic] = {}


def register_statistic(
    name: str,
    func: Callable[[np.ndarray, StatContext], np.ndarray],
    description: str,
    overwrite: bool = False,
) -> None:
    """Add a per-curve statistic ``func(oriented_prefix (n, e), ctx) -> (n,)``."""
    if ":" in name:
        raise OmniError(f"statistic name {name!r} must not contain ':'")
    if name in STATISTICS and not overwrite:
        raise OmniError(f"a statistic named {name!r} is already registered")
    STATISTICS[name] = Statistic(name, func, description)


for _name, _func, _doc in (
    ("sum", _sum, "sum over epochs 1..e (SoTL / SoVL, oriented)"),
    ("sum_last", _sum_last, "sum over the last E epochs (SoTL-E, Ru et al. 2021)"),
    ("last", _last, "value at epoch e"),
    ("best", _best, "best value in epochs 1..e"),
    ("window_mean", _window_mean, "mean of the last `window` epochs"),
    ("slope", _slope, "least-squares slope per epoch over the last `window` epochs"),
    ("extrapolate", _extrapolate, "parametric extrapolation to the target epoch"),
    (
        "extrapolate_hedged",
        functools.partial(_extrapolate, combine="median-last"),
        "parametric extrapolation, the last value seen among the candidates of the median",
    ),
):
    register_statistic(_name, _func, _doc)

#: paper name -> (metric role, statistic); a role picks the first metric of ROLE_METRICS present
PAPER_STATISTICS: dict[str, tuple[str, str]] = {
    "sotl": ("train", "sum"),
    "sotl_e": ("train", "sum_last"),
    "sovl": ("val", "sum"),
}
#: a role also prefixes a statistic (``"val_metric:last"``): the first of its curves present.
#: ``val_metric`` is the benchmark's own validation metric, accuracy where it has one.
ROLE_METRICS: dict[str, tuple[str, ...]] = {
    "train": ("train_loss", "train_acc"),
    "val": ("val_loss", "val_acc"),
    "val_metric": ("val_acc", "val_loss"),
}

#: the cheap statistics; ``extrapolate`` fits curves row by row (~10 ms a row) so it is opt-in
DEFAULT_STATISTICS = ("sum", "sum_last", "last", "best", "window_mean", "slope")


def _resolve(
    stats: Sequence[str], metrics: Sequence[str], available: Mapping[str, np.ndarray]
) -> list[tuple[str, str]]:
    """Spec strings -> unique (metric, statistic) pairs, in order."""
    pairs: list[tuple[str, str]] = []
    for spec in stats:
        if not isinstance(spec, str):
            raise OmniError(f"a statistic is named by a string, got {spec!r}")
        role, _, stat = spec.partition(":")
        if spec in PAPER_STATISTICS or role in ROLE_METRICS:
            role, stat = PAPER_STATISTICS.get(spec, (role, stat))
            metric = next((m for m in ROLE_METRICS[role] if m in available), None)
            if metric is None:
                raise OmniError(
                    f"{spec!r} needs one of the curves {list(ROLE_METRICS[role])}; "
                    f"this benchmark has {sorted(available)}"
                )
            new = [(metric, stat)]
        elif ":" in spec:
            metric, _, stat = spec.partition(":")
            if metric not in available:
                raise OmniError(f"{spec!r}: no curve {metric!r}; available: {sorted(available)}")
            new = [(metric, stat)]
        else:
            new = [(metric, spec) for metric in metrics]
        for metric, stat in new:
            if stat not in STATISTICS:
                raise OmniError(
                    f"unknown learning-curve statistic {stat!r}; known: {sorted(STATISTICS)} "
                    f"and the paper names {sorted(PAPER_STATISTICS)}"
                )
            if (metric, stat) not in pairs:
                pairs.append((metric, stat))
    return pairs


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise OmniError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def curve_features(
    curves: Mapping[str, np.ndarray],
    fidelity: int,
    stats: Sequence[str] = DEFAULT_STATISTICS,
    target_epoch: int | None = None,
    metrics: Sequence[str] | None = None,
    window: int = 5,
    last_epochs: int = 1,
) -> tuple[np.ndarray, list[str]]:
    """Statistics of the first ``fidelity`` epochs of each curve -> (X (n, k), column names).

    ``stats`` holds statistic names (applied to every metric in ``metrics``, default all
    curves), ``"metric:statistic"`` or ``"role:statistic"`` pairs (:data:`ROLE_METRICS`), or
    paper names (``sotl``, ``sotl_e``, ``sovl``).
    Columns are named ``"metric:statistic"``. ``target_epoch`` is the epoch ``extrapolate``
    predicts (default: each curve's full length). Raises :class:`OmniError` for a fidelity
    below 1 or beyond a curve's length, NaN within the first ``fidelity`` epochs, rows of
    different counts, and unknown metrics or statistics.
    """
    fidelity = _check_int(fidelity, "fidelity", 1)
    window = _check_int(window, "window", 1)
    last_epochs = _check_int(last_epochs, "last_epochs", 1)
    if not curves:
        raise OmniError("no learning curves given")
    arrays = {name: np.asarray(c, dtype=float) for name, c in curves.items()}
    n_rows = {name: a.shape[0] if a.ndim == 2 else None for name, a in arrays.items()}
    for name, a in arrays.items():
        if a.ndim != 2:
            raise OmniError(f"curve {name!r} must be an (n, epochs) array, got shape {a.shape}")
    if len(set(n_rows.values())) != 1:
        raise OmniError(f"curves have different numbers of rows: {n_rows}")
    if metrics is None:
        metrics = list(arrays)
    for metric in metrics:
        if metric not in arrays:
            raise OmniError(f"no curve {metric!r}; available: {sorted(arrays)}")
    pairs = _resolve(stats, metrics, arrays)

    columns, names = [], []
    prefixes: dict[str, np.ndarray] = {}
    for metric, stat in pairs:
        full = arrays[metric]
        if metric not in prefixes:
            if full.shape[1] < fidelity:
                raise OmniError(
                    f"curve {metric!r} has {full.shape[1]} epochs, fewer than fidelity {fidelity}"
                )
            prefix = full[:, :fidelity]
            bad = ~np.isfinite(prefix)
            if bad.any():
                rows = np.flatnonzero(bad.any(axis=1))
                raise OmniError(
                    f"curve {metric!r} has NaN/inf within its first {fidelity} epochs in "
                    f"{len(rows)} rows (first: row {rows[0]}); drop those rows or lower the fidelity"
                )
            prefixes[metric] = orientation(metric) * prefix
        target = full.shape[1] if target_epoch is None else target_epoch
        target = _check_int(target, "target_epoch", fidelity)
        ctx = StatContext(
            metric=metric,
            target_epoch=target,
            window=window,
            last_epochs=last_epochs,
            limits=natural_limits(metric, full[:, :fidelity]),
        )
        columns.append(np.asarray(STATISTICS[stat].func(prefixes[metric], ctx), dtype=float))
        names.append(f"{metric}:{stat}")
    n = next(iter(n_rows.values()))
    X = np.column_stack(columns) if columns else np.empty((n, 0))
    return X, names


def fidelity_seconds(
    fidelity: int,
    epoch_seconds: np.ndarray | None = None,
    train_seconds: np.ndarray | None = None,
    total_epochs: int | None = None,
) -> np.ndarray:
    """Per-row cost (seconds) of a curve feature at ``fidelity``: the measured seconds of its
    first ``fidelity`` epochs, or, without per-epoch timings, ``train_seconds`` prorated by
    ``fidelity / total_epochs``. Missing timings stay NaN."""
    fidelity = _check_int(fidelity, "fidelity", 1)
    if epoch_seconds is not None:
        seconds = np.asarray(epoch_seconds, dtype=float)
        if seconds.ndim != 2:
            raise OmniError(f"epoch_seconds must be (n, epochs), got shape {seconds.shape}")
        if seconds.shape[1] < fidelity:
            raise OmniError(
                f"epoch_seconds cover {seconds.shape[1]} epochs, fewer than fidelity {fidelity}"
            )
        return seconds[:, :fidelity].sum(axis=1)  # a NaN epoch keeps the row NaN
    if train_seconds is not None and total_epochs is not None:
        total_epochs = _check_int(total_epochs, "total_epochs", fidelity)
        return np.asarray(train_seconds, dtype=float) * (fidelity / total_epochs)
    raise OmniError("give epoch_seconds, or train_seconds with total_epochs, to cost a fidelity")
