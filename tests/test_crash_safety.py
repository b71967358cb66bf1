"""`omni zc --cache` and `omni build-bench` killed with SIGKILL resume, losing at most the item
in flight, and leave no file that loads as valid but wrong."""

from __future__ import annotations

import json
import subprocess
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


@pytest.mark.parametrize("kill_after", [1, 5])
def test_zero_cost_cache_survives_sigkill(tmp_path, kill_after):
    cache = tmp_path / "cache"
    clean = tmp_path / "clean.json"
    subprocess.run(omni(*ZC, "--json", str(clean)), check=True, capture_output=True)
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
