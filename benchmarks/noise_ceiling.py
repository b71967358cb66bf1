"""How well can any predictor rank NAS-Bench-201 CIFAR-10 cells against its target?

The target, ``val_acc_200ep``, is ONE training run per cell, so even a predictor that knew every
cell's expected accuracy would not reach Kendall tau 1 against it. NB201 trained the copies of
an isomorphism class separately; their spread measures the run-to-run noise. Three estimates:

1. ``retest``: tau between two separately trained copies of the same cell, over random sets of
   ``--test-size`` classes with two or more copies (one random pair of copies per class).
2. ``ceiling``: the evaluation protocol's test sets (``--test-size`` cells drawn from the
   benchmark) with each cell's recorded accuracy standing in for its expected accuracy, plus
   Gaussian noise of the within-class standard deviation measured at that accuracy level (the
   copies' classes binned by mean accuracy). Tau between the stand-in and the noisy copy is what a
   perfect predictor would score. The stand-in already carries one run's noise, which spreads it
   more than the expected accuracies are spread, so this errs high: an upper estimate.
3. ``seed_mean``: tau between the target and the NB201 API's 3-seed mean accuracy at epoch 200
   (x-valid split) of the learning-curve cells that are benchmark rows. The single run is likely
   one of the three seeds, so this also errs high.

    python benchmarks/noise_ceiling.py [--data-dir PATH] [--draws 200]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from _common import RESULTS, default_data_dir
from scipy.stats import kendalltau

from omni.data import load_benchmark
from omni.reporting import write_json

BINS = 5


def read_copies(table) -> list[np.ndarray]:
    """Recorded accuracies of every canonical class with two or more trained copies."""
    by_class = defaultdict(list)
    with open(table, newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                value = float(row["val_acc_200ep"])
            except (KeyError, ValueError):
                continue
            if np.isfinite(value):
                by_class[row["canonical_id"]].append(value)
    return [np.array(v) for v in by_class.values() if len(v) >= 2]


def _level(edges: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """The accuracy bin of each value (values beyond the ends fall in the end bins)."""
    return np.clip(np.searchsorted(edges, accuracy, side="right") - 1, 0, BINS - 1)


def noise_by_level(copies: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges of class-mean accuracy and the within-class std in each bin (classes equally
    weighted, so the few classes of hundreds of copies do not dominate)."""
    means = np.array([c.mean() for c in copies])
    variances = np.array([c.var(ddof=1) for c in copies])
    edges = np.quantile(means, np.linspace(0, 1, BINS + 1))
    which = _level(edges, means)
    return edges, np.sqrt([variances[which == b].mean() for b in range(BINS)])


def summary(taus) -> dict:
    return {"kt_mean": float(np.mean(taus)), "kt_std": float(np.std(taus)), "draws": len(taus)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--test-size", type=int, default=200)
    p.add_argument("--draws", type=int, default=200)
    p.add_argument("--out", default=str(RESULTS / "noise_ceiling.json"))
    args = p.parse_args(argv)
    table = Path(args.data_dir) / "nb201" / "nb201_cifar10_table.csv"
    if not table.exists():
        print(f"no NB201 table at {table}; pass --data-dir", file=sys.stderr)
        return 2
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    copies = read_copies(table)
    edges, noise = noise_by_level(copies)

    retest = []
    for _ in range(args.draws):
        pick = rng.choice(len(copies), size=min(args.test_size, len(copies)), replace=False)
        pairs = np.array([rng.choice(copies[k], size=2, replace=False) for k in pick])
        retest.append(kendalltau(pairs[:, 0], pairs[:, 1])[0])

    bench = load_benchmark(args.data_dir)
    ceiling = []
    for _ in range(args.draws):
        y = bench.target[rng.choice(len(bench), size=args.test_size, replace=False)]
        ceiling.append(kendalltau(y, y + rng.normal(0.0, noise[_level(edges, y)]))[0])

    seed_mean = {}
    curves_file = table.parent / "nb201_cifar10_lc200.json"
    if curves_file.exists():
        curves = load_benchmark(curves_file)  # target: the 3-seed mean at the last epoch
        row_of = {int(b): i for i, b in enumerate(bench.extra["benchmark_id"])}
        pairs = np.array(
            [
                (bench.target[row_of[int(b)]], final)
                for b, final in zip(curves.extra["benchmark_id"], curves.target, strict=True)
                if np.isfinite(b) and int(b) in row_of and np.isfinite(final)
            ]
        )
        seed_mean = {"kt": float(kendalltau(pairs[:, 0], pairs[:, 1])[0]), "cells": len(pairs)}

    results = {
        "retest": {**summary(retest), "classes_with_copies": len(copies)},
        "ceiling": {
            **summary(ceiling),
            "bin_edges": edges.tolist(),
            "within_class_std": noise.tolist(),
        },
        "seed_mean": seed_mean,
    }
    for name, r in results.items():
        print(name, json.dumps({k: v for k, v in r.items() if not isinstance(v, list)}))
    write_json(
        args.out,
        {
            "meta": {
                "command": "python benchmarks/noise_ceiling.py " + " ".join(argv or sys.argv[1:]),
                "test_size": args.test_size,
                "seconds": time.perf_counter() - start,
            },
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
