"""Rank quality of learning-curve statistics on the 200 real NAS-Bench-201 CIFAR-10 curves.

For each fidelity e (epochs read) and each statistic of ``features.learning_curve``, the Kendall
tau between the statistic and the final (epoch-200) validation accuracy. Statistics use their
paper definitions (SoTL-E with E = 1, windows of 5 epochs); nothing is tuned on this data.
The curves hold accuracies only, so SoTL-E (E = 1) on ``train_acc`` *is* the raw training
accuracy at epoch e, one of the two references.

    python benchmarks/lc_stats.py [--data PATH] [--out benchmarks/results/lc_stats.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau

from features.learning_curve import STATISTICS, curve_features
from omni.data import load_benchmark
from omni.reporting import write_text_atomic

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/nb201/nb201_cifar10_lc200.json"
FIDELITIES = (10, 20, 50, 100)
#: the raw accuracy at epoch e ranks this well (rounded; recomputed here as the ``:last`` columns)
REFERENCES = {
    "val_acc:last": {10: 0.59, 20: 0.66, 50: 0.70, 100: 0.74},
    "train_acc:last": {10: 0.68, 20: 0.77, 50: 0.85, 100: 0.88},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--out", default=str(Path(__file__).parent / "results/lc_stats.json"))
    args = parser.parse_args(argv)

    bench = load_benchmark(args.data)
    target = bench.target
    table: dict[str, dict[int, float]] = {}
    seconds: dict[int, float] = {}
    for e in FIDELITIES:
        start = time.perf_counter()
        X, names = curve_features(bench.curves, e, stats=sorted(STATISTICS), target_epoch=200)
        seconds[e] = time.perf_counter() - start
        for j, name in enumerate(names):
            table.setdefault(name, {})[e] = float(kendalltau(X[:, j], target)[0])

    best = {e: max(table, key=lambda name, e=e: table[name][e]) for e in FIDELITIES}
    result = {
        "data": str(args.data),
        "n": len(bench),
        "target": "val_acc at epoch 200",
        "fidelities": list(FIDELITIES),
        "kendall_tau": table,
        "references": REFERENCES,
        "best": {
            e: {
                "statistic": best[e],
                "kendall_tau": table[best[e]][e],
                # the references are columns of this table too (raw accuracy at epoch e)
                "margin_over_references": table[best[e]][e]
                - max(table[name][e] for name in REFERENCES),
            }
            for e in FIDELITIES
        },
        "seconds": seconds,
    }
    out = write_text_atomic(args.out, json.dumps(result, indent=2))

    width = max(len(name) for name in table)
    print(f"{'statistic':<{width}} " + " ".join(f"e={e:<5}" for e in FIDELITIES))
    for name in sorted(table, key=lambda n: -np.mean(list(table[n].values()))):
        print(f"{name:<{width}} " + " ".join(f"{table[name][e]:<7.3f}" for e in FIDELITIES))
    print("best:", {e: f"{best[e]} {table[best[e]][e]:.3f}" for e in FIDELITIES})
    print("wrote", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
