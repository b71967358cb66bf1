"""``omni demo``: the whole library on the built-in benchmark, in under two minutes.

It shows the predictors that exist, how well a few of them rank held-out cells as the number
of training cells grows (the study's protocol, Kendall tau, a saved plot), and what each
family of evidence costs per architecture.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from omni.cli import predictors_cmd
from omni.data import load_benchmark
from omni.evaluation import evaluate, summarize
from omni.feature_groups import groups_query_seconds
from omni.predictors import composite_spec, resolve
from omni.reporting import format_table, plot_kt_vs_train_size

DEMO_PROXIES = ("jacov", "synflow", "nwot", "params")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the library end to end on the built-in benchmark")
    p.add_argument("--bench", default="nb201-digits", help="benchmark (default: built-in)")
    p.add_argument("--train-sizes", default="20,50,100,200")
    p.add_argument("--test-size", type=int, default=200)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--plot", default="omni-demo.png")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    bench = load_benchmark(args.bench)
    sizes = [int(s) for s in args.train_sizes.split(",")]
    epochs = bench.num_epochs
    fidelity = max(1, epochs // 6)
    meta = bench.metadata
    print(
        f"== benchmark {args.bench}: {len(bench)} cells of {bench.space} trained on {bench.dataset}"
    )
    if epochs:
        print(
            f"   {epochs} epochs each; final accuracy {np.nanmin(bench.target):.1f}..{np.nanmax(bench.target):.1f} %"
        )
    noise = meta.get("seed_repeats", {}).get("kendall_tau_mean")
    if noise is not None:
        print(
            f"   seed noise: Kendall tau between two seeds' final accuracies = {noise:.3f} (the ceiling)"
        )

    print("\n== the predictors (omni predictors)")
    print(format_table(predictors_cmd.rows(), ["name", "family", "groups"]))

    names = [p for p in DEMO_PROXIES if p in bench.zc] + ["xgb-onehot", "gp"]
    specs = resolve(bench, names)
    if epochs:
        specs += resolve(bench, [f"early-stop@{fidelity}", f"sotle@{fidelity}"])
    specs.append(composite_spec(bench))
    if epochs and bench.zc:
        specs += resolve(bench, [f"omni@{fidelity}"])
    print(f"\n== Kendall tau on {args.test_size} held-out cells, mean over {args.seeds} seeds")
    records = evaluate(
        bench,
        specs,
        sizes,
        test_size=args.test_size,
        seeds=range(args.seeds),
        progress=not args.quiet,
    )
    summary = summarize(records)
    table = {}
    for row in summary:
        table.setdefault(row["predictor"], {"predictor": row["predictor"]})[
            f"n={row['train_size']}"
        ] = row["mean"]
    print(format_table(list(table.values()), ["predictor"] + [f"n={n}" for n in sizes]))
    plot_kt_vs_train_size(summary, args.plot, title=f"{bench.space} on {bench.dataset}")
    print(f"plot saved to {args.plot}")

    print("\n== what each family of evidence costs per architecture (median seconds, this machine)")
    costs = [
        {
            "evidence": "encodings (onehot, path, ...)",
            "seconds": groups_query_seconds(bench, ["onehot"]),
        }
    ]
    if bench.zc:
        costs.append(
            {"evidence": "all zero-cost proxies", "seconds": groups_query_seconds(bench, ["zc:*"])}
        )
        costs += [
            {"evidence": f"  {p}", "seconds": groups_query_seconds(bench, [f"zc:{p}"])}
            for p in DEMO_PROXIES
            if p in bench.zc
        ]
    if epochs:
        costs.append(
            {
                "evidence": f"learning curve, {fidelity} epochs",
                "seconds": groups_query_seconds(bench, [f"lc:sotl_e@{fidelity}"]),
            }
        )
        costs.append(
            {
                "evidence": f"full training, {epochs} epochs",
                "seconds": float(np.nanmedian(bench.train_seconds)),
            }
        )
    print(format_table(costs, ["evidence", "seconds"], floatfmt=".4f"))
    print(f"\ndemo finished in {time.perf_counter() - start:.0f} s")
    return 0
