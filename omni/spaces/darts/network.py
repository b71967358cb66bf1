"""The DARTS evaluation network of NAS-Bench-301 as built for NAS-Bench-Suite-Zero's proxies.

Skeleton (defaults reproduce the ``params`` of NASLib's ``zc_nasbench301`` file): a stem
conv3x3 (``3 * channels`` filters) + BN; ``layers`` cells, reduction cells at ``layers // 3``
and ``2 * layers // 3`` (the width doubles there); every cell preprocesses its two inputs with
ReLU-conv1x1-BN (affine), or with a :class:`FactorizedReduce` for the older input when the
previous cell was a reduction; the cell outputs the concatenation of its 4 intermediate nodes
(4C channels); global average pooling and a linear head. No auxiliary head, no drop-path.

Inside a cell the batch norms have no affine parameters; in a reduction cell the edges that
leave the two cell inputs have stride 2 (skip_connect becomes a :class:`FactorizedReduce`).
Every module works on the ``meta`` device, so parameters can be counted without allocating.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

#: op names by NASLib compact op code
OP_NAMES = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)


class ReLUConvBN(nn.Sequential):
    """ReLU, a ``k x k`` convolution (no bias), batch norm."""

    def __init__(self, c_in: int, c_out: int, kernel: int = 1, affine: bool = True) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class FactorizedReduce(nn.Module):
    """Halve the resolution: two 1x1 stride-2 convolutions on offset grids, concatenated.

    The second grid is shifted by one pixel and zero-padded back, so odd sizes also work
    (for even sizes it equals DARTS' ``x[:, :, 1:, 1:]``).
    """

    def __init__(self, c_in: int, c_out: int, affine: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


class SepConv(nn.Sequential):
    """DARTS' separable convolution: (ReLU, depthwise k x k, pointwise, BN) twice."""

    def __init__(self, c: int, kernel: int, stride: int, affine: bool = False) -> None:
        pad = kernel // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=stride, padding=pad, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride=1, padding=pad, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )


class DilConv(nn.Sequential):
    """Dilated separable convolution: ReLU, depthwise k x k with dilation 2, pointwise, BN."""

    def __init__(self, c: int, kernel: int, stride: int, affine: bool = False) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                c, c, kernel, stride=stride, padding=kernel - 1, dilation=2, groups=c, bias=False
            ),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine),
        )


def make_op(code: int, c: int, stride: int) -> nn.Module:
    """The module of op ``code`` (an index of :data:`OP_NAMES`) at width ``c``."""
    name = OP_NAMES[code]
    if name == "max_pool_3x3":
        return nn.Sequential(
            nn.MaxPool2d(3, stride=stride, padding=1), nn.BatchNorm2d(c, affine=False)
        )
    if name == "avg_pool_3x3":
        return nn.Sequential(
            nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
            nn.BatchNorm2d(c, affine=False),
        )
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine=False)
    kernel = 3 if name.endswith("3x3") else 5
    if name.startswith("sep_conv"):
        return SepConv(c, kernel, stride)
    return DilConv(c, kernel, stride)


class Cell(nn.Module):
    """One DARTS cell of 8 ``(input, op)`` pairs; pairs 2k, 2k+1 are summed into node k+2."""

    def __init__(
        self,
        pairs: Sequence[tuple[int, int]],
        c_prev_prev: int,
        c_prev: int,
        c: int,
        reduction: bool,
        reduction_prev: bool,
    ) -> None:
        super().__init__()
        self.reduction = reduction
        self.pre0 = (
            FactorizedReduce(c_prev_prev, c) if reduction_prev else ReLUConvBN(c_prev_prev, c)
        )
        self.pre1 = ReLUConvBN(c_prev, c)
        self.inputs = tuple(int(i) for i, _ in pairs)
        self.ops = nn.ModuleList(
            make_op(int(op), c, 2 if reduction and i < 2 else 1) for i, op in pairs
        )

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for k in range(0, len(self.ops), 2):
            a, b = self.inputs[k], self.inputs[k + 1]
            states.append(self.ops[k](states[a]) + self.ops[k + 1](states[b]))
        return torch.cat(states[2:], dim=1)


class DartsNetwork(nn.Module):
    """Stem, ``layers`` cells (reductions at ``layers // 3`` and ``2 * layers // 3``), head."""

    def __init__(
        self,
        normal: Sequence[tuple[int, int]],
        reduce: Sequence[tuple[int, int]],
        num_classes: int = 10,
        in_channels: int = 3,
        channels: int = 32,
        layers: int = 8,
        stem_multiplier: int = 3,
    ) -> None:
        super().__init__()
        if channels < 1 or layers < 1:
            raise ValueError(f"channels and layers must be >= 1, got {channels}, {layers}")
        c_curr = stem_multiplier * channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr)
        )
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, channels
        reductions = {layers // 3, 2 * layers // 3}
        cells = []
        reduction_prev = False
        for i in range(layers):
            reduction = i in reductions
            if reduction:
                c_curr *= 2
            pairs = reduce if reduction else normal
            cells.append(Cell(pairs, c_prev_prev, c_prev, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, 4 * c_curr
        self.cells = nn.ModuleList(cells)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(torch.flatten(self.pool(s1), 1))


def _window_sides(size: int, out: int) -> int:
    return sum(-(-(i + 1) * size // out) - (i * size) // out + 1 for i in range(out))


def _module_flops(module: nn.Module, x: torch.Tensor, out: torch.Tensor) -> int:
    if isinstance(module, nn.Conv2d):  # multiply-accumulates, plus one per output for a bias
        macs = module.weight.numel() * out.shape[0] * out.shape[2] * out.shape[3]
        return macs + (out.numel() if module.bias is not None else 0)
    if isinstance(module, nn.BatchNorm2d):
        return x.numel() * (2 if module.affine else 1)
    if isinstance(module, nn.ReLU):
        return x.numel()
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        return out.numel() * k * k
    if isinstance(module, nn.AdaptiveAvgPool2d):  # torchstat counts (window side + 1) squared
        rows = _window_sides(x.shape[2], out.shape[2])
        cols = _window_sides(x.shape[3], out.shape[3])
        return x.shape[0] * x.shape[1] * rows * cols
    if isinstance(module, nn.Linear):
        return x.shape[0] * module.in_features * module.out_features
    return 0


def reference_flops(model: nn.Module, input_shape: Sequence[int] = (3, 32, 32)) -> int:
    """FLOPs of one forward pass of a single input, counted as NAS-Bench-Suite-Zero's ``flops``
    proxy (tensorwatch's torchstat rules: conv multiply-accumulates, 1 per BN element or 2 when
    affine, 1 per ReLU element, k x k per pooled output, linear in x out; additions and
    concatenations are free). Runs on the device of ``model``'s parameters (``meta`` works).
    """
    device = next(model.parameters()).device
    total = 0

    def hook(module: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        total += int(_module_flops(module, args[0], out))

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    training = model.training
    model.eval()  # no running-statistics update
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(training)
        for handle in handles:
            handle.remove()
    return total


__all__ = [
    "OP_NAMES",
    "Cell",
    "DartsNetwork",
    "DilConv",
    "FactorizedReduce",
    "ReLUConvBN",
    "SepConv",
    "make_op",
    "reference_flops",
]
