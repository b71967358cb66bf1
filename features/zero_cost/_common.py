"""Helpers shared by the proxies: the layers they read, NaN-with-a-reason, the evidence record."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

logger = logging.getLogger("features.zero_cost")

#: layers whose weights the gradient proxies score (NASLib: Conv2d and Linear)
WEIGHT_LAYERS = (nn.modules.conv._ConvNd, nn.Linear)


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """Convolution and linear layers of ``model`` in module order."""
    return [m for m in model.modules() if isinstance(m, WEIGHT_LAYERS)]


def batchnorms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def is_relu(module: nn.Module) -> bool:
    """ReLU-family activation modules (NASLib matches 'ReLU' in the type name)."""
    return "ReLU" in type(module).__name__


#: what a model reads: float images (N, ...) or integer token ids (seq_len, batch)
INPUT_KINDS = ("image", "tokens")


def first_embedding(model: nn.Module) -> nn.Embedding | None:
    """The first ``nn.Embedding`` of ``model`` (a token model's input layer), or None."""
    return next((m for m in model.modules() if isinstance(m, nn.Embedding)), None)


@contextmanager
def embedding_output(
    model: nn.Module, replace: Callable[[torch.Tensor], torch.Tensor]
) -> Iterator[None]:
    """While active, the output of ``model``'s first embedding is ``replace(output)``."""
    embedding = first_embedding(model)
    if embedding is None:
        raise ValueError("the model has no nn.Embedding")
    handle = embedding.register_forward_hook(lambda module, args, out: replace(out))
    try:
        yield
    finally:
        handle.remove()


def token_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy of (seq_len, batch, vocab) logits and (seq_len, batch) ids."""
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def failed(proxy: str, reason: str) -> float:
    """Log why ``proxy`` has no value and return NaN."""
    logger.warning("zero-cost proxy %s is NaN: %s", proxy, reason)
    return math.nan


def finite_or_nan(proxy: str, value: float) -> float:
    """``value`` as a float, or NaN (logged) when it is inf/NaN."""
    value = float(value)
    if not math.isfinite(value):
        return failed(proxy, f"non-finite value {value} (overflow or degenerate network)")
    return value


@dataclass
class Evidence:
    """What the proxies read: the model, the minibatch, and products of the shared pass.

    The shared pass (:func:`features.zero_cost._shared.run_shared_pass`) fills only the products
    that the requested proxies need (see each proxy module's ``NEEDS``).
    """

    model: nn.Module
    inputs: torch.Tensor
    targets: torch.Tensor
    seed: int = 0
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = nn.functional.cross_entropy
    #: "image" (inputs (N, ...), targets (N,)) or "tokens" (both (seq_len, batch) ids)
    input_kind: str = "image"
    logits: torch.Tensor | None = None
    #: d(sum of logits)/d(inputs), shape (N, prod(input shape)); None when the output ignores x.
    #: For tokens: d(sum of logits)/d(embedding output), one row per sequence
    input_grad: torch.Tensor | None = None
    #: NWOT kernel: sum over ReLU layers of the binary-code agreement matrices, (N, N) float64
    relu_kernel: np.ndarray | None = None
    relu_layers: int = 0
    layers: list[nn.Module] = field(default_factory=list)
    #: dL/dW per layer of ``layers`` (None where the loss does not reach the layer)
    weight_grads: list[torch.Tensor | None] = field(default_factory=list)
    #: per layer: its output activations and dL/d(output), one pair per call of the layer
    activations: list[list[tuple[torch.Tensor, torch.Tensor]]] = field(default_factory=list)
    #: H g per layer (Hessian of the loss times its gradient, GraSP)
    hessian_grads: list[torch.Tensor | None] = field(default_factory=list)

    @property
    def tokens(self) -> bool:
        return self.input_kind == "tokens"

    @property
    def batch_size(self) -> int:
        """Number of samples: images, or sequences (axis 1) of a token batch."""
        return int(self.inputs.shape[1] if self.tokens else self.inputs.shape[0])
