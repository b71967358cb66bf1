"""The TransNAS-Bench-101 networks (Duan et al., CVPR 2021), shared by the micro and macro spaces.

Both spaces build one encoder -- a stem (Conv3x3/2 to C/2 + BN, ReLU-Conv3x3/2-BN to C) and a
sequence of modules of two blocks each -- and put a task head on it. A module code says what its
first block changes: 1 nothing, 2 doubles the width, 3 halves the resolution (stride 2), 4 both.
The block is a micro cell (:class:`MicroCell`) or a ResNet basic block (:class:`BasicBlock`).

Heads (TNB's ``FFDecoder`` / ``SiameseDecoder``): global average pool and one linear layer; for a
task whose input has four dimensions (jigsaw: 9 tiles x 3 x 64 x 64) every tile goes through the
one shared encoder, the tile features are concatenated along channels, then pooled and
classified (``Linear(9 * C_last, 1000)``).

Details that the published parameter counts pin down (read from ``yawen-d/TransNASBench``,
``lib/models``): every BatchNorm is affine; ``none`` has no parameters, also on a reducing edge;
on the edges out of a first cell's node 0, a conv is ReLU-Conv(stride)-BN from C_in to C_out and
``skip_connect`` is a :class:`FactorizedReduce` (also when only the width changes); the basic
block's shortcut is Conv1x1(stride) + BN. Not visible in the counts but kept for fidelity: the
reference passes ``affine, track_running_stats`` positionally to that shortcut BatchNorm, so it
runs with ``eps=1`` and ``momentum=1`` (``reference_shortcut_bn=False`` gives the usual values);
conv weights get Kaiming-normal (fan_out) initialisation, BatchNorm weight 1 and bias 0.
One deliberate difference: the reference's ``none`` returns a map one pixel too large on an
edge that widens without striding (module code 2, absent from the micro ``41414`` skeleton);
:class:`ZeroOp` returns the right shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from features.errors import OmniError
from omni.spaces.base import Task
from omni.spaces.networks import sum_over_edges
from omni.spaces.operations import ReLUConvBN

TNB_TASKS: dict[str, Task] = {
    "class_scene": Task("class_scene", (3, 256, 256), 63),
    "class_object": Task("class_object", (3, 256, 256), 100),
    "room_layout": Task("room_layout", (3, 256, 256), 9),
    "jigsaw": Task("jigsaw", (9, 3, 64, 64), 1000),
}
"""The tasks whose networks are built: TNB's input sizes (jigsaw: 9 tiles of 3 x 64 x 64, as
TNB's ``MakeJigsawPuzzle`` makes them, fed to the network as ``(batch, 9, 3, 64, 64)``)."""

DECODER_TASKS = ("segmentsemantic", "autoencoder", "normal")
"""TNB tasks with convolutional decoders, which this module does not build."""

BlockFactory = Callable[[int, int, int], nn.Module]
"""``(c_in, c_out, stride) -> module``: one block of a module."""

MODULE_CODES = (1, 2, 3, 4)
EDGE_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
"""The micro cell's ops; the index is TNB's op code (0 none ... 3 conv3x3)."""


def resolve_task(space: object, task: str | Task | None) -> Task:
    """``space.task(task)``, with a clear error for the TNB tasks that need a decoder."""
    if isinstance(task, str) and task in DECODER_TASKS:
        raise OmniError(
            f"space {getattr(space, 'name', space)!r}: the {task!r} decoder of "
            f"TransNAS-Bench-101 is not built; buildable tasks are {sorted(TNB_TASKS)} "
            "(or pass omni.spaces.Task(name, input_shape, num_outputs))"
        )
    return space.task(task)  # type: ignore[attr-defined]


def parse_structure(structure: str | Sequence[int]) -> tuple[int, ...]:
    """Module codes from ``"41414"`` or a sequence of ints (each in 1..4)."""
    try:
        out = tuple(int(c) for c in structure)
    except (TypeError, ValueError):
        raise OmniError(f"structure must be module codes like '41414', got {structure!r}") from None
    if not out or any(c not in MODULE_CODES for c in out):
        raise OmniError(f"structure must be module codes in 1..4 like '41414', got {structure!r}")
    return out


def module_change(code: int) -> tuple[bool, int]:
    """(doubles the width, stride) of module ``code``."""
    if code not in MODULE_CODES:
        raise OmniError(f"module code must be one of {MODULE_CODES}, got {code!r}")
    return code in (2, 4), 2 if code in (3, 4) else 1


class ZeroOp(nn.Module):
    """``none`` on an edge that may change width and resolution: zeros of the output's shape."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.c_in, self.c_out, self.stride = c_in, c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.stride
        if self.c_in == self.c_out:
            return x[:, :, ::s, ::s].mul(0.0)
        n, _, h, w = x.shape
        return x.new_zeros(n, self.c_out, -(-h // s), -(-w // s))

    def extra_repr(self) -> str:
        return f"c_in={self.c_in}, c_out={self.c_out}, stride={self.stride}"


class FactorizedReduce(nn.Module):
    """ReLU, two 1x1 convs (the second on the input shifted by one pixel), concatenated, BN."""

    def __init__(self, c_in: int, c_out: int, stride: int = 2) -> None:
        super().__init__()
        if c_out < 2:
            raise OmniError(f"FactorizedReduce needs at least 2 output channels, got {c_out}")
        self.stride = stride
        self.relu = nn.ReLU(inplace=False)
        half = c_out // 2
        self.conv_a = nn.Conv2d(c_in, half, 1, stride=stride, bias=False)
        self.conv_b = nn.Conv2d(c_in, c_out - half, 1, stride=stride, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        return self.bn(torch.cat([self.conv_a(x), self.conv_b(shifted)], dim=1))


def edge_op(op: str, c_in: int, c_out: int, stride: int = 1) -> nn.Module:
    """The module of micro op ``op`` on an edge from ``c_in`` to ``c_out`` channels."""
    if op == "none":
        return ZeroOp(c_in, c_out, stride)
    if op == "skip_connect":
        if stride == 1 and c_in == c_out:
            return nn.Identity()
        return FactorizedReduce(c_in, c_out, stride)
    if op == "nor_conv_1x1":
        return ReLUConvBN(c_in, c_out, 1, stride=stride, padding=0)
    if op == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3, stride=stride, padding=1)
    raise OmniError(f"no TransNAS-Bench-101 micro op {op!r}; the ops are {list(EDGE_OPS)}")


def cell_edges(num_edges: int) -> tuple[tuple[int, int], ...]:
    """Edges (source, target) of a dense cell, by target then source: (0,1), (0,2), (1,2), ..."""
    edges: list[tuple[int, int]] = []
    target = 1
    while len(edges) < num_edges:
        edges.extend((i, target) for i in range(target))
        target += 1
    if len(edges) != num_edges:
        raise OmniError(f"{num_edges} edges do not make a dense cell (1, 3, 6, 10, ...)")
    return tuple(edges)


class MicroCell(nn.Module):
    """A TNB micro cell: node j = sum of op(i, j)(node i) over i < j; the output is the last node.

    The edges out of node 0 go from ``c_in`` to ``c_out`` channels with ``stride``; the others
    keep ``c_out`` channels and the resolution.
    """

    def __init__(self, ops: Sequence[str], c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.op_names = tuple(ops)
        self.edges = cell_edges(len(self.op_names))
        self.num_nodes = self.edges[-1][1] + 1
        self.ops = nn.ModuleList(
            edge_op(op, c_in, c_out, stride) if i == 0 else edge_op(op, c_out, c_out)
            for (i, _), op in zip(self.edges, self.op_names, strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return sum_over_edges(self.edges, self.ops, x)

    def extra_repr(self) -> str:
        return f"ops={list(self.op_names)}"


class BasicBlock(nn.Module):
    """ResNet basic block: ReLU-Conv3x3(stride)-BN, ReLU-Conv3x3-BN, plus the shortcut.

    The shortcut is Conv1x1(stride) + BN when the stride or the width changes, else identity.
    """

    def __init__(
        self, c_in: int, c_out: int, stride: int = 1, reference_shortcut_bn: bool = True
    ) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=stride, padding=1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1, padding=1)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            bn = {"eps": 1.0, "momentum": 1.0} if reference_shortcut_bn else {}
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                nn.BatchNorm2d(c_out, affine=True, **bn),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class Stem(nn.Module):
    """Conv3x3/2 (``in_channels`` -> C/2) + BN, then ReLU-Conv3x3/2-BN (C/2 -> C)."""

    def __init__(self, in_channels: int, channels: int) -> None:
        super().__init__()
        half = channels // 2
        self.conv = nn.Conv2d(in_channels, half, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(half, affine=True)
        self.conv2 = ReLUConvBN(half, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.bn(self.conv(x)))


class Encoder(nn.Module):
    """Stem, then per module code ``blocks_per_module`` blocks (the first one changes shape)."""

    def __init__(
        self,
        modules: Sequence[int],
        block: BlockFactory,
        base_channels: int = 64,
        in_channels: int = 3,
        blocks_per_module: int = 2,
    ) -> None:
        super().__init__()
        if base_channels < 2 or base_channels % 2:
            raise OmniError(f"base_channels must be even and >= 2, got {base_channels}")
        if not modules:
            raise OmniError("an encoder needs at least one module")
        self.codes = tuple(int(m) for m in modules)
        self.stem = Stem(in_channels, base_channels)
        c = base_channels
        layers = []
        for code in self.codes:
            doubles, stride = module_change(code)
            c_out = 2 * c if doubles else c
            blocks = [block(c, c_out, stride)]
            blocks += [block(c_out, c_out, 1) for _ in range(blocks_per_module - 1)]
            layers.append(nn.Sequential(*blocks))
            c = c_out
        self.layers = nn.Sequential(*layers)
        self.out_channels = c
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if getattr(m, "weight", None) is not None and m.weight.is_meta:
                continue  # nothing to initialise on the meta device (parameter counting)
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.stem(x))


class ClassifierNet(nn.Module):
    """Encoder, global average pool, linear (TNB's feed-forward net: classes or regression)."""

    def __init__(self, encoder: Encoder, num_outputs: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(encoder.out_channels, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.encoder(x)).flatten(1))


class SiameseNet(nn.Module):
    """Jigsaw: input (batch, tiles, C, H, W); each tile through the shared encoder, features
    concatenated along channels, pooled, one linear layer over ``tiles * C_last`` features."""

    def __init__(self, encoder: Encoder, num_outputs: int, tiles: int = 9) -> None:
        super().__init__()
        self.encoder = encoder
        self.tiles = tiles
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(encoder.out_channels * tiles, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5 or x.shape[1] != self.tiles:
            raise OmniError(f"expected input (batch, {self.tiles}, C, H, W), got {tuple(x.shape)}")
        # one encoder call per tile, as the reference does (BatchNorm statistics per tile)
        feats = torch.cat([self.encoder(x[:, t]) for t in range(self.tiles)], dim=1)
        return self.head(self.pool(feats).flatten(1))


def build_network(
    modules: Sequence[int], block: BlockFactory, task: Task, base_channels: int = 64
) -> nn.Module:
    """The TNB network: an encoder of ``modules`` of ``block`` and the head of ``task``.

    A task with a 3-d input ``(C, H, W)`` gets the pooled linear head; a 4-d input
    ``(tiles, C, H, W)`` the siamese (jigsaw) head.
    """
    shape = tuple(task.input_shape)
    if len(shape) not in (3, 4):
        raise OmniError(
            f"task {task.name!r}: input_shape must be (C, H, W) or (tiles, C, H, W), got {shape}"
        )
    encoder = Encoder(modules, block, int(base_channels), in_channels=shape[-3])
    if len(shape) == 4:
        return SiameseNet(encoder, task.num_outputs, tiles=shape[0])
    return ClassifierNet(encoder, task.num_outputs)


def micro_block(ops: Sequence[str]) -> BlockFactory:
    """The block factory of a micro cell with ``ops`` (TNB cell-string order)."""
    ops = tuple(ops)
    for op in ops:
        if op not in EDGE_OPS:
            raise OmniError(f"no TransNAS-Bench-101 micro op {op!r}; the ops are {list(EDGE_OPS)}")
    cell_edges(len(ops))
    return lambda c_in, c_out, stride: MicroCell(ops, c_in, c_out, stride)


def basic_block(reference_shortcut_bn: bool = True) -> BlockFactory:
    """The block factory of the macro space (ResNet basic blocks)."""
    return lambda c_in, c_out, stride: BasicBlock(c_in, c_out, stride, reference_shortcut_bn)


def count_flops(model: nn.Module, x: torch.Tensor) -> int:
    """FLOPs of one forward pass the way NASLib's zero-cost ``flops`` counted them.

    NASLib used tensorwatch's ``ModelStats`` (torchstat rules) with batch 1: per leaf module,
    conv = k*k*C_in/groups*C_out*H_out*W_out (+ bias), BatchNorm 2*numel (affine), ReLU numel,
    linear in*out, adaptive pool ~numel; other modules 0. A module called several times counts
    once, for its last call (so jigsaw counts one tile). Evaluated in eval mode, under no_grad;
    works on the meta device. NASLib's ``flops`` score is this / 1e6 for a batch-1 input.
    """
    records: dict[int, int] = {}

    def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        inp = inputs[0]
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            per = kh * kw * inp.shape[1] * (output.shape[1] // module.groups)
            n = output.shape[0] * output.shape[2] * output.shape[3]
            flops = per * n + (output.shape[1] * n if module.bias is not None else 0)
        elif isinstance(module, nn.BatchNorm2d):
            flops = inp.numel() * (2 if module.affine else 1)
        elif isinstance(module, nn.ReLU):
            flops = inp.numel()
        elif isinstance(module, nn.Linear):
            flops = inp.shape[0] * inp.shape[1] * output.shape[1]
        elif isinstance(module, nn.AdaptiveAvgPool2d):
            b, c, h, w = inp.shape
            oh, ow = output.shape[2], output.shape[3]
            flops = 0
            for i in range(oh):
                h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
                for j in range(ow):
                    w0, w1 = (j * w) // ow, -(-((j + 1) * w) // ow)
                    flops += b * c * (h1 - h0 + 1) * (w1 - w0 + 1)
        else:
            flops = 0
        records[id(module)] = int(flops)

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    was_training = model.training
    model.eval()  # as tensorwatch does (batch 1 would break BatchNorm on 1x1 maps in training)
    try:
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return sum(records.values())


__all__ = [
    "DECODER_TASKS",
    "EDGE_OPS",
    "MODULE_CODES",
    "BasicBlock",
    "ClassifierNet",
    "Encoder",
    "FactorizedReduce",
    "MicroCell",
    "SiameseNet",
    "Stem",
    "TNB_TASKS",
    "ZeroOp",
    "basic_block",
    "build_network",
    "cell_edges",
    "count_flops",
    "edge_op",
    "micro_block",
    "module_change",
    "parse_structure",
    "resolve_task",
]
