"""Which base predictors should the composite stack? Alternative stacks against the singles.

    python benchmarks/stack_members.py [--data-dir ../shared/data] [--seeds 10] [--jobs 2]

On the published files of NB101 and DARTS (graph features + every proxy, the
``zero-cost-all`` budget of ``omni_bench.py``; canonical uniform splits, test 200, seeds
0..N-1), the composite with its default stack and with stacks that hold the full-strength
pairwise predictor (``pairwise-full``, the registry's ``pairwise-graf``) with fewer, stronger
partners, or as the level-1 model itself, beside the strongest single predictors over the same
inputs (also on the four TNB101-micro tasks and NB201 CIFAR-10 with ``--spaces``). The question is
the CNN-spaces issue's "OMNI >= the best single predictor": whether the rank meta-model, fitted
on out-of-fold predictions of 20-100 architectures, can tell its best member from the rest.
Each (space, stack) is cached under runs/stack_members/<code fingerprint>/ (resumable).
Writes benchmarks/results/stack_members.json.
"""

from __future__ import annotations

import argparse

from _common import (
    RESULTS,
    SPACE_BENCHMARKS,
    cached_evaluate,
    chosen,
    default_data_dir,
    parts_dir,
    write_summary,
)
from joblib import Parallel, delayed
from nlp_composite_variants import ONE_SE, WITH_INF

from omni.data import load_benchmark
from omni.featurizer import Featurizer
from omni.predictor import OmniPredictor
from omni.predictors import PredictorSpec, resolve
from omni.tuning import DEFAULT_PARAMS

PARTS = parts_dir("stack_members")
GROUPS = ("graph", "zc:*")
FULL_PAIRWISE = ("xgb-rank@all", "rf@all", "et@all", "pairwise-full@all")
#: name -> the stack's base predictors (the rank meta-model, its default, over each)
STACKS = {
    "omni": tuple(DEFAULT_PARAMS["base_predictors"]),
    "omni[pairwise-full,rf]": ("pairwise-full@all", "rf@all"),
    "omni[pairwise-full,pairwise]": ("pairwise-full@all", "pairwise@all"),
    "omni[pairwise-full,xgb-rank,rf]": ("pairwise-full@all", "xgb-rank@all", "rf@all"),
    # the default's members with the full-strength pairwise predictor in the light one's place
    "omni[xgb-rank,rf,et,pairwise-full]": FULL_PAIRWISE,
    # ... and a meta-model that may take its strongest member alone
    "omni[xgb-rank,rf,et,pairwise-full]+inf": FULL_PAIRWISE,
    "omni[xgb-rank,rf,et,pairwise-full]+inf+one-se": FULL_PAIRWISE,
    # the full-strength pairwise predictor as the level-1 model ("/"), over the raw columns
    # and the out-of-fold predictions of the default's three tree ensembles
    "omni[xgb-rank,rf,et]/pairwise-full": ("xgb-rank@all", "rf@all", "et@all"),
    # the default's stack under a blend of the rank meta-model and the full pairwise one
    "omni/rank+pairwise-full": tuple(DEFAULT_PARAMS["base_predictors"]),
}
#: the composite's parameters where a stack does not keep the default's
STACK_PARAMS = {
    "omni[xgb-rank,rf,et,pairwise-full]+inf": {"meta_params": WITH_INF},
    "omni[xgb-rank,rf,et,pairwise-full]+inf+one-se": {"meta_params": ONE_SE},
    "omni[xgb-rank,rf,et]/pairwise-full": {"meta": "pairwise-full", "meta_params": None},
    "omni/rank+pairwise-full": {"meta": ("rank", "pairwise-full"), "meta_params": None},
}
SINGLES = ("pairwise-graf", "rf-graf")
#: benchmark -> (path under the data folder, dataset); NB201's folder has one dataset
BENCHMARKS = {**SPACE_BENCHMARKS, "nb201-cifar10": ("nb201", None)}
#: space (a name of ``BENCHMARKS``) -> train sizes
SPACES = {
    "nb101": (20, 50, 90),
    "darts": (20, 100),
    # TNB101-micro's four tasks: 385 classes, so with 200 test architectures training stops at 180
    **{name: (20, 100, 180) for name in SPACE_BENCHMARKS if name.startswith("tnb101-micro-")},
    "nb201-cifar10": (20, 100, 400),
}


def run_part(data_dir: str, space: str, name: str, seeds: int) -> list[dict]:
    """One stack (or single predictor) on one space, cached."""
    (path, dataset), sizes = BENCHMARKS[space], SPACES[space]

    def make():
        bench = load_benchmark(f"{data_dir}/{path}", dataset=dataset)
        if name not in STACKS:
            return bench, resolve(bench, [name])
        columns = Featurizer.for_table(bench, GROUPS).columns_
        params = {**DEFAULT_PARAMS, "base_predictors": list(STACKS[name])}
        params.update(STACK_PARAMS.get(name, {}))
        factory = lambda rs: OmniPredictor(columns=columns, random_state=rs, **params)  # noqa: E731
        return bench, [PredictorSpec(name, "composite", GROUPS, factory)]

    part = PARTS / f"{space}_{name.replace('/', '~')}_s{seeds}.json"  # "/": level-1 stacks
    return cached_evaluate(part, make, sizes, 200, seeds, space=space)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--spaces", default="nb101,darts")
    p.add_argument(
        "--stacks",
        default=";".join((*STACKS, *SINGLES)),
        help="stacks and single predictors, separated by ';' (stack names hold commas)",
    )
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default=str(RESULTS / "stack_members.json"))
    args = p.parse_args(argv)
    spaces = chosen(p, args.spaces, SPACES, "spaces")
    names = chosen(p, args.stacks, (*STACKS, *SINGLES), "stacks", sep=";")
    parts = Parallel(n_jobs=args.jobs)(
        delayed(run_part)(args.data_dir, space, name, args.seeds)
        for space in spaces
        for name in names
    )
    records = [r for part in parts for r in part]
    write_summary(args.out, "stack_members.py", argv, records, by="space")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
