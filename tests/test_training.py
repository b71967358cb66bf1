from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from features.errors import OmniError
from omni import spaces
from omni.cli import main as omni_main
from omni.data import load_benchmark
from omni.training import DatasetSpec, TrainConfig, load_dataset, train_arch, train_many
from omni.training.build import sample_canonical, seed_noise

ARCH = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
TINY_DATA = DatasetSpec(val_size=100, train_size=200, split_seed=0)


def tiny(epochs: int) -> TrainConfig:
    return TrainConfig(
        epochs=epochs, batch_size=32, lr=0.1, channels=(4, 8, 16), cells_per_stage=1, data=TINY_DATA
    )


@pytest.fixture(scope="module")
def space():
    return spaces.get("nb201")


def test_dataset_split_is_fixed_and_stratified():
    data = load_dataset(TINY_DATA)
    assert data.x_train.shape == (200, 1, 8, 8) and data.x_val.shape == (100, 1, 8, 8)
    assert not set(data.train_index) & set(data.val_index)
    assert np.bincount(data.y_val.numpy()).min() >= 9  # stratified: ~10 per class
    again = load_dataset(DatasetSpec(val_size=100, train_size=200, split_seed=0))
    np.testing.assert_array_equal(data.val_index, again.val_index)
    with pytest.raises(OmniError, match="unknown training dataset"):
        load_dataset(DatasetSpec(name="imagenet"))
    with pytest.raises(OmniError, match="val_size"):
        load_dataset(DatasetSpec(val_size=5))


def test_training_lowers_the_loss(space):
    result = train_arch(space, ARCH, tiny(3), seed=0)
    assert result.complete and result.epochs_done == 3
    loss = result.curves["train_loss"]
    assert loss[-1] < loss[0] < 2.5
    assert result.curves["val_acc"][-1] > 30.0  # chance is 10 %
    assert all(s > 0 for s in result.epoch_seconds)
    assert torch.are_deterministic_algorithms_enabled() is False  # settings restored


def test_resume_gives_the_same_curves(space, tmp_path):
    config = tiny(4)
    straight = train_arch(space, ARCH, config, seed=3)
    partial = train_arch(space, ARCH, config, seed=3, workdir=tmp_path, stop_after=2)
    assert not partial.complete and partial.epochs_done == 2
    assert len(list(tmp_path.glob("*.pt"))) == 1
    resumed = train_arch(space, ARCH, config, seed=3, workdir=tmp_path)
    assert resumed.complete
    assert resumed.curves == straight.curves
    # a finished run leaves only its JSON, and is read back instead of retrained
    assert not list(tmp_path.glob("*.pt"))
    again = train_arch(space, ARCH, config, seed=3, workdir=tmp_path)
    assert again.epoch_seconds == resumed.epoch_seconds


def test_train_many_keeps_order_and_seeds_differ(space):
    other = "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|skip_connect~2|"
    runs = [(ARCH, 0), (other, 0), (ARCH, 1)]
    results = train_many(space, runs, tiny(1), n_jobs=1, progress=False)
    assert [(r.arch, r.seed) for r in results] == runs
    assert results[0].curves != results[2].curves


def test_sampling_is_uniform_over_distinct_canonical_cells(space):
    archs = sample_canonical(space, 50, seed=1)
    assert len(set(archs)) == 50
    assert all(space.key(a) == a for a in archs)
    assert archs == sample_canonical(space, 50, seed=1)
    with pytest.raises(OmniError, match="canonical cells"):
        sample_canonical(space, 10**6, seed=0)


def test_seed_noise():
    table = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert seed_noise(table)["kendall_tau_mean"] == pytest.approx(1.0)


def test_build_bench_writes_a_loadable_benchmark(tmp_path, capsys):
    out = tmp_path / "tiny.json.gz"
    argv = [
        "build-bench", "--archs", "3", "--epochs", "2", "--out", str(out),
        "--seed-repeats", "2", "--repeat-archs", "2", "--channels", "4,8,16", "--cells-per-stage", "1",
        "--val-size", "100", "--train-size", "150", "--batch-size", "50",
        "--workdir", str(tmp_path / "work"), "--no-progress", "--proxies", "none",
    ]  # fmt: skip
    assert omni_main(argv) == 0
    bench = load_benchmark(out)
    assert len(bench) == 3 and bench.space == "nb201" and bench.dataset == "digits"
    assert set(bench.curves) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert bench.curves["val_acc"].shape == (3, 2) and bench.epoch_seconds.shape == (3, 2)
    np.testing.assert_array_equal(bench.target, bench.curves["val_acc"][:, -1])
    np.testing.assert_allclose(bench.train_seconds, bench.epoch_seconds.sum(axis=1))
    meta = bench.metadata
    assert meta["network"]["channels"] == [4, 8, 16] and meta["epochs"] == 2
    assert meta["data"]["train_images"] == 150 and meta["data"]["val_images"] == 100
    repeats = meta["seed_repeats"]
    assert len(repeats["archs"]) == 2 and np.array(repeats["val_acc"]).shape == (2, 2)
    assert bench.zc == {}
    assert "seed-noise KT" in capsys.readouterr().out
    # rerunning resumes from the workdir: nothing is retrained, same numbers
    assert omni_main(argv) == 0
    again = load_benchmark(out)
    np.testing.assert_array_equal(again.epoch_seconds, bench.epoch_seconds)
    json.dumps(again.metadata)
