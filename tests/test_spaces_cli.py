"""Every command on every published space, on the 20-key samples of the shared data."""

from __future__ import annotations

import json

import pytest

from omni import spaces
from omni.cli import main as cli_main
from omni.data import load_benchmark

#: space -> (sample file, task)
SAMPLES = {
    "nb101": ("zc_nasbench101_sample20.json", None),
    "darts": ("zc_nasbench301_sample20.json", None),
    "tnb101-micro": ("zc_transbench101_micro_sample20.json", "class_scene"),
    "tnb101-macro": ("zc_transbench101_macro_sample20.json", "jigsaw"),
}


def _args(shared_data, name):
    file, task = SAMPLES[name]
    path = str(shared_data / "samples" / file)
    return [path] + (["--dataset", task] if task else [])


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_load_recognises_the_naslib_file(shared_data, name):
    file, task = SAMPLES[name]
    bench = load_benchmark(shared_data / "samples" / file, dataset=task)
    assert bench.space == name and len(bench) >= 18
    space = spaces.get(name)
    assert all(space.parse(a) == space.coerce(a) for a in bench.archs)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_evaluate_and_search(shared_data, tmp_path, name):
    out = tmp_path / "eval.json"
    argv = ["evaluate", *_args(shared_data, name), "--predictors", "xgb-onehot,params,omni"]
    argv += ["--train-sizes", "5,10", "--test-size", "5", "--seeds", "1", "--quiet"]
    assert cli_main([*argv, "--json", str(out)]) == 0
    records = json.loads(out.read_text())["records"]
    assert {r["predictor"] for r in records} == {"xgb-onehot", "params", "omni"}
    assert all(-1 <= r["kendall_tau"] <= 1 for r in records)
    out = tmp_path / "search.json"
    argv = ["search", *_args(shared_data, name), "--strategy", "random,evolution"]
    assert cli_main([*argv, "--queries", "6", "--seeds", "1", "--quiet", "--json", str(out)]) == 0
    runs = json.loads(out.read_text())["runs"]
    assert len(runs) == 2 and all(len(r["best_so_far"]) == 6 for r in runs)


def test_tune_fit_predict_on_nb101(shared_data, tmp_path, capsys):
    args = _args(shared_data, "nb101")
    profile, model = tmp_path / "p.json", tmp_path / "m.omni"
    assert (
        cli_main(
            [
                "tune",
                *args,
                "--train-size",
                "12",
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
            ["fit", *args, "--train-size", "12", "--profile", str(profile), "--out", str(model)]
        )
        == 0
    )
    bench = load_benchmark(args[0])
    archs = tmp_path / "archs.txt"
    archs.write_text("\n".join(bench.archs[:3]) + "\n")
    capsys.readouterr()
    assert cli_main(["predict", str(model), str(archs)]) == 0
    assert bench.archs[0] in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_zero_cost_on_the_space_networks(tmp_path, name):
    out = tmp_path / "zc.json"
    argv = ["zc", "--space", name, "--sample", "1", "--proxies", "params,synflow"]
    assert cli_main([*argv, "--batch-size", "2", "--json", str(out)]) == 0
    (record,) = json.loads(out.read_text())["results"]
    assert record["scores"]["params"] > 0
    assert spaces.get(name).is_valid(record["arch"])
