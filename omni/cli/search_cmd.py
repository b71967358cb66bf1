"""``omni search``: simulated NAS on a benchmark table, strategies compared by regret.

Full-training strategies (``random``, ``evolution``, ``omni-evolution``, ``omni-bo``) are
compared by queries. Naming a multi-fidelity strategy (``hyperband``, ``omni-hyperband``; the
benchmark needs learning curves) switches to a budget in full-training equivalents
(``--budget-trainings``, i.e. that many times the curves' epochs): every strategy named then
spends the same epochs (a full training is charged all of them, a resumed run only its new
ones) and regret is reported at 25 %, 50 % and 100 % of the budget.
"""

from __future__ import annotations

import argparse
import math

from features.errors import OmniError
from omni.cli.bench_args import add_bench_arguments, load_bench
from omni.nas import (
    DEFAULT_GROUPS,
    PREDICTORS,
    TabularOracle,
    fidelity_strategies,
    run_many,
    strategies,
)
from omni.nas.fidelity_oracle import MultiFidelityOracle
from omni.nas.fidelity_report import FRACTIONS, plot_regret_vs_epochs
from omni.nas.fidelity_report import regret_table as fidelity_regret_table
from omni.nas.report import CHECKPOINTS, plot_regret, regret_table
from omni.nas.simulate_fidelity import check_strategy, is_multi_fidelity, run_many_budget
from omni.reporting import format_table, write_json

DEFAULT_STRATEGIES = "random,evolution,omni-evolution,omni-bo"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="simulate NAS strategies on a benchmark and compare regret")
    add_bench_arguments(p)
    p.add_argument(
        "--strategy",
        default=DEFAULT_STRATEGIES,
        help=f"comma-separated, from {strategies.names()} (default: these) and the "
        f"multi-fidelity {fidelity_strategies.names()}",
    )
    p.add_argument("--queries", type=int, default=150, help="architectures trained per run")
    p.add_argument("--seeds", type=int, default=10, help="number of seeds (0..N-1)")
    p.add_argument(
        "--budget-trainings",
        type=int,
        help="budget in full-training equivalents when a multi-fidelity strategy is named "
        "(default: --queries); with full-training strategies only, the same as --queries",
    )
    p.add_argument("--eta", type=int, default=3, help="Hyperband's reduction factor")
    p.add_argument("--min-epochs", type=int, default=1, help="Hyperband's smallest fidelity")
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
    if args.budget_trainings is not None and args.budget_trainings < 1:
        raise OmniError("--budget-trainings must be at least 1")
    names = [s.strip() for s in args.strategy.split(",") if s.strip()]
    if not names:
        raise OmniError(f"--strategy: give at least one of {strategies.names()}")
    for name in names:
        check_strategy(name)
    if any(is_multi_fidelity(n) for n in names):
        return run_budget_mode(args, names)
    if args.budget_trainings is not None:
        args.queries = args.budget_trainings
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


def run_budget_mode(args: argparse.Namespace, names: list[str]) -> int:
    """Every strategy with the same budget in epochs; regret against epochs spent."""
    bench = load_bench(args)
    oracle = MultiFidelityOracle(bench, train_seconds=args.train_seconds)  # curves present?
    trainings = args.budget_trainings if args.budget_trainings is not None else args.queries
    budget_epochs = trainings * oracle.max_epochs
    groups = [g.strip() for g in args.features.split(",") if g.strip()]
    runs = run_many_budget(
        bench,
        names,
        trainings,
        range(args.seeds),
        progress=not args.quiet,
        eta=args.eta,
        min_epochs=args.min_epochs,
        train_seconds=args.train_seconds,
        groups=groups,
        predictor=args.predictor,
    )
    optimum = oracle.optimum
    rows = fidelity_regret_table(runs, optimum, budget_epochs, FRACTIONS)
    table: dict[str, dict] = {}
    for r in rows:
        entry = table.setdefault(r["strategy"], {"strategy": r["strategy"]})
        entry[f"@{r['fraction']:.0%}"] = f"{r['mean']:.3f} ± {r['std']:.3f}"
        entry["full trainings"] = f"{r['mean_full_trainings']:.0f}"
    print(
        f"{bench!r}\nmean regret (optimum {optimum:.2f} minus the best fully trained) over "
        f"{args.seeds} seeds, by share of a budget of {budget_epochs} epochs ({trainings} full "
        f"trainings of {oracle.max_epochs} epochs):"
    )
    columns = ["strategy", *(f"@{f:.0%}" for f in FRACTIONS), "full trainings"]
    print(format_table(list(table.values()), columns))
    if args.json_out:
        meta = {
            "benchmark": str(args.bench),
            "space": bench.space,
            "dataset": bench.dataset,
            "budget_trainings": trainings,
            "budget_epochs": budget_epochs,
            "max_epochs": oracle.max_epochs,
            "eta": args.eta,
            "min_epochs": args.min_epochs,
            "seeds": args.seeds,
            "features": groups,
            "predictor": args.predictor,
            "cost_unit": "epochs",
        }
        payload = {
            "optimum": optimum,
            "runs": [r.to_dict() for r in runs],
            "summary": rows,
            "meta": meta,
        }
        write_json(args.json_out, payload)
        print(f"trajectories written to {args.json_out}")
    if args.plot:
        plot_regret_vs_epochs(runs, optimum, args.plot, f"{bench.space} {bench.dataset}")
        print(f"plot written to {args.plot}")
    return 0 if all(math.isfinite(r["mean"]) for r in rows) else 1
