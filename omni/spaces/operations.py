"""The op library of cell networks: op name -> a factory ``(channels) -> nn.Module``.

Ops keep the shape of their input (same channels, stride 1), as cell edges of
NAS-Bench-201-style spaces require. The definitions follow NAS-Bench-201 (Dong & Yang, ICLR 2020,
``cell_operations.py``): ``nor_conv_kxk`` is ReLU -> Conv(k, padding k//2, no bias) -> BatchNorm.
Any ``nor_conv_KxK`` (odd K) is understood; other ops can be added with :func:`register_op`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import torch
from torch import nn

from features.errors import OmniError

OpFactory = Callable[[int], nn.Module]


class Zero(nn.Module):
    """The ``none`` op: all zeros of the input's shape (keeps the autograd graph connected)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class ReLUConvBN(nn.Module):
    """ReLU -> Conv2d(k, stride, padding, no bias) -> BatchNorm2d(affine, running stats)."""

    def __init__(
        self, c_in: int, c_out: int, kernel_size: int, stride: int = 1, padding: int | None = None
    ) -> None:
        super().__init__()
        padding = kernel_size // 2 if padding is None else padding
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


_OPS: dict[str, OpFactory] = {
    "none": lambda c: Zero(),
    "skip_connect": lambda c: nn.Identity(),
    "avg_pool_3x3": lambda c: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    "max_pool_3x3": lambda c: nn.MaxPool2d(3, stride=1, padding=1),
}
_NOR_CONV = re.compile(r"^nor_conv_(\d+)x(\d+)$")


def register_op(name: str, factory: OpFactory, overwrite: bool = False) -> None:
    """Make op ``name`` buildable; ``factory(channels)`` returns a shape-preserving module."""
    if name in _OPS and not overwrite:
        raise OmniError(f"op {name!r} is already in the op library")
    _OPS[name] = factory


def known_ops() -> list[str]:
    """Names in the library (plus the ``nor_conv_KxK`` family)."""
    return sorted(_OPS) + ["nor_conv_KxK"]


def build_op(name: str, channels: int) -> nn.Module:
    """The module of op ``name`` on ``channels`` channels; :class:`OmniError` if unknown."""
    if name in _OPS:
        return _OPS[name](channels)
    match = _NOR_CONV.match(name)
    if match:
        kh, kw = int(match.group(1)), int(match.group(2))
        if kh != kw or kh % 2 == 0:
            raise OmniError(f"op {name!r}: only square odd kernels keep the shape (e.g. 3x3)")
        return ReLUConvBN(channels, channels, kh)
    raise OmniError(
        f"no network op called {name!r}; the op library knows {known_ops()} "
        "(add one with omni.spaces.operations.register_op)"
    )
