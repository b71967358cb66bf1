"""``omni zc``: zero-cost proxy scores (and the seconds each took) on real torch networks."""

from __future__ import annotations

import argparse
from pathlib import Path

from features.errors import OmniError
from features.zero_cost import PROXIES, check_proxies
from omni import spaces
from omni.cluster import parallel_jobs, scheduler
from omni.reporting import format_table, write_json
from omni.zero_cost import score_architectures


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("zc", help="zero-cost proxy scores of architectures on real networks")
    p.add_argument("archs_file", nargs="?", help="one architecture per line (string or NASLib key)")
    p.add_argument("--sample", type=int, metavar="N", help="score N random architectures instead")
    p.add_argument(
        "--space", default="nb201", help=f"registered space ({', '.join(spaces.names())})"
    )
    p.add_argument("--task", help="the space's task whose network is scored (default: its first)")
    p.add_argument("--data", default="random", help="random | digits | PATH.npz (keys x, y)")
    p.add_argument("--proxies", default=",".join(PROXIES), help="comma-separated proxy names")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1, help="parallel workers (joblib)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the parallel work on this dask cluster (tcp://host:8786; omni-nas[dask])",
    )
    p.add_argument("--cache", metavar="DIR", help="resumable on-disk cache directory")
    p.add_argument("--json", metavar="OUT", help="write {'results': [...]} to this file")
    p.set_defaults(func=run)


def _read_archs(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise OmniError(f"{path}: cannot read the architectures file ({err.strerror})") from None
    archs = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not archs:
        raise OmniError(f"{path}: no architectures in it")
    return archs


def run(args: argparse.Namespace) -> int:
    space = spaces.get(args.space)
    if (args.archs_file is None) == (args.sample is None):
        raise OmniError("give either ARCHS_FILE or --sample N")
    if args.sample is not None:
        if args.sample < 1:
            raise OmniError(f"--sample must be >= 1, got {args.sample}")
        archs: list = space.sample(args.sample, args.seed)
    else:
        archs = _read_archs(args.archs_file)
    proxies = check_proxies(args.proxies)
    task = space.task(args.task)
    with scheduler(args.scheduler):
        results = score_architectures(
            space,
            archs,
            proxies=proxies,
            data=args.data,
            batch_size=args.batch_size,
            seed=args.seed,
            n_jobs=parallel_jobs(args.jobs, args.scheduler),
            cache_dir=args.cache,
            input_shape=None if str(args.data).endswith(".npz") else task.input_shape,
            num_classes=task.num_outputs,
        )
    records = results.records()
    rows = [
        {"arch": r["arch"], **{p: float("nan") if v is None else v for p, v in r["scores"].items()}}
        for r in records
    ]
    print(format_table(rows, ["arch", *proxies], floatfmt=".4g"))
    if args.json:
        write_json(args.json, {"results": records})
        print(f"wrote {args.json}")
    return 0
