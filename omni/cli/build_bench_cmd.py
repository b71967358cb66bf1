"""``omni build-bench``: train sampled cells for real and write a benchmark file (resumable)."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from features.errors import OmniError


def _channels(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"channels must be positive, got {text!r}")
    return values


def _given(**options):
    """The options the user set (None = keep the library default)."""
    return {k: v for k, v in options.items() if v is not None}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "build-bench",
        help="train sampled cells for real and write a benchmark (resumable)",
        description=(
            "Sample distinct canonical cells uniformly, train each (curves of train/val loss and "
            "accuracy, seconds per epoch) and write the project's benchmark format. Interrupt "
            "and rerun the same command to resume from the work directory."
        ),
    )
    p.add_argument("--space", default="nb201", help="search space (default nb201)")
    p.add_argument("--dataset", default="digits", help="training dataset (default digits)")
    p.add_argument("--archs", type=int, required=True, help="number of distinct cells")
    p.add_argument("--epochs", type=int, help="training epochs per cell (default 12)")
    p.add_argument("--out", required=True, help="benchmark file to write (.json or .json.gz)")
    p.add_argument("--jobs", type=int, default=1, help="parallel training processes")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the parallel work on this dask cluster (tcp://host:8786; omni-nas[dask])",
    )
    p.add_argument("--seed", type=int, default=0, help="sampling and training seed")
    p.add_argument("--seed-repeats", type=int, default=3, help="seeds per repeated cell")
    p.add_argument("--repeat-archs", type=int, default=20, help="cells trained with every seed")
    p.add_argument("--workdir", help="checkpoint folder (default .omni-cache/build-<hash>)")
    p.add_argument("--channels", type=_channels, help="per stage (default 4,8,16)")
    p.add_argument("--cells-per-stage", type=int, help="(default 3)")
    p.add_argument("--batch-size", type=int, help="(default 64)")
    p.add_argument("--lr", type=float, help="initial learning rate (default 0.05)")
    p.add_argument("--image-size", type=int, default=None, help="resize images (default native)")
    p.add_argument("--val-size", type=int, help="validation images, stratified (default 897)")
    p.add_argument("--train-size", type=int, default=None, help="training images (default rest)")
    p.add_argument("--split-seed", type=int, help="seed of the train/val split (default 0)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument(
        "--proxies",
        default="all",
        help="zero-cost proxies to score on a batch of the training data ('none' to skip)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from omni import spaces
    from omni.cluster import parallel_jobs, scheduler
    from omni.training import DatasetSpec, TrainConfig
    from omni.training.build import build_benchmark

    space = spaces.get(args.space)
    if not hasattr(space, "network"):
        raise OmniError(f"space {args.space!r} cannot build torch networks")
    data = DatasetSpec(
        **_given(
            name=args.dataset,
            image_size=args.image_size,
            val_size=args.val_size,
            train_size=args.train_size,
            split_seed=args.split_seed,
        )
    )
    config = TrainConfig(
        data=data,
        **_given(
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            channels=args.channels,
            cells_per_stage=args.cells_per_stage,
        ),
    )
    out = Path(args.out)
    if not out.parent.exists():
        raise OmniError(f"{out.parent}: no such folder for --out")
    workdir = args.workdir
    if workdir is None:
        digest = hashlib.sha1(
            json.dumps([args.space, config.to_dict()], sort_keys=True).encode()
        ).hexdigest()[:12]
        workdir = Path(".omni-cache") / f"build-{digest}"
    workdir = Path(workdir).resolve()  # the same folder for every worker's process
    jobs = parallel_jobs(args.jobs, args.scheduler)
    with scheduler(args.scheduler):
        bench = build_benchmark(
            space,
            config,
            n_archs=args.archs,
            seed=args.seed,
            seed_repeats=args.seed_repeats,
            repeat_archs=args.repeat_archs,
            workdir=workdir,
            n_jobs=jobs,
            progress=not args.no_progress,
        )
        if args.proxies != "none":
            from omni.training.datasets import load_dataset
            from omni.zero_cost import add_scores, score_architectures

            images = load_dataset(data)
            results = score_architectures(
                space,
                bench.archs,
                proxies=None if args.proxies == "all" else args.proxies.split(","),
                data=args.dataset,
                batch_size=64,
                seed=args.seed,
                input_shape=images.input_shape,
                num_classes=images.num_classes,
                n_jobs=jobs,
                cache_dir=Path(workdir) / "zero-cost",
                progress=not args.no_progress,
                network_kwargs={
                    "channels": config.channels,
                    "cells_per_stage": config.cells_per_stage,
                },
            )
            add_scores(bench, results)
    bench.save(out)
    target = bench.target
    noise = bench.metadata["seed_repeats"].get("kendall_tau_mean")
    build = bench.metadata["build"]
    rows = [
        ("cells", f"{len(bench)}"),
        ("epochs", f"{config.epochs}"),
        (
            "final val_acc",
            f"min {target.min():.2f}  median {float(np.median(target)):.2f}  "
            f"max {target.max():.2f}",
        ),
        ("seed-noise KT", "n/a" if noise is None else f"{noise:.3f}"),
        ("train seconds", f"{build['compute_seconds']:.0f} (compute, all runs)"),
        ("workdir", str(workdir)),
        ("written", str(out)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0
