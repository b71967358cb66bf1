"""The benchmark arguments every benchmark-reading command shares: BENCH, --dataset, --space."""

from __future__ import annotations

import argparse

from omni.data import Benchmark, load_benchmark


def add_bench_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("bench", help="benchmark path or built-in name")
    p.add_argument("--dataset", help="dataset (or task) inside a multi-dataset file")
    p.add_argument("--space", help="search space of a NASLib file whose name does not say")


def load_bench(args: argparse.Namespace) -> Benchmark:
    return load_benchmark(args.bench, dataset=args.dataset, space=args.space)
