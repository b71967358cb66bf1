"""``omni search``: simulated NAS on a benchmark table, strategies compared by regret."""

from __future__ import annotations

import argparse
import math

from features.errors import OmniError
from omni.cli.bench_args import add_bench_arguments, load_bench
from omni.nas import DEFAULT_GROUPS, PREDICTORS, TabularOracle, run_many, strategies
from omni.nas.report import CHECKPOINTS, plot_regret, regret_table
from omni.reporting import format_table, write_json

DEFAULT_STRATEGIES = "random,evolution,omni-evolution,omni-bo"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="simulate NAS strategies on a benchmark and compare regret")
    add_bench_arguments(p)
    p.add_argument(
        "--strategy",
        default=DEFAULT_STRATEGIES,
        help=f"comma-separated, from {strategies.names()} (default: all)",
    )
    p.add_argument("--queries", type=int, default=150, help="architectures trained per run")
    p.add_argument("--seeds", type=int, default=10, help="number of seeds (0..N-1)")
    p.add_argument(
        "--features",
        default=",".join(DEFAULT_GROUPS),
        help="feature groups the predictor reads (proxies among them are charged)",
    )
    p.add_argument(
        "--predictor",
        default="omni",
        choices=sorted(PREDICTORS),
        help="predictor of the guided strategies (omni: the composite the README's figures used)",
    )
    p.add_argument(
        "--train-seconds",
        type=float,
        help="assumed seconds of one training where the benchmark has none (default: 1 unit)",
    )
    p.add_argument("--json", dest="json_out", help="write the trajectories to this JSON file")
    p.add_argument("--plot", help="save regret vs queries and vs cost to this PNG")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.queries < 1 or args.seeds < 1:
        raise OmniError("--queries and --seeds must be at least 1")
    names = [s.strip() for s in args.strategy.split(",") if s.strip()]
    if not names:
        raise OmniError(f"--strategy: give at least one of {strategies.names()}")
    for name in names:
        strategies.get(name)
    bench = load_bench(args)
    oracle = TabularOracle(bench, train_seconds=args.train_seconds)
    groups = [g.strip() for g in args.features.split(",") if g.strip()]
    runs = run_many(
        bench,
        names,
        args.queries,
        range(args.seeds),
        progress=not args.quiet,
        groups=groups,
        predictor=args.predictor,
        train_seconds=args.train_seconds,
    )
    optimum = oracle.optimum
    checkpoints = sorted({q for q in CHECKPOINTS if q <= args.queries} | {args.queries})
    rows = regret_table(runs, optimum, checkpoints)
    table = {}
    for r in rows:
        entry = table.setdefault(r["strategy"], {"strategy": r["strategy"]})
        entry[f"@{r['queries']}"] = f"{r['mean']:.3f} ± {r['std']:.3f}"
    print(
        f"{bench!r}\nmean regret (optimum {optimum:.2f} minus best found) over {args.seeds} "
        f"seeds, by number of queries:"
    )
    print(format_table(list(table.values()), ["strategy", *(f"@{q}" for q in checkpoints)]))
    if args.json_out:
        meta = {
            "benchmark": str(args.bench),
            "space": bench.space,
            "dataset": bench.dataset,
            "queries": args.queries,
            "seeds": args.seeds,
            "features": groups,
            "predictor": args.predictor,
            "cost_unit": oracle.cost_unit,
            "train_seconds_assumed": args.train_seconds,
        }
        payload = {
            "optimum": optimum,
            "runs": [
                {
                    "strategy": r.strategy,
                    "seed": r.seed,
                    "best_so_far": r.best_so_far,
                    "cost_seconds": r.cost_seconds,
                }
                for r in runs
            ],
            "summary": rows,
            "meta": meta,
        }
        write_json(args.json_out, payload)
        print(f"trajectories written to {args.json_out}")
    if args.plot:
        label = "cost (seconds)" if oracle.cost_unit == "seconds" else f"cost ({oracle.cost_unit})"
        plot_regret(runs, optimum, args.plot, f"{bench.space} {bench.dataset}", cost_label=label)
        print(f"plot written to {args.plot}")
    return 0 if all(math.isfinite(r["mean"]) for r in rows) else 1
