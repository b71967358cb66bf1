"""Graph convolutional predictor over the cell DAG: the "Neural Predictor" of Wen et al.
(ECCV 2020), as NASLib implements it for the study (White et al. 2021).

Input: the flattened ``padded`` feature group -- an (m, m) adjacency (row i, column j = edge
i -> j) then an (m, v) one-hot op matrix per architecture. ``num_nodes`` (m) is inferred from
the column count and the 0/1 structure when not given.

Network (NASLib's defaults): 4 directed graph-convolution layers of width 144 -- each averages a
ReLU'd propagation along the edges and one against them, adjacency with self-loops and
row-normalised, dropout 0.1 -- then the mean over the cell's nodes, a 128-unit linear layer,
dropout 0.1 and a linear output (no biases). MSE on standardised targets, Adam (lr 1e-4, weight
decay 3e-4) with cosine annealing, batch 7, 300 epochs. One change for scale: that schedule is
43,000 steps at n = 1000, minutes on a CPU. Here the epochs shrink so that at most
``max_samples`` examples are processed (30,000: the paper's 300 epochs up to n = 100), then the
batch grows so that there are at most ``max_steps`` (1000) steps, with the learning rate scaled
linearly with the batch. Small training sets get exactly the paper's schedule; n = 1000 fits in
seconds on one thread.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from base_predictors._torch import as_tensor, cosine_lr, torch_session, torch_threads
from base_predictors.base import (
    BasePredictor,
    CostProfile,
    InvalidInputError,
    InvalidParameterError,
    seed_from,
    standardize_target,
)


def _is_binary(a: np.ndarray) -> bool:
    return bool(np.all((a == 0.0) | (a == 1.0)))


def _consistent(X: np.ndarray, m: int) -> bool:
    """Whether every row of X reads as an m-node padded DAG (0/1 strictly upper-triangular
    adjacency, at most one op per node, labelled first and last nodes)."""
    adj = X[:, : m * m].reshape(len(X), m, m)
    ops = X[:, m * m :].reshape(len(X), m, -1)
    if not (_is_binary(adj) and _is_binary(ops)):
        return False
    if np.any(np.tril(np.ones((m, m), dtype=bool)) & (adj.sum(axis=0) > 0)):
        return False
    labels = ops.sum(axis=2)
    return bool(np.all(labels <= 1) and np.all(labels[:, 0] == 1) and np.all(labels[:, -1] == 1))


def infer_num_nodes(X: np.ndarray) -> int:
    """The node count m with ``X.shape[1] == m * m + m * v`` whose split of X is a padded DAG."""
    d = X.shape[1]
    found = [
        m
        for m in range(2, math.isqrt(d) + 1)
        if (d - m * m) % m == 0 and (d - m * m) // m >= 2 and _consistent(X, m)
    ]
    if len(found) != 1:
        what = "no" if not found else f"several ({found})"
        raise InvalidInputError(
            f"GCNPredictor: {what} node count m fits {d} columns as m*m adjacency + m*v one-hot "
            "ops (the 'padded' feature group); pass num_nodes explicitly"
        )
    return found[0]


def _row_normalise(a: torch.Tensor) -> torch.Tensor:
    return a / a.sum(dim=-1, keepdim=True).clamp_min(1e-12)


class _DirectedGraphConv(nn.Module):
    """Mean of ReLU(A_fwd H W_fwd) and ReLU(A_bwd H W_bwd); both weights in one matmul."""

    def __init__(self, d_in: int, d_out: int, dropout: float) -> None:
        super().__init__()
        w_forward, w_backward = torch.empty(d_in, d_out), torch.empty(d_in, d_out)
        nn.init.xavier_uniform_(w_forward)
        nn.init.xavier_uniform_(w_backward)
        self.weight = nn.Parameter(torch.cat([w_forward, w_backward], dim=1))
        self.d_out = d_out
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, a_fwd: torch.Tensor, a_bwd: torch.Tensor) -> torch.Tensor:
        hw = h @ self.weight
        out = torch.relu(a_fwd @ hw[..., : self.d_out]) + torch.relu(a_bwd @ hw[..., self.d_out :])
        return self.dropout(0.5 * out)


def normalised_adjacencies(
    adj: torch.Tensor, ops: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(forward, backward) row-normalised adjacency with self-loops, and the real-node mask
    (padded nodes carry no op and keep only their self-loop)."""
    m = adj.shape[-1]
    real = (ops.sum(dim=-1) > 0).float()
    a = adj + torch.eye(m)
    return _row_normalise(a), _row_normalise(a.transpose(1, 2)), real


class _NeuralPredictor(nn.Module):
    def __init__(self, num_ops: int, hidden: int, layers: int, linear: int, dropout: float):
        super().__init__()
        dims = [num_ops] + [hidden] * layers
        self.convs = nn.ModuleList(
            _DirectedGraphConv(a, b, dropout) for a, b in zip(dims[:-1], dims[1:], strict=True)
        )
        self.fc1 = nn.Linear(hidden, linear, bias=False)
        self.fc2 = nn.Linear(linear, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, a_fwd: torch.Tensor, a_bwd: torch.Tensor, real: torch.Tensor, ops: torch.Tensor
    ) -> torch.Tensor:
        h = ops
        for conv in self.convs:
            h = conv(h, a_fwd, a_bwd)
        pooled = (h * real.unsqueeze(-1)).sum(dim=1) / real.sum(dim=1, keepdim=True).clamp_min(1)
        return self.fc2(self.dropout(self.fc1(pooled))).squeeze(-1)


class GCNPredictor(BasePredictor):
    """Wen et al.'s GCN neural predictor on the ``padded`` DAG encoding."""

    family = "model-based"
    cost = CostProfile(needs_training=True, fit_complexity="O(n)", feature_cost="none")

    def __init__(
        self,
        num_nodes: int | None = None,
        hidden: int = 144,
        num_layers: int = 4,
        linear_hidden: int = 128,
        dropout: float = 0.1,
        epochs: int = 300,
        batch_size: int = 7,
        learning_rate: float = 1e-4,
        weight_decay: float = 3e-4,
        max_samples: int = 30_000,
        max_steps: int = 1000,
        num_threads: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.num_nodes = num_nodes
        self.hidden = hidden
        self.num_layers = num_layers
        self.linear_hidden = linear_hidden
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_samples = max_samples
        self.max_steps = max_steps
        self.num_threads = num_threads
        self.random_state = random_state

    def _graphs(self, X: np.ndarray) -> tuple[torch.Tensor, ...]:
        """(forward adjacency, backward adjacency, real-node mask, one-hot ops) tensors."""
        m = self.num_nodes_
        adj = as_tensor(X[:, : m * m]).reshape(len(X), m, m)
        ops = as_tensor(X[:, m * m :]).reshape(len(X), m, -1)
        return (*normalised_adjacencies(adj, ops), ops)

    def _schedule(self, n: int) -> tuple[int, int, float]:
        """(batch size, epochs, learning rate): the paper's while it fits the budgets.

        Epochs shrink so that epochs * n <= max_samples (at least 1 epoch), then the batch grows
        so that the number of steps <= max_steps, with the learning rate scaled linearly with
        the batch (Goyal et al. 2017).
        """
        batch = max(1, min(int(self.batch_size), n))
        epochs = int(self.epochs)
        lr = float(self.learning_rate)
        if self.max_samples and epochs * n > self.max_samples:
            epochs = max(1, self.max_samples // n)
        if self.max_steps and epochs * math.ceil(n / batch) > self.max_steps:
            grown = min(n, math.ceil(n * epochs / self.max_steps))
            lr *= grown / batch
            batch = grown
        return batch, epochs, lr

    def fit(self, X, y) -> GCNPredictor:
        X, y = self._validate_fit(X, y)
        if self.num_nodes is None:
            self.num_nodes_ = infer_num_nodes(X)
        else:
            m = int(self.num_nodes)
            if m < 2 or X.shape[1] <= m * m or (X.shape[1] - m * m) % m:
                raise InvalidParameterError(
                    f"num_nodes={m} does not split {X.shape[1]} columns into m*m + m*v"
                )
            self.num_nodes_ = m
            self._check_structure(X)
        z, self.y_mean_, self.y_scale_ = standardize_target(y)
        n = len(X)
        batch, epochs, lr = self._schedule(n)
        with torch_session(seed_from(self.random_state), self.num_threads):
            graphs = self._graphs(X)
            net = _NeuralPredictor(
                graphs[-1].shape[-1], self.hidden, self.num_layers, self.linear_hidden, self.dropout
            )
            opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=self.weight_decay)
            steps_per_epoch = math.ceil(n / batch)
            sched = cosine_lr(opt, epochs * steps_per_epoch)
            zt = as_tensor(z)
            net.train()
            for _ in range(epochs):
                order = torch.randperm(n)
                for start in range(0, n, batch):
                    idx = order[start : start + batch]
                    loss = nn.functional.mse_loss(net(*(g[idx] for g in graphs)), zt[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()
            net.eval()
        self.model_ = net
        return self

    def _check_structure(self, X: np.ndarray) -> None:
        if not _consistent(X, self.num_nodes_):
            raise InvalidInputError(
                f"GCNPredictor: X is not a padded DAG encoding with {self.num_nodes_} nodes "
                "(0/1 upper-triangular adjacency, then one op per node)"
            )

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        self._check_structure(X)
        with torch_threads(self.num_threads), torch.inference_mode():
            out = self.model_(*self._graphs(X)).double().numpy()
        return out * self.y_scale_ + self.y_mean_
