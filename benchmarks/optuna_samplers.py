"""OmniSampler against Optuna's own samplers on NB201 CIFAR-10 as a tabular objective.

    python benchmarks/optuna_samplers.py [--data-dir ../shared/data] [--trials 100] [--seeds 10]

Every sampler drives one ordinary Optuna study per seed whose objective reads its architecture
with ``space.suggest(trial)`` and returns the table's accuracy. Samplers: Optuna's
``RandomSampler``, ``TPESampler`` (defaults, which in Optuna 5 are the multivariate TPE, and
``multivariate=False``), ``OmniSampler`` with
the space's encodings only (``omni``) and with the table's zero-cost scores as well
(``omni-zc``). Writes benchmarks/results/optuna_samplers.json (runs, regret summary, paired
comparisons at ``--at`` trials) and optuna_samplers.png. Regret: the table's best accuracy
minus the best found, in percentage points.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import optuna
from _common import RESULTS, default_data_dir
from joblib import Parallel, delayed

from omni import spaces
from omni.data import load_benchmark
from omni.integrations import OmniSampler
from omni.nas import BenchmarkFeaturizer, SearchRun, TabularOracle
from omni.nas.report import CHECKPOINTS, paired_regret, regret_table, write_search_results
from omni.reporting import format_table

SAMPLERS = ("random", "tpe", "tpe-independent", "omni", "omni-zc")
OURS = ("omni", "omni-zc")


def make_sampler(name: str, seed: int, bench) -> optuna.samplers.BaseSampler:
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "tpe-independent":
        return optuna.samplers.TPESampler(seed=seed, multivariate=False)
    if name == "omni":
        return OmniSampler(space=bench.space, seed=seed)
    if name == "omni-zc":
        return OmniSampler(space=bench.space, seed=seed, featurizer=BenchmarkFeaturizer(bench))
    raise SystemExit(f"unknown sampler {name!r}; use some of {','.join(SAMPLERS)}")


def run_one(name: str, seed: int, bench, trials: int) -> SearchRun:
    """One study of ``trials`` trials; its best value so far after every trial."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = spaces.get(bench.space)
    oracle = TabularOracle(bench)

    def objective(trial: optuna.Trial) -> float:
        return oracle.query(space.to_str(space.suggest(trial)))

    study = optuna.create_study(direction="maximize", sampler=make_sampler(name, seed, bench))
    study.optimize(objective, n_trials=trials)
    values = [t.value if t.value is not None else -np.inf for t in study.trials]
    best = np.maximum.accumulate(values).tolist()
    return SearchRun(name, seed, best, [float(i + 1) for i in range(len(best))])


def paired(runs: list[SearchRun], optimum: float, at: int, names: list[str]) -> list[dict]:
    """Ours minus each baseline's regret at ``at`` trials, paired by seed (negative: ours better)."""
    ours = [n for n in names if n in OURS]
    return [paired_regret(runs, optimum, at, o, b) for o in ours for b in names if b not in OURS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--at", type=int, default=100, help="trials of the paired comparison")
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", default=str(RESULTS / "optuna_samplers.json"))
    args = parser.parse_args(argv)
    names = args.samplers.split(",")
    for name in names:
        if name not in SAMPLERS:
            raise SystemExit(f"unknown sampler {name!r}; use some of {','.join(SAMPLERS)}")
    bench = load_benchmark(args.data_dir)
    optimum = TabularOracle(bench).optimum
    start = time.perf_counter()
    jobs = [(n, s) for s in range(args.seeds) for n in names]
    runs = Parallel(n_jobs=args.jobs, verbose=5)(
        delayed(run_one)(n, s, bench, args.trials) for n, s in jobs
    )
    seconds = time.perf_counter() - start
    at = min(args.at, args.trials)
    checkpoints = sorted({q for q in CHECKPOINTS if q <= args.trials} | {at})
    summary = regret_table(runs, optimum, checkpoints)
    comparisons = paired(runs, optimum, at, names) if args.seeds > 1 else []
    print(f"mean regret (pp) over {args.seeds} seeds; optimum {optimum:.2f}; {seconds:.0f} s")
    print(format_table(summary, ["strategy", "queries", "mean", "std"]))
    if comparisons:
        cols = ["ours", "baseline", "queries", "mean_difference", "ci95_low", "ci95_high"]
        print(format_table(comparisons, cols))
    meta = {
        "data_dir": args.data_dir,
        "benchmark": f"{bench.space} {bench.dataset}",
        "trials": args.trials,
        "seeds": args.seeds,
        "optuna": optuna.__version__,
        "seconds": seconds,
        "jobs": args.jobs,
    }
    write_search_results(
        args.out,
        runs,
        optimum,
        summary,
        comparisons,
        meta,
        title=f"Optuna samplers on {bench.space} {bench.dataset}: {args.seeds} seeds (95% CI)",
        cost_label="trials",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
