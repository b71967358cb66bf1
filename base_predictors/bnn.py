"""A hybrid Bayesian neural network: the architecture's encoding and its partial learning curve
in, a predictive distribution of the final accuracy out -- the study's second hybrid predictor
(Klein et al., "Learning Curve Prediction with Bayesian Neural Networks", ICLR 2017).

The posterior is approximated by a deep ensemble (Lakshminarayanan et al., NeurIPS 2017), not
by Klein et al.'s stochastic-gradient HMC: every member is a small MLP with a Gaussian output
(a mean and a variance, trained on the Gaussian negative log-likelihood), members differ in
their initial weights and minibatch order, and the prediction is their equal-weight mixture.
Why: SGHMC needs a burn-in, a step size and a chain length tuned per problem and a thousand
posterior samples to predict; an ensemble of five trains in about a second on a CPU, has no
sampler to tune, and its intervals were at least as well calibrated in Ovadia et al.'s
comparison (NeurIPS 2019). The mixture variance adds the members' own (aleatoric) variances
and their disagreement (epistemic), so intervals widen away from the training data.

Inputs are standardised with the training set's statistics, targets too. The variance head is
a softplus with a floor of ``min_std`` (in standardised units), which keeps the likelihood
bounded when a member fits a point exactly (at n = 20 every member can).

Recalibration: small ensembles fitted on tens of points are overconfident (on nb201-digits at
n = 20 / 100 the raw 68 % intervals covered under half of the test cells). With
``calibration_folds`` k >= 2, ``fit`` also fits the ensemble on k cross-validation folds of the
training set and scales the predictive standard deviation so that the median absolute
out-of-fold standardised residual is the standard normal's (0.6745), in the spirit of Kuleshov
et al. (ICML 2018); only training architectures are used, and it costs k more fits. The median,
not the mean square: accuracy residuals are heavy-tailed, and with 20 architectures one outlier
set the mean-square scale (its 68 % intervals then covered 91 % of the test cells).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from base_predictors._torch import EnsembleMLP, as_tensor, torch_session, torch_threads
from base_predictors.base import (
    BasePredictor,
    CostProfile,
    InvalidParameterError,
    seed_from,
    standardize_target,
)

#: median of |Z| for a standard normal Z
MEDIAN_ABS_NORMAL = 0.6744897501960817


class _GaussianEnsemble(EnsembleMLP):
    """``members`` MLPs at once; each returns a mean and a standard deviation per input."""

    def __init__(self, members: int, d_in: int, num_layers: int, width: int, min_std: float):
        super().__init__(members, d_in, num_layers, width, 2)
        self.min_std = min_std

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = super().forward(x)
        std = nn.functional.softplus(out[..., 1]) + self.min_std
        return out[..., 0], std


class HybridBNNPredictor(BasePredictor):
    """Deep ensemble of Gaussian MLPs over encoding + partial-curve features.

    ``predict`` is the mixture mean; ``predict_dist`` the mixture mean and standard deviation.
    """

    family = "hybrid"
    cost = CostProfile(needs_training=True, fit_complexity="O(n)", feature_cost="epochs")

    def __init__(
        self,
        num_members: int = 5,
        num_layers: int = 2,
        layer_width: int = 32,
        epochs: int = 100,
        batch_size: int = 32,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-3,
        min_std: float = 0.05,
        calibration_folds: int = 3,
        num_threads: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.num_members = num_members
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.min_std = min_std
        self.calibration_folds = calibration_folds
        self.num_threads = num_threads
        self.random_state = random_state

    def _check_params(self) -> None:
        for name in ("num_members", "num_layers", "layer_width", "epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise InvalidParameterError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.min_std > 0:
            raise InvalidParameterError(f"min_std must be > 0, got {self.min_std}")
        if int(self.calibration_folds) < 0 or int(self.calibration_folds) == 1:
            raise InvalidParameterError(
                f"calibration_folds must be 0 (off) or at least 2, got {self.calibration_folds}"
            )

    def fit(self, X, y) -> HybridBNNPredictor:
        X, y = self._validate_fit(X, y)
        self._check_params()
        seed = seed_from(self.random_state)
        self.std_scale_ = self._calibration_scale(X, y, seed)
        self.x_mean_, self.x_scale_, self.y_mean_, self.y_scale_, self.weights_ = (
            self._fit_ensemble(X, y, seed)
        )
        return self

    def _fit_ensemble(self, X: np.ndarray, y: np.ndarray, seed: int):
        """Scalers and a trained ensemble for (X, y)."""
        x_mean = X.mean(axis=0)
        x_scale = X.std(axis=0)
        x_scale = np.where(x_scale > 1e-12, x_scale, 1.0)
        z, y_mean, y_scale = standardize_target(y)
        n, members = len(X), int(self.num_members)
        batch = max(1, min(int(self.batch_size), n))
        with torch_session(seed, self.num_threads):
            net = _GaussianEnsemble(
                members, X.shape[1], int(self.num_layers), int(self.layer_width), self.min_std
            )
            opt = torch.optim.AdamW(
                net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
            )
            xt, zt = as_tensor((X - x_mean) / x_scale), as_tensor(z)
            net.train()
            for _ in range(int(self.epochs)):
                order = torch.argsort(torch.rand(members, n), dim=1)
                for start in range(0, n, batch):
                    idx = order[:, start : start + batch]
                    mean, std = net(xt[idx])
                    nll = torch.log(std) + 0.5 * ((zt[idx] - mean) / std) ** 2
                    loss = nll.mean(dim=1).sum()  # each member its own gradient
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        weights = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
        return x_mean, x_scale, y_mean, y_scale, weights

    def _network(self, weights: dict[str, np.ndarray]) -> _GaussianEnsemble:
        """The trained ensemble rebuilt from its weights (kept as arrays, so a model file
        holds data only)."""
        members, d_in, _ = weights["hidden.0.weight"].shape
        net = _GaussianEnsemble(
            members, d_in, int(self.num_layers), int(self.layer_width), self.min_std
        )
        net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
        return net.eval()

    def _calibration_scale(self, X: np.ndarray, y: np.ndarray, seed: int) -> float:
        """The factor on the predictive std that calibrates out-of-fold residuals (1: off)."""
        folds = min(int(self.calibration_folds), len(X) // 2)
        if folds < 2:
            return 1.0
        z2 = np.empty(len(X))
        rng = np.random.default_rng(seed)
        assignment = rng.permutation(np.arange(len(X)) % folds)
        for k in range(folds):
            held = assignment == k
            fitted = self._fit_ensemble(X[~held], y[~held], seed + k + 1)
            mean, std = self._mixture(X[held], *fitted)
            z2[held] = ((y[held] - mean) / np.maximum(std, 1e-12)) ** 2
        return float(np.median(np.sqrt(z2)) / MEDIAN_ABS_NORMAL)

    def _mixture(
        self, X, x_mean, x_scale, y_mean, y_scale, weights
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std of the members' equal-weight Gaussian mixture, on the target scale."""
        with torch_threads(self.num_threads), torch.inference_mode():
            xt = (
                as_tensor((X - x_mean) / x_scale).unsqueeze(0).expand(int(self.num_members), -1, -1)
            )
            mean, std = self._network(weights)(xt)
        mean, std = mean.double().numpy(), std.double().numpy()
        mix_mean = mean.mean(axis=0)
        mix_var = (std**2 + mean**2).mean(axis=0) - mix_mean**2
        return mix_mean * y_scale + y_mean, np.sqrt(np.maximum(mix_var, 0.0)) * y_scale

    def predict(self, X) -> np.ndarray:
        return self.predict_dist(X)[0]

    def predict_dist(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Mean and (recalibrated) standard deviation of the members' Gaussian mixture."""
        X = self._validate_predict(X)
        fitted = (self.x_mean_, self.x_scale_, self.y_mean_, self.y_scale_, self.weights_)
        mean, std = self._mixture(X, *fitted)
        return mean, std * self.std_scale_
