from __future__ import annotations

import logging

import numpy as np
import pytest

from features.errors import OmniError
from features.learning_curve import (
    COMBINE_RULES,
    CURVE_FAMILIES,
    PAPER_STATISTICS,
    STATISTICS,
    combine_fits,
    curve_features,
    extrapolate_curve,
    fidelity_seconds,
    fit_curve_families,
    orientation,
)


@pytest.fixture
def curves() -> dict[str, np.ndarray]:
    return {
        "train_loss": np.array([[2.0, 1.0, 0.5, 0.25, 0.1], [3.0, 2.0, 1.5, 1.0, np.nan]]),
        "val_acc": np.array([[10.0, 40.0, 30.0, 60.0, 70.0], [20.0, 25.0, 35.0, 30.0, 50.0]]),
    }


def feats(curves, fidelity, stats, **kw) -> dict[str, np.ndarray]:
    X, names = curve_features(curves, fidelity, stats, **kw)
    assert X.shape == (2, len(names))
    return dict(zip(names, X.T, strict=True))


def test_orientation():
    assert orientation("train_loss") == -1.0
    assert orientation("val_error") == -1.0
    assert orientation("val_acc") == 1.0


def test_sums_and_window_values_exact(curves):
    f = feats(curves, 4, ["sum", "sum_last", "last", "best", "window_mean", "slope"], window=3)
    # losses are negated (higher = better); accuracies are used as they are
    np.testing.assert_allclose(f["train_loss:sum"], [-3.75, -7.5])
    np.testing.assert_allclose(f["train_loss:sum_last"], [-0.25, -1.0])  # SoTL-E, E = 1
    np.testing.assert_allclose(f["train_loss:last"], [-0.25, -1.0])
    np.testing.assert_allclose(f["train_loss:best"], [-0.25, -1.0])
    np.testing.assert_allclose(f["val_acc:sum"], [140.0, 110.0])
    np.testing.assert_allclose(f["val_acc:best"], [60.0, 35.0])
    np.testing.assert_allclose(f["val_acc:window_mean"], [130 / 3, 30.0])
    np.testing.assert_allclose(f["val_acc:slope"], [10.0, 2.5])  # lstsq over epochs 2..4
    np.testing.assert_allclose(f["train_loss:slope"], [0.375, 0.5])


def test_sotl_e_with_more_epochs_and_paper_names(curves):
    f = feats(curves, 3, ["sotl", "sotl_e", "sovl"], last_epochs=2)
    assert list(f) == ["train_loss:sum", "train_loss:sum_last", "val_acc:sum"]
    np.testing.assert_allclose(f["train_loss:sum"], [-3.5, -6.5])
    np.testing.assert_allclose(f["train_loss:sum_last"], [-1.5, -3.5])
    np.testing.assert_allclose(f["val_acc:sum"], [80.0, 80.0])
    # E beyond the fidelity is capped at e
    g = feats(curves, 2, ["train_loss:sum_last"], last_epochs=10)
    np.testing.assert_allclose(g["train_loss:sum_last"], [-3.0, -5.0])


def test_accuracy_only_curves_use_train_acc_for_sotl():
    acc = {"train_acc": np.array([[10.0, 20.0], [30.0, 40.0]])}
    X, names = curve_features(acc, 2, ["sotl"])
    assert names == ["train_acc:sum"]
    np.testing.assert_allclose(X[:, 0], [30.0, 70.0])


def test_only_first_epochs_are_read(curves):
    """Row 2 has NaN at epoch 5: fine at fidelity 4, an error at 5."""
    X, _ = curve_features(curves, 4, ["last"])
    assert np.isfinite(X).all()
    with pytest.raises(OmniError, match="NaN"):
        curve_features(curves, 5, ["last"])


def test_slope_needs_two_epochs(curves):
    f = feats(curves, 1, ["slope"])
    assert np.isnan(f["val_acc:slope"]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fidelity": 0}, "fidelity"),
        ({"fidelity": 2.5}, "fidelity"),
        ({"fidelity": 6}, "fewer than fidelity"),
        ({"fidelity": 2, "stats": ["median"]}, "unknown learning-curve statistic"),
        ({"fidelity": 2, "stats": ["val_loss:sum"]}, "no curve 'val_loss'"),
        ({"fidelity": 2, "metrics": ["val_loss"]}, "no curve 'val_loss'"),
        ({"fidelity": 2, "stats": ["sovl"], "metrics": None, "drop_val": True}, "needs one of"),
        ({"fidelity": 3, "target_epoch": 2}, "target_epoch"),
        ({"fidelity": 2, "window": 0}, "window"),
    ],
)
def test_bad_input(curves, kwargs, message):
    if kwargs.pop("drop_val", False):
        curves = {"train_loss": curves["train_loss"]}
    kwargs.setdefault("stats", ["last"])
    with pytest.raises(OmniError, match=message):
        curve_features(curves, **kwargs)


def test_bad_shapes():
    with pytest.raises(OmniError, match="different numbers of rows"):
        curve_features({"a": np.zeros((2, 3)), "b": np.zeros((3, 3))}, 1, ["last"])
    with pytest.raises(OmniError, match=r"\(n, epochs\)"):
        curve_features({"a": np.zeros(3)}, 1, ["last"])
    with pytest.raises(OmniError, match="no learning curves"):
        curve_features({}, 1, ["last"])


def test_registry_lists_paper_statistics():
    assert {"sum", "sum_last", "last", "best", "window_mean", "slope", "extrapolate"} <= set(
        STATISTICS
    )
    assert PAPER_STATISTICS["sotl_e"] == ("train", "sum_last")


def test_extrapolation_recovers_pow3_asymptote():
    t = np.arange(1, 21, dtype=float)
    y = 90.0 - 60.0 * t**-0.7
    value, family = extrapolate_curve(y, 10_000, combine="best")
    assert family == ("pow3",)
    assert value == pytest.approx(90.0 - 60.0 * 10_000**-0.7, abs=0.05)
    # through curve_features, on a loss (oriented: -loss rises towards 0)
    loss = 0.2 + 2.0 * t**-0.5
    X, names = curve_features({"train_loss": loss[None, :]}, 20, ["extrapolate"], target_epoch=400)
    assert names == ["train_loss:extrapolate"]
    # the default median rule, on the oriented curve, still below the last loss seen
    assert X[0, 0] == pytest.approx(extrapolate_curve(-loss, 400)[0])
    assert -X[0, 0] < loss[-1]


def test_median_rule_is_not_decided_by_the_most_flexible_fit():
    rng = np.random.default_rng(0)
    t = np.arange(1, 8, dtype=float)
    y = 60.0 - 30.0 * np.exp(-0.4 * t) + rng.normal(0.0, 0.8, len(t))  # short and noisy
    value, used = extrapolate_curve(y, 200)
    alone = {name: extrapolate_curve(y, 200, families=[name])[0] for name in used}
    assert len(used) >= 3
    assert value == pytest.approx(np.median(list(alone.values())))
    # the median sits inside the families' spread, wherever the best-RSS family lands
    assert min(alone.values()) <= value <= max(alone.values())
    best, (name,) = extrapolate_curve(y, 200, combine="best")
    assert best == pytest.approx(alone[name])
    with pytest.raises(OmniError, match="combine"):
        extrapolate_curve(y, 200, combine="mean")


def test_one_fit_per_family_serves_every_rule():
    """The families' fits, made once, give each rule's and each family's extrapolation."""
    t = np.arange(1, 9, dtype=float)
    y = 70.0 - 40.0 * t**-0.6 + np.random.default_rng(1).normal(0.0, 0.5, len(t))
    fits = fit_curve_families(y, 100)
    assert set(fits) <= set(CURVE_FAMILIES) and len(fits) >= 3
    for rule in COMBINE_RULES:
        value, used = combine_fits(fits, y[-1], rule)
        assert (pytest.approx(value), used) == extrapolate_curve(y, 100, combine=rule)
    name = next(iter(fits))
    alone = combine_fits({name: fits[name]}, y[-1], "best")[0]
    assert alone == pytest.approx(extrapolate_curve(y, 100, families=[name])[0])
    assert combine_fits({}, y[-1]) == (y[-1], ())
    with pytest.raises(OmniError, match="combine must be one of"):
        combine_fits(fits, y[-1], "mean")


def test_extrapolation_falls_back_to_last_value(caplog):
    flat = {"val_acc": np.array([[50.0, 50.0, 50.0, 50.0]])}
    X, _ = curve_features(flat, 4, ["extrapolate"], target_epoch=100)
    assert X[0, 0] == 50.0
    short = {"val_acc": np.array([[10.0, 20.0]])}
    with caplog.at_level(logging.INFO, logger="features.learning_curve"):
        X, _ = curve_features(short, 2, ["extrapolate"])
    assert X[0, 0] == 20.0
    assert "no curve family converged" in caplog.text


def test_extrapolated_accuracy_respects_100_percent():
    t = np.arange(1, 11, dtype=float)
    y = 99.0 - 200.0 * np.exp(-0.3 * t) + 0.05 * t  # still climbing near 100 %
    value, _ = extrapolate_curve(y, 1000, limits=(0.0, 100.0))
    assert value <= 100.0


def test_fidelity_seconds():
    seconds = np.array([[1.0, 2.0, 3.0], [0.5, np.nan, 1.0]])
    np.testing.assert_allclose(fidelity_seconds(2, epoch_seconds=seconds), [3.0, np.nan])
    np.testing.assert_allclose(fidelity_seconds(1, epoch_seconds=seconds), [1.0, 0.5])
    np.testing.assert_allclose(
        fidelity_seconds(5, train_seconds=np.array([200.0]), total_epochs=200), [5.0]
    )
    with pytest.raises(OmniError, match="fewer than fidelity"):
        fidelity_seconds(4, epoch_seconds=seconds)
    with pytest.raises(OmniError, match="give epoch_seconds"):
        fidelity_seconds(4)


def test_the_hedged_rule_keeps_one_wild_fit_of_two_from_carrying_the_prediction():
    fits = {"exp3": (0.1, 200.0), "ilog2": (0.2, 55.0)}  # one fit runs away, one stays near
    assert combine_fits(fits, 50.0, "median")[0] == pytest.approx(127.5)
    assert combine_fits(fits, 50.0, "median-last") == (55.0, ("exp3", "ilog2"))
    assert combine_fits({}, 50.0, "median-last") == (50.0, ())
    # four agreeing fits: the last value barely moves the median (it sits at one end)
    agree = {
        name: (0.1, v) for name, v in zip(CURVE_FAMILIES, (60.0, 61.0, 62.0, 63.0), strict=True)
    }
    assert combine_fits(agree, 50.0, "median-last")[0] == 61.0
    t = np.arange(1, 9, dtype=float)
    loss = 0.5 + 2.0 * t**-0.5
    X, names = curve_features(
        {"val_loss": loss[None, :]}, 8, ["extrapolate_hedged"], target_epoch=50
    )
    assert names == ["val_loss:extrapolate_hedged"]
    assert X[0, 0] == pytest.approx(extrapolate_curve(-loss, 50, combine="median-last")[0])
