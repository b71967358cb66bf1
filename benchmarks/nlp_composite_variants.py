"""NAS-Bench-NLP: which composite could beat the best single learning-curve statistic?

    python benchmarks/nlp_composite_variants.py [--data-dir ../shared/data] [--fidelities 3,10]

The protocol of ``nlp_lc.py`` (43 test classes, n = 20 and 50, 10 seeds) for variants of the
composite that differ from ``omni@e`` in one or two choices: the rank meta-model may pick the
single strongest input (``inf`` among its powers) and choose its power by the
one-standard-error rule (``select="one-se"``), more curve statistics (LCE, of the validation
and of the training curve; the shape of the validation curve: best, window mean, slope), a
ridge base model over the low-fidelity columns (the one learner that extrapolates), the curve
statistics without the graph features, and the ridge model alone. Each (variant, fidelity)
is cached under runs/nlp_composite_variants/<code fingerprint>/ (resumable). Writes
benchmarks/results/nlp_composite_variants.json.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import RESULTS, cached_evaluate, chosen, default_data_dir, parts_dir, write_summary
from nlp_lc import LOGS

from base_predictors.rank_ensemble import AUTO_POWERS
from omni.data import load_benchmark
from omni.featurizer import Featurizer
from omni.predictor import OmniPredictor, linear_model
from omni.predictors import COMPOSITE_LC_STATISTICS, PredictorSpec
from omni.tuning import DEFAULT_PARAMS

PARTS = parts_dir("nlp_composite_variants")
STACK = tuple(DEFAULT_PARAMS["base_predictors"])
SHAPE = (
    "sotl_e",
    "val_metric:last",
    "val_metric:best",
    "val_metric:window_mean",
    "val_metric:slope",
)
LCE = (*COMPOSITE_LC_STATISTICS, "val_metric:extrapolate")
HEDGED_LCE = (*COMPOSITE_LC_STATISTICS, "val_metric:extrapolate_hedged")
WITH_INF = {"power": "auto", "powers": (*AUTO_POWERS, np.inf)}
ONE_SE = {**WITH_INF, "select": "one-se"}
#: name -> (architecture groups, curve statistics, base predictors, the composite's parameters
#: where they differ from ``DEFAULT_PARAMS``); base predictors ``None``: the ridge model alone
VARIANTS = {
    "omni": (("graph",), COMPOSITE_LC_STATISTICS, STACK, {}),
    "omni+inf": (("graph",), COMPOSITE_LC_STATISTICS, STACK, {"meta_params": WITH_INF}),
    "omni+inf+lce": (("graph",), LCE, STACK, {"meta_params": WITH_INF}),
    "omni+inf+one-se": (("graph",), COMPOSITE_LC_STATISTICS, STACK, {"meta_params": ONE_SE}),
    "omni+inf+one-se+lce": (("graph",), LCE, STACK, {"meta_params": ONE_SE}),
    "omni+inf+ridge": (
        ("graph",),
        COMPOSITE_LC_STATISTICS,
        (*STACK, "ridge@fidelity"),
        {"meta_params": WITH_INF},
    ),
    "omni+inf+shape+ridge": (
        ("graph",),
        SHAPE,
        (*STACK, "ridge@fidelity"),
        {"meta_params": WITH_INF},
    ),
    "omni+inf+shape+lce+ridge": (
        ("graph",),
        (*SHAPE, "val_metric:extrapolate"),
        (*STACK, "ridge@fidelity"),
        {"meta_params": WITH_INF},
    ),
    "omni+inf+lce+train-lce": (
        ("graph",),
        (*LCE, "train:extrapolate"),
        STACK,
        {"meta_params": WITH_INF},
    ),
    "omni+inf+lce-hedged": (("graph",), HEDGED_LCE, STACK, {"meta_params": WITH_INF}),
    "curves-only+inf+lce": ((), LCE, STACK, {"meta_params": WITH_INF}),
    "ridge(shape)": ((), SHAPE[1:], None, None),
    # the rank meta-model blended with the full pairwise one (stack_members.py)
    "omni+blend-pairwise-full": (
        ("graph",),
        COMPOSITE_LC_STATISTICS,
        STACK,
        {"meta": ("rank", "pairwise-full"), "meta_params": None},
    ),
}


def spec(bench, name: str, e: int, arch_groups: tuple[str, ...] | None = None) -> PredictorSpec:
    """Variant ``name`` at fidelity ``e``; ``arch_groups`` replaces the variant's groups that
    are not learning-curve statistics (the shipped composite's, on a benchmark with proxies)."""
    own_groups, stats, base, overrides = VARIANTS[name]
    arch_groups = own_groups if arch_groups is None else arch_groups
    groups = (*arch_groups, *(f"lc:{s}@{e}" for s in stats))
    if base is None:
        return PredictorSpec(f"{name}@{e}", "learning-curve", groups, lambda rs: linear_model())
    columns = Featurizer.for_table(bench, groups).columns_
    params = {**DEFAULT_PARAMS, "base_predictors": list(base), **overrides}
    return PredictorSpec(
        f"{name}@{e}",
        "composite",
        groups,
        lambda rs: OmniPredictor(columns=columns, random_state=rs, **params),
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--fidelities", default="3,10")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--out", default=str(RESULTS / "nlp_composite_variants.json"))
    args = p.parse_args(argv)
    bench = load_benchmark(f"{args.data_dir}/{LOGS}")
    names = chosen(p, args.variants, VARIANTS, "variants")
    records = []
    for e in (int(x) for x in args.fidelities.split(",")):
        for name in names:
            records += cached_evaluate(
                PARTS / f"{name}_e{e}_s{args.seeds}.json",
                lambda e=e, name=name: (bench, [spec(bench, name, e)]),
                (20, 50), 43, args.seeds, fidelity=e, variant=name,
            )  # fmt: skip
    write_summary(args.out, "nlp_composite_variants.py", argv, records)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
