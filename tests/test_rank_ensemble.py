from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.utils.estimator_checks import check_estimator

from base_predictors.rank_ensemble import AUTO_POWERS, RankEnsemblePredictor, kendall_null_se
from features.errors import InvalidInputError


def test_estimator_contract():
    check_estimator(RankEnsemblePredictor(power="auto", cv=3, repeats=1, random_state=0))


def one_good_column(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Column 0 ranks the target almost perfectly; eight others only weakly."""
    y = rng.normal(size=n)
    good = y + rng.normal(0, 0.1, n)
    weak = y[:, None] + rng.normal(0, 2.0, (n, 8))
    return np.column_stack([good, weak]), y


def split_signal(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Four independent columns, each a quarter of the target."""
    X = rng.uniform(size=(n, 4))
    return X, X.sum(axis=1)


@pytest.mark.parametrize(
    "make, powers", [(one_good_column, AUTO_POWERS[3:]), (split_signal, AUTO_POWERS[:2])]
)
def test_auto_power_picks_one_column_or_mixes_as_the_data_asks(make, powers):
    rng = np.random.default_rng(0)
    X, y = make(60, rng)
    Xt, yt = make(500, rng)
    auto = RankEnsemblePredictor(power="auto", random_state=0).fit(X, y)
    assert auto.power_ in powers
    tau = {
        p: stats.kendalltau(yt, RankEnsemblePredictor(power=p).fit(X, y).predict(Xt))[0]
        for p in AUTO_POWERS
    }
    chosen = stats.kendalltau(yt, auto.predict(Xt))[0]
    assert chosen >= max(tau.values()) - 0.03
    assert chosen > min(tau.values()) + 0.05


def test_auto_power_is_deterministic_per_seed():
    X, y = one_good_column(40, np.random.default_rng(1))
    a = RankEnsemblePredictor(power="auto", random_state=5).fit(X, y).predict(X)
    b = RankEnsemblePredictor(power="auto", random_state=5).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_a_failed_score_takes_the_middle_rank():
    X, y = split_signal(50, np.random.default_rng(2))
    model = RankEnsemblePredictor().fit(X, y)
    probe = np.tile(np.median(X, axis=0), (2, 1))
    probe[1, 0] = np.nan
    np.testing.assert_allclose(model.predict(probe[:1]), model.predict(probe[1:]), atol=0.05)


def test_bad_power_is_a_clear_error():
    X, y = split_signal(20, np.random.default_rng(3))
    with pytest.raises(InvalidInputError, match="power"):
        RankEnsemblePredictor(power="best").fit(X, y)


def test_test_architectures_between_training_ones_keep_their_order():
    """Ranks relative to 10 training values must not collapse 200 test values into ties."""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(10, 1)), rng.normal(size=10)
    y = X[:, 0] + 0.1 * y
    Xt = rng.normal(0, 3, size=(200, 1))  # many beyond the training range, too
    pred = RankEnsemblePredictor().fit(X, y).predict(Xt)
    assert len(np.unique(pred)) == 200
    assert stats.kendalltau(Xt[:, 0], pred)[0] == pytest.approx(1.0)
    np.testing.assert_array_less(pred, y.mean() + 2 * y.std() * 0.5 + 1e-9)  # bounded


def test_nonnegative_columns_are_never_inverted():
    """A model's prediction that ranks backwards on a few architectures gets weight 0, not -1."""
    X, y = split_signal(40, np.random.default_rng(5))
    X = np.column_stack([-X[:, 0], X[:, 1:]])  # column 0 anti-correlates
    free = RankEnsemblePredictor().fit(X, y)
    held = RankEnsemblePredictor(nonnegative=(0,)).fit(X, y)
    assert free.weights_[0] < 0
    assert held.weights_[0] == 0 and (held.weights_[1:] > 0).all()
    auto = RankEnsemblePredictor(power="auto", nonnegative=(0,), random_state=0).fit(X, y)
    assert auto.weights_[0] == 0


def test_infinite_power_keeps_the_strongest_column_alone_and_never_inverts_a_nonnegative_one():
    X, y = one_good_column(60, np.random.default_rng(3))
    X = np.column_stack([X, -y])  # the strongest column of all, but inverted
    free = RankEnsemblePredictor(power=np.inf).fit(X, y)
    assert np.count_nonzero(free.weights_) == 1 and free.weights_[-1] == -1.0
    held = RankEnsemblePredictor(power=np.inf, nonnegative=(9,)).fit(X, y)
    assert np.count_nonzero(held.weights_) == 1 and held.weights_[0] == 1.0


def test_auto_power_chooses_among_the_given_powers_only():
    X, y = split_signal(60, np.random.default_rng(4))
    model = RankEnsemblePredictor(power="auto", powers=(np.inf,), random_state=0).fit(X, y)
    assert model.power_ == np.inf
    with pytest.raises(InvalidInputError, match="powers"):
        RankEnsemblePredictor(power="auto", powers=(-1.0,)).fit(X, y)


@pytest.mark.parametrize("make", [one_good_column, split_signal])
def test_one_se_rule_sharpens_the_power_but_still_mixes_a_split_signal(make):
    rng = np.random.default_rng(2)
    X, y = make(60, rng)
    Xt, yt = make(500, rng)
    powers = (*AUTO_POWERS, np.inf)
    best = RankEnsemblePredictor(power="auto", powers=powers, random_state=0).fit(X, y)
    one_se = RankEnsemblePredictor(power="auto", powers=powers, select="one-se", random_state=0)
    one_se.fit(X, y)
    assert one_se.power_ >= best.power_
    if make is split_signal:  # one column alone is far worse than the mix: not within one SE
        assert one_se.power_ < 16
        alone = RankEnsemblePredictor(power=np.inf).fit(X, y)
        tau = stats.kendalltau(yt, one_se.predict(Xt))[0]
        assert tau > stats.kendalltau(yt, alone.predict(Xt))[0] + 0.2
    with pytest.raises(InvalidInputError, match="select"):
        RankEnsemblePredictor(power="auto", select="smallest").fit(X, y)


def test_kendall_null_se():
    assert kendall_null_se(10) == pytest.approx(np.sqrt(2 * 25 / (9 * 10 * 9)))
    assert kendall_null_se(1) == np.inf
