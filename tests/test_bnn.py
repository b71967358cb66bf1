"""The hybrid Bayesian neural network: a real, calibrated predictive distribution."""

from __future__ import annotations

import numpy as np
import pytest

from base_predictors.base import InvalidParameterError
from base_predictors.bnn import HybridBNNPredictor
from omni.evaluation.metrics import interval_coverage


def _noisy_linear(n: int, noise: float, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = X @ np.array([1.0, -0.5, 0.25, 0.0]) + rng.normal(scale=noise, size=n)
    return X, y


def test_intervals_cover_what_they_claim_on_known_noise():
    X, y = _noisy_linear(150, noise=0.5, seed=0)
    X_test, y_test = _noisy_linear(400, noise=0.5, seed=1)
    model = HybridBNNPredictor(random_state=0).fit(X, y)
    mean, std = model.predict_dist(X_test)
    assert np.allclose(mean, model.predict(X_test))
    assert 0.58 <= interval_coverage(y_test, mean, std, 0.68) <= 0.85
    assert 0.88 <= interval_coverage(y_test, mean, std, 0.95) <= 0.995
    # the noise is 0.5: a calibrated std is near it, not near 0 and not near the target's spread
    assert 0.35 <= np.median(std) <= 0.9


def test_recalibration_widens_overconfident_intervals():
    X, y = _noisy_linear(40, noise=0.5, seed=2)
    raw = HybridBNNPredictor(calibration_folds=0, random_state=0).fit(X, y)
    calibrated = HybridBNNPredictor(random_state=0).fit(X, y)
    assert raw.std_scale_ == 1.0 and calibrated.std_scale_ > 1.0
    X_test, _ = _noisy_linear(50, noise=0.5, seed=3)
    np.testing.assert_allclose(raw.predict(X_test), calibrated.predict(X_test))
    assert np.all(calibrated.predict_dist(X_test)[1] > raw.predict_dist(X_test)[1])


def test_uncertainty_grows_away_from_the_training_data():
    X, y = _noisy_linear(100, noise=0.1, seed=4)
    model = HybridBNNPredictor(random_state=0).fit(X, y)
    near = model.predict_dist(X[:20])[1]
    far = model.predict_dist(X[:20] * 8.0)[1]
    assert np.median(far) > 2 * np.median(near)


def test_same_seed_same_predictions_other_seed_differs():
    X, y = _noisy_linear(30, noise=0.3, seed=5)
    a = HybridBNNPredictor(epochs=20, random_state=1).fit(X, y).predict_dist(X)
    b = HybridBNNPredictor(epochs=20, random_state=1).fit(X, y).predict_dist(X)
    c = HybridBNNPredictor(epochs=20, random_state=2).fit(X, y).predict_dist(X)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"num_members": 0}, "num_members"),
        ({"min_std": 0.0}, "min_std"),
        ({"calibration_folds": 1}, "calibration_folds"),
    ],
)
def test_bad_parameters_are_named(params, message):
    X, y = _noisy_linear(10, noise=0.1, seed=6)
    with pytest.raises(InvalidParameterError, match=message):
        HybridBNNPredictor(**params).fit(X, y)


def test_interval_coverage_by_hand():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    mean = np.zeros(4)
    std = np.ones(4)
    # the central 68.27 % interval of N(0, 1) is [-1, 1]: 0 and 1 lie inside
    assert interval_coverage(y, mean, std, 0.6827) == 0.5
    # the 95 % interval is [-1.96, 1.96]
    assert interval_coverage(y, mean, std, 0.95) == 0.5
    assert interval_coverage(y, mean, std, 0.99) == 0.75  # [-2.58, 2.58]
    assert interval_coverage(y, mean, std, 0.999) == 1.0  # [-3.29, 3.29]
