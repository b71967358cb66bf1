"""How well can any predictor rank a benchmark's architectures against its target?

A target is ONE training run per architecture, so even a predictor that knew every
architecture's expected accuracy would not reach Kendall tau 1 against it. Where a benchmark
holds separately trained copies of one isomorphism class (NB201's table, NB101's file, whose
copies carry one of NB101's three seeds, and TransNAS-Bench-101 micro, for each task), their
spread measures the run-to-run noise. Three estimates:

1. ``retest``: tau between two separately trained copies of the same cell, over random sets of
   ``--test-size`` classes with two or more copies (one random pair of copies per class).
2. ``ceiling``: the evaluation protocol's test sets (``--test-size`` cells drawn from the
   benchmark) with each cell's recorded accuracy standing in for its expected accuracy, plus
   Gaussian noise of the within-class standard deviation measured at that accuracy level (the
   copies' classes binned by mean accuracy). Tau between the stand-in and the noisy copy is what a
   perfect predictor would score. The stand-in already carries one run's noise, which spreads it
   more than the expected accuracies are spread, so this errs high: an upper estimate.
3. ``seed_mean`` (NB201 only): tau between the target and the NB201 API's 3-seed mean accuracy
   at epoch 200 (x-valid split) of the learning-curve cells that are benchmark rows. The single
   run is likely one of the three seeds, so this also errs high.

Classes are found through each space's canonical form, as the evaluation's splits find them; a
benchmark with fewer than ``MIN_CLASSES`` classes with copies (DARTS has none, the NLP logs
four) is reported as too few.

    python benchmarks/noise_ceiling.py [--data-dir PATH] [--draws 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, SPACE_BENCHMARKS, default_data_dir
from nlp_lc import LOGS
from scipy.stats import kendalltau

from omni.data import load_benchmark
from omni.data.nb201_files import read_nb201_table
from omni.evaluation.splits import class_groups
from omni.reporting import write_json

BINS = 5
#: classes with copies below which the noise of a benchmark is not estimated
MIN_CLASSES = 20


def copies_of(bench) -> list[np.ndarray]:
    """Recorded targets of every isomorphism class with two or more copies."""
    return [bench.target[g] for g in class_groups(bench) if len(g) >= 2]


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


def estimate(copies: list[np.ndarray], targets: np.ndarray, test_size: int, draws: int, rng):
    """``retest`` and ``ceiling`` of one benchmark from its classes' copies."""
    edges, noise = noise_by_level(copies)
    retest = []
    for _ in range(draws):
        pick = rng.choice(len(copies), size=min(test_size, len(copies)), replace=False)
        pairs = np.array([rng.choice(copies[k], size=2, replace=False) for k in pick])
        retest.append(kendalltau(pairs[:, 0], pairs[:, 1])[0])
    targets = targets[np.isfinite(targets)]
    ceiling = []
    for _ in range(draws):
        y = targets[rng.choice(len(targets), size=min(test_size, len(targets)), replace=False)]
        ceiling.append(kendalltau(y, y + rng.normal(0.0, noise[_level(edges, y)]))[0])
    return {
        "retest": {**summary(retest), "classes_with_copies": len(copies)},
        "ceiling": {
            **summary(ceiling),
            "bin_edges": edges.tolist(),
            "within_class_std": noise.tolist(),
        },
    }


def seed_mean(bench, curves_file: Path) -> dict:
    """Tau between NB201's single-run target and its 3-seed mean at epoch 200."""
    curves = load_benchmark(curves_file)  # target: the 3-seed mean at the last epoch
    row_of = {int(b): i for i, b in enumerate(bench.extra["benchmark_id"])}
    pairs = np.array(
        [
            (bench.target[row_of[int(b)]], final)
            for b, final in zip(curves.extra["benchmark_id"], curves.target, strict=True)
            if np.isfinite(b) and int(b) in row_of and np.isfinite(final)
        ]
    )
    return {"kt": float(kendalltau(pairs[:, 0], pairs[:, 1])[0]), "cells": len(pairs)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--test-size", type=int, default=200)
    p.add_argument("--draws", type=int, default=200)
    p.add_argument("--out", default=str(RESULTS / "noise_ceiling.json"))
    args = p.parse_args(argv)
    data = Path(args.data_dir)
    table = data / "nb201" / "nb201_cifar10_table.csv"
    if not table.exists():
        print(f"no NB201 table at {table}; pass --data-dir", file=sys.stderr)
        return 2
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    bench = load_benchmark(args.data_dir)
    results = {
        "nb201-cifar10": estimate(
            copies_of(read_nb201_table(table)), bench.target, args.test_size, args.draws, rng
        )
    }
    curves_file = table.parent / "nb201_cifar10_lc200.json"
    if curves_file.exists():
        results["nb201-cifar10"]["seed_mean"] = seed_mean(bench, curves_file)
    others = {**SPACE_BENCHMARKS, "nlp": (LOGS, None)}
    for name, (file, dataset) in others.items():
        if not (data / file).exists():
            print(f"{name}: no {data / file}, skipped", file=sys.stderr)
            continue
        other = load_benchmark(data / file, dataset=dataset)
        copies = copies_of(other)
        if len(copies) < MIN_CLASSES:
            results[name] = {"classes_with_copies": len(copies), "too_few": True}
        else:
            results[name] = estimate(copies, other.target, args.test_size, args.draws, rng)
    for name, r in results.items():
        brief = {k: v["kt_mean"] for k, v in r.items() if isinstance(v, dict) and "kt_mean" in v}
        print(name, json.dumps(brief or r))
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
