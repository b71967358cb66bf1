"""synflow: synaptic flow (Tanaka et al., "Pruning neural networks without any data by
iteratively conserving synaptic flow", NeurIPS 2020; as a NAS proxy Abdelfattah et al.,
ICLR 2021; NASLib ``measures/synflow.py``, NAS-Bench-Suite-Zero values).

On a deep copy in float64 with BatchNorm removed (identity) and every parameter replaced by its
absolute value, R = sum of the outputs for a single all-ones input, and

    synflow = log( sum over conv/linear weights w of | w * dR/dw | )

The natural log is the NAS-Bench-Suite-Zero convention (e.g. about 114.8 for the
all-``nor_conv_3x3`` NAS-Bench-201 cell; without it the value reaches ~1e49). Higher is better.
Data-independent (only the input shape is used). Overflow of the float64 sum -> NaN (logged).
The model itself is never modified.

On a token model the all-ones input is the output of its first ``nn.Embedding`` (a sequence of
``seq_len`` ones vectors, batch 1), and the copy runs in eval mode (no dropout).
"""

from __future__ import annotations

import copy
import math
from contextlib import ExitStack

import torch
from torch import nn

from features.zero_cost._common import (
    Evidence,
    embedding_output,
    failed,
    finite_or_nan,
    first_embedding,
    weight_layers,
)

NAME = "synflow"
NEEDS: frozenset[str] = frozenset()


def _without_batchnorm(model: nn.Module) -> None:
    """Replace every BatchNorm module of ``model`` (in place) by an identity."""
    for parent in model.modules():
        for child_name, child in list(parent.named_children()):
            if isinstance(child, nn.modules.batchnorm._BatchNorm):
                setattr(parent, child_name, nn.Identity())


def score(ev: Evidence) -> float:
    net = copy.deepcopy(ev.model)
    _without_batchnorm(net)
    net = net.double().requires_grad_(True)  # a frozen model still has a synaptic flow
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.abs_()
    layers = weight_layers(net)
    if not layers:
        return failed(NAME, "the model has no conv/linear layer")
    with torch.enable_grad(), ExitStack() as stack:
        if ev.tokens:
            if first_embedding(net) is None:
                return failed(NAME, "a token model without an nn.Embedding has no all-ones input")
            net.eval()
            x = torch.zeros((ev.inputs.shape[0], 1), dtype=torch.long, device=ev.inputs.device)
            stack.enter_context(embedding_output(net, torch.ones_like))
        else:
            x = torch.ones((1, *ev.inputs.shape[1:]), dtype=torch.float64, device=ev.inputs.device)
        out = net(x)
        if not torch.all(torch.isfinite(out)):
            return failed(NAME, "the float64 forward overflowed")
        grads = torch.autograd.grad(out.sum(), [m.weight for m in layers], allow_unused=True)
    with torch.no_grad():
        total = sum(
            float((m.weight * g).abs().sum())
            for m, g in zip(layers, grads, strict=True)
            if g is not None
        )
    if not math.isfinite(total):
        return failed(NAME, f"the synaptic-flow sum overflowed ({total})")
    if total <= 0:
        return failed(NAME, "zero synaptic flow (no path from input to output)")
    return finite_or_nan(NAME, math.log(total))
