"""``omni predict``: predictions of a saved model (featurizer + composite) for architectures
listed in a file, in a benchmark table or not."""

from __future__ import annotations

import argparse
from pathlib import Path

from sklearn.pipeline import Pipeline

from features.errors import OmniError
from omni import spaces
from omni.data import load_benchmark
from omni.featurizer import Featurizer
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


def run(args: argparse.Namespace) -> int:
    model, info = load_model(args.model)
    featurizer = model[0] if isinstance(model, Pipeline) and len(model) == 2 else None
    if not isinstance(featurizer, Featurizer) or not hasattr(model[-1], "predict_dist"):
        raise OmniError(f"{args.model}: not a model of `omni fit` (a featurizer and a composite)")
    space = spaces.get(featurizer.space)
    archs = read_archs(args.archs_file, space)
    bench = load_benchmark(
        args.bench or info["benchmark"], dataset=info.get("dataset"), space=featurizer.space
    )
    featurizer.set_params(table=bench, zc_options={"cache_dir": args.cache, "progress": True})
    missing = sum(r is None for r in featurizer.table_rows(archs))
    if missing and featurizer.proxies:
        print(
            f"computing {', '.join(featurizer.proxies)} for {missing} architectures no table holds"
        )
    X = featurizer.transform(archs)
    failed = featurizer.failed_proxies()
    if failed:
        print(f"proxies that failed (NaN; the model imputes them): {failed}")
    mean, std = model[-1].predict_dist(X)
    table = [
        {"arch": a, "predicted": float(m), "std": float(s)}
        for a, m, s in zip(archs, mean, std, strict=True)
    ]
    print(format_table(table, ["arch", "predicted", "std"]))
    return 0
