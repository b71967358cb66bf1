"""flops: forward cost of one image in MFLOPs, NAS-Bench-Suite-Zero convention.

NAS-Bench-Suite-Zero (NASLib ``get_model_stats``, a torchstat/tensorwatch counter) counts, for a
batch of one image in eval mode:

- convolution and linear layers: multiply-accumulates (MACs), i.e. half of the FLOPs that
  ``torch.utils.flop_counter.FlopCounterMode`` reports (it counts a MAC as 2 FLOPs), plus one
  per output element for a convolution bias (none for a linear bias);
- BatchNorm: 2 per input element (1 without affine);  ReLU-family: 1 per input element;
- Avg/MaxPool: kernel_h * kernel_w per output element;
- adaptive pooling: channels * sum over output cells of (cell_h + 1) * (cell_w + 1) -- the
  counter's own off-by-one, kept so that the numbers match the published ones;
- Upsample: 1 per output element.

    flops = (FlopCounterMode FLOPs / 2 + the terms above) / 1e6

With this convention the published value is reproduced exactly on every NAS-Bench-201 cell
(e.g. 222.860992 for the all-``nor_conv_3x3`` cell; FlopCounterMode alone gives 2 x 220.12).
Data-independent (only the input shape is used). Lower cost is not "better": the value is stored
as published (more FLOPs, higher score). For a token model one input is one sequence of
``seq_len`` tokens (ids 0); the embedding lookup is free.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from features.zero_cost._common import Evidence, finite_or_nan, is_relu

NAME = "flops"
NEEDS: frozenset[str] = frozenset()


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _adaptive_pool_ops(x: torch.Tensor, out: torch.Tensor) -> int:
    n, c, h, w = x.shape
    oh, ow = out.shape[-2:]
    total = 0
    for i in range(oh):
        y0, y1 = math.floor(i * h / oh), math.ceil((i + 1) * h / oh)
        for j in range(ow):
            x0, x1 = math.floor(j * w / ow), math.ceil((j + 1) * w / ow)
            total += n * c * (y1 - y0 + 1) * (x1 - x0 + 1)
    return total


def _layer_ops(module: nn.Module, x: torch.Tensor, out: torch.Tensor) -> int:
    """The non-MAC terms of one leaf module call."""
    if isinstance(module, nn.modules.conv._ConvNd):
        return out.numel() if module.bias is not None else 0
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return x.numel() * (2 if module.affine else 1)
    if is_relu(module):
        return x.numel()
    if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        kh, kw = _pair(module.kernel_size)
        return out.numel() * kh * kw
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and x.dim() == 4:
        return _adaptive_pool_ops(x, out)
    if isinstance(module, nn.Upsample):
        return out.numel()
    return 0


def count_flops(model: nn.Module, input_shape: tuple[int, ...], input_kind: str = "image") -> float:
    """MFLOPs of ``model`` on one input of shape ``input_shape`` (without the batch axis).

    ``input_kind="tokens"``: ``input_shape`` is ``(seq_len,)`` and the input one sequence.
    """
    extra = [0]

    def hook(module, args, out):
        if args and isinstance(args[0], torch.Tensor) and isinstance(out, torch.Tensor):
            extra[0] += _layer_ops(module, args[0], out)

    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = model.training
    param = next(model.parameters(), None)
    if input_kind == "tokens":
        x = torch.zeros((*input_shape, 1), dtype=torch.long)
    else:
        x = torch.zeros(
            (1, *input_shape), dtype=param.dtype if param is not None else torch.float32
        )
    try:
        model.eval()
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return (counter.get_total_flops() / 2 + extra[0]) / 1e6


def score(ev: Evidence) -> float:
    if ev.tokens:
        return finite_or_nan(NAME, count_flops(ev.model, tuple(ev.inputs.shape[:1]), "tokens"))
    return finite_or_nan(NAME, count_flops(ev.model, tuple(ev.inputs.shape[1:])))
