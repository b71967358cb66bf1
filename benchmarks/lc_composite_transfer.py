"""Do the learning-curve composites that help on NAS-Bench-NLP transfer to other curves?

    python benchmarks/lc_composite_transfer.py [--data-dir ../shared/data] [--seeds 10] [--jobs 2]

``nlp_composite_variants.py`` found that LCE (``val_metric:extrapolate``) among the composite's
curve statistics, with the strongest-input power allowed, lifts ``omni@3`` on the NLP logs by
about 0.09. A default has to hold on curves it was not chosen on, so the same variants
(:data:`TRANSFER_VARIANTS`, spelled as in ``nlp_composite_variants.VARIANTS``; ``+train-lce``
also extrapolates the training-loss curve; ``+lce-hedged`` reads the hedged LCE, whose median
counts the last value seen as one more family, in LCE's place) run beside the single curve predictors on every
learning-curve benchmark at hand (:data:`CASES`): the NLP logs (fidelities 3 and 10 of 50), the
built-in nb201-digits (3 of 12) and the 200 NB201 CIFAR-10 curves (10 of 200). Each variant
reads what the shipped ``omni@e`` reads besides its curve statistics (graph features, and the
proxies where the benchmark has them), so the two differ only in what the variant changes.
Uniform isomorph-safe splits, seeds 0..N-1. Each (case, predictor) is cached under
runs/lc_composite_transfer/<code fingerprint>/ (resumable). Writes
benchmarks/results/lc_composite_transfer.json.
"""

from __future__ import annotations

import argparse

from _common import RESULTS, cached_evaluate, chosen, default_data_dir, parts_dir, write_summary
from joblib import Parallel, delayed
from nlp_composite_variants import VARIANTS, spec
from nlp_lc import LOGS

from omni.data import load_benchmark
from omni.predictors import composite_spec, resolve

PARTS = parts_dir("lc_composite_transfer")
TRANSFER_VARIANTS = ("omni+inf+lce", "omni+inf+lce+train-lce", "omni+inf+lce-hedged")
SINGLES = ("sotle", "early-stop", "lce", "lce-hedged")
#: name -> (benchmark source, under the data dir or built in; fidelity; test size; train sizes)
CASES = {
    "nlp@3": (f"data:{LOGS}", 3, 43, (20, 50)),
    "nlp@10": (f"data:{LOGS}", 10, 43, (20, 50)),
    "nb201-digits@3": ("nb201-digits", 3, 200, (20, 100)),
    "nb201-cifar10-lc200@10": ("data:nb201/nb201_cifar10_lc200.json", 10, 100, (20, 50)),
}


def _specs(bench, e: int, name: str) -> list:
    if name == "omni":
        return [composite_spec(bench, fidelity=e)]
    if name in VARIANTS:  # on the shipped composite's inputs: graph features, and proxies
        return [spec(bench, name, e, arch_groups=composite_spec(bench).groups)]
    return resolve(bench, [f"{name}@{e}"])


def run_part(data_dir: str, case: str, name: str, seeds: int) -> list[dict]:
    """One predictor on one case, cached."""
    source, e, test_size, sizes = CASES[case]

    def make():
        path = f"{data_dir}/{source[5:]}" if source.startswith("data:") else source
        bench = load_benchmark(path)
        return bench, _specs(bench, e, name)

    part = PARTS / f"{case}_{name}_s{seeds}.json"
    return cached_evaluate(part, make, sizes, test_size, seeds, case=case, variant=name)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default=str(RESULTS / "lc_composite_transfer.json"))
    args = p.parse_args(argv)
    cases = chosen(p, args.cases, CASES, "cases")
    names = ("omni", *TRANSFER_VARIANTS, *SINGLES)
    parts = Parallel(n_jobs=args.jobs)(
        delayed(run_part)(args.data_dir, case, name, args.seeds) for case in cases for name in names
    )
    records = [r for part in parts for r in part]
    write_summary(args.out, "lc_composite_transfer.py", argv, records, by="case")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
