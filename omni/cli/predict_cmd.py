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
    p.add_argument(
        "--cache", metavar="DIR", help="resumable cache of the zero-cost scores computed here"
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


def features_of(bench, space, archs: list[str], groups, cache: str | None):
    """A benchmark of ``archs`` holding what ``groups`` read: the table's rows when it holds
    every architecture (up to isomorphism); else zero-cost scores computed like the table's
    for the architectures it lacks (only encodings and proxies can be computed)."""
    from omni.data import Benchmark
    from omni.zero_cost import score_like

    index = {space.key(a): k for k, a in enumerate(bench.archs)}
    rows = [index.get(space.key(a)) for a in archs]
    missing = [a for a, r in zip(archs, rows, strict=True) if r is None]
    if not missing:
        return bench.subset(np.array(rows, dtype=int))
    other = [g for g in groups if not is_encoding(g) and not g.startswith("zc:")]
    if other:
        raise OmniError(
            f"{len(missing)} architectures are not in the benchmark (e.g. {missing[0]}) and the "
            f"model reads {other}, which need training runs: only encodings and zero-cost "
            "scores can be computed for new architectures"
        )
    proxies = [g.partition(":")[2] for g in groups if g.startswith("zc:")]
    zc = {p: np.full(len(archs), np.nan) for p in proxies}
    for k, r in enumerate(rows):
        for p in proxies:
            if r is not None:
                zc[p][k] = bench.zc[p][r]
    if proxies:
        print(f"computing {', '.join(proxies)} for {len(missing)} architectures no table holds")
        new = score_like(bench, missing, proxies, cache_dir=cache)
        where = {space.key(a): k for k, a in enumerate(archs) if rows[k] is None}
        for i, arch in enumerate(new.archs):
            for p in proxies:
                zc[p][where[space.key(arch)]] = new.scores[p][i]
        failed = {p: int(np.isnan(new.scores[p]).sum()) for p in proxies}
        failed = {p: n for p, n in failed.items() if n}
        if failed:
            print(f"proxies that failed (NaN; the model imputes them): {failed}")
    return Benchmark(space.name, bench.dataset, list(archs), np.full(len(archs), np.nan), zc=zc)


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
    lookup = features_of(bench, space, archs, groups, args.cache)
    rows = np.arange(len(archs))
    X, _ = feature_matrix(lookup, groups, rows)
    mean, std = model.predict_dist(X)
    table = [
        {"arch": a, "predicted": float(m), "std": float(s)}
        for a, m, s in zip(archs, mean, std, strict=True)
    ]
    print(format_table(table, ["arch", "predicted", "std"]))
    return 0
