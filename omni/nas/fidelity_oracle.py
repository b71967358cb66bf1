"""A multi-fidelity oracle: a benchmark's recorded learning curves, revealed epoch by epoch.

Each architecture's run is resumable: training it to ``e`` epochs reveals the first ``e``
values of every recorded curve and charges only the epochs beyond those it was trained to
before (continuing a run from epoch 4 to 12 costs 8 epochs; asking for fewer epochs than
already trained costs nothing). Costs are kept in epochs and in seconds: the benchmark's
``epoch_seconds`` of the newly trained epochs, else its ``train_seconds`` prorated per epoch,
else ``train_seconds`` given to the oracle prorated likewise, else one unit per epoch.
Look-ups (pruned form, isomorphs, restriction to a sliver of a space) are
:class:`~omni.nas.TabularOracle`'s.
"""

from __future__ import annotations

import numpy as np

from features.errors import OmniError
from features.learning_curve import orientation
from omni.data.benchmark import Benchmark
from omni.nas.oracle import ArchLookup, TabularOracle
from omni.spaces.base import Arch


class MultiFidelityOracle(ArchLookup):
    """Per-epoch curves of ``bench`` with a ledger of epochs and seconds trained.

    ``metric``: the curve that ranks runs (higher = better, e.g. ``val_acc``); its last epoch
    is what a fully trained run scores (on the built-in benchmark it equals ``bench.target``).
    ``train_seconds`` and ``restrict`` are :class:`~omni.nas.TabularOracle`'s.
    """

    def __init__(
        self,
        bench: Benchmark,
        metric: str = "val_acc",
        train_seconds: float | None = None,
        restrict: bool | None = None,
    ) -> None:
        if not bench.curves:
            raise OmniError(
                "the benchmark has no learning curves: multi-fidelity search (hyperband, "
                "omni-hyperband) needs per-epoch curves such as bench.curves['val_acc']; "
                "use a benchmark built with `omni build-bench` or the built-in nb201-digits"
            )
        if metric not in bench.curves:
            raise OmniError(
                f"the benchmark has no {metric!r} curve to rank runs by; it has "
                f"{sorted(bench.curves)}"
            )
        if orientation(metric) < 0:
            raise OmniError(
                f"runs are ranked by a higher-is-better curve; {metric!r} is a loss or error: "
                "pick an accuracy curve"
            )
        self.bench = bench
        self.metric = metric
        self.tabular = TabularOracle(bench, train_seconds=train_seconds, restrict=restrict)
        self.space = self.tabular.space
        self.max_epochs = int(bench.curves[metric].shape[1])
        self._finite = np.isfinite(bench.curves[metric]).all(axis=1)
        self._epoch_seconds = self._per_epoch_seconds(train_seconds)
        self.reset()

    def _per_epoch_seconds(self, assumed: float | None) -> np.ndarray:
        """(n, max_epochs) seconds of each epoch, by the rule of the module docstring."""
        n, epochs = len(self.bench), self.max_epochs
        out = np.full((n, epochs), np.nan)
        if self.bench.epoch_seconds is not None and self.bench.epoch_seconds.shape[1] >= epochs:
            out[:] = self.bench.epoch_seconds[:, :epochs]
        prorated = np.asarray(self.bench.train_seconds, dtype=float) / epochs
        out = np.where(np.isfinite(out), out, prorated[:, None])
        fallback = 1.0 if assumed is None else float(assumed) / epochs
        return np.where(np.isfinite(out), out, fallback)

    def reset(self) -> None:
        """Forget every run and zero the ledger."""
        self.cost_epochs = 0
        self.cost_seconds = 0.0
        self.num_jobs = 0
        self._trained: dict[int, int] = {}

    # ------------------------------------------------------------------ look-ups
    def row(self, arch: Arch | str) -> int | None:
        """The table row answering for ``arch`` (None: not in the table, invalid, or its curve
        has gaps)."""
        row = self.tabular.row(arch)
        return row if row is not None and self._finite[row] else None

    @property
    def optimum(self) -> float:
        """The best full-fidelity score in the table (the regret reference)."""
        rows = [r for r in self.tabular.rows if self._finite[r]]
        return float(np.max(self.bench.curves[self.metric][rows, -1]))

    def epochs_trained(self, arch: Arch | str) -> int:
        """Epochs ``arch``'s run has been trained so far (0: never started)."""
        return self._trained.get(self._row(arch), 0)

    def cost_of(self, arch: Arch | str, epochs: int) -> int:
        """Epochs training ``arch`` to ``epochs`` would charge now."""
        return max(0, int(epochs) - self.epochs_trained(arch))

    # ------------------------------------------------------------------ charged training
    def train(self, arch: Arch | str, epochs: int) -> dict[str, np.ndarray]:
        """Train ``arch``'s run up to ``epochs`` epochs: the first ``epochs`` values of every
        recorded curve (metric -> array); charges the epochs not trained before."""
        row = self._row(arch)
        if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer):
            raise OmniError(f"epochs must be an integer, got {epochs!r}")
        if not 1 <= epochs <= self.max_epochs:
            raise OmniError(f"epochs must be in 1..{self.max_epochs}, got {epochs}")
        before = self._trained.get(row, 0)
        if epochs > before:
            self.cost_epochs += int(epochs) - before
            self.cost_seconds += float(self._epoch_seconds[row, before:epochs].sum())
            self._trained[row] = int(epochs)
        self.num_jobs += 1
        return {
            name: np.array(curve[row, :epochs], dtype=float)
            for name, curve in self.bench.curves.items()
            if np.isfinite(curve[row, :epochs]).all()
        }

    def final(self, arch: Arch | str) -> float:
        """The recorded full-fidelity score of ``arch`` (not charged: for reporting)."""
        return float(self.bench.curves[self.metric][self._row(arch), -1])

    def _row(self, arch: Arch | str) -> int:
        row = self.row(arch)
        if row is None:
            raise OmniError(
                f"{arch!r} is not in the benchmark (or its {self.metric} curve has gaps); "
                "filter candidates with oracle.contains"
            )
        return row
