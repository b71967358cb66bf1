"""LCE's two ways of combining its curve families: the median of the converged fits (the
default) against the single fit with the smallest residual sum of squares.

    python benchmarks/lce_combine.py [--data-dir ../shared/data]

On every benchmark with curves at hand (the 100 NAS-Bench-NLP logs, the 200 real NB201
CIFAR-10 curves, the built-in nb201-digits), for each fidelity e: the Kendall tau between the
final metric and the extrapolation of the validation curve's first e epochs under each rule,
each family alone, and the last value seen (early stopping). Nothing is fitted across
architectures, so every architecture with a target is a test architecture. Writes
benchmarks/results/lce_combine.json.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import RESULTS, default_data_dir
from nlp_lc import LOGS
from scipy.stats import kendalltau

from features.errors import OmniError
from features.learning_curve import (
    COMBINE_RULES,
    CURVE_FAMILIES,
    extrapolate_curve,
    natural_limits,
    orientation,
)
from omni.data import load_benchmark
from omni.reporting import format_table, write_json

SOURCES = {
    "nlp": (LOGS, "val_loss", (3, 5, 10, 20)),
    "nb201-cifar10-lc200": ("nb201/nb201_cifar10_lc200.json", "val_acc", (5, 10, 25, 50)),
    "nb201-digits": (None, "val_acc", (2, 3, 5, 8)),
}


def _rules() -> dict[str, dict]:
    rules = {rule: {"combine": rule} for rule in COMBINE_RULES}
    rules.update({name: {"families": [name], "combine": "best"} for name in CURVE_FAMILIES})
    return rules


def measure(name: str, bench, metric: str, fidelities) -> list[dict]:
    curves = orientation(metric) * bench.curves[metric]
    limits = natural_limits(metric, bench.curves[metric])
    target_epoch = bench.num_epochs
    rows = []
    for e in fidelities:
        prefix = curves[:, :e]
        usable = np.isfinite(bench.target) & np.isfinite(prefix).all(axis=1)
        preds = {"last": prefix[usable, -1]}
        start = time.perf_counter()
        for rule, kwargs in _rules().items():
            preds[rule] = np.array(
                [
                    extrapolate_curve(r, target_epoch, limits=limits, **kwargs)[0]
                    for r in prefix[usable]
                ]
            )
        seconds = time.perf_counter() - start
        for rule, pred in preds.items():
            tau = kendalltau(pred, bench.target[usable])[0]
            rows.append({"benchmark": name, "fidelity": e, "rule": rule, "kendall_tau": float(tau),
                         "n": int(usable.sum())})  # fmt: skip
        print(f"{name} e={e}: {seconds:.1f} s", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--out", default=str(RESULTS / "lce_combine.json"))
    args = p.parse_args(argv)
    rows, skipped = [], []
    for name, (path, metric, fidelities) in SOURCES.items():
        try:
            bench = load_benchmark(name if path is None else f"{args.data_dir}/{path}")
        except (FileNotFoundError, OmniError) as err:
            skipped.append(f"{name}: {err}")
            continue
        rows += measure(name, bench, metric, fidelities)
    print(format_table(rows, ["benchmark", "fidelity", "rule", "kendall_tau"]))
    command = "python benchmarks/lce_combine.py " + " ".join(sys.argv[1:] if argv is None else argv)
    write_json(args.out, {"command": command, "skipped": skipped, "records": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
