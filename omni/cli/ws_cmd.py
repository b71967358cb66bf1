"""``omni ws``: train (or read from the cache) a one-shot supernet for a benchmark, score every
architecture with it and save the benchmark with the ``ws:<name>`` group attached."""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from features.errors import OmniError
from omni.cli.bench_args import add_bench_arguments, load_bench
from omni.reporting import format_table
from omni.weight_sharing.scoring import attach_ws_scores
from omni.weight_sharing.training import SupernetConfig, default_cache_dir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ws", help="weight-sharing scores: a supernet trained once ranks every architecture"
    )
    add_bench_arguments(p)
    p.add_argument("--seeds", default="0", help="comma-separated supernet seeds (one group each)")
    p.add_argument("--epochs", type=int, default=SupernetConfig().epochs)
    p.add_argument("--cache", metavar="DIR", help=f"supernet cache (default {default_cache_dir()})")
    p.add_argument("--out", required=True, help="write the benchmark with the ws groups here")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    bench = load_bench(args)
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise OmniError(f"--seeds must be comma-separated integers, got {args.seeds!r}") from None
    config = SupernetConfig.for_benchmark(bench, epochs=args.epochs)
    rows = []
    for seed in seeds:
        group = attach_ws_scores(
            bench, config=config, seed=seed, cache_dir=args.cache, progress=not args.quiet
        )
        name = group.partition(":")[2]
        scores = bench.ws[name]
        ok = np.isfinite(scores) & np.isfinite(bench.target)
        tau = float(stats.kendalltau(scores[ok], bench.target[ok])[0]) if ok.sum() > 1 else None
        rows.append(
            {
                "group": group,
                "kendall_tau": float("nan") if tau is None else tau,
                "init_seconds": bench.metadata["weight_sharing"][name]["init_seconds"],
                "query_seconds": float(np.nanmedian(bench.ws_seconds[name])),
            }
        )
    print(format_table(rows, ["group", "kendall_tau", "init_seconds", "query_seconds"]))
    bench.save(args.out)
    print(f"wrote {args.out}")
    return 0
