"""LCE's two ways of combining its curve families: the median of the converged fits (the
default) against the single fit with the smallest residual sum of squares.

    python benchmarks/lce_combine.py [--data-dir ../shared/data]

On every benchmark with curves at hand (the 100 NAS-Bench-NLP logs, the 200 real NB201
CIFAR-10 curves, the built-in nb201-digits), for each fidelity e: the Kendall tau between the
final metric and the extrapolation of the validation curve's first e epochs under each rule,
each family alone (one fit per family serves them all; its seconds per curve are recorded),
and the last value seen (early stopping). Nothing is fitted across architectures, so every
architecture with a target is a test architecture. Writes
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
    combine_fits,
    fit_curve_families,
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


def _predictions(curve: np.ndarray, target_epoch: int, limits) -> dict[str, float]:
    """Each rule's and each family's extrapolation of one curve, from one fit per family."""
    fits = fit_curve_families(curve, target_epoch, limits=limits)
    out = {rule: combine_fits(fits, curve[-1], rule)[0] for rule in COMBINE_RULES}
    for name in CURVE_FAMILIES:
        alone = {name: fits[name]} if name in fits else {}
        out[name] = combine_fits(alone, curve[-1], "best")[0]
    return out


def measure(name: str, bench, metric: str, fidelities) -> list[dict]:
    curves = orientation(metric) * bench.curves[metric]
    limits = natural_limits(metric, bench.curves[metric])
    rows = []
    for e in fidelities:
        prefix = curves[:, :e]
        usable = np.isfinite(bench.target) & np.isfinite(prefix).all(axis=1)
        start = time.perf_counter()
        per_curve = [_predictions(r, bench.num_epochs, limits) for r in prefix[usable]]
        if not per_curve:
            continue
        seconds = (time.perf_counter() - start) / max(1, len(per_curve))
        preds = {"last": prefix[usable, -1]}
        preds.update({rule: np.array([p[rule] for p in per_curve]) for rule in per_curve[0]})
        for rule, pred in preds.items():
            tau = kendalltau(pred, bench.target[usable])[0]
            rows.append({"benchmark": name, "fidelity": e, "rule": rule, "kendall_tau": float(tau),
                         "n": int(usable.sum()), "fit_seconds_per_curve": seconds})  # fmt: skip
        print(f"{name} e={e}: {seconds * 1e3:.1f} ms per curve", file=sys.stderr)
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
