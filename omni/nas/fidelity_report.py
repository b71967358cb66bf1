"""Regret against epochs spent: summaries and plots of :class:`FidelityRun` trajectories
(multi-fidelity and full-training searches on one axis)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from omni.nas.simulate_fidelity import FidelityRun
from omni.reporting import save_figure

#: budget fractions the tables report
FRACTIONS = (0.25, 0.5, 1.0)


def regret_at_epochs(run: FidelityRun, optimum: float, grid: np.ndarray) -> np.ndarray:
    """Regret of ``run``'s incumbent once it had spent each number of epochs of ``grid``: the
    incumbent after the last job that ended within that many epochs (NaN before the first
    full training; past the run's end, its final incumbent)."""
    grid = np.asarray(grid, dtype=float)
    if not run.cost_epochs:
        return np.full(grid.shape, np.nan)
    cost = np.asarray(run.cost_epochs, dtype=float)
    best = np.asarray(run.best_so_far, dtype=float)
    idx = np.searchsorted(cost, grid, side="right") - 1
    return np.where(idx >= 0, optimum - best[np.clip(idx, 0, None)], np.nan)


def regret_table(
    runs: Sequence[FidelityRun],
    optimum: float,
    budget_epochs: float,
    fractions: Sequence[float] = FRACTIONS,
) -> list[dict]:
    """Per strategy and budget fraction: mean, std and standard error of the regret over
    seeds (``missing``: seeds with no full training yet at that point, left out)."""
    rows = []
    for name in dict.fromkeys(r.strategy for r in runs):
        mine = [r for r in runs if r.strategy == name]
        for fraction in fractions:
            epochs = fraction * budget_epochs
            col = np.array([regret_at_epochs(r, optimum, [epochs])[0] for r in mine])
            ok = col[np.isfinite(col)]
            n = len(ok)
            std = float(ok.std(ddof=1)) if n > 1 else 0.0
            rows.append(
                {
                    "strategy": name,
                    "fraction": float(fraction),
                    "epochs": float(epochs),
                    "mean": float(ok.mean()) if n else float("nan"),
                    "std": std,
                    "sem": std / np.sqrt(n) if n else float("nan"),
                    "seeds": n,
                    "missing": int(len(col) - n),
                    "mean_full_trainings": float(np.mean([r.full_trainings for r in mine])),
                }
            )
    return rows


def plot_regret_vs_epochs(
    runs: Sequence[FidelityRun], optimum: float, path: str | Path, title: str = ""
) -> Path:
    """Mean regret with a band of one standard error, against epochs spent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    top = max(max(r.cost_epochs) for r in runs if r.cost_epochs)
    grid = np.linspace(1, top, 400)
    for name in dict.fromkeys(r.strategy for r in runs):
        regret = np.stack([regret_at_epochs(r, optimum, grid) for r in runs if r.strategy == name])
        ok = np.isfinite(regret).all(axis=0)  # where every seed has an incumbent
        if not ok.any():
            continue
        mean = regret[:, ok].mean(axis=0)
        sem = regret[:, ok].std(axis=0, ddof=1) / np.sqrt(len(regret)) if len(regret) > 1 else 0
        (line,) = ax.plot(grid[ok], mean, label=name)
        ax.fill_between(grid[ok], mean - sem, mean + sem, alpha=0.2, color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("epochs trained (all runs, resumed runs charged only new epochs)")
    ax.set_ylabel("regret of the best fully trained (pp)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title(title)
    return save_figure(fig, path)
