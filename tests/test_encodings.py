from __future__ import annotations

import numpy as np
import pytest

from features import encodings
from features.dag import CellDAG
from features.errors import OmniError
from omni import spaces

NB201 = spaces.get("nb201")
OPS = NB201.path_ops  # skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3


def paths_of(arch_str):
    return sorted(NB201.cell(arch_str).paths())


def test_paths_enumerated_by_hand():
    # all six edges live: paths 0-3, 0-1-3, 0-2-3, 0-1-2-3
    s = "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    assert paths_of(s) == sorted(
        [
            ("nor_conv_1x1",),
            ("nor_conv_3x3", "nor_conv_3x3"),
            ("avg_pool_3x3", "avg_pool_3x3"),
            ("nor_conv_3x3", "skip_connect", "avg_pool_3x3"),
        ]
    )
    # only the chain 0-1-2-3
    s = "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|"
    assert paths_of(s) == [("skip_connect", "nor_conv_1x1", "nor_conv_3x3")]
    # no path at all
    assert paths_of("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|") == []


def test_path_encoding_counts_and_index():
    s = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    vec = encodings.path_encoding(NB201.cell(s), OPS, 3)
    assert vec.shape == (1 + 4 + 16 + 64,)
    conv3 = OPS.index("nor_conv_3x3")
    # two distinct length-2 paths carry the same op sequence: count 2
    assert vec[encodings.path_index([conv3, conv3], 4)] == 2
    assert vec.sum() == 2
    assert encodings.path_index([], 4) == 0
    assert encodings.path_index([0], 4) == 1
    assert encodings.path_index([0, 0], 4) == 5
    assert encodings.path_index([3, 3, 3], 4) == 84


def test_path_encoding_differs_where_naslib_collides():
    # ops on the two parallel 2-paths swapped between first and second edge: different paths
    a = "|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"
    b = "|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|"
    ea = encodings.path_encoding(NB201.cell(a), OPS, 3)
    eb = encodings.path_encoding(NB201.cell(b), OPS, 3)
    assert not np.array_equal(ea, eb)


def test_onehot_is_the_studys_6x5_block():
    arch = NB201.parse(
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|none~2|"
    )
    vec = encodings.onehot(NB201.cell(arch), NB201.ops)
    op_block = vec[-30:].reshape(6, 5)
    assert op_block.sum() == 6
    assert [NB201.ops[k] for k in op_block.argmax(1)] == list(arch)


def test_op_counts_and_padded():
    arch = NB201.parse(
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|none~2|"
    )
    counts = encodings.op_counts(NB201.cell(arch), NB201.ops)
    assert dict(zip(NB201.ops, counts, strict=True)) == {
        "none": 1,
        "skip_connect": 2,
        "nor_conv_1x1": 2,
        "nor_conv_3x3": 0,
        "avg_pool_3x3": 1,
    }
    adj, labels = encodings.padded_dag(NB201.cell(arch), NB201.ops, 10)
    assert adj.shape == (10, 10) and labels.shape == (10, 7)
    assert labels[9, 1] == 1  # output aligned at the last row
    assert labels[:, :].sum() == 8  # 8 real nodes, 2 padding rows empty


def test_dag_validation_and_vocab_errors():
    with pytest.raises(OmniError, match="upper triangular"):
        CellDAG(np.array([[0, 0], [1, 0]]), ("input", "output"))
    with pytest.raises(OmniError, match="first op"):
        CellDAG(np.zeros((2, 2)), ("a", "output"))
    with pytest.raises(OmniError, match="vocabulary"):
        encodings.op_counts(NB201.cell(NB201.sample(1, 0)[0]), ["x"])
    with pytest.raises(OmniError, match="max_length"):
        s = "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|none~0|none~1|nor_conv_3x3~2|"
        encodings.path_encoding(NB201.cell(s), OPS, 2)
