"""Semi-supervised predictor in the spirit of SemiNAS (Luo et al., "Semi-Supervised Neural
Architecture Search", NeurIPS 2020).

SemiNAS trains an encoder-predictor-decoder (EPD) on the few labelled architectures -- loss
``trade_off * MSE(accuracy) + (1 - trade_off) * reconstruction`` -- then labels many unlabelled
architectures with it (pseudo-labels) and trains on the labelled set up-sampled
``up_sample_ratio`` times plus the pseudo-labelled set. Defaults are the paper's (as in NASLib):
embedding 64, a 2-layer residual predictor MLP of width 16, dropout 0.1, trade-off 0.8,
up-sampling 10, batch 100, Adam lr 1e-3 with L2 1e-4, gradient-norm clip 5. The paper's encoder and
decoder are LSTMs over the architecture's token sequence; here they are MLPs over any flat
encoding (default: the one-hot adjacency encoding, the same bits as the paper's sequence), which
keeps fit times in seconds. The paper trains 1000 epochs; here ``steps`` optimizer steps per
phase (default 1000, i.e. the paper's 1000 epochs for up to 100 labelled architectures).

Unlabelled architectures come through the ``unlabeled_X`` parameter (encodings of random
architectures of the space, same columns as X); without them the estimator is its own
supervised counterpart (the pre-training phase only).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from base_predictors._torch import as_tensor, torch_session, torch_threads
from base_predictors.base import (
    BasePredictor,
    CostProfile,
    InvalidInputError,
    seed_from,
    standardize_target,
)


class _EPD(nn.Module):
    """Encoder (MLP -> unit-norm embedding), residual predictor MLP, decoder (MLP)."""

    def __init__(self, d_in: int, hidden: int, mlp_layers: int, mlp_hidden: int, dropout: float):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden)
        )
        dims = [hidden] + [mlp_hidden] * (mlp_layers - 1) + [hidden]
        self.mlp = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True))
        self.regressor = nn.Linear(hidden, 1)
        self.decoder = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, d_in))
        self.dropout = nn.Dropout(dropout)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.encoder(x), dim=-1)

    def predict_from(self, emb: torch.Tensor) -> torch.Tensor:
        h = emb
        for layer in self.mlp:
            h = self.dropout(torch.relu(layer(h)))
        return self.regressor((emb + h) * math.sqrt(0.5)).squeeze(-1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.embed(x)
        return self.predict_from(emb), self.decoder(emb)


class SemiNASPredictor(BasePredictor):
    """Encoder-predictor-decoder trained on labels, then on labels + pseudo-labels."""

    family = "model-based"
    cost = CostProfile(needs_training=True, fit_complexity="O(n + u)", feature_cost="none")

    def __init__(
        self,
        unlabeled_X=None,
        hidden: int = 64,
        mlp_layers: int = 2,
        mlp_hidden: int = 16,
        dropout: float = 0.1,
        trade_off: float = 0.8,
        up_sample_ratio: int = 10,
        iterations: int = 1,
        steps: int = 1000,
        batch_size: int = 100,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        grad_bound: float = 5.0,
        num_threads: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.unlabeled_X = unlabeled_X
        self.hidden = hidden
        self.mlp_layers = mlp_layers
        self.mlp_hidden = mlp_hidden
        self.dropout = dropout
        self.trade_off = trade_off
        self.up_sample_ratio = up_sample_ratio
        self.iterations = iterations
        self.steps = steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.grad_bound = grad_bound
        self.num_threads = num_threads
        self.random_state = random_state

    def _unlabeled(self, d: int) -> np.ndarray | None:
        if self.unlabeled_X is None:
            return None
        try:
            U = np.asarray(self.unlabeled_X, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise InvalidInputError(f"SemiNASPredictor: unlabeled_X is not numeric: {err}") from err
        if U.ndim != 2 or U.shape[1] != d:
            raise InvalidInputError(
                f"SemiNASPredictor: unlabeled_X must be (u, {d}) like X, got shape {U.shape}"
            )
        if not np.all(np.isfinite(U)):
            raise InvalidInputError("SemiNASPredictor: unlabeled_X has NaN or infinite values")
        return U if len(U) else None

    def _train(self, net: _EPD, x: torch.Tensor, z: torch.Tensor, opt) -> None:
        n = len(x)
        batch = max(1, min(int(self.batch_size), n))
        net.train()
        order = torch.randperm(n)
        cursor = 0
        for _ in range(int(self.steps)):
            if cursor + batch > n:
                order, cursor = torch.randperm(n), 0
            idx = order[cursor : cursor + batch]
            cursor += batch
            pred, recon = net(x[idx])
            loss = self.trade_off * nn.functional.mse_loss(pred, z[idx]) + (
                1.0 - self.trade_off
            ) * nn.functional.mse_loss(recon, x[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), self.grad_bound)
            opt.step()
        net.eval()

    def fit(self, X, y) -> SemiNASPredictor:
        X, y = self._validate_fit(X, y)
        U = self._unlabeled(X.shape[1])
        z, self.y_mean_, self.y_scale_ = standardize_target(y)
        pool = X if U is None else np.vstack([X, U])
        self.x_mean_ = pool.mean(axis=0)
        scale = pool.std(axis=0)
        self.x_scale_ = np.where(scale > 1e-12, scale, 1.0)
        with torch_session(seed_from(self.random_state), self.num_threads):
            net = _EPD(X.shape[1], self.hidden, self.mlp_layers, self.mlp_hidden, self.dropout)
            opt = torch.optim.Adam(
                net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
            )
            xt, zt = as_tensor(self._scale(X)), as_tensor(z)
            self._train(net, xt, zt, opt)  # pre-training on the labelled architectures
            if U is not None:
                ut = as_tensor(self._scale(U))
                ratio = max(1, int(self.up_sample_ratio))
                for _ in range(int(self.iterations)):
                    with torch.no_grad():
                        pseudo = net(ut)[0]
                    self._train(
                        net,
                        torch.cat([xt.repeat(ratio, 1), ut]),
                        torch.cat([zt.repeat(ratio), pseudo]),
                        opt,
                    )
        self.model_ = net
        return self

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return (X - self.x_mean_) / self.x_scale_

    def predict(self, X) -> np.ndarray:
        X = self._validate_predict(X)
        with torch_threads(self.num_threads), torch.inference_mode():
            out = self.model_(as_tensor(self._scale(X)))[0].double().numpy()
        return out * self.y_scale_ + self.y_mean_
