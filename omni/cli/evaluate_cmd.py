"""``omni evaluate``: the study's protocol on a benchmark."""

from __future__ import annotations

import argparse

from base_predictors import registry
from features.errors import OmniError
from omni.cli.bench_args import add_bench_arguments, load_bench
from omni.evaluation import evaluate, summarize
from omni.feature_groups import expand_groups
from omni.predictors import PredictorSpec, available, composite_spec, resolve
from omni.proxy_costs import cost_sources, fill_proxy_costs
from omni.reporting import format_table, plot_kt_vs_train_size, write_json
from omni.tuning import plan_cost

DEFAULT_PREDICTORS = "xgb-onehot,xgb-zc,jacov,synflow"


def int_list(text: str) -> list[int]:
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def at_fidelity(name: str, epochs: int) -> str:
    """``name@epochs`` for a learning-curve predictor given without a fidelity."""
    if epochs < 1:
        raise OmniError(f"--fidelity must be at least 1 epoch, got {epochs}")
    base = name.split("@")[0]
    if base == "omni":
        return f"omni@{epochs}"
    try:
        reads_curve = registry.get(base).fidelity is not None
    except OmniError:
        return name
    return f"{base}@{epochs}" if reads_curve else name


def within_budget(bench, specs: list[PredictorSpec], seconds: float) -> list[PredictorSpec]:
    """The specs whose features cost at most ``seconds`` per architecture (omni: its plan),
    after saying where the costs come from (file, published, measured here, unknown)."""
    fill_proxy_costs(bench)
    report: dict[str, list[str]] = {}
    for group, source in cost_sources(bench, [f"zc:{p}" for p in bench.proxies]).items():
        report.setdefault(source, []).append(group)
    for source in ("file", "published", "measured", "unknown"):
        if report.get(source):
            print(f"query costs ({source}): {', '.join(report[source])}")
    kept = []
    for spec in specs:
        if spec.name == "omni":
            spec = composite_spec(bench, seconds)
        cost = plan_cost(bench, expand_groups(bench, spec.groups))
        if cost <= seconds:
            kept.append(spec)
        else:
            print(f"skipping {spec.name}: {cost:.3g} s per architecture exceeds --query-budget")
    if not kept:
        raise OmniError(f"no predictor fits a query budget of {seconds:g} s per architecture")
    return kept


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate predictors with the study's protocol")
    add_bench_arguments(p)
    p.add_argument(
        "--predictors", default=DEFAULT_PREDICTORS, help="comma-separated names, or 'all'"
    )
    p.add_argument("--train-sizes", type=int_list, default=[20, 100, 400])
    p.add_argument("--test-size", type=int, default=200)
    p.add_argument("--seeds", type=int, default=10, help="number of seeds (0..N-1)")
    p.add_argument("--test-set", choices=("uniform", "mutation"), default="uniform")
    p.add_argument(
        "--fidelity",
        type=int,
        help="epochs E of the partial learning curve that learning-curve predictors and omni read",
    )
    p.add_argument(
        "--query-budget",
        type=float,
        help="seconds per architecture: skip predictors that cost more; omni takes its plan",
    )
    p.add_argument("--json", dest="json_out", help="write records to this JSON file")
    p.add_argument("--plot", help="save KT vs train size to this PNG")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    bench = load_bench(args)
    if args.seeds < 1:
        raise OmniError("--seeds must be at least 1")
    names = sorted(available(bench)) if args.predictors == "all" else args.predictors.split(",")
    names = [n.strip() for n in names if n.strip()]
    if args.fidelity is not None:
        names = [at_fidelity(n, args.fidelity) for n in names]
    specs = resolve(bench, names)
    if args.query_budget is not None:
        specs = within_budget(bench, specs, args.query_budget)
    records = evaluate(
        bench,
        specs,
        args.train_sizes,
        test_size=args.test_size,
        seeds=range(args.seeds),
        test_set=args.test_set,
        progress=not args.quiet,
    )
    summary = summarize(records)
    print(
        f"{bench!r}\nKendall tau over {args.seeds} seeds, test size {args.test_size} ({args.test_set}):"
    )
    print(
        format_table(
            summary, ["predictor", "train_size", "mean", "std", "init_seconds", "query_seconds"]
        )
    )
    if args.json_out:
        meta = {
            "benchmark": str(args.bench),
            "space": bench.space,
            "dataset": bench.dataset,
            "test_size": args.test_size,
            "test_set": args.test_set,
        }
        write_json(args.json_out, {"meta": meta, "records": records})
        print(f"records written to {args.json_out}")
    if args.plot:
        plot_kt_vs_train_size(summary, args.plot, title=f"{bench.space} {bench.dataset}")
        print(f"plot written to {args.plot}")
    return 0
