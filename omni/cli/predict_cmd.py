"""``omni predict``: predictions of a saved composite for architectures listed in a file."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from features.errors import OmniError
from omni import spaces
from omni.data import load_benchmark
from omni.feature_groups import feature_matrix, is_encoding
from omni.persistence import load_model
from omni.reporting import format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="predict architectures (one per line) with a saved model")
    p.add_argument("model")
    p.add_argument("archs_file")
    p.add_argument(
        "--bench", help="benchmark holding the non-encoding features (default: the fit's)"
    )
    p.set_defaults(func=run)


def read_archs(path: str, space: spaces.SearchSpace) -> list[str]:
    """One architecture per line (string form or a key the space parses); blank lines skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise OmniError(f"{path}: no such file") from None
    archs = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                archs.append(space.to_str(space.parse(line.strip())))
            except OmniError as err:
                raise OmniError(f"{path}:{number}: {err}") from None
    if not archs:
        raise OmniError(f"{path}: no architectures in it")
    return archs


def run(args: argparse.Namespace) -> int:
    model, info = load_model(args.model)
    if not hasattr(model, "predict_dist") or not {"space", "groups", "benchmark"} <= set(info):
        raise OmniError(f"{args.model}: not a model of `omni fit` (a composite and its groups)")
    space = spaces.get(info["space"])
    archs = read_archs(args.archs_file, space)
    bench = load_benchmark(
        args.bench or info["benchmark"], dataset=info.get("dataset"), space=info["space"]
    )
    groups = info["groups"]
    if all(is_encoding(g) for g in groups):
        from omni.data import Benchmark

        lookup = Benchmark(space.name, bench.dataset, archs, np.full(len(archs), np.nan))
        rows = np.arange(len(archs))
    else:
        index = {space.key(a): k for k, a in enumerate(bench.archs)}
        missing = [a for a in archs if space.key(a) not in index]
        if missing:
            raise OmniError(
                f"{len(missing)} architectures have no scores in the benchmark (e.g. {missing[0]}); "
                "compute them with `omni zc` and pass that file as --bench"
            )
        lookup, rows = bench, np.array([index[space.key(a)] for a in archs])
    X, _ = feature_matrix(lookup, groups, rows)
    mean, std = model.predict_dist(X)
    table = [
        {"arch": a, "predicted": float(m), "std": float(s)}
        for a, m, s in zip(archs, mean, std, strict=True)
    ]
    print(format_table(table, ["arch", "predicted", "std"]))
    return 0
