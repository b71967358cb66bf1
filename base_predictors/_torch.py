"""Shared torch plumbing for the neural predictors: a private, seeded, thread-limited session."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn


@contextmanager
def torch_threads(num_threads: int) -> Iterator[None]:
    """Run torch code with ``num_threads`` intra-op threads (restored afterwards)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(num_threads)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def torch_session(seed: int, num_threads: int) -> Iterator[None]:
    """Run torch code with its own RNG state (seeded; the caller's global state is restored)
    and ``num_threads`` intra-op threads."""
    with torch_threads(num_threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def as_tensor(a: np.ndarray) -> torch.Tensor:
    """A float32 tensor owning a copy of ``a`` (read-only or memory-mapped inputs are fine)."""
    return torch.from_numpy(np.array(a, dtype=np.float32, order="C", copy=True))


def cosine_lr(optimizer: torch.optim.Optimizer, total_steps: int):
    """Cosine annealing to 0 over ``total_steps`` optimizer steps (stepped per step)."""
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps))


class EnsembleLinear(nn.Module):
    """``members`` independent linear layers applied to (members, batch, in) inputs."""

    def __init__(self, members: int, d_in: int, d_out: int) -> None:
        super().__init__()
        bound = math.sqrt(6.0 / (d_in + d_out))  # Glorot uniform, as Keras' Dense
        self.weight = nn.Parameter(torch.empty(members, d_in, d_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(members, 1, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleMLP(nn.Module):
    """``members`` ReLU networks of ``num_layers`` hidden layers of ``width`` run as one batched
    network: (members, batch, d_in) inputs -> (members, batch, d_out) outputs."""

    def __init__(self, members: int, d_in: int, num_layers: int, width: int, d_out: int) -> None:
        super().__init__()
        dims = [d_in] + [width] * num_layers
        self.hidden = nn.ModuleList(
            EnsembleLinear(members, a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)
        )
        self.out = EnsembleLinear(members, dims[-1], d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.out(x)
