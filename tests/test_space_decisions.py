"""Optuna decisions of every registered space: round trips, ``suggest`` and rule errors."""

from __future__ import annotations

import os
from pathlib import Path

import optuna
import pytest

from features.errors import InvalidArchitectureError
from omni import spaces
from omni.spaces.restricted import RestrictedSpace

optuna.logging.set_verbosity(optuna.logging.WARNING)

NAMES = spaces.names()
#: spaces where every combination of decisions is an architecture
NEVER_PRUNED = {"nb201", "tnb101-micro", "darts"}
NLP_LOGS = "spaces/nas_bench_nlp_wikitext2_logs"


def _nlp_logs() -> Path:
    env = os.environ.get("OMNI_SHARED_DATA")
    data = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    path = data / NLP_LOGS
    if not path.is_dir():
        pytest.skip(f"NAS-Bench-NLP logs not found at {path} (set OMNI_SHARED_DATA)")
    return path


def _check_values(space, values):
    decisions = space.decisions()
    assert list(values) == [d.name for d in decisions]
    for d in decisions:
        assert values[d.name] in d.choices, (d.name, values[d.name])


@pytest.mark.parametrize("name", NAMES)
def test_decisions_are_static_and_well_formed(name):
    space = spaces.get(name)
    decisions = space.decisions()
    assert decisions and decisions == space.decisions()
    assert len({d.name for d in decisions}) == len(decisions)
    for d in decisions:
        assert isinstance(d.choices, tuple) and d.choices
        assert len(set(d.choices)) == len(d.choices)
        assert all(c is None or isinstance(c, str | int | bool) for c in d.choices)


@pytest.mark.parametrize("name", NAMES)
def test_round_trip_of_samples(name):
    space = spaces.get(name)
    for arch in space.sample(50, 7):
        values = space.to_decisions(arch)
        _check_values(space, values)
        back = space.from_decisions(values)
        assert space.is_valid(back)
        assert space.key(back) == space.key(arch)
        assert space.to_decisions(back) == values  # decisions are a function of the class


@pytest.mark.parametrize("name", NAMES)
def test_suggest_with_a_random_sampler(name):
    space = spaces.get(name)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    pruned = 0
    for _ in range(40):
        trial = study.ask()
        try:
            arch = space.suggest(trial)
        except optuna.TrialPruned as err:
            assert f"not an architecture of {space.name!r}" in str(err)
            pruned += 1
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        assert space.is_valid(arch)
        assert set(trial.params) == {d.name for d in space.decisions()}
        assert space.key(space.from_decisions(trial.params)) == space.key(arch)
        study.tell(trial, 0.0)
    if name in NEVER_PRUNED:
        assert pruned == 0


@pytest.mark.parametrize("name", NAMES)
def test_fixed_trial_gives_the_architecture(name):
    space = spaces.get(name)
    for arch in space.sample(10, 3):
        trial = optuna.trial.FixedTrial(space.to_decisions(arch))
        assert space.key(space.suggest(trial)) == space.key(arch)


@pytest.mark.parametrize("name", NAMES)
def test_missing_and_unknown_values_raise(name):
    space = spaces.get(name)
    values = space.to_decisions(space.sample(1, 0)[0])
    first = space.decisions()[0].name
    missing = dict(values)
    missing.pop(first)
    with pytest.raises(InvalidArchitectureError, match=f"decision '{first}'.*missing"):
        space.from_decisions(missing)
    for d in space.decisions():
        bad = {**values, d.name: "no-such-choice"}
        with pytest.raises(InvalidArchitectureError, match=f"'{d.name}'.*takes one of"):
            space.from_decisions(bad)
    with pytest.raises(InvalidArchitectureError, match="mapping"):
        space.from_decisions([1, 2, 3])


def _fails(space, values, match):
    with pytest.raises(InvalidArchitectureError, match=match):
        space.from_decisions(values)
    if all(d.name in values and values[d.name] in d.choices for d in space.decisions()):
        with pytest.raises(optuna.TrialPruned, match=match):  # a trial that breaks a rule
            space.suggest(optuna.trial.FixedTrial(values))


def test_nb201_unknown_op():
    space = spaces.get("nb201")
    values = space.to_decisions(space.sample(1, 0)[0])
    _fails(space, {**values, "edge_1_0": "conv_7x7"}, "edge_1_0.*'conv_7x7'")


def test_nb101_rules():
    space = spaces.get("nb101")
    names = [d.name for d in space.decisions()]
    assert names[:3] == ["edge_0_1", "edge_0_2", "edge_0_3"] and names[-1] == "op_5"
    values = space.to_decisions(space.sample(1, 0)[0])
    _fails(space, {**values, "op_1": "conv5x5"}, "op_1.*conv5x5")
    _fails(space, {**values, "edge_0_1": 2}, "edge_0_1.*takes one of")
    dense = {**values, **{n: 1 for n in names if n.startswith("edge_")}}
    _fails(space, dense, "more than 9 edges after pruning")
    empty = {**values, **{n: 0 for n in names if n.startswith("edge_")}}
    _fails(space, empty, "input does not reach the output")
    # pruned cells of fewer vertices come back in the padded 7-vertex form
    direct = {**empty, "edge_0_6": 1}
    cell = space.from_decisions(direct)
    assert space.prune(cell).num_vertices == 2
    assert space.to_decisions(cell) == space.to_decisions(space.prune(cell))


def test_darts_rules_and_names():
    space = spaces.get("darts")
    by_name = {d.name: d.choices for d in space.decisions()}
    assert by_name["normal_0_inputs"] == ("0,1",)
    assert by_name["reduce_3_inputs"][-1] == "3,4" and len(by_name["reduce_3_inputs"]) == 10
    assert "sep_conv_3x3" in by_name["normal_2_1_op"] and "none" not in by_name["normal_2_1_op"]
    arch = space.sample(1, 0)[0]
    values = space.to_decisions(arch)
    _fails(space, {**values, "normal_1_0_op": "none"}, "normal_1_0_op.*'none'")
    _fails(space, {**values, "reduce_2_inputs": "2,2"}, "reduce_2_inputs.*takes one of")
    _fails(space, {**values, "reduce_2_inputs": "3,4"}, "reduce_2_inputs.*takes one of")
    # the decisions give the canonical form (the two pairs of each node sorted by input)
    assert space.from_decisions(values) == space.canonical(arch)


def test_tnb101_macro_rules():
    space = spaces.get("tnb101-macro")
    arch = (1, 3, 2, 4)
    values = space.to_decisions(arch)
    assert values == {"length": 4, **{f"module_{p}": c for p, c in enumerate(arch + (1, 1))}}
    assert space.from_decisions({**values, "module_5": 4}) == arch  # beyond length: ignored
    assert space.from_decisions({**values, "length": 5}) == (1, 3, 2, 4, 1)
    _fails(space, {**values, "module_0": 7}, "module_0.*7")
    _fails(space, {**values, "length": 3}, "length.*takes one of")
    ones = {**values, **{f"module_{p}": 1 for p in range(6)}}
    _fails(space, ones, "halve the resolution")
    assert all(space.from_decisions(space.to_decisions(a)) == a for a in space.all_archs())


# ---------------------------------------------------------------------- NLP
NLP = spaces.get("nlp")
RECIPE = {
    "node_0": {"op": "linear", "input": ["x", "h_prev_0"]},
    "node_1": {"op": "activation_tanh", "input": ["node_0"]},
    "h_new_1": {"op": "linear", "input": ["node_1", "h_prev_1"]},
    "h_new_0": {"op": "blend", "input": ["node_1", "h_new_1", "x"]},
    "dead": {"op": "activation_sigm", "input": ["x"]},
}


def test_nlp_slots_of_a_cell():
    values = NLP.to_decisions(RECIPE)
    used = {k: v for k, v in values.items() if v != "-"}
    assert used == {
        "slot_0_op": "linear",
        "slot_0_in_0": "x",
        "slot_0_in_1": "h_prev_0",
        "slot_1_op": "activation_tanh",
        "slot_1_in_0": "slot_0",
        "slot_2_op": "linear",
        "slot_2_in_0": "slot_1",
        "slot_2_in_1": "h_prev_1",
        "slot_3_op": "blend",
        "slot_3_in_0": "slot_1",
        "slot_3_in_1": "slot_2",
        "slot_3_in_2": "x",
        "out_0": "slot_3",
        "out_1": "slot_2",
    }
    cell = NLP.from_decisions(values)
    assert {n for n, _, _ in cell.nodes} == {"node_0", "node_1", "h_new_0", "h_new_1"}
    assert NLP.key(cell) == NLP.key(RECIPE)
    # inputs other than "-" count, in order; inputs of an absent slot are ignored
    gappy = {**values, "slot_0_in_0": "-", "slot_0_in_2": "x", "slot_9_in_0": "slot_3"}
    assert NLP.key(NLP.from_decisions(gappy)) == NLP.key(RECIPE)


def test_nlp_rules():
    values = NLP.to_decisions(RECIPE)
    _fails(NLP, {**values, "slot_1_op": "lstm"}, "slot_1_op.*'lstm'")
    _fails(NLP, {**values, "slot_1_in_0": "slot_2"}, "slot_1_in_0 is slot_2.*earlier slots")
    _fails(NLP, {**values, "slot_1_in_0": "slot_1"}, "slot_1_in_0 is slot_1")
    _fails(NLP, {**values, "slot_0_op": "-"}, "slot_1 reads slot_0, an absent slot")
    _fails(NLP, {**values, "slot_1_in_1": "x"}, "slot_1 is activation_tanh.*1 inputs; it has 2")
    _fails(NLP, {**values, "slot_3_in_2": "-"}, "slot_3 is blend.*3 inputs; it has 2")
    _fails(NLP, {**values, "slot_0_in_1": "x"}, "slot_0 reads x twice")
    _fails(NLP, {**values, "slot_2_in_1": "h_prev_2"}, "reads h_prev_2, but the cell has 2 outputs")
    _fails(NLP, {**values, "out_0": "-"}, "out_0 is '-'")
    _fails(NLP, {**values, "out_1": "-", "out_2": "slot_2"}, "out_1 is '-' but out_2.*consecutive")
    _fails(NLP, {**values, "out_1": "slot_3"}, "out_0 and out_1 are both slot_3")
    _fails(NLP, {**values, "out_1": "slot_7"}, "out_1 is slot_7, an absent slot")


def test_nlp_round_trips_many_samples():
    for cell in NLP.sample(300, 11):
        values = NLP.to_decisions(cell)
        _check_values(NLP, values)
        assert NLP.key(NLP.from_decisions(values)) == NLP.key(cell)


def test_nlp_round_trips_the_logged_cells():
    from omni.data.nlp_logs import read_nlp_logs

    bench = read_nlp_logs(_nlp_logs())
    for text in bench.archs:
        values = NLP.to_decisions(text)
        _check_values(NLP, values)
        assert NLP.key(NLP.from_decisions(values)) == NLP.key(text)


# ---------------------------------------------------------------------- restricted
def test_restricted_space_delegates_and_keeps_to_its_table():
    parent = spaces.get("nb201")
    table = parent.sample(30, 5)
    space = RestrictedSpace(parent, table)
    assert space.decisions() == parent.decisions()
    for arch in table:
        assert space.key(space.from_decisions(space.to_decisions(arch))) == space.key(arch)
    keys = {parent.key(a) for a in table}
    outside = next(a for a in parent.sample(200, 6) if parent.key(a) not in keys)
    with pytest.raises(InvalidArchitectureError, match="not in the table"):
        space.from_decisions(parent.to_decisions(outside))
    with pytest.raises(optuna.TrialPruned, match="not in the table"):
        space.suggest(optuna.trial.FixedTrial(parent.to_decisions(outside)))
