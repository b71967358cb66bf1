"""Gaussian process regression over architecture encodings, hyper-parameters by marginal
likelihood (Rasmussen & Williams 2006, ch. 2 and 5).

The study's GP (NASLib, after BANANAS' baseline) works on the one-hot adjacency encoding. Here
the default kernel is an exponential kernel of the normalised L1 distance, which on 0/1
encodings is the Hamming distance: ``k(x, x') = s2 * exp(-hamming(x, x') / (d * l))``, a kernel
suited to binary encodings and positive definite on real inputs too (a product of 1-d Laplace
kernels). ``kernel="rbf"`` uses a squared-exponential kernel on standardised inputs instead.
Length scale ``l``, signal variance ``s2`` and noise variance maximise the exact log marginal
likelihood: for each length scale (a coarse grid, then a bounded Brent search) one
eigendecomposition of the correlation matrix makes the likelihood of every (signal, noise) pair
O(n), optimised by L-BFGS-B with analytic gradients. Above ``max_opt_points`` training points the
hyper-parameters are fitted on a random subset of that size and the posterior uses every point,
so n = 1000 fits in about a second on one BLAS thread (``num_threads``).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve, cholesky, eigh, solve_triangular
from scipy.optimize import minimize, minimize_scalar
from scipy.spatial.distance import cdist
from threadpoolctl import threadpool_limits

from base_predictors.base import (
    BasePredictor,
    CostProfile,
    InvalidParameterError,
    seed_from,
    standardize_target,
)

KERNELS = ("hamming", "rbf")
#: length-scale range relative to the median non-zero distance of the training points: shorter
#: scales make every test point uncorrelated with every training point (a constant prediction)
_LENGTH_RANGE = (1.0 / 20.0, 100.0)
_LOG_BOUNDS = (
    (np.log(1e-3), np.log(1e2)),  # signal variance (targets are standardised)
    (np.log(1e-6), np.log(1e1)),  # noise variance
)
_JITTER = 1e-8


def _stable_cholesky(K: np.ndarray) -> np.ndarray:
    jitter = _JITTER
    for _ in range(6):
        try:
            return cholesky(K + jitter * np.eye(len(K)), lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            jitter *= 100.0
    raise np.linalg.LinAlgError("kernel matrix is not positive definite")


class GPPredictor(BasePredictor):
    """Exact GP regressor; ``predict_dist`` gives the predictive mean and std (noise included)."""

    family = "model-based"
    cost = CostProfile(needs_training=True, fit_complexity="O(n^3)", feature_cost="inputs")

    def __init__(
        self,
        kernel: str = "hamming",
        n_grid: int = 7,
        max_opt_points: int = 300,
        num_threads: int = 1,
        random_state: int | None = None,
    ) -> None:
        self.kernel = kernel
        self.n_grid = n_grid
        self.max_opt_points = max_opt_points
        self.num_threads = num_threads
        self.random_state = random_state

    # -------------------------------------------------------------- geometry
    def _transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.x_offset_) / self.x_scale_

    def _distance(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        d = A.shape[1]
        if self.kernel == "hamming":
            return cdist(A, B, "cityblock") / d
        return cdist(A, B, "sqeuclidean") / d

    def _corr(self, D: np.ndarray, log_l: float) -> np.ndarray:
        ell = np.exp(log_l)
        if self.kernel == "hamming":
            return np.exp(-D / ell)
        return np.exp(-D / (2.0 * ell * ell))

    # -------------------------------------------------------------- likelihood
    @staticmethod
    def _profile(eigvals: np.ndarray, b2: np.ndarray) -> tuple[float, np.ndarray]:
        """Best negative log marginal likelihood over (signal, noise) for one length scale.

        With ``corr = Q diag(eigvals) Q^T`` and ``b2 = (Q^T z)^2`` the likelihood of
        ``K = s2 corr + n2 I`` costs O(n) per evaluation.
        """
        n = len(b2)

        def nlml(t: np.ndarray) -> tuple[float, np.ndarray]:
            s2, n2 = np.exp(t)
            lam = np.maximum(s2 * eigvals, 0.0) + n2
            value = 0.5 * np.sum(b2 / lam) + 0.5 * np.sum(np.log(lam))
            dlam = 0.5 / lam - 0.5 * b2 / lam**2  # d value / d lam
            grad = np.array([np.sum(dlam * s2 * np.maximum(eigvals, 0.0)), np.sum(dlam * n2)])
            return float(value), grad

        res = minimize(
            nlml,
            np.array([0.0, np.log(0.1)]),
            jac=True,
            method="L-BFGS-B",
            bounds=_LOG_BOUNDS,
        )
        return float(res.fun + 0.5 * n * np.log(2 * np.pi)), np.asarray(res.x)

    def _optimise(self, D: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Length scale by a coarse grid then bounded Brent search on the profile likelihood."""
        cache: dict[float, tuple[float, np.ndarray]] = {}

        def profile(log_l: float) -> float:
            key = float(log_l)
            if key not in cache:
                eigvals, Q = eigh(self._corr(D, key), check_finite=False)
                cache[key] = self._profile(eigvals, (Q.T @ z) ** 2)
            return cache[key][0]

        off = D[np.triu_indices(len(D), k=1)]
        off = off[off > 0]
        median = float(np.median(off)) if len(off) else 1.0
        if self.kernel == "rbf":  # D holds squared distances
            median = float(np.sqrt(median))
        lo, hi = np.log(median * _LENGTH_RANGE[0]), np.log(median * _LENGTH_RANGE[1])
        grid = np.linspace(lo, hi, self.n_grid)
        values = [profile(g) for g in grid]
        k = int(np.argmin(values))
        a, b = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
        minimize_scalar(profile, bounds=(a, b), method="bounded", options={"xatol": 0.05})
        best = min(cache, key=lambda key: cache[key][0])
        return np.array([best, *cache[best][1]])

    # -------------------------------------------------------------- API
    def fit(self, X, y) -> GPPredictor:
        with threadpool_limits(limits=max(1, int(self.num_threads))):
            return self._fit(X, y)

    def _fit(self, X, y) -> GPPredictor:
        if self.kernel not in KERNELS:
            raise InvalidParameterError(f"kernel must be one of {KERNELS}, got {self.kernel!r}")
        X, y = self._validate_fit(X, y)
        if self.kernel == "hamming":
            self.x_offset_ = X.min(axis=0)
            span = X.max(axis=0) - self.x_offset_
        else:
            self.x_offset_ = X.mean(axis=0)
            span = X.std(axis=0)
        self.x_scale_ = np.where(span > 1e-12, span, 1.0)
        Xt = self._transform(X)
        z, self.y_mean_, self.y_scale_ = standardize_target(y)
        rng = np.random.default_rng(seed_from(self.random_state))
        sub = (
            np.sort(rng.choice(len(X), self.max_opt_points, replace=False))
            if len(X) > self.max_opt_points
            else np.arange(len(X))
        )
        D_sub = self._distance(Xt[sub], Xt[sub])
        self.theta_ = self._optimise(D_sub, z[sub])
        log_l, log_s2, log_n2 = self.theta_
        K = np.exp(log_s2) * self._corr(self._distance(Xt, Xt), log_l)
        K[np.diag_indices_from(K)] += np.exp(log_n2)
        self.L_ = _stable_cholesky(K)
        self.alpha_ = cho_solve((self.L_, True), z, check_finite=False)
        self.X_train_ = Xt
        return self

    def predict(self, X) -> np.ndarray:
        return self.predict_dist(X)[0]

    def predict_dist(self, X, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and standard deviation of the (noisy) target."""
        X = self._transform(self._validate_predict(X))
        with threadpool_limits(limits=max(1, int(self.num_threads))):
            return self._predict_dist(X, chunk)

    def _predict_dist(self, X: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        log_l, log_s2, log_n2 = self.theta_
        s2, n2 = np.exp(log_s2), np.exp(log_n2)
        means, stds = [], []
        for start in range(0, len(X), chunk):
            Ks = s2 * self._corr(self._distance(X[start : start + chunk], self.X_train_), log_l)
            means.append(Ks @ self.alpha_)
            v = solve_triangular(self.L_, Ks.T, lower=True, check_finite=False)
            var = np.maximum(s2 + n2 - np.sum(v * v, axis=0), 1e-12)
            stds.append(np.sqrt(var))
        mean = np.concatenate(means) if means else np.zeros(0)
        std = np.concatenate(stds) if stds else np.zeros(0)
        return mean * self.y_scale_ + self.y_mean_, std * self.y_scale_
