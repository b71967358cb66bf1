"""Predictor-guided NAS on NB201 CIFAR-10: random search, regularized evolution, OMNI-guided
evolution and OMNI-guided Bayesian optimisation, each over many seeds.

    python benchmarks/search.py [--data-dir ../shared/data] [--queries 150] [--seeds 20]

Writes benchmarks/results/search.json ({"optimum", "runs": [{"strategy", "seed",
"best_so_far", "cost_seconds"}], "summary", "comparisons", "meta"}) and search.png. Regret is
the best accuracy in the table minus the best found, in percentage points. ``comparisons``
pairs each OMNI strategy with each baseline seed by seed (seeds share their random start) at
100 queries: mean difference and its 95% confidence interval.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import RESULTS, default_data_dir
from scipy import stats

from omni.data import load_benchmark
from omni.nas import DEFAULT_GROUPS, TabularOracle, run_many
from omni.nas.report import CHECKPOINTS, plot_regret, regret_matrix, regret_table
from omni.reporting import format_table, write_json

STRATEGIES = ("random", "evolution", "omni-evolution", "omni-bo")
GUIDED = ("omni-evolution", "omni-bo")
BASELINES = ("random", "evolution")


def paired_comparisons(runs, optimum: float, at: int) -> list[dict]:
    """Guided minus baseline regret at ``at`` queries, paired by seed (negative = guided better)."""
    out = []
    by = {(r.strategy, r.seed): r for r in runs}
    seeds = sorted({r.seed for r in runs})
    for guided in GUIDED:
        for base in BASELINES:
            pairs = [
                (by[(guided, s)], by[(base, s)])
                for s in seeds
                if (guided, s) in by and (base, s) in by
            ]
            diff = np.array([optimum - b.best_so_far[at - 1] for b, _ in pairs]) - np.array(
                [optimum - b.best_so_far[at - 1] for _, b in pairs]
            )
            half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
            out.append(
                {
                    "guided": guided,
                    "baseline": base,
                    "queries": at,
                    "mean_difference": float(diff.mean()),
                    "ci95_low": float(diff.mean() - half),
                    "ci95_high": float(diff.mean() + half),
                    "guided_better": bool(diff.mean() + half < 0),
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--queries", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--predictor", default="omni")
    parser.add_argument("--out", default=str(RESULTS / "search.json"))
    args = parser.parse_args(argv)
    bench = load_benchmark(args.data_dir)
    oracle = TabularOracle(bench)
    names = args.strategies.split(",")
    start = time.perf_counter()
    runs = run_many(
        bench,
        names,
        args.queries,
        range(args.seeds),
        progress=True,
        groups=DEFAULT_GROUPS,
        predictor=args.predictor,
    )
    seconds = time.perf_counter() - start
    optimum = oracle.optimum
    checkpoints = [q for q in CHECKPOINTS if q <= args.queries]
    summary = regret_table(runs, optimum, checkpoints)
    at = min(100, args.queries)
    comparisons = (
        paired_comparisons(runs, optimum, at) if set(GUIDED + BASELINES) <= set(names) else []
    )
    regret = {n: regret_matrix([r for r in runs if r.strategy == n], optimum) for n in names}
    near = {n: float(np.mean(regret[n][:, at - 1])) for n in GUIDED if n in regret}
    print(f"mean regret (pp) over {args.seeds} seeds; optimum {optimum:.2f}; {seconds:.0f} s")
    print(format_table(summary, ["strategy", "queries", "mean", "std", "mean_cost_seconds"]))
    if comparisons:
        print(
            format_table(
                comparisons,
                [
                    "guided",
                    "baseline",
                    "queries",
                    "mean_difference",
                    "ci95_low",
                    "ci95_high",
                    "guided_better",
                ],
            )
        )
    accepted = bool(
        comparisons
        and all(c["guided_better"] for c in comparisons)
        and all(v <= 0.3 for v in near.values())
    )
    print(f"acceptance (guided beat both baselines at {at}, mean regret <= 0.3 pp): {accepted}")
    meta = {
        "data_dir": args.data_dir,
        "queries": args.queries,
        "seeds": args.seeds,
        "features": list(DEFAULT_GROUPS),
        "predictor": args.predictor,
        "cost_unit": oracle.cost_unit,
        "seconds": seconds,
        "accepted": accepted,
    }
    write_json(
        args.out,
        {
            "optimum": optimum,
            "runs": [{k: v for k, v in r.to_dict().items() if k != "archs"} for r in runs],
            "summary": summary,
            "comparisons": comparisons,
            "meta": meta,
        },
    )
    plot_regret(
        runs,
        optimum,
        args.out.replace(".json", ".png"),
        title=f"NB201 CIFAR-10: {args.seeds} seeds (band: 95% CI of the mean)",
        cost_label=f"cost ({oracle.cost_unit})",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
