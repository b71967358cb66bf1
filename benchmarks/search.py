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

from omni.data import load_benchmark
from omni.nas import DEFAULT_GROUPS, TabularOracle, run_many
from omni.nas.report import (
    CHECKPOINTS,
    paired_regret,
    regret_matrix,
    regret_table,
    write_search_results,
)
from omni.reporting import format_table

STRATEGIES = ("random", "evolution", "omni-evolution", "omni-bo")
GUIDED = ("omni-evolution", "omni-bo")
BASELINES = ("random", "evolution")


def paired_comparisons(runs, optimum: float, at: int) -> list[dict]:
    """Guided minus baseline regret at ``at`` queries, paired by seed (negative = guided better)."""
    out = []
    for guided in GUIDED:
        for base in BASELINES:
            c = paired_regret(runs, optimum, at, guided, base)
            out.append(
                {
                    "guided": guided,
                    "baseline": base,
                    **{k: v for k, v in c.items() if k not in ("ours", "baseline")},
                    "guided_better": bool(c["ci95_high"] < 0),
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
    write_search_results(
        args.out,
        runs,
        optimum,
        summary,
        comparisons,
        meta,
        title=f"NB201 CIFAR-10: {args.seeds} seeds (band: 95% CI of the mean)",
        cost_label=f"cost ({oracle.cost_unit})",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
