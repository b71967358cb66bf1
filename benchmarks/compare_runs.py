"""Paired comparison of one predictor between two runs of ``omni_bench.py`` (e.g. two commits).

    python benchmarks/compare_runs.py OLD.json NEW.json [--predictor omni]
    git show HEAD~1:benchmarks/results/omni.json > /tmp/old.json   # a committed earlier run

Both runs use the protocol's seeded splits, so seed s has the same train and test
architectures in both: the per-seed difference of Kendall tau removes most of the split-to-split
spread that the two means carry. Prints, per (benchmark, budget, train size), both means and
the mean ± std of the paired difference over the seeds the two runs share.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from omni.reporting import format_table


def per_seed(path: str, predictor: str) -> dict[tuple, dict[int, float]]:
    """(benchmark, budget, train size) -> seed -> Kendall tau of ``predictor``."""
    out: dict[tuple, dict[int, float]] = defaultdict(dict)
    for r in json.loads(Path(path).read_text())["records"]:
        if r["predictor"] == predictor:
            out[(r["benchmark"], r["budget"], r["train_size"])][r["seed"]] = r["kendall_tau"]
    return out


def compare(old: str, new: str, predictor: str = "omni") -> list[dict]:
    a, b = per_seed(old, predictor), per_seed(new, predictor)
    rows = []
    for cell in sorted(a.keys() & b.keys()):
        seeds = sorted(a[cell].keys() & b[cell].keys())
        diff = np.array([b[cell][s] - a[cell][s] for s in seeds])
        rows.append(
            {
                "benchmark": cell[0],
                "budget": cell[1],
                "train_size": cell[2],
                "old": float(np.mean([a[cell][s] for s in seeds])),
                "new": float(np.mean([b[cell][s] for s in seeds])),
                "diff_mean": float(diff.mean()),
                "diff_std": float(diff.std()),
                "seeds": len(seeds),
            }
        )
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--predictor", default="omni")
    args = p.parse_args(argv)
    try:
        rows = compare(args.old, args.new, args.predictor)
    except (OSError, KeyError, ValueError) as err:
        p.error(f"cannot read a run: {err!r}")
    if not rows:
        print(f"no (benchmark, budget, train size) has {args.predictor!r} in both runs")
        return 1
    print(format_table(rows, list(rows[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
