"""Why the untuned composite looks the way it does: feature sets and level-1 models, measured.

    python benchmarks/composite_ablation.py [--data-dir ../shared/data] [--seeds 5]

On NB201 CIFAR-10 (shared data) and the built-in nb201-digits, under the study's protocol
(omni.evaluation), compares

- encodings: one-hot + op counts vs graph features, each with every zero-cost proxy;
- level 1 over the same three tree ensembles (ranking XGBoost, random forest, extra trees; the
  default stack before the pairwise relation predictor joined it, whose effect
  ``omni_bench.py`` measures): the rank ensemble (the default level 1), the plain mean, ridge and
  NGBoost on out-of-fold predictions;
- with the low-fidelity columns as well (NB201's 12-epoch accuracy; the built-in benchmark's
  learning-curve statistics at 1/3/6 epochs): the rank ensemble, which may lean on one of them
  directly, against the plain mean;
- the single base predictors alone.

Writes benchmarks/results/composite_ablation.json.
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import RESULTS, default_data_dir, low_fidelity_groups

from omni.data import load_benchmark
from omni.evaluation import evaluate, summarize
from omni.feature_groups import expand_groups, feature_matrix
from omni.predictor import OmniPredictor
from omni.predictors import PredictorSpec
from omni.reporting import format_table, write_json

BASES = ("xgb-rank@all", "rf@all", "et@all")


def spec(bench, name: str, groups: list[str], **params) -> PredictorSpec:
    groups = tuple(expand_groups(bench, groups))
    _, columns = feature_matrix(bench, groups, [0])
    return PredictorSpec(
        name,
        "composite",
        groups,
        lambda rs: OmniPredictor(columns=columns, random_state=rs, **params),
    )


def variants(bench) -> list[PredictorSpec]:
    lowfi = ["graph", "zc:*", *low_fidelity_groups(bench)]
    out = [
        spec(bench, "mean3 onehot+opcount+zc", ["onehot", "opcount", "zc:*"], meta="mean"),
        spec(bench, "rank3 graph+zc", ["graph", "zc:*"], meta="rank"),
        spec(bench, "mean3 graph+zc", ["graph", "zc:*"], meta="mean"),
        spec(bench, "ridge3 graph+zc", ["graph", "zc:*"], meta="ridge", passthrough=False),
        spec(bench, "ngboost3 graph+zc", ["graph", "zc:*"], meta="ngboost", passthrough=False),
    ]
    if len(lowfi) > 2:
        out += [
            spec(bench, "rank3 graph+zc+low-fidelity", lowfi, meta="rank"),
            spec(bench, "mean3 graph+zc+low-fidelity", lowfi, meta="mean"),
        ]
    for base in BASES:
        kind = base.split("@")[0]
        out.append(
            spec(bench, f"{kind} graph+zc", ["graph", "zc:*"], base_predictors=(base,), meta="mean")
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--train-sizes", default="20,100,400")
    parser.add_argument("--out", default=str(RESULTS / "composite_ablation.json"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.train_sizes.split(",")]
    start = time.perf_counter()
    summary, records = [], []
    for name, source in (("nb201-cifar10", args.data_dir), ("nb201-digits", "nb201-digits")):
        try:
            bench = load_benchmark(source)
        except Exception as err:  # shared data absent: say so, go on
            print(f"skipping {name}: {err}", file=sys.stderr)
            continue
        recs = evaluate(bench, variants(bench), sizes, seeds=range(args.seeds))
        records += [{"benchmark": name, **r} for r in recs]
        summary += [{"benchmark": name, **s} for s in summarize(recs)]
    print(format_table(summary, ["benchmark", "predictor", "train_size", "mean", "std"]))
    meta = {"seeds": args.seeds, "seconds": time.perf_counter() - start}
    write_json(args.out, {"meta": meta, "summary": summary, "records": records})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
