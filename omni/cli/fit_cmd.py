"""``omni fit``: fit the composite (a tuned profile or the default plan) and save it with its
featurizer, as one pipeline ``archs -> prediction``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sklearn.pipeline import Pipeline

from omni.budget import Budget
from omni.cli.bench_args import add_bench_arguments, load_bench
from omni.evaluation.splits import uniform_split
from omni.featurizer import Featurizer
from omni.persistence import save_model
from omni.tuning import Profile, default_plan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="fit the composite on a sample of a benchmark and save it")
    add_bench_arguments(p)
    p.add_argument("--train-size", type=int, required=True)
    p.add_argument("--profile", help="profile JSON from `omni tune` (default: untuned plan)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    bench = load_bench(args)
    profile = None
    if args.profile:
        profile = Profile.from_dict(json.loads(Path(args.profile).read_text()))
        groups, params = profile.groups, profile.params
    else:
        groups, params = default_plan(bench, Budget())
    train = uniform_split(bench, 0, args.train_size, random_state=args.seed).train
    featurizer = Featurizer.for_table(bench, groups)
    from omni.predictor import OmniPredictor

    model = OmniPredictor(columns=featurizer.columns, random_state=args.seed, **params).fit(
        featurizer.transform_rows(train), bench.target[train]
    )
    pipeline = Pipeline([("features", featurizer), ("predictor", model)])
    save_model(
        args.out,
        pipeline,
        groups=list(featurizer.groups_),
        space=bench.space,
        dataset=bench.dataset,
        benchmark=str(args.bench),
        profile=profile.to_dict() if profile else None,
        params=params,
        seed=args.seed,
        train_archs=[bench.archs[r] for r in train],
    )
    print(f"fitted on {len(train)} architectures with groups {list(groups)}; saved to {args.out}")
    return 0
