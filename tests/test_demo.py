from __future__ import annotations

import numpy as np
import pytest

from omni.cli import main
from omni.data import load_benchmark
from omni.data.loading import BUILTIN, builtin_path
from omni.feature_groups import plan_init_seconds


@pytest.fixture
def curved_bench(toy_bench):
    """The toy benchmark with learning curves that approach each cell's target."""
    rng = np.random.default_rng(0)
    n, epochs = len(toy_bench), 12
    t = np.arange(1, epochs + 1)
    speed = rng.uniform(0.2, 0.6, n)[:, None]
    val = toy_bench.target[:, None] * (1 - np.exp(-speed * t)) + rng.normal(0, 0.5, (n, epochs))
    toy_bench.curves = {"val_acc": val, "train_loss": 3 * np.exp(-speed * t) + 0.1}
    toy_bench.epoch_seconds = np.full((n, epochs), 0.5)
    toy_bench.train_seconds = np.full(n, 6.0)
    toy_bench.zc_seconds = {k: np.full(n, 0.01) for k in toy_bench.zc}
    toy_bench.zc["jacov"] = toy_bench.zc.pop("good")
    toy_bench.zc_seconds["jacov"] = toy_bench.zc_seconds.pop("good")
    toy_bench.target = val[:, -1]
    return toy_bench


def test_demo_reduced(tmp_path, curved_bench, capsys):
    path = curved_bench.save(tmp_path / "b.json.gz")
    png = tmp_path / "demo.png"
    code = main(
        [
            "demo",
            "--bench",
            str(path),
            "--train-sizes",
            "20,50",
            "--test-size",
            "60",
            "--seeds",
            "1",
            "--plot",
            str(png),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and png.stat().st_size > 0
    for expected in ("omni@2", "early-stop@2", "xgb-onehot", "full training", "Kendall"):
        assert expected in out


def test_builtin_benchmark_is_shipped_and_sound():
    path = builtin_path("nb201-digits")
    if not path.exists():
        pytest.skip(f"built-in benchmark not built yet ({path})")
    bench = load_benchmark("nb201-digits")
    assert "nb201-digits" in BUILTIN
    assert len(bench) >= 1000 and len(set(bench.archs)) == len(bench)
    assert np.isfinite(bench.target).all() and np.ptp(bench.target) > 10
    assert bench.curves["val_acc"].shape[1] == bench.num_epochs
    assert np.isfinite(bench.epoch_seconds).all()


def test_fully_trained_architectures_pay_nothing_more_for_their_curves(curved_bench):
    """Training 10 architectures (6 s each) passes through their 3-epoch curves; a proxy still
    costs extra. Without recorded training times, the curves' own seconds are all we know."""
    rows, groups = np.arange(10), ["lc:sotl@3", "zc:jacov"]
    assert plan_init_seconds(curved_bench, groups, rows) == pytest.approx(10 * (6.0 + 0.01))
    curved_bench.train_seconds[3] = np.nan
    assert plan_init_seconds(curved_bench, groups, rows) == pytest.approx(9 * 6.0 + 10 * 1.51)
    assert plan_init_seconds(curved_bench, groups, rows, needs_training=False) == 0.0
