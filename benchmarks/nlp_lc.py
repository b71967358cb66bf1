"""NAS-Bench-NLP: OMNI with partial learning curves against the study's learning-curve predictors.

    python benchmarks/nlp_lc.py [--data-dir ../shared/data] [--seeds 10] [--fidelities 3,10]

On the shared WikiText-2 logs (100 runs, 93 isomorphism classes), for each fidelity e (epochs
of 50 read) the protocol's uniform split draws 43 test classes and trains on 20 and 50 others
(so at n=50 the test set is every other distinct cell), one architecture per class, 10 seeds.
Predictors: ``omni@e`` (the untuned composite over the graph features plus SoTL-E and the
validation loss at epoch e), SoTL-E, early stopping (the validation loss at epoch e), LCE
(Domhan et al.'s extrapolation), LCE hedged by the last value seen and LcSVR. Target: 100 - the validation loss at epoch 50.
Each fidelity's records are cached under runs/nlp_lc/<code fingerprint>/ (resumable). Writes
benchmarks/results/nlp_lc.json and nlp_lc_e<e>.png.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _common import RESULTS, cached_evaluate, default_data_dir, parts_dir

from features.learning_curve import fidelity_seconds
from omni.data import load_benchmark
from omni.evaluation import summarize
from omni.evaluation.splits import class_groups
from omni.predictors import resolve
from omni.reporting import format_table, plot_kt_vs_train_size, write_json

PARTS = parts_dir("nlp_lc")
LOGS = "spaces/nas_bench_nlp_wikitext2_logs"
PREDICTORS = ("omni", "sotle", "early-stop", "lce", "lce-hedged", "lcsvr")
SINGLE_LC = ("sotle", "early-stop", "lce", "lce-hedged")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--fidelities", default="3,10")
    p.add_argument("--train-sizes", default="20,50")
    p.add_argument("--test-size", type=int, default=43)
    p.add_argument("--out", default=str(RESULTS / "nlp_lc.json"))
    args = p.parse_args(argv)
    bench = load_benchmark(f"{args.data_dir}/{LOGS}")
    sizes = [int(s) for s in args.train_sizes.split(",")]
    fidelities = [int(e) for e in args.fidelities.split(",")]
    records, costs = [], {}
    for e in fidelities:
        part = PARTS / f"e{e}_s{args.seeds}_t{args.test_size}_{'-'.join(map(str, sizes))}.json"
        make = lambda e=e: (bench, resolve(bench, [f"{name}@{e}" for name in PREDICTORS]))  # noqa: E731
        recs = cached_evaluate(part, make, sizes, args.test_size, args.seeds, fidelity=e)
        records += recs
        secs = fidelity_seconds(e, bench.epoch_seconds)
        costs[e] = {"median_seconds": float(np.median(secs)), "mean_seconds": float(secs.mean())}
        summary = summarize(recs)
        plot_kt_vs_train_size(
            summary, RESULTS / f"nlp_lc_e{e}.png", title=f"NAS-Bench-NLP, {e} of 50 epochs"
        )
    summary = []
    for e in fidelities:
        for row in summarize([r for r in records if r["fidelity"] == e]):
            summary.append({"fidelity": e, **row})
    print(format_table(summary, ["fidelity", "predictor", "train_size", "mean", "std"]))
    verdict = []
    for e in fidelities:
        for n in sizes:
            rows = {
                r["predictor"].split("@")[0]: r
                for r in summary
                if r["fidelity"] == e and r["train_size"] == n
            }
            best = max(SINGLE_LC, key=lambda k: rows[k]["mean"])
            verdict.append(
                {
                    "fidelity": e,
                    "train_size": n,
                    "omni": rows["omni"]["mean"],
                    "best_single": best,
                    "best_single_kt": rows[best]["mean"],
                    "omni_beats_best_single": rows["omni"]["mean"] > rows[best]["mean"],
                }
            )
    write_json(
        args.out,
        {
            "command": "python benchmarks/nlp_lc.py "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "logs": len(bench),
            "distinct_recipes": len(set(bench.archs)),
            "isomorphism_classes": len(class_groups(bench)),
            "target": bench.metadata["target"],
            "fidelity_cost": costs,
            "summary": summary,
            "verdict": verdict,
            "records": records,
        },
    )
    print(format_table(verdict, list(verdict[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
