"""Shared fixtures: the shared real data (skipped when absent) and small synthetic benchmarks."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from omni import spaces
from omni.data import Benchmark


@pytest.fixture(autouse=True, scope="session")
def proxy_cost_cache(tmp_path_factory):
    """Proxy seconds measured by the tests go to a temporary cache, never the user's."""
    os.environ["OMNI_CACHE_DIR"] = str(tmp_path_factory.mktemp("omni-cache"))


def shared_data_dir() -> Path:
    env = os.environ.get("OMNI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not (path / "nb201" / "zc_nasbench201_cifar10.json").exists():
        pytest.skip(f"shared NB201 data not found at {path} (set OMNI_SHARED_DATA to its folder)")
    return path


@pytest.fixture(scope="session")
def nb201_bench(shared_data):
    from omni.data import load_benchmark

    return load_benchmark(shared_data)


@pytest.fixture
def toy_bench() -> Benchmark:
    """600 NB201 cells with a target that depends on the ops, and two proxies."""
    space = spaces.get("nb201")
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(space.key(a) for a in space.sample(800, rng)))[:600]
    convs = np.array([a.count("conv_3x3") * 2 + a.count("conv_1x1") for a in archs], dtype=float)
    target = 60 + 4 * convs + rng.normal(0, 1, len(archs))
    zc = {"good": convs + rng.normal(0, 0.5, len(archs)), "noise": rng.normal(size=len(archs))}
    return Benchmark("nb201", "toy", archs, target, zc=zc)
