"""`omni zc --cache`, `omni build-bench`, `omni ws` and a benchmark script killed with SIGKILL
resume, losing at most the item in flight, and leave no file that loads as valid but wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from subprocesses import kill_when, omni

from omni.data import load_benchmark

ZC = ["zc", "--sample", "8", "--proxies", "synflow,snip,nwot", "--seed", "3"]
BUILD = [
    "build-bench", "--archs", "3", "--epochs", "2", "--seed-repeats", "1", "--repeat-archs", "0",
    "--channels", "4,8,16", "--cells-per-stage", "1", "--val-size", "100", "--train-size", "150",
    "--batch-size", "50", "--no-progress", "--proxies", "none",
]  # fmt: skip


def entries(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*.json")]


@pytest.fixture(scope="module")
def clean_zc(tmp_path_factory) -> Path:
    """The scores of an uninterrupted ``omni zc`` run (one reference for every kill point)."""
    clean = tmp_path_factory.mktemp("zc-clean") / "clean.json"
    subprocess.run(omni(*ZC, "--json", str(clean)), check=True, capture_output=True)
    return clean


@pytest.mark.parametrize("kill_after", [1, 5])
def test_zero_cost_cache_survives_sigkill(tmp_path, kill_after, clean_zc):
    cache = tmp_path / "cache"
    clean = clean_zc
    proc = subprocess.Popen(omni(*ZC, "--cache", str(cache)), stderr=subprocess.PIPE)
    kill_when(proc, lambda: len(entries(cache)) >= kill_after, f"{kill_after} cache entries")
    kept = entries(cache)
    assert kept and all(json.loads(p.read_text())["proxies"] for p in kept)  # none truncated
    resumed = tmp_path / "resumed.json"
    done = subprocess.run(
        omni(*ZC, "--cache", str(cache), "--json", str(resumed)), capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    a = json.loads(clean.read_text())["results"]
    b = json.loads(resumed.read_text())["results"]
    assert [r["arch"] for r in a] == [r["arch"] for r in b]
    assert [r["scores"] for r in a] == [r["scores"] for r in b]


def test_build_bench_resumes_after_sigkill_with_the_same_numbers(tmp_path):
    clean, work = tmp_path / "clean.json.gz", tmp_path / "work"
    subprocess.run(
        omni(*BUILD, "--out", str(clean), "--workdir", str(tmp_path / "w0")),
        check=True,
        capture_output=True,
    )
    out = tmp_path / "resumed.json.gz"
    argv = omni(*BUILD, "--out", str(out), "--workdir", str(work))
    for ready, what in (
        (lambda: any(work.glob("*.pt")), "an epoch checkpoint"),
        (lambda: len(list(work.glob("*.json"))) >= 2, "two finished runs"),
    ):
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE)
        kill_when(proc, ready, what)
        assert not out.exists()  # nothing that could load as a finished benchmark
    done = subprocess.run(argv, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    a, b = load_benchmark(clean), load_benchmark(out)
    assert a.archs == b.archs
    for metric in ("val_acc", "train_loss"):
        np.testing.assert_array_equal(a.curves[metric], b.curves[metric])


def test_ws_supernet_resumes_after_sigkill_with_the_same_scores(tmp_path):
    import torch

    from omni import spaces
    from omni.data import Benchmark

    space = spaces.get("nb201")
    archs = list(dict.fromkeys(space.key(a) for a in space.sample(20, 0)))[:6]
    bench = Benchmark("nb201", "digits", archs, np.linspace(50, 90, len(archs)))
    bench.metadata.update(
        {
            "network": {"channels": [4, 8, 8], "cells_per_stage": 1},
            "data": {"name": "digits", "val_size": 60, "train_size": 130, "split_seed": 0},
        }
    )
    source = bench.save(tmp_path / "tiny.json")
    ws = ["ws", str(source), "--epochs", "60", "--quiet"]
    clean, cache = tmp_path / "clean.json", tmp_path / "cache"
    subprocess.run(
        omni(*ws, "--cache", str(tmp_path / "c0"), "--out", str(clean)),
        check=True,
        capture_output=True,
    )
    out = tmp_path / "resumed.json"
    argv = omni(*ws, "--cache", str(cache), "--out", str(out))
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    kill_when(proc, lambda: any(cache.glob("*.ckpt.pt")), "a supernet checkpoint")
    assert not list(cache.glob("*.json")) and not out.exists()  # nothing looks finished
    done = subprocess.run(argv, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    a, b = load_benchmark(clean), load_benchmark(out)
    np.testing.assert_array_equal(a.ws["spos-s0"], b.ws["spos-s0"])
    (weights_a,) = (tmp_path / "c0").glob("*[0-9a-f].pt")
    (weights_b,) = cache.glob("*[0-9a-f].pt")
    state_a, state_b = (torch.load(p, weights_only=True) for p in (weights_a, weights_b))
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
HYBRID = ["--seeds", "3", "--train-sizes", "12", "--test-size", "40"]
HYBRID += ["--predictors", "bnn@3,lcsvr@3"]


def _hybrid(out: Path) -> list[str]:
    return [sys.executable, str(BENCHMARKS / "hybrid_bnn.py"), *HYBRID, "--out", str(out)]


def _seeds_in(path: Path) -> int:
    try:
        return len({r["seed"] for r in json.loads(path.read_text())["records"]})
    except (OSError, ValueError):  # not written yet (a half-written file would fail loudly)
        return 0


def test_benchmark_script_resumes_after_sigkill_with_the_same_numbers(tmp_path):
    clean = tmp_path / "clean.json"
    subprocess.run(_hybrid(clean), check=True, capture_output=True, cwd=BENCHMARKS)
    out = tmp_path / "resumed.json"
    for seeds in (1, 2):  # killed after the first seed, then again after the second
        proc = subprocess.Popen(_hybrid(out), stderr=subprocess.PIPE, cwd=BENCHMARKS)
        kill_when(proc, lambda n=seeds: _seeds_in(out) >= n, f"{seeds} seeds saved")
        assert _seeds_in(out) in (seeds, seeds + 1)  # every saved state is a whole JSON
    done = subprocess.run(_hybrid(out), capture_output=True, cwd=BENCHMARKS)
    assert done.returncode == 0, done.stderr.decode()[-1500:]

    def numbers(path):
        records = json.loads(path.read_text())["records"]
        keys = ("predictor", "train_size", "seed", "kendall_tau", "spearman", "coverage_68")
        return sorted(tuple(r.get(k) for k in keys) for r in records)

    assert numbers(out) == numbers(clean) and len(numbers(out)) == 2 * 3
