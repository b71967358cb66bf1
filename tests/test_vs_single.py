"""benchmarks/vs_single.py: OMNI against the best single predictor, paired by seed."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _records(taus: dict[str, list[float]]) -> list[dict]:
    return [
        {
            "benchmark": "toy",
            "budget": "b",
            "train_size": 20,
            "seed": s,
            "predictor": name,
            "kendall_tau": tau,
        }
        for name, values in taus.items()
        for s, tau in enumerate(values)
    ]


def test_a_single_that_was_lucky_on_one_seed_is_not_the_held_out_pick(tmp_path):
    # "lucky" is the best single after the fact only through seed 0
    taus = {
        "omni": [0.56] * 4,
        "lucky": [0.9, 0.5, 0.5, 0.5],
        "steady": [0.55] * 4,
        "omni-tuned": [0.99] * 4,  # a composite: never the single it is compared with
    }
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"records": _records(taus)}))
    out = tmp_path / "vs.json"
    subprocess.run(
        [sys.executable, "vs_single.py", str(run), "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=BENCHMARKS,
    )
    (row,) = json.loads(out.read_text())["rows"]
    assert row["best_single"] == "lucky" and row["best_single_kt"] == pytest.approx(0.6)
    assert row["vs_best"]["diff_mean"] == pytest.approx(-0.04)
    assert (row["vs_best"]["wins"], row["vs_best"]["losses"]) == (3, 1)
    # seed 0 is held out -> "steady" is picked there; "lucky" on the three others
    assert row["held_out_picks"] == ["lucky", "steady"]
    assert row["held_out_kt"] == pytest.approx((0.55 + 3 * 0.5) / 4)
    assert row["vs_held_out"]["wins"] == 4


def test_a_file_without_records_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"summary": []}))
    proc = subprocess.run(
        [sys.executable, "vs_single.py", str(bad)], capture_output=True, text=True, cwd=BENCHMARKS
    )
    assert proc.returncode == 2 and "not a benchmark run" in proc.stderr
