"""NAS-Bench-NLP: recurrent cells (parse, rules, isomorphs), moves, encodings and the log reader."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.errors import DataFormatError, InvalidArchitectureError
from omni import spaces
from omni.data import load_benchmark
from omni.data.nlp_logs import read_nlp_logs
from omni.feature_groups import feature_matrix
from omni.spaces.nlp.cell import OP_ARITY

SPACE = spaces.get("nlp")
#: a two-state cell in the benchmark's style
RECIPE = {
    "node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
    "node_1": {"op": "activation_tanh", "input": ["node_0"]},
    "h_new_1": {"op": "linear", "input": ["node_1", "h_prev_1"]},
    "h_new_0": {"op": "elementwise_prod", "input": ["node_1", "h_new_1"]},
}
LOGS = "spaces/nas_bench_nlp_wikitext2_logs"


def _data_dir() -> Path:
    env = os.environ.get("OMNI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def shared_logs() -> Path:
    path = _data_dir() / LOGS
    if not path.is_dir():
        pytest.skip(f"NAS-Bench-NLP logs not found at {path} (set OMNI_SHARED_DATA)")
    return path


def _text(recipe: dict) -> str:
    return json.dumps(recipe)


def _with(**changes) -> dict:
    recipe = json.loads(json.dumps(RECIPE))
    recipe.update(changes)
    return recipe


# ---------------------------------------------------------------------- cells
def test_recipe_round_trips_and_aliases_resolve():
    cell = SPACE.parse(_text(RECIPE))
    assert cell.num_hidden == 2
    assert SPACE.parse(SPACE.to_str(cell)) == cell
    assert SPACE.validate(RECIPE) == cell
    assert spaces.get("nasbenchnlp") is SPACE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"node_1": {"op": "conv3x3", "input": ["node_0"]}}, "unknown op 'conv3x3'"),
        ({"node_1": {"op": "blend", "input": ["node_0", "x"]}}, "blend takes 3 inputs"),
        ({"node_1": {"op": "activation_tanh", "input": ["nowhere"]}}, "'nowhere', which is not"),
        ({"node_0": {"op": "linear", "input": ["x", "node_1"]}}, "cycle"),
        ({"node_1": {"op": "activation_tanh", "input": ["h_prev_2"]}}, "reads h_prev_2"),
        ({"node_1": {"op": "linear", "input": ["x", "x"]}}, "reads one input twice"),
        ({"h_new_3": {"op": "activation_tanh", "input": ["x"]}}, "outputs must be h_new_0"),
        ({"x": {"op": "activation_tanh", "input": ["node_0"]}}, "reserved for a cell input"),
        ({"node_1": {"op": "activation_tanh"}}, "exactly"),
    ],
)
def test_bad_recipes_are_named(change, message):
    with pytest.raises(InvalidArchitectureError, match=message):
        SPACE.parse(_text(_with(**change)))


def test_missing_output_and_non_json_are_refused():
    no_output = {k: v for k, v in RECIPE.items() if k != "h_new_0"}
    with pytest.raises(InvalidArchitectureError, match="outputs must be"):
        SPACE.validate(no_output)
    with pytest.raises(InvalidArchitectureError, match="JSON"):
        SPACE.parse('{"h_new_0": {"op": "linear", "input": ["x"]')


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text):
    try:
        SPACE.parse(text)
    except InvalidArchitectureError as err:
        assert str(err)


def test_renaming_and_input_order_do_not_change_the_key():
    renamed = {
        "a": {"op": "linear", "input": ["h_prev_0", "x"]},  # linear: order is free
        "b": {"op": "activation_tanh", "input": ["a"]},
        "h_new_1": {"op": "linear", "input": ["h_prev_1", "b"]},
        "h_new_0": {"op": "elementwise_prod", "input": ["h_new_1", "b"]},
    }
    assert SPACE.key(renamed) == SPACE.key(RECIPE)
    other_op = _with(node_1={"op": "activation_sigm", "input": ["node_0"]})
    assert SPACE.key(other_op) != SPACE.key(RECIPE)


def test_blend_keeps_its_input_order():
    base = {
        "node_0": {"op": "activation_sigm", "input": ["x"]},
        "h_new_0": {"op": "blend", "input": ["node_0", "x", "h_prev_0"]},
    }
    swapped = {
        "node_0": {"op": "activation_sigm", "input": ["x"]},
        "h_new_0": {"op": "blend", "input": ["node_0", "h_prev_0", "x"]},
    }
    assert SPACE.key(base) != SPACE.key(swapped)


def test_interchangeable_nodes_get_one_canonical_form():
    # two identical branches: whichever is named first, the canonical cell is the same
    a = {
        "p": {"op": "linear", "input": ["x", "h_prev_0"]},
        "q": {"op": "linear", "input": ["x", "h_prev_0"]},
        "r": {"op": "activation_tanh", "input": ["p"]},
        "h_new_0": {"op": "blend", "input": ["r", "q", "x"]},
    }
    b = {
        "q": {"op": "linear", "input": ["x", "h_prev_0"]},
        "p": {"op": "linear", "input": ["x", "h_prev_0"]},
        "r": {"op": "activation_tanh", "input": ["q"]},
        "h_new_0": {"op": "blend", "input": ["r", "p", "x"]},
    }
    assert SPACE.canonical(a) == SPACE.canonical(b)
    assert SPACE.canonical(SPACE.canonical(a)) == SPACE.canonical(a)


def test_prune_drops_nodes_no_output_reads():
    dead = _with(orphan={"op": "activation_sigm", "input": ["x"]})
    assert len(SPACE.prune(dead).nodes) == len(RECIPE)
    assert SPACE.key(dead) == SPACE.key(RECIPE)


# ---------------------------------------------------------------------- moves and encodings
def test_neighbours_change_one_op_or_one_input():
    cell = SPACE.parse(_text(RECIPE))
    own = {name: (op, inputs) for name, op, inputs in cell.nodes}
    neighbours = SPACE.neighbours(cell)
    assert len(neighbours) > 10
    for nb in neighbours:
        theirs = {name: (op, inputs) for name, op, inputs in nb.nodes}
        assert theirs.keys() == own.keys()
        changed = [n for n in own if own[n] != theirs[n]]
        assert len(changed) == 1
        (name,) = changed
        (op, inputs), (new_op, new_inputs) = own[name], theirs[name]
        if op != new_op:
            assert inputs == new_inputs and OP_ARITY[new_op][0] <= len(inputs)
        else:
            assert sum(a != b for a, b in zip(inputs, new_inputs, strict=True)) == 1


def test_samples_read_the_token_and_vary_in_size():
    cells = SPACE.sample(40, 1)
    assert len({SPACE.key(c) for c in cells}) == 40
    assert {c.num_hidden for c in cells} == {1, 2, 3}
    assert all(SPACE._reads_token(c) for c in cells)
    lengths = {name: {SPACE.encode(c, name).size for c in cells} for name in SPACE.encodings}
    assert all(len(v) == 1 for v in lengths.values()), lengths


# ---------------------------------------------------------------------- the log reader
def _log(recipe: dict, val: list[float], status: str = "OK", epochs: int | None = None) -> dict:
    return {
        "recepie": json.dumps(recipe),
        "recepie_id": 7,
        "data": "data/wikitext-2",
        "epochs": len(val) if epochs is None else epochs,
        "num_params": 1234,
        "train_losses": [v + 0.5 for v in val],
        "val_losses": val,
        "test_losses": val,
        "wall_times": [10.0] * len(val),
        "status": status,
    }


def _write(folder: Path, name: str, log: dict | str) -> None:
    text = log if isinstance(log, str) else json.dumps(log)
    (folder / f"log_stats_model_{name}.json").write_text(text)


def test_reader_keeps_failed_runs_with_a_nan_target(tmp_path):
    _write(tmp_path, "1", _log(RECIPE, [6.0, 5.5, 5.2, 5.1]))
    other = _with(node_1={"op": "activation_sigm", "input": ["node_0"]})
    _write(tmp_path, "2", _log(other, [6.1, math.nan], status="loss is nan!", epochs=4))
    bench = load_benchmark(tmp_path)
    assert bench.space == "nlp" and bench.dataset == "wikitext2" and len(bench) == 2
    assert bench.target[0] == pytest.approx(100 - 5.1)
    assert math.isnan(bench.target[1])
    assert bench.curves["val_loss"].shape == (2, 4)
    assert bench.curves["val_loss"][1, 0] == 6.1 and np.isnan(bench.curves["val_loss"][1, 2:]).all()
    assert bench.metadata["unfinished"] == [
        {"file": "log_stats_model_2.json", "status": "loss is nan!", "epochs": 2}
    ]
    assert bench.train_seconds.tolist() == [40.0, 20.0]


def test_reader_names_a_truncated_log_and_a_bad_recipe(tmp_path):
    _write(tmp_path, "1", _log(RECIPE, [6.0, 5.5]))
    _write(tmp_path, "2", json.dumps(_log(RECIPE, [6.0, 5.5]))[:200])
    with pytest.raises(DataFormatError, match="log_stats_model_2.json.*truncated"):
        read_nlp_logs(tmp_path)
    _write(tmp_path, "2", _log(_with(node_1={"op": "lstm", "input": ["x"]}), [6.0, 5.5]))
    with pytest.raises(DataFormatError, match="log_stats_model_2.json.*unknown op 'lstm'"):
        read_nlp_logs(tmp_path)
    _write(tmp_path, "2", {"recepie": "{}"})
    with pytest.raises(DataFormatError, match="missing"):
        read_nlp_logs(tmp_path)


def test_shared_logs(shared_logs):
    bench = load_benchmark(shared_logs)
    assert len(bench) == 100 and bench.num_epochs == 50
    assert bench.metadata["isomorphism_classes"] == 93
    assert np.isfinite(bench.target).all() and bench.target.max() < 100
    assert bench.epoch_seconds.shape == (100, 50)
    # the validation metric of these logs is the loss: early stopping reads minus the loss
    X, _ = feature_matrix(bench, ["lc:val_metric:last@3"])
    assert np.allclose(X[:, 0], -bench.curves["val_loss"][:, 2])


# ---------------------------------------------------------------------- every command
def _synthetic_logs(folder: Path, n: int = 26, epochs: int = 8) -> None:
    """Logs of sampled cells whose curves descend towards a per-cell final loss."""
    rng = np.random.default_rng(0)
    for k, cell in enumerate(SPACE.sample(n, 3)):
        final = 5.0 + rng.uniform()
        t = np.arange(epochs)
        val = final + 1.5 * np.exp(-t / 3) + rng.normal(0, 0.01, epochs)
        _write(folder, str(k), {**_log(cell.recipe(), val.tolist()), "recepie_id": k})


def test_every_command_runs_on_logs(tmp_path, capsys):
    from omni.cli import main as cli_main

    logs = tmp_path / "logs"
    logs.mkdir()
    _synthetic_logs(logs)
    out = tmp_path / "eval.json"
    argv = ["evaluate", str(logs), "--predictors", "omni,lce,sotle,early-stop", "--fidelity", "3"]
    argv += ["--train-sizes", "12", "--test-size", "10", "--seeds", "1", "--quiet"]
    assert cli_main([*argv, "--json", str(out)]) == 0
    records = json.loads(out.read_text())["records"]
    assert {r["predictor"] for r in records} == {"omni@3", "lce@3", "sotle@3", "early-stop@3"}
    lce = [r["kendall_tau"] for r in records if r["predictor"] == "lce@3"]
    assert min(lce) > 0.5  # the curves do say where they end
    profile, model = tmp_path / "p.json", tmp_path / "m.omni"
    tune = ["tune", str(logs), "--train-size", "12", "--query-budget", "40", "--trials", "1"]
    assert cli_main([*tune, "--out", str(profile)]) == 0
    groups = json.loads(profile.read_text())["groups"]
    assert all(g.startswith(("lc:", "graph", "onehot", "opcount")) for g in groups)
    fit = ["fit", str(logs), "--train-size", "12", "--profile", str(profile), "--out", str(model)]
    assert cli_main(fit) == 0
    bench = load_benchmark(logs)
    archs = tmp_path / "archs.txt"
    archs.write_text("\n".join(bench.archs[:2]) + "\n")
    capsys.readouterr()
    assert cli_main(["predict", str(model), str(archs)]) == 0
    assert bench.archs[0] in capsys.readouterr().out
    search = ["search", str(logs), "--strategy", "random,evolution", "--queries", "5"]
    assert cli_main([*search, "--seeds", "1", "--quiet"]) == 0
