"""The NAS-Bench-101 reference network (Ying et al., 2019), in torch.

Skeleton: stem conv3x3-BN-ReLU to ``stem_channels``; ``num_stacks`` stacks of
``cells_per_stack`` cells, the channels doubling and a 2x2 stride-2 max-pool before every stack
but the first; global average pool; linear classifier. Inside a cell (google-research/nasbench
``model_builder.build_module``): the cell's output channels are split among the vertices that
feed the output (the remainder going one channel each to the first of them), every other vertex
takes the largest width among its successors; an edge out of the input is a 1x1 conv-BN-ReLU
projection to the vertex width, an edge from another vertex is truncated (channel slice) to it;
a vertex sums its inputs and applies its op (conv-BN-ReLU, or a 3x3 stride-1 max-pool); the
output concatenates the vertices feeding it and adds a projection of the input when the input
feeds it directly. With the defaults the parameter count equals NB101's / NASLib's ``params``.

NASLib's ``flops`` (MFLOPs, TensorWatch's counting on one 1x3x32x32 input) are, for these
modules: conv multiply-adds + 2 per BatchNorm output element + 1 per ReLU element + k*k per
max-pool output element + linear in*out (no count for sums, concatenation, slicing or the
global pool).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from features.errors import OmniError
from omni.spaces.nb101.graph import CONV1X1, CONV3X3, MAXPOOL3X3


class ConvBnRelu(nn.Sequential):
    """Conv (no bias, 'same' padding) -> BatchNorm -> ReLU."""

    def __init__(self, c_in: int, c_out: int, kernel_size: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.003),
            nn.ReLU(inplace=False),
        )


def build_op(op: str, channels: int) -> nn.Module:
    """The module of one interior vertex (``channels`` in and out)."""
    if op == CONV3X3:
        return ConvBnRelu(channels, channels, 3)
    if op == CONV1X1:
        return ConvBnRelu(channels, channels, 1)
    if op == MAXPOOL3X3:
        return nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
    raise OmniError(f"NB101 has no op {op!r}")


def vertex_channels(matrix: np.ndarray, c_in: int, c_out: int) -> list[int]:
    """Output width of every vertex of a pruned cell (input ``c_in``, output ``c_out``)."""
    adj = np.asarray(matrix, dtype=bool)
    n = adj.shape[0]
    widths = [0] * n
    widths[0], widths[-1] = c_in, c_out
    if n == 2:
        return widths
    feeders = [v for v in range(1, n - 1) if adj[v, n - 1]]
    share, extra = divmod(c_out, len(feeders))
    for rank, v in enumerate(feeders):
        widths[v] = share + (1 if rank < extra else 0)
    for v in range(n - 3, 0, -1):
        if not adj[v, n - 1]:
            widths[v] = max(widths[w] for w in range(v + 1, n - 1) if adj[v, w])
    return widths


class NB101CellModule(nn.Module):
    """One cell of a pruned NB101 matrix, ``c_in`` -> ``c_out`` channels."""

    def __init__(self, matrix: np.ndarray, ops: Sequence[str], c_in: int, c_out: int) -> None:
        super().__init__()
        adj = np.asarray(matrix, dtype=bool)
        self.num_vertices = n = adj.shape[0]
        self.widths = vertex_channels(adj, c_in, c_out)
        self.preds = [tuple(int(u) for u in np.flatnonzero(adj[1:v, v]) + 1) for v in range(n)]
        self.from_input = [bool(adj[0, v]) for v in range(n)]
        self.to_output = [v for v in range(1, n - 1) if adj[v, n - 1]]
        self.vertex_ops = nn.ModuleList(
            [nn.Identity()] + [build_op(ops[v], self.widths[v]) for v in range(1, n - 1)]
        )
        self.projections = nn.ModuleDict(
            {str(v): ConvBnRelu(c_in, self.widths[v], 1) for v in range(1, n) if adj[0, v]}
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.num_vertices
        values: list[torch.Tensor] = [x]
        for v in range(1, n - 1):
            width = self.widths[v]
            inputs = [values[u][:, :width] for u in self.preds[v]]
            if self.from_input[v]:
                inputs.append(self.projections[str(v)](x))
            total = inputs[0]
            for extra in inputs[1:]:
                total = total + extra
            values.append(self.vertex_ops[v](total))
        if not self.to_output:
            return self.projections[str(n - 1)](x)
        parts = [values[v] for v in self.to_output]
        out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        if self.from_input[n - 1]:
            out = out + self.projections[str(n - 1)](x)
        return out

    def extra_repr(self) -> str:
        return f"widths={self.widths}"


class NB101Network(nn.Module):
    """Stem -> stacks of cells (max-pool and doubled width between stacks) -> pool -> linear."""

    def __init__(
        self,
        matrix: np.ndarray,
        ops: Sequence[str],
        input_shape: Sequence[int],
        num_classes: int,
        stem_channels: int = 128,
        num_stacks: int = 3,
        cells_per_stack: int = 3,
    ) -> None:
        super().__init__()
        shape = tuple(int(v) for v in input_shape)
        self.stem = ConvBnRelu(shape[0], stem_channels, 3)
        layers: list[nn.Module] = []
        c_in = c_out = stem_channels
        for stack in range(num_stacks):
            if stack > 0:
                # TF's 'same' padding: odd sizes round up
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=True))
                c_out *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101CellModule(matrix, ops, c_in, c_out))
                c_in = c_out
        self.cells = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.cells(self.stem(x))
        return self.classifier(out.mean(dim=(2, 3)))


def build_network(
    matrix: np.ndarray,
    ops: Sequence[str],
    input_shape: Sequence[int],
    num_classes: int,
    *,
    stem_channels: int = 128,
    num_stacks: int = 3,
    cells_per_stack: int = 3,
) -> NB101Network:
    """The network of a pruned cell; checks the options (raises :class:`OmniError`)."""
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise OmniError(f"input_shape must be (channels, height, width) >= 1, got {input_shape!r}")
    settings = {
        "stem_channels": stem_channels,
        "num_stacks": num_stacks,
        "cells_per_stack": cells_per_stack,
    }
    for name, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise OmniError(f"NB101 network option {name} must be an integer >= 1, got {value!r}")
    if int(num_classes) < 1:
        raise OmniError(f"num_classes must be >= 1, got {num_classes}")
    feeders = int(np.asarray(matrix, dtype=bool)[1:-1, -1].sum())
    if feeders > stem_channels:
        raise OmniError(
            f"stem_channels={stem_channels} cannot be split among the {feeders} vertices "
            "feeding the cell output"
        )
    return NB101Network(
        matrix,
        ops,
        shape,
        int(num_classes),
        stem_channels=int(stem_channels),
        num_stacks=int(num_stacks),
        cells_per_stack=int(cells_per_stack),
    )


__all__ = ["NB101CellModule", "NB101Network", "build_network", "vertex_channels"]
