"""The DARTS / NAS-Bench-301 space: keys, validity, moves, encodings and the reference network."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.checks import check_space
from omni.spaces.darts import DartsGenotype, DartsSpace
from omni.spaces.darts.encodings import cell_paths, path_column
from omni.spaces.darts.network import reference_flops
from omni.spaces.networks import count_parameters

SPACE = DartsSpace()
#: the first key of NASLib's zc_nasbench301.json sample
KEY = (
    "[[(1, 3), (0, 0), (0, 0), (1, 5), (1, 0), (2, 1), (0, 2), (2, 3)], "
    "[(0, 2), (1, 0), (1, 5), (2, 3), (1, 1), (3, 4), (2, 0), (4, 2)]]"
)


def _data_dir() -> Path:
    env = os.environ.get("OMNI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _load(relative: str) -> dict:
    path = _data_dir() / relative
    if not path.exists():
        pytest.skip(f"NAS-Bench-301 data not found at {path} (set OMNI_SHARED_DATA)")
    with path.open() as f:
        return json.load(f)["cifar10"]


@pytest.fixture(scope="module")
def full_rows() -> dict:
    return _load("spaces/zc_nasbench301.json")


@pytest.fixture(scope="module")
def sample_rows() -> dict:
    return _load("samples/zc_nasbench301_sample20.json")


def _with_pair(text: str, cell: int, p: int, pair: tuple[int, int]) -> list:
    cells = [list(c) for c in SPACE.parse(text)]
    cells[cell][p] = pair
    return cells


# ------------------------------------------------------------------ keys
def test_file_keys_round_trip(full_rows):
    assert len(full_rows) == 725
    for key, row in full_rows.items():
        arch = SPACE.parse(key)
        assert SPACE.to_str(arch) == key == row["arch"]
        assert SPACE.validate(arch) == arch and hash(arch) == hash(SPACE.parse(key))
    assert len({SPACE.key(k) for k in full_rows}) == len(full_rows)


def test_parse_structure():
    arch = SPACE.parse(KEY)
    assert isinstance(arch, DartsGenotype)
    assert arch.normal[0] == (1, 3) and arch.reduce[-1] == (4, 2)
    assert SPACE.parse("  " + KEY.replace(", ", ",") + "\n") == arch
    assert SPACE.validate([list(map(list, c)) for c in arch]) == arch


def test_genotype_strings():
    arch = SPACE.parse(KEY)
    text = SPACE.genotype_str(arch)
    assert text.startswith("Genotype(normal=[('sep_conv_3x3', 1), ('max_pool_3x3', 0)")
    assert SPACE.parse(text) == arch
    with_range = text.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 6)")
    assert SPACE.parse(with_range) == arch
    with pytest.raises(InvalidArchitectureError, match="unknown op 'none'"):
        SPACE.parse(text.replace("'max_pool_3x3', 0", "'none', 0", 1))
    with pytest.raises(InvalidArchitectureError, match="reduce_concat"):
        SPACE.parse(text.replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=[4, 5]"))


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("[[(1, 3)", "malformed text"),
        ("hello", "malformed text"),
        ("[[(1, 3), (0, 0)]]", "expected 2 cells"),
        ("[[], [], []]", "expected 2 cells"),
        (KEY.replace("(2, 3)]", "(2, 3), (0, 1)]", 1), "must have 8 pairs"),
        (KEY.replace("(1, 3)", "(1, 7)", 1), "out of range 0..6"),
        (KEY.replace("(1, 3)", "(1, -1)", 1), "out of range 0..6"),
        (KEY.replace("(1, 3)", "(1, 3, 0)", 1), r"must be \(input, op\)"),
        (KEY.replace("(1, 3)", "(1.0, 3)", 1), "two integers"),
        (KEY.replace("(1, 3)", "(2, 3)", 1), "input 2 of node 2"),
        (KEY.replace("(0, 2), (2, 3)]", "(0, 2), (5, 3)]", 1), "input 5 of node 5"),
        (KEY.replace("(1, 3), (0, 0)", "(1, 3), (1, 0)", 1), "are both 1"),
    ],
)
def test_validity_rules(value, rule):
    with pytest.raises(InvalidArchitectureError, match=rule):
        SPACE.parse(value)
    assert not SPACE.is_valid(value)


def test_validate_rejects_objects():
    for thing in (None, 3.5, object(), {"normal": ()}, [[(0, 1)] * 8, [(0, 1)] * 8]):
        with pytest.raises(InvalidArchitectureError):
            SPACE.validate(thing)
    bad = _with_pair(KEY, 1, 7, (2, 4))  # node 5 of the reduction cell reads node 2 twice
    with pytest.raises(InvalidArchitectureError, match="are both 2"):
        SPACE.validate(bad)
    with pytest.raises(InvalidArchitectureError, match="two integers"):
        SPACE.validate(_with_pair(KEY, 0, 0, (True, 3)))


# ------------------------------------------------------------------ identity
def test_canonical_sorts_pairs():
    arch = SPACE.parse(KEY)
    canon = SPACE.canonical(arch)
    assert canon.normal[:4] == ((0, 0), (1, 3), (0, 0), (1, 5))
    for cell in canon:
        assert all(cell[k] <= cell[k + 1] for k in range(0, 8, 2))
    assert SPACE.canonical(canon) == canon
    assert SPACE.prune(arch) == arch
    swapped = [list(c) for c in arch]
    for cell in swapped:
        cell[2], cell[3] = cell[3], cell[2]
        cell[6], cell[7] = cell[7], cell[6]
    assert SPACE.validate(swapped) != arch
    assert SPACE.key(swapped) == SPACE.key(arch) == SPACE.to_str(canon)
    # the two cells never swap
    assert SPACE.key(DartsGenotype(arch.reduce, arch.normal)) != SPACE.key(arch)


def test_enumeration_refused():
    assert not SPACE.enumerable and SPACE.size is None
    with pytest.raises(OmniError, match="cannot be enumerated"):
        next(iter(SPACE.all_archs()))


# ------------------------------------------------------------------ sampling and moves
def test_sample_is_valid_and_reproducible():
    archs = SPACE.sample(200, 1)
    assert archs == SPACE.sample(200, 1)
    assert all(SPACE.validate(a) == a for a in archs)
    assert len(set(archs)) == 200
    first_inputs = {a.normal[6][0] for a in archs}
    assert first_inputs == {0, 1, 2, 3, 4}  # node 5 reads every earlier node


def test_neighbours():
    arch = SPACE.parse(KEY)
    nbrs = SPACE.neighbours(arch)
    assert len(nbrs) == 120
    assert len(set(nbrs)) == 120 and arch not in nbrs
    for b in nbrs:
        assert SPACE.is_valid(b)
        diffs = [
            (c, p) for c in range(2) for p in range(8) if arch[c][p] != b[c][p]
        ]  # exactly one pair changes, in its op or in its input
        assert len(diffs) == 1
        c, p = diffs[0]
        assert (arch[c][p][0] == b[c][p][0]) != (arch[c][p][1] == b[c][p][1])
        assert arch in SPACE.neighbours(b)
    for a in SPACE.sample(5, 2):
        assert len(set(SPACE.neighbours(a))) == 120


def test_mutate():
    rng = np.random.default_rng(0)
    arch = SPACE.parse(KEY)
    nbrs = set(SPACE.neighbours(arch))
    children = [SPACE.mutate(arch, rng) for _ in range(300)]
    assert all(c in nbrs for c in children)
    kinds = {
        "op" if c[cell][p][0] == arch[cell][p][0] else "input"
        for c in children
        for cell in range(2)
        for p in range(8)
        if c[cell][p] != arch[cell][p]
    }
    assert kinds == {"op", "input"}


# ------------------------------------------------------------------ graphs and encodings
def test_graphs():
    arch = SPACE.parse(KEY)
    normal, reduce = SPACE.graphs(arch)
    assert normal.num_nodes == reduce.num_nodes == SPACE.max_nodes == 10
    canon = SPACE.canonical(arch).normal
    assert normal.ops[1:-1] == tuple(SPACE.graph_ops[op] for _, op in canon)
    adj = normal.adjacency
    assert adj[1:9, 9].all()  # every op node feeds the output
    # canonical pairs 4, 5 = (1, 0), (2, 1) feed node 4: pair 5 reads node 2 = op nodes 1, 2
    assert adj[0, 5] and adj[1, 6] and adj[2, 6] and not adj[0, 6]
    swapped = [list(c) for c in arch]
    swapped[0][0], swapped[0][1] = swapped[0][1], swapped[0][0]
    assert all(
        np.array_equal(a.adjacency, b.adjacency) and a.ops == b.ops
        for a, b in zip(SPACE.graphs(swapped), SPACE.graphs(arch), strict=True)
    )


def test_encoding_lengths():
    lengths = {"adjacency": 114, "onehot": 114, "path": 4 * 2801, "opcount": 14}
    for arch in SPACE.sample(5, 3):
        for name, n in lengths.items():
            assert SPACE.encode(arch, name).shape == (n,)
        assert SPACE.encode(arch, "graph").shape == (len(SPACE.encoding_names("graph")),)
        assert SPACE.encode(arch, "opcount").sum() == 16
    assert len(SPACE.encoding_names("adjacency")) == 114
    with pytest.raises(OmniError):
        SPACE.encode(SPACE.parse(KEY), "padded")


def test_adjacency_encoding_layout():
    arch = SPACE.parse(KEY)
    vec = SPACE.encode(arch, "onehot")
    assert np.array_equal(vec, SPACE.encode(arch, "adjacency"))
    matrix = vec[:49].reshape(7, 7)
    assert matrix[1, 2] and matrix[0, 2] and matrix[2, 4] and matrix[2:6, 6].all()
    assert matrix.sum() == 8 + 4  # one bit per pair (inputs of a node differ), 4 to the output
    canon = SPACE.canonical(arch)  # isomorphs (pairs swapped) encode alike
    assert vec[49:57].tolist() == [op for _, op in canon.normal]
    assert vec[57 + 49 :].tolist() == [op for _, op in canon.reduce]


def test_path_encoding_uses_every_pair():
    arch = SPACE.parse(KEY)
    vec = SPACE.encode(arch, "path")
    assert set(np.unique(vec)) <= {0.0, 1.0}
    assert np.array_equal(vec, SPACE.encode(SPACE.canonical(arch), "path"))
    # the last pair of the reduction cell, (4, 2): node 4 reads (1, 1) and (3, 4); node 3
    # reads (1, 5) and (2, 3); node 2 reads (0, 2) and (1, 0) -> e.g. c_{k-1}: 5, 4, 2
    paths = cell_paths(arch.reduce)
    assert (1, (5, 4, 2)) in paths and (0, (2, 3, 4, 2)) in paths
    block = 3 * 2801  # reduction cell, input c_{k-1}
    assert vec[block + path_column((5, 4, 2))] == 1.0
    assert vec[2 * 2801 + path_column((2, 3, 4, 2))] == 1.0
    assert path_column((6, 6, 6, 6)) == 2800


# ------------------------------------------------------------------ network
def test_params_match_sample(sample_rows):
    for key, row in sample_rows.items():
        with torch.device("meta"):
            model = SPACE.network(key)
        params = count_parameters(model) / 1e6
        assert params == pytest.approx(row["params"]["score"], rel=1e-4, abs=0), key


def test_flops_match_sample(sample_rows):
    for key, row in list(sample_rows.items())[:4]:
        with torch.device("meta"):
            model = SPACE.network(key)
        flops = reference_flops(model) / 1e6
        assert flops == pytest.approx(row["flops"]["score"], rel=1e-6), key


def test_small_network_forward():
    arch = SPACE.parse(KEY)
    torch.manual_seed(0)
    model = SPACE.network(arch, channels=4, layers=3)
    assert [cell.reduction for cell in model.cells] == [False, True, True]
    assert [cell.reduction for cell in SPACE.network(arch, "cifar10", layers=8).cells] == [
        False,
        False,
        True,
        False,
        False,
        True,
        False,
        False,
    ]
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    model.train()
    model(torch.randn(2, 3, 31, 31)).sum().backward()  # odd sizes work too


def test_network_options():
    with pytest.raises(OmniError, match="no task"):
        SPACE.network(KEY, "imagenet")
    with pytest.raises(OmniError, match="unknown DARTS network options"):
        SPACE.network(KEY, width=3)


def test_conformance():
    check_space(SPACE, network_options={"channels": 4, "layers": 3})
