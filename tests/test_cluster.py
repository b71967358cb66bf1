"""`omni zc` and `omni build-bench` on a dask cluster give the local run's numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from features.errors import OmniError
from omni.cli import main as omni_main
from omni.cluster import scheduler
from omni.data import load_benchmark

distributed = pytest.importorskip("distributed", reason="dask absent: pip install 'omni-nas[dask]'")


@pytest.fixture(scope="module")
def cluster_address():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def zc_scores(tmp_path, name: str, *extra: str) -> dict:
    out = tmp_path / f"{name}.json"
    argv = ["zc", "--sample", "6", "--proxies", "synflow,jacov,nwot", "--seed", "1", *extra]
    assert omni_main([*argv, "--json", str(out)]) == 0
    return {r["arch"]: r["scores"] for r in json.loads(out.read_text())["results"]}


def test_zero_cost_scores_on_the_cluster_equal_the_local_ones(tmp_path, cluster_address):
    local = zc_scores(tmp_path, "local", "--jobs", "1")
    remote = zc_scores(tmp_path, "remote", "--scheduler", cluster_address)
    assert local == remote and len(local) == 6


def test_build_bench_on_the_cluster_equals_the_local_run(tmp_path, cluster_address):
    def build(name: str, *extra: str):
        out = tmp_path / f"{name}.json.gz"
        argv = [
            "build-bench", "--archs", "3", "--epochs", "2", "--out", str(out),
            "--seed-repeats", "2", "--repeat-archs", "1", "--channels", "4,8,16",
            "--cells-per-stage", "1", "--val-size", "100", "--train-size", "150",
            "--batch-size", "50", "--workdir", str(tmp_path / f"work-{name}"), "--no-progress",
            "--proxies", "synflow", *extra,
        ]  # fmt: skip
        assert omni_main(argv) == 0
        return load_benchmark(out)

    local = build("local", "--jobs", "1")
    remote = build("remote", "--scheduler", cluster_address)
    assert remote.archs == local.archs
    np.testing.assert_array_equal(remote.curves["val_acc"], local.curves["val_acc"])
    np.testing.assert_array_equal(remote.curves["train_loss"], local.curves["train_loss"])
    np.testing.assert_array_equal(remote.zc["synflow"], local.zc["synflow"])


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("omni.cluster.CONNECT_TIMEOUT", 1)
    with (
        pytest.raises(OmniError, match="cannot reach the dask scheduler"),
        scheduler("tcp://127.0.0.1:9"),
    ):
        pass
