from __future__ import annotations

import csv

import numpy as np
import pytest

from features.errors import InvalidArchitectureError, OmniError
from omni import spaces
from omni.spaces import CellSpace

NB201 = spaces.get("nb201")
EXAMPLE = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"


def test_example_from_data_readme():
    arch = NB201.parse(EXAMPLE)
    assert NB201.to_naslib_key(arch) == "(4, 3, 3, 0, 0, 0)"
    assert NB201.parse("(4, 3, 3, 0, 0, 0)") == arch


def test_round_trips_on_every_cell():
    archs = list(NB201.all_archs())
    assert len(archs) == 15_625 == NB201.size
    for arch in archs:
        assert NB201.parse(NB201.to_str(arch)) == arch
        assert NB201.parse(NB201.to_naslib_key(arch)) == arch
    assert len({NB201.to_naslib_key(a) for a in archs}) == 15_625


def test_canonical_class_counts():
    archs = list(NB201.all_archs())
    assert len({NB201.prune(a) for a in archs}) == 9_445
    canon = [NB201.canonical(a) for a in archs]
    assert len(set(canon)) == 8_765
    assert all(NB201.canonical(c) == c for c in set(canon))  # idempotent
    sizes = np.bincount(np.unique(canon, axis=0, return_inverse=True)[1].ravel())
    assert sorted(np.unique(sizes)) == [1, 2, 58, 341]


def test_isomorphic_swap_and_pruning():
    a = NB201.parse(
        "|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    )
    b = NB201.parse(
        "|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    )
    assert NB201.canonical(a) == NB201.canonical(b)
    # node 1 has no input: its outgoing conv is irrelevant
    dead = NB201.parse(
        "|none~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|skip_connect~2|"
    )
    assert NB201.prune(dead) == NB201.parse(
        "|none~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|skip_connect~2|"
    )


def test_table_keys_and_canonical_ids_agree(shared_data):
    with open(shared_data / "nb201" / "nb201_cifar10_table.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 15_625
    by_class: dict[str, set] = {}
    for r in rows:
        arch = NB201.parse(r["arch_str"])
        assert NB201.parse(r["naslib_key"]) == arch
        assert NB201.to_naslib_key(arch) == r["naslib_key"]
        by_class.setdefault(r["canonical_id"], set()).add(NB201.canonical(arch))
    assert len(by_class) == 8_765
    assert all(len(v) == 1 for v in by_class.values())  # our classes = the documented classes


def test_sample_mutate_neighbours_deterministic():
    a = NB201.sample(5, 3)
    assert a == NB201.sample(5, 3)
    assert all(NB201.is_valid(x) for x in a)
    nbs = NB201.neighbours(a[0])
    assert len(nbs) == 6 * 4 and len(set(nbs)) == 24
    assert all(sum(x != y for x, y in zip(n, a[0], strict=True)) == 1 for n in nbs)
    m = NB201.mutate(a[0], 1)
    assert m in nbs and m == NB201.mutate(a[0], 1)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none~0|+|none~0|none~1|",
        "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none~0|+|none~0|+|none~0|none~1|none~2|",
        "none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "(4, 3, 3, 0, 0)",
        "(4, 3, 3, 0, 0, 9)",
        "(a, 3, 3, 0, 0, 0)",
    ],
)
def test_bad_strings_are_clear_errors(bad):
    with pytest.raises(InvalidArchitectureError):
        NB201.parse(bad)
    assert not NB201.is_valid(bad)


def test_bad_op_tuple():
    with pytest.raises(InvalidArchitectureError, match="expected 6 edge ops"):
        NB201.coerce(("none",) * 5)
    with pytest.raises(InvalidArchitectureError, match="unknown op"):
        NB201.coerce(("zero",) * 6)
    with pytest.raises(OmniError, match="unknown space"):
        spaces.get("nope")


def test_user_defined_space_gets_everything():
    space = CellSpace("five-node", num_nodes=5, ops=["none", "conv", "pool"])
    assert space.num_edges == 10
    arch = space.sample(1, 0)[0]
    assert space.parse(space.to_str(arch)) == arch
    assert space.canonical(space.canonical(arch)) == space.canonical(arch)
    chain = ("conv", "none", "none", "none", "none", "none", "none", "none", "none", "pool")
    # edges: (0,1) (0,2) (1,2) (0,3) (1,3) (2,3) (0,4) (1,4) (2,4) (3,4)
    swapped = ("none", "none", "none", "conv", "none", "none", "none", "none", "none", "pool")
    assert space.prune(chain) == ("none",) * 10  # node 1 never reaches the output
    a = ("conv", "none", "none", "none", "none", "none", "none", "pool", "none", "none")
    b = ("none", "conv", "none", "none", "none", "none", "none", "none", "pool", "none")
    assert space.canonical(a) == space.canonical(b)
    assert space.canonical(swapped) == space.canonical(a)  # the conv-pool chain through node 3
    dag = space.cell(a)
    assert dag.paths() == [("conv", "pool")]
