"""``omni tune``: an Optuna study of the composite for one benchmark, train size and budget."""

from __future__ import annotations

import argparse
import json
import math

from omni.budget import Budget
from omni.cli.bench_args import add_bench_arguments, load_bench
from omni.evaluation.splits import uniform_split
from omni.reporting import format_table, write_json
from omni.storage import HEARTBEAT_SECONDS
from omni.tuning import pareto_front, tune


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="tune feature groups and meta-model for a budget (Optuna)")
    add_bench_arguments(p)
    p.add_argument("--train-size", type=int, required=True)
    p.add_argument("--query-budget", type=float, default=math.inf, help="seconds per prediction")
    p.add_argument("--init-budget", type=float, default=math.inf, help="seconds for fitting")
    p.add_argument(
        "--trials",
        type=int,
        default=None,
        help="finished trials the study holds when done, a total: a rerun or another worker "
        "on the same study adds only the missing ones (default 30, or none with --timeout)",
    )
    p.add_argument("--timeout", type=float, default=None, help="seconds")
    p.add_argument(
        "--folds",
        type=int,
        default=5,
        help="cross-validation folds of each trial and of the fresh-fold check of the best plan "
        "(fewer: faster, noisier)",
    )
    p.add_argument(
        "--storage",
        default="sqlite:///omni-studies.db",
        help="database URL (sqlite:///f.db, postgresql://user@host/db) or journal:FILE.log",
    )
    p.add_argument(
        "--heartbeat",
        type=float,
        default=HEARTBEAT_SECONDS,
        help="seconds between a trial's heartbeats; a killed worker's trial fails after two "
        "missed ones and is retried (database storages)",
    )
    p.add_argument("--study", default=None, help="study name (default from benchmark and budget)")
    p.add_argument("--seed", type=int, default=0, help="seed of the training sample and sampler")
    p.add_argument("--multi-objective", action="store_true", help="KT vs query-seconds front")
    p.add_argument("--out", default="profile.json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    bench = load_bench(args)
    budget = Budget(args.query_budget, args.init_budget)
    train = uniform_split(bench, 0, args.train_size, random_state=args.seed).train
    trials = args.trials if args.trials is not None or args.timeout else 30
    name = (
        args.study
        or f"{bench.space}-{bench.dataset}-n{args.train_size}-q{args.query_budget:g}-s{args.seed}"
    )
    if math.isfinite(args.init_budget):
        name += f"-i{args.init_budget:g}"
    if args.multi_objective:
        name += "-mo"
    profile, study = tune(
        bench,
        train,
        budget,
        n_trials=trials,
        timeout=args.timeout,
        folds=args.folds,
        storage=args.storage,
        study_name=name,
        random_state=args.seed,
        multi_objective=args.multi_objective,
        progress=True,
        heartbeat=args.heartbeat,
    )
    profile.extra["train_seed"] = args.seed
    profile.extra["benchmark"] = str(args.bench)
    write_json(args.out, profile.to_dict())
    print(f"study {name!r} ({len(study.trials)} trials) in {args.storage}")
    print(
        json.dumps(
            {
                k: profile.to_dict()[k]
                for k in ("groups", "params", "cv_kendall_tau", "query_seconds")
            },
            indent=1,
        )
    )
    decision = profile.extra.get("confirmation")
    if decision:
        verdict = "left the default for" if decision["departed"] else "kept the default over"
        print(
            f"{verdict} trial {decision['trial']}, the best of {decision['compared']} challengers: "
            f"fresh-fold gain {decision['gain']:+.3f}, needed > {decision['threshold_errors']:.2f}"
            f" x paired error {decision['paired_error']:.3f}"
        )
    if args.multi_objective:
        front = pareto_front(study)
        print(
            format_table(
                sorted(front, key=lambda r: r["query_seconds"]), ["query_seconds", "cv_kendall_tau"]
            )
        )
    print(f"profile written to {args.out}")
    return 0
