"""NAS-Bench-201-style networks of ops-on-edges cells (omni.spaces.networks / operations)."""

from __future__ import annotations

import json

import pytest
import torch

from features.errors import OmniError
from omni import spaces
from omni.spaces import CellSpace, Task
from omni.spaces.networks import Cell, build_network
from omni.spaces.operations import Zero, build_op

NB201 = spaces.get("nb201")
SMALL = {"channels": (4, 8, 16), "cells_per_stage": 1}


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_params_equal_published_suite_zero_values(shared_data):
    table = json.loads((shared_data / "nb201" / "zc_nasbench201_cifar10.json").read_text())
    table = table["cifar10"]
    keys = ["(2, 2, 2, 2, 2, 2)", "(0, 0, 0, 0, 0, 0)", "(4, 3, 3, 0, 0, 0)", "(3, 0, 2, 3, 1, 4)"]
    keys += sorted(table)[::1500]
    for key in keys:
        net = NB201.network(NB201.parse(key))
        assert n_params(net) / 1e6 == pytest.approx(table[key]["params"]["score"], abs=1e-9), key


def test_all_conv3x3_cell_has_nb201_parameter_count():
    # NAS-Bench-201's best-known cell on CIFAR-10: 1.531546 M parameters (paper, Table/API)
    arch = ("nor_conv_3x3",) * 6
    assert n_params(NB201.network(arch)) == 1_531_546


@pytest.mark.parametrize("shape,classes", [((3, 32, 32), 10), ((1, 16, 12), 7), ((5, 8, 8), 2)])
def test_any_input_shape_and_class_count(shape, classes):
    net = NB201.network(NB201.sample(1, 0)[0], Task("t", shape, classes), **SMALL)
    out = net(torch.randn(2, *shape))
    assert out.shape == (2, classes)
    assert net.stem[0].in_channels == shape[0]


def test_stages_reduce_and_widen():
    net = NB201.network(
        ("nor_conv_1x1",) * 6, Task("t", (3, 16, 16), 10), channels=(4, 8, 16), cells_per_stage=2
    )
    cells = [m for m in net.cells if isinstance(m, Cell)]
    assert len(cells) == 6
    feats = net.cells(net.stem(torch.randn(1, 3, 16, 16)))
    assert feats.shape == (1, 16, 4, 4)


def test_cell_sums_incoming_edges():
    # node1 = x, node2 = x + node1 = 2x, node3 = x + node1 + node2 = 4x
    cell = Cell(NB201.edges, ("skip_connect",) * 6, 3)
    x = torch.randn(2, 3, 5, 5)
    assert torch.allclose(cell(x), 4 * x)
    none_cell = Cell(NB201.edges, ("none",) * 6, 3)
    assert torch.equal(none_cell(x), torch.zeros_like(x))


def test_operations_follow_nb201():
    conv = build_op("nor_conv_3x3", 4)
    relu, conv2d, bn = conv.op
    assert isinstance(relu, torch.nn.ReLU) and conv2d.bias is None and conv2d.padding == (1, 1)
    assert bn.affine and bn.track_running_stats
    pool = build_op("avg_pool_3x3", 4)
    assert pool.count_include_pad is False and pool.stride == 1
    assert isinstance(build_op("none", 4), Zero)
    assert build_op("nor_conv_5x5", 4).op[1].padding == (2, 2)


def test_generic_cell_space_builds():
    space = CellSpace("tiny3", num_nodes=3, ops=["none", "skip_connect", "nor_conv_5x5"])
    net = space.network(("nor_conv_5x5", "skip_connect", "none"), Task("t", (2, 8, 8), 3), **SMALL)
    assert net(torch.randn(2, 2, 8, 8)).shape == (2, 3)


def test_unknown_op_is_a_clear_error():
    space = CellSpace("weird", num_nodes=3, ops=["none", "sep_conv_3x3"])
    with pytest.raises(OmniError, match="sep_conv_3x3"):
        space.network(("sep_conv_3x3",) * 3, Task("t", (3, 8, 8), 10))
    with pytest.raises(OmniError, match="odd"):
        build_op("nor_conv_2x2", 4)


@pytest.mark.parametrize("shape", [(3, 2, 2), (3, 32), (0, 32, 32)])
def test_bad_input_shape_is_a_clear_error(shape):
    with pytest.raises(OmniError):
        build_network(NB201, ("skip_connect",) * 6, 10, shape)


def test_bad_arch_is_a_clear_error():
    with pytest.raises(OmniError):
        NB201.network("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
