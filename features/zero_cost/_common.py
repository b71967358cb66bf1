"""Helpers shared by the proxies: the layers they read, NaN-with-a-reason, the evidence record."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
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
    logits: torch.Tensor | None = None
    #: d(sum of logits)/d(inputs), shape (N, prod(input shape)); None when the output ignores x
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
