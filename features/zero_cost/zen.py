"""zen: Zen-score (Lin et al., "Zen-NAS: A Zero-Shot NAS for High-Performance Image Recognition",
ICCV 2021; NASLib ``measures/zen.py``, NAS-Bench-Suite-Zero values).

On a deep copy with every conv/linear weight redrawn from N(0, 1) (biases 0, BatchNorm weight 1
and bias 0), in training mode, for Gaussian inputs x, e ~ N(0, I) and gamma = 0.01, with f the
feature map entering the global average pool (the model output if there is none):

    zen = log( mean_n sum | f(x)_n - f(x + gamma e)_n | )
          + sum over BatchNorm layers of log sqrt( mean(running_var) )

(running_var after the two forward passes, momentum as set in the model.) Higher is better.
Only the input shape is used. The model itself is never modified; the seed fixes the draws.

On a token model x and e are drawn for the output of its first ``nn.Embedding`` (seq_len, batch,
embedding_dim), f is the logits, n runs over the sequences and the copy is in eval mode (no
dropout: its masks would differ between the two passes).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from features.zero_cost._common import (
    Evidence,
    batchnorms,
    embedding_output,
    failed,
    finite_or_nan,
    first_embedding,
)

NAME = "zen"
NEEDS: frozenset[str] = frozenset()
MIXUP_GAMMA = 1e-2


def _gaussian_init(net: nn.Module, generator: torch.Generator) -> None:
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear)):
                m.weight.normal_(generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
            elif (
                isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm))
                and m.weight is not None
            ):
                m.weight.fill_(1.0)
                m.bias.zero_()


def _token_score(ev: Evidence) -> float:
    embedding = first_embedding(ev.model)
    if embedding is None:
        return failed(NAME, "a token model without an nn.Embedding has no input to perturb")
    net = copy.deepcopy(ev.model)
    generator = torch.Generator(device=ev.inputs.device).manual_seed(int(ev.seed))
    _gaussian_init(net, generator)
    seq, batch = ev.inputs.shape
    shape = (seq, batch, embedding.embedding_dim)
    dtype, device = embedding.weight.dtype, ev.inputs.device
    net.eval()
    with torch.no_grad():
        x = torch.randn(shape, generator=generator, dtype=dtype, device=device)
        e = torch.randn(shape, generator=generator, dtype=dtype, device=device)
        outs = []
        for value in (x, x + MIXUP_GAMMA * e):
            with embedding_output(net, lambda out, value=value: value):
                outs.append(net(ev.inputs))
    diff = (outs[0] - outs[1]).abs().transpose(0, 1).reshape(batch, -1).sum(dim=1).mean()
    value = float(diff)
    if not math.isfinite(value):
        return failed(NAME, f"non-finite feature difference ({value})")
    if value <= 0:
        return failed(NAME, "the logits ignore the input perturbation (zero difference)")
    log_bn = sum(
        0.5 * math.log(float(bn.running_var.mean()))
        for bn in batchnorms(net)
        if bn.running_var is not None
    )
    return finite_or_nan(NAME, math.log(value) + log_bn)


def score(ev: Evidence) -> float:
    if ev.tokens:
        return _token_score(ev)
    net = copy.deepcopy(ev.model)
    generator = torch.Generator(device=ev.inputs.device).manual_seed(int(ev.seed))
    _gaussian_init(net, generator)
    pools = [
        m for m in net.modules() if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool1d))
    ]
    features: list[torch.Tensor] = []
    handle = None
    if pools:
        handle = pools[-1].register_forward_pre_hook(lambda m, args: features.append(args[0]))
    shape, dtype, device = ev.inputs.shape, ev.inputs.dtype, ev.inputs.device
    net.train()
    try:
        with torch.no_grad():
            x = torch.randn(shape, generator=generator, dtype=dtype, device=device)
            e = torch.randn(shape, generator=generator, dtype=dtype, device=device)
            out_a = net(x)
            out_b = net(x + MIXUP_GAMMA * e)
    finally:
        if handle is not None:
            handle.remove()
    if pools and len(features) == 2:
        out_a, out_b = features
    diff = (out_a - out_b).abs().reshape(shape[0], -1).sum(dim=1).mean()
    value = float(diff)
    if not math.isfinite(value):
        return failed(NAME, f"non-finite feature difference ({value})")
    if value <= 0:
        return failed(NAME, "the features ignore the input perturbation (zero difference)")
    log_bn = 0.0
    for bn in batchnorms(net):
        if bn.running_var is not None:
            log_bn += 0.5 * math.log(float(bn.running_var.mean()))
    return finite_or_nan(NAME, math.log(value) + log_bn)
