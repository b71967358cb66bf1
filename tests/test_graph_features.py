from __future__ import annotations

import numpy as np
import pytest

from features.dag import CellDAG
from features.errors import OmniError
from features.graph_features import feature_names, graph_features, live_nodes, op_subsets
from omni import spaces

NB201 = spaces.get("nb201")
OPS = NB201.path_ops


def named(arch: str) -> dict[str, float]:
    vec = graph_features(NB201.cell(arch), OPS)
    names = feature_names(OPS)
    assert len(vec) == len(names) == 5 * (2 ** len(OPS) - 1) + len(OPS)
    return dict(zip(names, vec.tolist(), strict=True))


def test_all_conv_cell_counted_by_hand():
    f = named(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    # NB201's four input -> output paths: 0-3, 0-1-3, 0-2-3, 0-1-2-3
    assert f["min_len(nor_conv_3x3)"] == 1
    assert f["max_len(nor_conv_3x3)"] == 3
    assert f["paths(nor_conv_3x3)"] == 4
    assert f["in_out(nor_conv_3x3)"] == 3
    assert f["out_in(nor_conv_3x3)"] == 3
    assert f["live_count(nor_conv_3x3)"] == 6
    # no skip connection at all: the "no path" markers
    assert f["min_len(skip_connect)"] == 8  # num_nodes of the cell DAG (6 edges + in + out)
    assert f["max_len(skip_connect)"] == -1
    assert f["paths(skip_connect)"] == 0
    # supersets see the same paths
    assert f["paths(skip_connect,nor_conv_3x3)"] == 4


def test_mixed_paths_need_every_op_of_the_subset():
    # chain 0-1-2-3 of skip -> conv1x1 -> conv3x3, nothing else
    f = named("|skip_connect~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|")
    assert f["paths(skip_connect,nor_conv_3x3)"] == 0
    assert f["paths(skip_connect,nor_conv_1x1,nor_conv_3x3)"] == 1
    assert f["min_len(skip_connect,nor_conv_1x1,nor_conv_3x3)"] == 3
    assert f["in_out(skip_connect)"] == 1 and f["out_in(skip_connect)"] == 0
    assert f["out_in(nor_conv_3x3)"] == 1


def test_dead_branches_are_ignored():
    # node 1 feeds nothing live (its out-edges are none); edge 2-3 gets no input (0-2, 1-2 none)
    arch = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    live = live_nodes(NB201.cell(arch))
    assert live.sum() == 3  # input, the skip edge 0-3, output
    f = named(arch)
    assert f["live_count(nor_conv_3x3)"] == 0
    assert f["live_count(skip_connect)"] == 1
    assert f["min_len(skip_connect)"] == f["max_len(skip_connect)"] == 1
    assert f["in_out(nor_conv_3x3)"] == 0
    # the same as the cell with the dead ops removed
    pruned = NB201.to_str(NB201.prune(arch))
    np.testing.assert_array_equal(
        graph_features(NB201.cell(arch), OPS), graph_features(NB201.cell(pruned), OPS)
    )


def test_isomorphic_cells_get_equal_features():
    rng = np.random.default_rng(0)
    for arch in NB201.sample(200, rng):
        canon = NB201.canonical(arch)
        np.testing.assert_array_equal(
            graph_features(NB201.cell(arch), OPS), graph_features(NB201.cell(canon), OPS)
        )


def test_ops_on_nodes_dag_and_vocabulary_checks():
    # a NAS-Bench-101-style cell: input -> conv -> output plus a direct input -> output edge
    adj = np.zeros((3, 3), dtype=bool)
    adj[0, 1] = adj[1, 2] = adj[0, 2] = True
    dag = CellDAG(adj, ("input", "conv3x3", "output"))
    f = dict(
        zip(
            feature_names(["conv3x3", "maxpool"]),
            graph_features(dag, ["conv3x3", "maxpool"]),
            strict=True,
        )
    )
    assert f["min_len(maxpool)"] == 0  # the direct edge carries no op
    assert f["max_len(conv3x3)"] == 1 and f["paths(conv3x3)"] == 2
    assert op_subsets(["a", "b"]) == [("a",), ("b",), ("a", "b")]
    with pytest.raises(OmniError, match="duplicates"):
        graph_features(dag, ["conv3x3", "conv3x3"])
