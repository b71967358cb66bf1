"""The README's walk-through: a user's own space through every command, loaded via OMNI_SPACES."""

from __future__ import annotations

import json
from pathlib import Path

import example_space
import numpy as np

from omni import spaces
from omni.cli import main as cli_main

EXAMPLE = str(Path(example_space.__file__).resolve())


def _naslib_file(tmp_path, zc_json) -> Path:
    """A NASLib-layout table of the tiny space: our proxies plus a target that depends on ops."""
    results = json.loads(zc_json.read_text())["results"]
    table = {}
    for k, r in enumerate(results):
        arch = spaces.get("tiny").parse(r["arch"])
        target = 50 + 10 * arch.count("conv3x3") + 3 * arch.count("skip_connect") + 0.01 * k
        scores = {p: {"score": s, "time": r["seconds"][p]} for p, s in r["scores"].items()}
        table[r["arch"]] = {"val_accuracy": target, **scores}
    path = tmp_path / "tiny_bench.json"
    path.write_text(json.dumps({"toy": table}))
    return path


def test_user_space_through_every_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(spaces.PLUGIN_VARIABLE, EXAMPLE)
    archs = tmp_path / "archs.txt"
    space = spaces.get("tiny")
    every = list(dict.fromkeys(space.key(a) for a in space.all_archs()))
    assert len(every) == 40  # 64 cells, 40 classes after pruning and the isomorphism swap
    archs.write_text("\n".join(every) + "\n")
    zc = tmp_path / "zc.json"
    assert (
        cli_main(
            [
                "zc",
                "--space",
                "tiny",
                str(archs),
                "--proxies",
                "params,synflow,jacov",
                "--batch-size",
                "4",
                "--json",
                str(zc),
            ]
        )
        == 0
    )
    bench = _naslib_file(tmp_path, zc)
    common = [str(bench), "--space", "tiny"]
    out = tmp_path / "eval.json"
    assert (
        cli_main(
            [
                "evaluate",
                *common,
                "--predictors",
                "omni,xgb-onehot,params",
                "--train-sizes",
                "10,20",
                "--test-size",
                "15",
                "--seeds",
                "2",
                "--quiet",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    records = json.loads(out.read_text())["records"]
    omni_kt = np.mean([r["kendall_tau"] for r in records if r["predictor"] == "omni"])
    assert omni_kt > 0.5  # the target is a function of the ops: the composite must see it
    profile, model = tmp_path / "p.json", tmp_path / "m.omni"
    assert (
        cli_main(
            [
                "tune",
                *common,
                "--train-size",
                "20",
                "--query-budget",
                "1e9",
                "--trials",
                "2",
                "--out",
                str(profile),
            ]
        )
        == 0
    )
    assert (
        cli_main(
            ["fit", *common, "--train-size", "20", "--profile", str(profile), "--out", str(model)]
        )
        == 0
    )
    capsys.readouterr()
    assert cli_main(["predict", str(model), str(archs)]) == 0
    assert every[0] in capsys.readouterr().out
    assert (
        cli_main(
            [
                "search",
                *common,
                "--strategy",
                "random,evolution",
                "--queries",
                "10",
                "--seeds",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
