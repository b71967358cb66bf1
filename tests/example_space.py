"""The README's example of a user's own search space (the tests use it too).

A 3-node cell with an op on each of its 3 edges, and a network factory of the user's own: a
stem, the cell twice, a classifier. Register it from Python (``omni.spaces.register``) or point
the ``omni`` command at this file: ``OMNI_SPACES=tests/example_space.py omni zc --space tiny ...``.
"""

from __future__ import annotations

import torch
from torch import nn

from omni import spaces

OPS = ("none", "skip_connect", "conv3x3", "maxpool3x3")


def make_op(name: str, channels: int) -> nn.Module:
    if name == "conv3x3":
        return nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)
    if name == "skip_connect":
        return nn.Identity()
    return ZeroOp()


class ZeroOp(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 0.0


class TinyCell(nn.Module):
    """Node 1 = op01(x); node 2 = op02(x) + op12(node 1)."""

    def __init__(self, arch: tuple[str, ...], channels: int) -> None:
        super().__init__()
        self.e01, self.e02, self.e12 = (make_op(op, channels) for op in arch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.e02(x) + self.e12(self.e01(x))


def tiny_network(arch: tuple[str, ...], task: spaces.Task, channels: int = 8) -> nn.Module:
    """Stem conv -> cell -> cell -> global average pool -> linear."""
    c_in = task.input_shape[0]
    return nn.Sequential(
        nn.Conv2d(c_in, channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(channels),
        TinyCell(arch, channels),
        TinyCell(arch, channels),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(channels, task.num_outputs),
    )


TINY = spaces.CellSpace(
    "tiny",
    num_nodes=3,
    ops=OPS,
    none_op="none",
    tasks={"cifar10": spaces.Task("cifar10", (3, 32, 32), 10)},
    network_factory=tiny_network,
)

if not spaces.is_registered("tiny"):
    spaces.register(TINY)
