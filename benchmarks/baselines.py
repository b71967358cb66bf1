"""Foundation baselines on NB201 CIFAR-10: single proxies and the two XGBoost baselines.

    python benchmarks/baselines.py [--data-dir ../shared/data] [--seeds 10]

Writes benchmarks/results/baselines.json (records + summary + the unbiasedness check) and
baselines.png. The check compares each proxy's mean KT over the protocol's test sets with its
KT over every benchmark architecture (they must agree within 0.03), and with its KT over one
member per canonical class -- the population the protocol actually samples.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from _common import RESULTS, default_data_dir
from scipy import stats

from omni.data import load_benchmark
from omni.evaluation import evaluate, summarize
from omni.evaluation.splits import class_groups
from omni.predictors import resolve
from omni.reporting import format_table, plot_kt_vs_train_size, write_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--train-sizes", default="20,100,400,1000")
    parser.add_argument("--out", default=str(RESULTS / "baselines.json"))
    args = parser.parse_args(argv)
    bench = load_benchmark(args.data_dir)
    sizes = [int(s) for s in args.train_sizes.split(",")]
    names = ["xgb-onehot", "xgb-zc", *bench.proxies]
    start = time.perf_counter()
    records = evaluate(bench, resolve(bench, names), sizes, seeds=range(args.seeds))
    summary = summarize(records)
    check = []
    groups = class_groups(bench)
    rng = np.random.default_rng(0)
    members = [np.array([g[rng.integers(len(g))] for g in groups]) for _ in range(10)]
    for proxy in bench.proxies:
        x, ok = bench.zc[proxy], np.isfinite(bench.zc[proxy])
        full = float(stats.kendalltau(x[ok], bench.target[ok])[0])
        per_class = float(
            np.mean([stats.kendalltau(x[m][ok[m]], bench.target[m][ok[m]])[0] for m in members])
        )
        split_mean = float(np.mean([r["kendall_tau"] for r in records if r["predictor"] == proxy]))
        check.append(
            {
                "kt_canonical_classes": per_class,
                "difference_to_classes": split_mean - per_class,
                "proxy": proxy,
                "kt_all_archs": full,
                "kt_protocol_mean": split_mean,
                "difference": split_mean - full,
            }
        )
    print(
        format_table(
            summary, ["predictor", "train_size", "mean", "std", "init_seconds", "query_seconds"]
        )
    )
    print(
        format_table(
            check,
            ["proxy", "kt_all_archs", "kt_canonical_classes", "kt_protocol_mean", "difference"],
        )
    )
    meta = {"data_dir": args.data_dir, "seeds": args.seeds, "seconds": time.perf_counter() - start}
    write_json(
        args.out, {"meta": meta, "summary": summary, "unbiasedness": check, "records": records}
    )
    plot_kt_vs_train_size(
        [
            s
            for s in summary
            if s["predictor"] in ("xgb-onehot", "xgb-zc", "jacov", "synflow", "nwot")
        ],
        args.out.replace(".json", ".png"),
        title="NB201 CIFAR-10 baselines",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
