"""TransNAS-Bench-101 micro and macro spaces (omni.spaces.tnb101)."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
import torch

from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.base import Task
from omni.spaces.tnb101 import TNB_TASKS, TNB101MacroSpace, TNB101MicroSpace
from omni.spaces.tnb101.network import (
    FactorizedReduce,
    MicroCell,
    ZeroOp,
    count_flops,
)

MICRO = TNB101MicroSpace()
MACRO = TNB101MacroSpace()
BUILT_TASKS = ("class_scene", "class_object", "room_layout", "jigsaw")
SMALL = Task("small", (3, 64, 64), 63)
SMALL_JIGSAW = Task("small_jigsaw", (9, 3, 32, 32), 1000)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny networks gain nothing from threads, and on a busy machine spinning threads make
    each op orders of magnitude slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _data_dir() -> Path:
    env = os.environ.get("OMNI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _load(name: str) -> dict:
    path = _data_dir() / "samples" / name
    if not path.exists():
        pytest.skip(f"TNB101 sample {path} not found (set OMNI_SHARED_DATA to the data folder)")
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def micro_sample() -> dict:
    return _load("zc_transbench101_micro_sample20.json")


@pytest.fixture(scope="module")
def macro_sample() -> dict:
    return _load("zc_transbench101_macro_sample20.json")


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- strings
def test_micro_strings_of_the_reference():
    arch = MICRO.parse("64-41414-3_00_022")
    assert arch == ("nor_conv_3x3", "none", "none", "none", "nor_conv_1x1", "nor_conv_1x1")
    assert MICRO.to_str(arch) == "64-41414-3_00_022"
    assert MICRO.to_naslib_key(arch) == "(3, 0, 0, 0, 2, 2)"
    assert MICRO.parse("(3, 0, 0, 0, 2, 2)") == arch
    nb201 = MICRO.to_nb201_str(arch)
    assert nb201 == "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|"
    assert MICRO.parse(nb201) == arch


def test_macro_strings_of_the_reference():
    arch = MACRO.parse("(1, 2, 3, 3, 0, 0)")
    assert arch == (1, 2, 3, 3)
    assert MACRO.to_str(arch) == "64-1233-basic"
    assert MACRO.parse("64-1233-basic") == arch
    assert MACRO.to_naslib_key(arch) == "(1, 2, 3, 3, 0, 0)"
    assert MACRO.validate([1, 2, 3, 3, 0, 0]) == arch  # NASLib's zero-padded op_indices


def test_keys_of_the_files_round_trip(micro_sample, macro_sample):
    for space, data in ((MICRO, micro_sample), (MACRO, macro_sample)):
        for task, rows in data.items():
            for key, row in rows.items():
                arch = space.parse(key)
                assert space.to_naslib_key(arch) == key, (task, key)
                assert row["arch"] == key
                text = space.to_str(arch)
                assert space.parse(text) == arch and space.to_str(space.parse(text)) == text


def test_micro_enumerates_all_4096_cells():
    archs = list(MICRO.all_archs())
    assert len(archs) == MICRO.size == 4096
    assert len({MICRO.to_str(a) for a in archs}) == 4096


@pytest.mark.parametrize(
    "text,rule",
    [
        ("(3, 0, 0, 0, 2)", "has 6 elements"),
        ("(3, 0, 0, 0, 2, 4)", "op codes must be"),
        ("(3, 0, x, 0, 2, 2)", "integers"),
        ("64-41414-3_00_02", "groups of 1, 2, 3"),
        ("64-41414-3_00_0a2", "digits"),
        ("64-41414-3_00_024", "op codes must be"),
        ("32-41414-3_00_022", "64-41414"),
        ("64-4141-3_00_022", "64-41414"),
        ("64-1233-basic", "tnb101-macro"),
        ("|nor_conv_3x3~0|+|none~0|", "node groups"),
    ],
)
def test_micro_rejects_with_the_rule(text, rule):
    with pytest.raises(InvalidArchitectureError, match=rule):
        MICRO.parse(text)
    assert not MICRO.is_valid(text)


@pytest.mark.parametrize(
    "arch,rule",
    [
        ((1, 2, 3), "4 to 6 modules, has 3"),
        ((1, 2, 3, 1, 1, 1, 1), "4 to 6 modules, has 7"),
        ((1, 2, 5, 3), "module code 5"),
        ((1, 0, 2, 3), "only pad the end"),
        ((1, 2, 1, 2), "halve the resolution .* has 0"),
        ((3, 3, 4, 3, 3), "halve the resolution .* has 5"),
        ((1, 3, 1, 3), "double the width .* has 0"),
        ((2, 2, 4, 4), "double the width .* has 4"),
        (("1", "2", "3", "3"), "integers"),
    ],
)
def test_macro_rejects_with_the_rule(arch, rule):
    with pytest.raises(InvalidArchitectureError, match=rule):
        MACRO.validate(arch)
    assert not MACRO.is_valid(arch)


@pytest.mark.parametrize(
    "text,rule",
    [
        ("(1, 2, 3, 3)", "has 6 elements"),
        ("(1, 2, 3, 3, 0, 7)", "module code 7"),
        ("32-1233-basic", "width 64"),
        ("64-12x3-basic", "digits"),
        ("64-41414-3_00_022", "basic"),
        ("64-1111-basic", "halve the resolution"),
    ],
)
def test_macro_parse_rejects_with_the_rule(text, rule):
    with pytest.raises(InvalidArchitectureError, match=rule):
        MACRO.parse(text)


# ---------------------------------------------------------------- macro space
def test_macro_has_3256_architectures():
    brute = sum(
        1
        for n in (4, 5, 6)
        for codes in itertools.product((1, 2, 3, 4), repeat=n)
        if 1 <= sum(c in (3, 4) for c in codes) <= 4 and 1 <= sum(c in (2, 4) for c in codes) <= 3
    )
    archs = list(MACRO.all_archs())
    assert brute == len(archs) == len(set(archs)) == MACRO.size == 3256
    assert MACRO.enumerable


def test_macro_sample_is_uniform_over_the_space():
    archs = MACRO.sample(4000, 0)
    assert all(MACRO.is_valid(a) for a in archs)
    lengths = [len(a) for a in archs]
    total = {n: sum(1 for a in MACRO.all_archs() if len(a) == n) for n in (4, 5, 6)}
    for n in (4, 5, 6):
        assert lengths.count(n) / len(archs) == pytest.approx(total[n] / 3256, abs=0.03)


def test_macro_neighbours_change_insert_delete():
    arch = (1, 2, 3, 4, 1)
    nbrs = MACRO.neighbours(arch)
    assert len(nbrs) == len(set(nbrs)) and arch not in nbrs
    assert (1, 2, 3, 3, 1) in nbrs  # change
    assert (1, 2, 3, 4, 1, 1) in nbrs and (3, 1, 2, 3, 4, 1) in nbrs  # insert
    assert (2, 3, 4, 1) in nbrs and (1, 2, 3, 4) in nbrs  # delete
    assert (1, 1, 3, 4, 1) in nbrs and (1, 2, 1, 4, 1) in nbrs
    for b in nbrs:
        assert MACRO.is_valid(b) and arch in MACRO.neighbours(b)
    # (1, 1, 1, 4): deleting is not allowed (4 is the minimum), nor removing the only reduction
    nbrs = MACRO.neighbours((1, 1, 1, 4))
    assert all(len(b) >= 4 for b in nbrs) and (1, 1, 1, 1) not in nbrs
    assert MACRO.mutate((1, 1, 1, 4), 0) in nbrs


def test_macro_canonical_is_identity_and_graph_is_a_chain():
    arch = (4, 1, 3, 3, 2)
    assert MACRO.canonical(arch) == arch and MACRO.key(arch) == "64-41332-basic"
    (dag,) = MACRO.graphs(arch)
    assert dag.ops == (
        "input",
        "module_4",
        "module_1",
        "module_3",
        "module_3",
        "module_2",
        "output",
    )
    assert dag.adjacency.sum() == 6 and all(dag.adjacency[k, k + 1] for k in range(6))
    assert MACRO.graph_ops == ("module_1", "module_2", "module_3", "module_4")


def test_macro_encodings():
    onehot = MACRO.encode((4, 1, 3, 3), "onehot")
    assert onehot.shape == (30,) and onehot.sum() == 6
    assert onehot.reshape(6, 5).argmax(1).tolist() == [4, 1, 3, 3, 0, 0]
    assert len(MACRO.encoding_names("onehot")) == 30
    assert MACRO.encode((4, 1, 3, 3), "opcount").tolist() == [1, 0, 2, 1]
    assert MACRO.encode((4, 1, 3, 3), "padded").shape == (8 * 8 + 8 * 6,)
    assert (
        MACRO.encode((4, 1, 3, 3), "graph").shape == MACRO.encode((1, 2, 3, 4, 1, 2), "graph").shape
    )


# ---------------------------------------------------------------- micro space
def test_micro_canonical_prunes_dead_edges_and_merges_isomorphs():
    # node 1 is fed by nothing: the edges out of it are dead
    arch = MICRO.parse("64-41414-0_33_333")
    assert MICRO.canonical(arch) == MICRO.parse("64-41414-0_30_303")
    # no path to the output: every op is dead
    assert MICRO.canonical(MICRO.parse("64-41414-3_33_000")) == ("none",) * 6
    # 2<-1 is none: nodes 1 and 2 may swap (1<-0 <-> 2<-0, 3<-1 <-> 3<-2)
    a, b = MICRO.parse("64-41414-2_30_312"), MICRO.parse("64-41414-3_20_321")
    assert a != b and MICRO.key(a) == MICRO.key(b)
    assert MICRO.key(MICRO.parse("64-41414-2_31_312")) != MICRO.key(
        MICRO.parse("64-41414-3_21_321")
    )


def test_micro_encodings():
    arch = MICRO.parse("64-41414-3_00_022")
    edge = MICRO.encode(arch, "edge-onehot")
    assert edge.shape == (24,)
    assert edge.reshape(6, 4).argmax(1).tolist() == [3, 0, 0, 0, 2, 2]
    assert MICRO.encoding_names("edge-onehot")[:5] == [
        "1<-0:none",
        "1<-0:skip_connect",
        "1<-0:nor_conv_1x1",
        "1<-0:nor_conv_3x3",
        "2<-0:none",
    ]
    # CellSpace's onehot: 28 adjacency bits of the 8-node edge-DAG + 6 x 4 op bits
    assert MICRO.encode(arch, "onehot").shape == (52,)
    assert "edge-onehot" in MICRO.encodings


# ---------------------------------------------------------------- networks
def _build(space, key: str, task: str):
    with torch.device("meta"):
        return space.network(space.parse(key), task)


@pytest.mark.parametrize("task", BUILT_TASKS)
def test_params_equal_the_published_counts(task, micro_sample, macro_sample):
    for space, data in ((MICRO, micro_sample), (MACRO, macro_sample)):
        for key, row in data[task].items():
            got = n_params(_build(space, key, task)) / 1e6
            assert got == pytest.approx(row["params"]["score"], rel=1e-6, abs=1e-6), (
                space.name,
                task,
                key,
            )


@pytest.mark.parametrize("task", BUILT_TASKS)
def test_flops_equal_the_published_counts(task, micro_sample, macro_sample):
    # NASLib's tensorwatch convention: batch 1, MACs + BN/ReLU/pool terms, a reused module once
    for space, data in ((MICRO, micro_sample), (MACRO, macro_sample)):
        for key, row in list(data[task].items())[:4]:
            net = _build(space, key, task)
            with torch.device("meta"):
                x = torch.empty(1, *TNB_TASKS[task].input_shape)
            got = count_flops(net, x) / 1e6
            assert got == pytest.approx(row["flops"]["score"], rel=1e-6), (space.name, key)


def test_reference_parameter_details():
    # a module's first cell: edges out of node 0 reduce; skip there is FactorizedReduce
    cell = MicroCell(("skip_connect",) * 6, 8, 16, stride=2)
    assert isinstance(cell.ops[0], FactorizedReduce)
    assert isinstance(cell.ops[2], torch.nn.Identity)  # 2<-1 stays at 16 channels
    assert n_params(cell.ops[0]) == 2 * 8 * 8 + 2 * 16
    zero = MicroCell(("none",) * 6, 8, 16, stride=2)
    assert n_params(zero) == 0
    out = zero(torch.randn(2, 8, 9, 9))
    assert out.shape == (2, 16, 5, 5) and not out.any()
    assert ZeroOp(8, 16, 1)(torch.randn(1, 8, 7, 7)).shape == (1, 16, 7, 7)


@pytest.mark.parametrize("space", [MICRO, MACRO], ids=lambda s: s.name)
def test_forward_at_small_width_and_resolution(space):
    torch.manual_seed(0)
    for arch in space.sample(2, 1):
        net = space.network(arch, SMALL, base_channels=8)
        out = net(torch.randn(2, *SMALL.input_shape))
        assert out.shape == (2, 63) and torch.isfinite(out).all()
        out.sum().backward()
        jig = space.network(arch, SMALL_JIGSAW, base_channels=8)
        assert jig.head.in_features == 9 * jig.encoder.out_channels
        assert jig(torch.randn(2, *SMALL_JIGSAW.input_shape)).shape == (2, 1000)


def test_width_follows_the_module_codes():
    net = MACRO.network((2, 3, 4, 1), SMALL, base_channels=8)
    assert net.encoder.out_channels == 32
    feats = net.encoder(torch.randn(1, 3, 64, 64))
    assert feats.shape == (1, 32, 4, 4)  # stem /4, then two halvings
    micro = MICRO.network(("nor_conv_3x3",) * 6, SMALL, base_channels=8, structure="4141")
    assert micro.encoder.out_channels == 32


def test_tasks_and_decoder_tasks():
    assert set(MICRO.tasks) == set(MACRO.tasks) == set(BUILT_TASKS)
    assert MICRO.default_task == MACRO.default_task == "class_scene"
    assert TNB_TASKS["jigsaw"].input_shape == (9, 3, 64, 64)
    for space in (MICRO, MACRO):
        arch = space.sample(1, 0)[0]
        for task in ("autoencoder", "normal", "segmentsemantic"):
            with pytest.raises(OmniError, match=f"'{task}' decoder .* not built"):
                space.network(arch, task)
        with pytest.raises(OmniError, match="no task"):
            space.network(arch, "cifar10")
        with pytest.raises(OmniError, match="unknown network options"):
            space.network(arch, SMALL, channels=(4, 8))


# ---------------------------------------------------------------- the contract
@pytest.mark.parametrize("space", [MICRO, MACRO], ids=lambda s: s.name)
@pytest.mark.parametrize("task", [SMALL, SMALL_JIGSAW], ids=["image", "jigsaw"])
def test_check_space(space, task):
    checks = pytest.importorskip("omni.spaces.checks")
    isomorphs = [("64-41414-2_30_312", "64-41414-3_20_321")] if space is MICRO else []
    checks.check_space(
        space,
        task=task,
        network_options={"base_channels": 8},
        n_samples=12,
        isomorphic_pairs=isomorphs,
    )
