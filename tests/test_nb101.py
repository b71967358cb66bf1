"""NAS-Bench-101 space: parsing, NB101's rules, pruning, isomorphs, moves, encodings, networks."""

from __future__ import annotations

import itertools
import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import torch

from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.nb101 import NB101Cell, NB101Space
from omni.spaces.nb101.network import vertex_channels

C1, C3, MP = "conv1x1-bn-relu", "conv3x3-bn-relu", "maxpool3x3"


def _data_dir() -> Path:
    env = os.environ.get("OMNI_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _rows(relative: str) -> dict[str, dict]:
    path = _data_dir() / relative
    if not path.exists():
        pytest.skip(f"NB101 data not found at {path} (set OMNI_SHARED_DATA to the data folder)")
    with path.open() as fh:
        return json.load(fh)["nasbench101"]["cifar10"]


@pytest.fixture(scope="module")
def space() -> NB101Space:
    return NB101Space()


@pytest.fixture(scope="module")
def sample_rows() -> dict[str, dict]:
    return _rows("samples/zc_nasbench101_sample20.json")


@pytest.fixture(scope="module")
def full_rows() -> dict[str, dict]:
    return _rows("spaces/zc_nasbench101.json")


def cell(matrix, ops) -> NB101Cell:
    return NB101Cell(tuple(tuple(r) for r in matrix), tuple(ops))


# a 5-vertex cell: 0 -> 1 -> 3 -> 4, 0 -> 2 -> 3, plus 1 -> 4
DIAMOND = cell(
    [[0, 1, 1, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
    ["input", C3, MP, C1, "output"],
)


def relabel(c: NB101Cell, perm: tuple[int, ...]) -> NB101Cell:
    """New vertex i is old vertex perm[i]."""
    m = c.array()[np.ix_(perm, perm)]
    return cell(m, [c.ops[p] for p in perm])


def interior_relabellings(c: NB101Cell) -> list[NB101Cell]:
    n = c.num_vertices
    out = []
    for inner in itertools.permutations(range(1, n - 1)):
        perm = (0, *inner, n - 1)
        m = c.array()[np.ix_(perm, perm)]
        if not np.any(np.tril(m)):
            out.append(relabel(c, perm))
    return out


# ---------------------------------------------------------------- parse / print
def test_round_trip_on_sample_keys(space, sample_rows):
    for key in sample_rows:
        arch = space.parse(key)
        assert arch.num_vertices == 7
        assert space.to_str(arch) == key
        assert space.parse(space.to_str(arch)) == arch
        assert space.validate(arch) == arch


def test_round_trip_on_full_file(space, full_rows):
    for key in full_rows:
        assert space.to_str(space.parse(key)) == key


def test_validate_accepts_pairs_arrays_and_codes(space):
    as_array = space.validate((DIAMOND.array(), [0, 4, 2, 3, 1]))
    assert as_array == DIAMOND
    assert (
        space.validate({"matrix": [list(r) for r in DIAMOND.matrix], "ops": DIAMOND.ops}) == DIAMOND
    )
    assert space.validate((DIAMOND.array().astype(bool), list(DIAMOND.ops))) == DIAMOND
    small = space.parse("(0, 1, 0, 0, 0, 1)")
    assert small == cell([[0, 1], [0, 0]], ["input", "output"])
    assert space.to_str(small) == "(0, 1, 0, 0, 0, 1)"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("", "malformed"),
        ("(0, 1, x, 0, 0, 1)", "malformed"),
        ("[0, 1, 0, 0, 0, 1]", "malformed"),
        ("(0, 1, 0, 0, 0)", "wrong number of ints"),
        ("(0, 2, 0, 0, 0, 1)", "0 or 1"),
        ("(0, 1, 1, 0, 0, 1)", "upper triangular"),
        ("(0, 1, 0, 0, 1, 0)", "first op must be 'input'"),
        ("(0, 1, 0, 0, 3, 1)", "first op must be 'input'"),
        ("(0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1)", "only label the first and last"),
        ("(0, 1, 0, 0, 0, 5)", "unknown op code"),
        ("(0, 0, 0, 0, 0, 1)", "does not reach the output"),
    ],
)
def test_each_rule_names_itself(space, text, rule):
    with pytest.raises(InvalidArchitectureError, match=rule):
        space.parse(text)
    assert not space.is_valid(text)


def test_object_rules(space):
    with pytest.raises(InvalidArchitectureError, match="not square"):
        space.validate((np.zeros((2, 3)), ["input", "output"]))
    with pytest.raises(InvalidArchitectureError, match="unknown op"):
        space.validate((DIAMOND.array(), ["input", "conv5x5", MP, C1, "output"]))
    with pytest.raises(InvalidArchitectureError, match="expected an NB101Cell"):
        space.coerce(None)


def test_edge_and_vertex_limits_apply_after_pruning(space):
    # 10 live edges: 0 -> 1..5, 1 -> 6, ..., 5 -> 6 = 5 + 5
    dense = np.zeros((7, 7), dtype=int)
    dense[0, 1:6] = 1
    dense[1:6, 6] = 1
    ops = ["input", C3, C3, C3, C3, C3, "output"]
    with pytest.raises(InvalidArchitectureError, match="more than 9 edges"):
        space.validate((dense, ops))
    # the same 10 edges become 8 once vertex 5 is dead (no out-edge): valid
    dead = dense.copy()
    dead[5, 6] = 0
    assert space.is_valid((dead, ops))
    # 8 vertices in a chain: too many vertices (7 edges, so only the vertex rule breaks)
    chain = np.eye(8, k=1, dtype=int)
    with pytest.raises(InvalidArchitectureError, match="more than 7 vertices"):
        space.validate((chain, ["input"] + [C1] * 6 + ["output"]))
    # ... but a raw 8-vertex cell that prunes to 7 is fine
    chain8 = chain.copy()
    chain8[5, 6], chain8[5, 7] = 0, 1
    chain8[6, 7] = 0
    assert space.prune((chain8, ["input"] + [C1] * 6 + ["output"])).num_vertices == 7


# ---------------------------------------------------------------- pruning and isomorphs
def test_prune_removes_dead_vertices(space):
    # vertex 2 has no out-edge, vertex 3 no in-edge: both dead; parse keeps them
    raw = cell(
        [
            [0, 1, 1, 0, 0],
            [0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0],
        ],
        ["input", C3, MP, C1, "output"],
    )
    assert space.parse(space.to_str(raw)) == raw
    assert space.prune(raw) == cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"])
    assert space.prune(space.prune(raw)) == space.prune(raw)
    assert space.key(raw) == space.key(space.prune(raw))
    assert space.graphs(raw)[0].ops == ("input", C3, "output")


def test_canonical_idempotent_and_relabelling_invariant(space):
    rng = np.random.default_rng(1)
    archs = [DIAMOND, *space.sample(15, rng)]
    for arch in archs:
        canon = space.canonical(arch)
        assert space.canonical(canon) == canon
        assert space.is_valid(canon)
        assert canon.num_vertices == space.prune(arch).num_vertices
        relabelled = interior_relabellings(space.prune(arch))
        assert relabelled
        for other in relabelled:
            assert space.canonical(other) == canon
            assert space.nb101_hash(other) == space.nb101_hash(arch)


def test_hand_made_isomorphic_pair(space):
    # two parallel branches with their ops swapped: one cell
    a = cell([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", C3, MP, "output"])
    b = cell([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", MP, C3, "output"])
    assert a != b
    assert space.canonical(a) == space.canonical(b)
    assert space.key(a) == space.key(b)
    assert space.nb101_hash(a) == space.nb101_hash(b)
    # a chain is not: C3 -> MP differs from MP -> C3
    c = cell([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", C3, MP, "output"])
    d = cell([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", MP, C3, "output"])
    assert space.canonical(c) != space.canonical(d)
    assert space.nb101_hash(c) != space.nb101_hash(d)


def _classes(space, keys):
    by_hash, by_canon = defaultdict(set), defaultdict(set)
    for key in keys:
        h, c = space.nb101_hash(key), space.canonical(key)
        by_hash[h].add(c)
        by_canon[c].add(h)
    return by_hash, by_canon


def test_hash_agrees_with_canonical_on_full_file(space, full_rows):
    by_hash, by_canon = _classes(space, full_rows)
    assert all(len(v) == 1 for v in by_hash.values())
    assert all(len(v) == 1 for v in by_canon.values())
    assert len(by_hash) < len(full_rows)  # the file has isomorphs


def test_sample_isomorphic_pair_is_found(space, sample_rows):
    groups = defaultdict(list)
    for key in sample_rows:
        groups[space.key(key)].append(key)
    pairs = [g for g in groups.values() if len(g) > 1]
    assert len(pairs) == 1 and len(pairs[0]) == 2
    a, b = pairs[0]
    assert a != b and space.nb101_hash(a) == space.nb101_hash(b)


# ---------------------------------------------------------------- sampling and moves
def test_sample_is_raw_valid_and_seeded(space):
    archs = space.sample(30, 0)
    assert archs == space.sample(30, 0)
    assert all(a.num_vertices == 7 and space.is_valid(a) for a in archs)
    assert any(space.prune(a).num_vertices < 7 for a in archs)  # raw: dead vertices kept


def test_neighbours_valid_and_distinct(space):
    for arch in [DIAMOND, *space.sample(10, 3)]:
        pruned = space.prune(arch)
        nbrs = space.neighbours(arch)
        assert nbrs
        texts = [space.to_str(b) for b in nbrs]
        assert len(set(texts)) == len(texts)
        assert all(space.is_valid(b) and b != pruned and b != arch for b in nbrs)
    # DIAMOND: 3 interior vertices x 2 ops, then flips and insertions
    ops_moves = [b for b in space.neighbours(DIAMOND) if b.matrix == DIAMOND.matrix]
    assert len(ops_moves) == 6


def test_input_output_cell_can_grow(space):
    tiny = space.parse("(0, 1, 0, 0, 0, 1)")
    nbrs = space.neighbours(tiny)
    assert len(nbrs) == 3 and all(b.num_vertices == 3 for b in nbrs)


def test_mutate_valid_and_different(space):
    rng = np.random.default_rng(0)
    for arch in [DIAMOND, space.parse("(0, 1, 0, 0, 0, 1)"), *space.sample(5, 1)]:
        for _ in range(4):
            child = space.mutate(arch, rng)
            assert space.is_valid(child) and child.num_vertices == 7
            assert space.key(child) != space.key(arch)


# ---------------------------------------------------------------- encodings
def test_encoding_lengths_are_fixed(space):
    archs = [space.parse("(0, 1, 0, 0, 0, 1)"), DIAMOND, *space.sample(10, 2)]
    expected = {"onehot": 36, "path": 364}
    for name in space.encodings:
        lengths = {space.encode(a, name).size for a in archs}
        assert len(lengths) == 1, name
        if name in expected:
            assert lengths == {expected[name]}
    assert len(space.encoding_names("onehot")) == 36
    assert len(set(space.encoding_names("path"))) == 364
    with pytest.raises(OmniError):
        space.encode(DIAMOND, "bananas")


def test_onehot_hand_computed(space):
    # 0 -> 1 -> out, 0 -> out, vertex 1 conv3x3: padded to 7 vertices, output at 6
    arch = cell([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"])
    vec = space.encode(arch, "onehot")
    bits = np.zeros(21)
    bits[[0, 5, 10]] = 1  # (0,1), (0,6), (1,6) in row-major upper-triangle order
    ops = np.tile([0, 1, 0], 5)  # NASLib's one-hot (maxpool, conv3x3, conv1x1); pads conv3x3
    np.testing.assert_array_equal(vec, np.concatenate([bits, ops]))
    # a dead vertex does not change it
    raw = cell(
        [[0, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]], ["input", C3, MP, "output"]
    )
    np.testing.assert_array_equal(space.encode(raw, "onehot"), vec)


def test_path_encoding_is_binary(space):
    # two parallel conv3x3 branches: one path sequence (conv3x3), present once
    arch = cell(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", C3, C3, "output"]
    )
    vec = space.encode(arch, "path")
    assert vec.sum() == 1 and vec[1 + 1] == 1  # lengths 0 (1 column) first; conv3x3 = op 1
    # DIAMOND paths: C3 (0-1-4), C3>C1 (0-1-3-4), MP>C1 (0-2-3-4)
    names = space.encoding_names("path")
    on = {names[i] for i in np.flatnonzero(space.encode(DIAMOND, "path"))}
    assert on == {f"path({C3})", f"path({C3}>{C1})", f"path({MP}>{C1})"}


# ---------------------------------------------------------------- networks
def _params(space, arch) -> float:
    with torch.device("meta"):
        net = space.network(arch)
    return sum(p.numel() for p in net.parameters()) / 1e6


def test_params_match_sample(space, sample_rows):
    for key, row in sample_rows.items():
        assert _params(space, key) == pytest.approx(row["params"], rel=1e-4)


def test_params_match_full_file(space, full_rows):
    """Every row; each distinct pruned cell is built once (the network depends on it only)."""
    built: dict[NB101Cell, float] = {}
    for key, row in full_rows.items():
        pruned = space.prune(key)
        if pruned not in built:
            built[pruned] = _params(space, pruned)
        assert built[pruned] == pytest.approx(row["params"], rel=1e-4), key


def test_params_of_nb101_readme_cell(space):
    """The Inception-like cell of google-research/nasbench's README: 2,694,282 parameters."""
    matrix = [
        [0, 1, 1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ]
    ops = ["input", C1, C3, C3, C3, MP, "output"]
    assert round(_params(space, (matrix, ops)) * 1e6) == 2_694_282


def test_vertex_channels_split_output():
    # three vertices feed the output: 128 = 43 + 43 + 42; vertex 1 feeds only vertex 2
    m = np.zeros((5, 5), dtype=int)
    m[0, 1] = m[1, 2] = m[0, 3] = 1
    m[2, 4] = m[3, 4] = 1
    assert vertex_channels(m, 3, 128) == [3, 64, 64, 64, 128]
    m[1, 4] = 1
    assert vertex_channels(m, 3, 128) == [3, 43, 43, 42, 128]


def test_small_network_forward(space):
    torch.manual_seed(0)
    for arch in [DIAMOND, space.parse("(0, 1, 0, 0, 0, 1)"), space.sample(1, 4)[0]]:
        net = space.network(arch, stem_channels=8, cells_per_stack=1).eval()
        with torch.no_grad():
            out = net(torch.randn(2, 3, 32, 32))
        assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_network_options_are_checked(space):
    with pytest.raises(OmniError, match="unknown NB101 network option"):
        space.network(DIAMOND, width=3)
    with pytest.raises(OmniError, match="stem_channels"):
        space.network(DIAMOND, stem_channels=0)
    with pytest.raises(OmniError):
        space.network(DIAMOND, "imagenet")


def test_conformance(space):
    checks = pytest.importorskip("omni.spaces.checks")
    # NB101's moves act on the pruned cell, so neighbourhoods are not symmetric
    checks.check_space(
        space,
        network_options={"stem_channels": 8, "cells_per_stack": 1},
        isomorphic_pairs=[(DIAMOND, relabel(DIAMOND, (0, 2, 1, 3, 4)))],
        symmetric_neighbours=False,
    )
