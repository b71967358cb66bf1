"""Regret summaries and plots of simulated searches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from omni.nas.simulate import SearchRun
from omni.reporting import save_figure, write_json

CHECKPOINTS = (25, 50, 100, 150)


def regret_matrix(runs: Sequence[SearchRun], optimum: float) -> np.ndarray:
    """(runs, queries) regret = optimum - best so far (NaN past a run's last query)."""
    width = max(len(r.best_so_far) for r in runs)
    out = np.full((len(runs), width), np.nan)
    for i, r in enumerate(runs):
        out[i, : len(r.best_so_far)] = optimum - np.asarray(r.best_so_far)
    return out


def regret_table(
    runs: Sequence[SearchRun], optimum: float, checkpoints: Sequence[int] = CHECKPOINTS
) -> list[dict]:
    """Per strategy and checkpoint (number of queries): mean and std of the regret over seeds."""
    rows = []
    for name in dict.fromkeys(r.strategy for r in runs):
        mine = [r for r in runs if r.strategy == name]
        regret = regret_matrix(mine, optimum)
        for q in checkpoints:
            if q > regret.shape[1]:
                continue
            col = regret[:, q - 1]
            col = col[np.isfinite(col)]
            rows.append(
                {
                    "strategy": name,
                    "queries": q,
                    "mean": float(col.mean()),
                    "std": float(col.std(ddof=1)) if len(col) > 1 else 0.0,
                    "seeds": len(col),
                    "mean_cost_seconds": float(
                        np.mean([r.cost_seconds[q - 1] for r in mine if len(r.cost_seconds) >= q])
                    ),
                }
            )
    return rows


def _band(regret: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of a 95% normal confidence interval of the mean, per column."""
    ok = np.isfinite(regret)
    n = ok.sum(axis=0)
    filled = np.where(ok, regret, 0.0)
    mean = filled.sum(axis=0) / np.maximum(n, 1)
    var = np.where(ok, (regret - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n - 1, 1)
    half = 1.96 * np.sqrt(var) / np.sqrt(np.maximum(n, 1))
    return np.where(n > 0, mean, np.nan), np.where(n > 1, half, 0.0)


def regret_at_cost(run: SearchRun, optimum: float, grid: np.ndarray) -> np.ndarray:
    """Regret of ``run`` when it had spent each cost of ``grid`` (NaN before its first query)."""
    cost = np.asarray(run.cost_seconds)
    idx = np.searchsorted(cost, grid, side="right") - 1
    regret = optimum - np.asarray(run.best_so_far)
    out = np.where(idx >= 0, regret[np.clip(idx, 0, None)], np.nan)
    return np.where(grid <= cost[-1], out, np.nan)


def plot_regret(
    runs: Sequence[SearchRun],
    optimum: float,
    path: str | Path,
    title: str = "",
    cost_label: str = "cost (seconds)",
) -> Path:
    """Mean regret with a 95% band against queries (left) and against cost (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_q, ax_c) = plt.subplots(1, 2, figsize=(12, 4.5))
    costs = np.concatenate([np.asarray(r.cost_seconds) for r in runs])
    lo = max(float(costs[costs > 0].min()), 1e-3)
    grid = np.geomspace(lo, float(costs.max()), 300)
    for name in dict.fromkeys(r.strategy for r in runs):
        mine = [r for r in runs if r.strategy == name]
        mean, half = _band(regret_matrix(mine, optimum))
        x = np.arange(1, len(mean) + 1)
        (line,) = ax_q.plot(x, mean, label=name)
        ax_q.fill_between(x, mean - half, mean + half, alpha=0.2, color=line.get_color())
        at_cost = np.stack([regret_at_cost(r, optimum, grid) for r in mine])
        ok = np.all(np.isfinite(at_cost), axis=0)  # only where every run has data: no survivors
        cmean, chalf = _band(at_cost[:, ok])
        ax_c.plot(grid[ok], cmean, label=name, color=line.get_color())
        ax_c.fill_between(grid[ok], cmean - chalf, cmean + chalf, alpha=0.2, color=line.get_color())
    for ax in (ax_q, ax_c):
        ax.set_yscale("symlog", linthresh=0.1)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("regret (best achievable - best found)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    ax_q.set_xlabel("queries (architectures trained)")
    ax_c.set_xscale("log")
    ax_c.set_xlabel(cost_label)
    fig.suptitle(title)
    return save_figure(fig, path)


def paired_regret(
    runs: Sequence[SearchRun], optimum: float, at: int, ours: str, baseline: str
) -> dict:
    """``ours`` minus ``baseline`` regret after ``at`` queries, paired by seed (negative:
    ours better): mean and 95% t confidence interval over the seeds both have."""
    regret = {(r.strategy, r.seed): optimum - r.best_so_far[at - 1] for r in runs}
    return {"queries": at, **paired_difference(regret, ours, baseline)}


def paired_difference(regret: dict[tuple[str, int], float], ours: str, baseline: str) -> dict:
    """``ours`` minus ``baseline`` of ``regret[(strategy, seed)]`` over the seeds both have
    (negative: ours better): mean, 95% t confidence interval, wins, ties and seeds."""
    from scipy import stats

    seeds = sorted(s for (name, s) in regret if name == ours and (baseline, s) in regret)
    diff = np.array([regret[(ours, s)] - regret[(baseline, s)] for s in seeds])
    n = len(diff)
    half = stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
    return {
        "ours": ours,
        "baseline": baseline,
        "mean_difference": float(diff.mean()) if n else float("nan"),
        "ci95_low": float(diff.mean() - half) if n else float("nan"),
        "ci95_high": float(diff.mean() + half) if n else float("nan"),
        "ours_lower_on_seeds": int((diff < 0).sum()),
        "ties": int((diff == 0).sum()),
        "seeds": n,
    }


def write_search_results(
    path: str | Path,
    runs: Sequence[SearchRun],
    optimum: float,
    summary: list[dict],
    comparisons: list[dict],
    meta: dict,
    title: str,
    cost_label: str,
) -> Path:
    """The JSON of a search benchmark (runs without their archs, summary, comparisons, meta)
    and its regret plot beside it (``.png``)."""
    write_json(
        path,
        {
            "optimum": optimum,
            "runs": [{k: v for k, v in r.to_dict().items() if k != "archs"} for r in runs],
            "summary": summary,
            "comparisons": comparisons,
            "meta": meta,
        },
    )
    plot_regret(runs, optimum, str(path).replace(".json", ".png"), title, cost_label)
    return Path(path)
