"""How long the default composite takes to fit, and what it scores, on NB201 CIFAR-10.

    python benchmarks/fit_speed.py [--data-dir ../shared/data] [--repeats 3] [--seeds 10]

Times ``OmniPredictor`` (its defaults, the feature groups ``omni evaluate`` gives it: graph
features and every proxy) fitting 400 architectures, one process and ``n_jobs=2``, median of
``--repeats`` fits (the first ``n_jobs=2`` fit, which starts the worker processes, is not
counted); then its Kendall tau at n = 20 / 100 / 400 on 200 test cells over ``--seeds`` seeds
(the protocol of ``omni evaluate``) and on the built-in nb201-digits. Run it on an idle
machine. Writes benchmarks/results/fit_speed.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
from _common import RESULTS, default_data_dir

from omni.data import load_benchmark
from omni.evaluation import evaluate, summarize
from omni.feature_groups import feature_matrix
from omni.predictor import OmniPredictor
from omni.predictors import composite_spec
from omni.reporting import write_json

TRAIN_SIZE = 400


def fit_seconds(bench, repeats: int, n_jobs: int | None) -> list[float]:
    spec = composite_spec(bench)
    rows = np.random.default_rng(0).choice(len(bench), TRAIN_SIZE, replace=False)
    X, columns = feature_matrix(bench, spec.groups, rows)
    y = bench.target[rows]
    if n_jobs is not None:  # start the worker processes outside the timing
        OmniPredictor(columns=columns, random_state=0, n_jobs=n_jobs).fit(X[:40], y[:40])
    out = []
    for _ in range(repeats):
        model = OmniPredictor(columns=columns, random_state=0, n_jobs=n_jobs)
        start = time.perf_counter()
        model.fit(X, y)
        out.append(time.perf_counter() - start)
    return out


def kendall_tau(bench, seeds: int) -> list[dict]:
    records = evaluate(bench, [composite_spec(bench)], [20, 100, 400], seeds=range(seeds))
    return [
        {k: row[k] for k in ("train_size", "mean", "std", "seeds", "init_seconds")}
        for row in summarize(records)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", default=str(RESULTS / "fit_speed.json"))
    args = parser.parse_args(argv)
    bench = load_benchmark(os.path.join(args.data_dir, "nb201"))
    timings = {
        "one_process": fit_seconds(bench, args.repeats, None),
        "n_jobs_2": fit_seconds(bench, args.repeats, 2),
    }
    result = {
        "benchmark": "nb201-cifar10",
        "train_size": TRAIN_SIZE,
        "plan": OmniPredictor().get_params(),
        "fit_seconds": {k: {"runs": v, "median": statistics.median(v)} for k, v in timings.items()},
        "kendall_tau": {
            "nb201-cifar10": kendall_tau(bench, args.seeds),
            "nb201-digits": kendall_tau(load_benchmark("nb201-digits"), args.seeds),
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    for key, value in result["fit_seconds"].items():
        print(f"fit at n={TRAIN_SIZE}, {key}: median {value['median']:.2f} s")
    for name, rows in result["kendall_tau"].items():
        print(
            name, ", ".join(f"n={r['train_size']}: {r['mean']:.3f} ± {r['std']:.3f}" for r in rows)
        )
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
