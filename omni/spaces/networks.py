"""Real torch networks of ops-on-edges cells, with the NAS-Bench-201 macro skeleton.

``build_network`` reproduces NAS-Bench-201's ``TinyNetwork`` (Dong & Yang, ICLR 2020):
stem Conv3x3(C) + BN; three stages of ``cells_per_stage`` cells with C, 2C, 4C channels, joined
by residual reduction blocks (``ResNetBasicblock``: ReLU-Conv3x3/2-BN, ReLU-Conv3x3-BN, shortcut
AvgPool2d(2) + Conv1x1); head BN-ReLU-global average pool-Linear. With C=16, 5 cells per stage
and 10 classes the parameter count equals NAS-Bench-201's / NAS-Bench-Suite-Zero's ``params``.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import torch
from torch import nn

from features.errors import OmniError
from omni.spaces.operations import ReLUConvBN, build_op


def sum_over_edges(
    edges: Sequence[tuple[int, int]], ops: Sequence[nn.Module], x: torch.Tensor
) -> torch.Tensor:
    """Node 0 = ``x``; node j = sum over edges (i, j) of op(node i); returns the last node."""
    nodes: list[torch.Tensor | None] = [x] + [None] * max(j for _, j in edges)
    for (i, j), op in zip(edges, ops, strict=True):
        out = op(nodes[i])
        nodes[j] = out if nodes[j] is None else nodes[j] + out
    return nodes[-1]


class Cell(nn.Module):
    """One cell: node j = sum over i < j of op_(i, j)(node i); the output is the last node."""

    def __init__(self, edges: Sequence[tuple[int, int]], ops: Sequence[str], channels: int) -> None:
        super().__init__()
        self.edges = tuple(edges)
        self.num_nodes = max(j for _, j in self.edges) + 1
        self.ops = nn.ModuleList(build_op(op, channels) for op in ops)
        self.op_names = tuple(ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum_over_edges(self.edges, self.ops, x)

    def extra_repr(self) -> str:
        return f"ops={list(self.op_names)}"


class ResidualReduction(nn.Module):
    """NAS-Bench-201's ``ResNetBasicblock`` with stride 2 (halves H, W; changes channels)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2, padding=1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1, padding=1)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class CellNetwork(nn.Module):
    """Stem -> stages of cells with reductions in between -> classifier head."""

    def __init__(
        self,
        edges: Sequence[tuple[int, int]],
        ops: Sequence[str],
        num_classes: int,
        input_shape: tuple[int, int, int],
        channels: Sequence[int],
        cells_per_stage: int,
    ) -> None:
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.num_classes = num_classes
        c0 = channels[0]
        self.stem = nn.Sequential(
            nn.Conv2d(input_shape[0], c0, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(c0),
        )
        layers: list[nn.Module] = []
        for stage, c in enumerate(channels):
            if stage > 0:
                layers.append(ResidualReduction(channels[stage - 1], c))
            layers.extend(Cell(edges, ops, c) for _ in range(cells_per_stage))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels[-1]), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.global_pooling(out).flatten(1))


def build_network(
    space,
    arch: Sequence[str],
    num_classes: int,
    input_shape: Sequence[int],
    channels: Sequence[int] = (16, 32, 64),
    cells_per_stage: int = 5,
) -> CellNetwork:
    """The NAS-Bench-201-style network of cell ``arch`` (an op tuple of ``space``).

    ``input_shape`` is (C, H, W); any H, W >= 1 works (each reduction halves them, floor).
    Raises :class:`OmniError` for an op missing from :mod:`omni.spaces.operations` or bad sizes.
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise OmniError(f"input_shape must be (channels, height, width) >= 1, got {input_shape!r}")
    if isinstance(channels, Real) or not all(isinstance(c, Integral) for c in channels):
        raise OmniError(f"channels are the stage widths, e.g. (16, 32, 64); got {channels!r}")
    reductions = len(channels) - 1
    if min(shape[1:]) < 2**reductions:
        raise OmniError(
            f"input_shape {shape}: height and width must be >= {2**reductions} "
            f"for {reductions} stride-2 reductions"
        )
    if int(num_classes) < 1:
        raise OmniError(f"num_classes must be >= 1, got {num_classes}")
    if not channels or min(channels) < 1 or int(cells_per_stage) < 0:
        raise OmniError(f"bad channels {channels!r} / cells_per_stage {cells_per_stage!r}")
    ops = tuple(arch)
    edges = getattr(space, "edges", None)
    if edges is None or len(edges) != len(ops):
        raise OmniError(
            f"{ops!r} does not fit the edges of space {getattr(space, 'name', space)!r}"
        )
    return CellNetwork(
        edges, ops, int(num_classes), shape, tuple(int(c) for c in channels), int(cells_per_stage)
    )


def count_parameters(model: nn.Module) -> int:
    """Number of parameters of ``model``, tied weights once (works on the ``meta`` device)."""
    return sum(p.numel() for p in model.parameters())
