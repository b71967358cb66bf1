"""``omni predictors``: the registry of base predictors -- name, family, groups, cost profile."""

from __future__ import annotations

import argparse
import json

from base_predictors import registry
from omni.reporting import format_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predictors", help="list the registered base predictors and their costs")
    p.add_argument("--family", help="only this family (model-based, learning-curve, hybrid, ...)")
    p.add_argument(
        "--fidelity", type=int, help="show learning-curve predictors at this many epochs"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def rows(family: str | None = None, fidelity: int | None = None) -> list[dict]:
    """One dict per registered predictor (zero-cost proxies are listed per benchmark)."""
    out = []
    for info in registry.all_predictors():
        if family and info.family != family:
            continue
        if fidelity is not None and info.fidelity is not None:
            info = info.at_fidelity(fidelity)
        cost = info.cost
        out.append(
            {
                "name": info.name,
                "family": info.family,
                "groups": ",".join(info.groups),
                "needs_training": cost.needs_training,
                "fit": cost.fit_complexity,
                "feature_cost": cost.feature_cost,
                "unlabeled": info.unlabeled,
                "description": info.description,
            }
        )
    return out


def run(args: argparse.Namespace) -> int:
    table = rows(args.family, args.fidelity)
    if args.json:
        print(json.dumps({"predictors": table}, indent=1))
        return 0
    print(
        format_table(
            table,
            ["name", "family", "groups", "needs_training", "fit", "feature_cost", "unlabeled"],
        )
    )
    print(
        "\nplus every zero-cost proxy of a benchmark by its name (family zero-cost, "
        "no training); learning-curve predictors take any fidelity as NAME@EPOCHS."
    )
    return 0
