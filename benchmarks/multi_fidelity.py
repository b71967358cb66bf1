"""Multi-fidelity search on nb201-digits: Hyperband, OMNI-guided Hyperband, regularized
evolution and random search with full trainings, all given the same budget in epochs.

    python benchmarks/multi_fidelity.py [--seeds 10] [--budget-trainings 300]

The budget is ``budget_trainings * 12`` epochs. Full-training strategies are charged 12
epochs per query; Hyperband-style runs are charged only the epochs they newly train (a run
promoted from 4 to 12 epochs costs 8). Regret: the best final accuracy in the table minus the
final accuracy of the best architecture trained to 12 epochs (the incumbent), in percentage
points. Defaults are fixed, not tuned on this benchmark: eta = 3, min 1 epoch, and
omni-hyperband's own defaults (10 full runs before its models are used, 1/3 random proposals,
paused runs resumed). ``omni-hyperband-noresume`` is the ablation with ``resume_paused=False``
(paused runs stay stopped, as in Hyperband and BOHB).

Resumable: each (strategy, seed) is written to ``multi_fidelity.partial.json`` as it finishes
and skipped on a rerun. Writes benchmarks/results/multi_fidelity.json ({"optimum", "runs",
"summary", "comparisons", "meta"}) and multi_fidelity.png (regret against epochs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch
from _common import RESULTS

from omni.data import load_benchmark
from omni.nas.fidelity_oracle import MultiFidelityOracle
from omni.nas.fidelity_report import plot_regret_vs_epochs, regret_at_epochs, regret_table
from omni.nas.report import paired_difference
from omni.nas.simulate_fidelity import FidelityRun, run_budget
from omni.progress import progress_bar
from omni.reporting import format_table, write_json

STRATEGIES = ("random", "evolution", "hyperband", "omni-hyperband", "omni-hyperband-noresume")
OURS = "omni-hyperband"
BASELINES = ("hyperband", "evolution", "random", "omni-hyperband-noresume")
#: benchmark labels that run a registered strategy with other parameters: label -> (name, params)
VARIANTS = {"omni-hyperband-noresume": ("omni-hyperband", {"resume_paused": False})}
FRACTIONS = (0.25, 1.0)


def paired(runs, optimum: float, epochs: float, ours: str, baseline: str) -> dict:
    """``ours`` minus ``baseline`` regret at ``epochs``, paired by seed (negative: ours better)."""
    regret = {
        (r.strategy, r.seed): regret_at_epochs(r, optimum, [epochs])[0]
        for r in runs
        if r.strategy in (ours, baseline)
    }
    return {"epochs": epochs, **paired_difference(regret, ours, baseline)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench", default="nb201-digits")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds first..first+seeds-1 (split a run "
        "across processes, each with its own --out; merge their partial files to summarise)",
    )
    parser.add_argument("--budget-trainings", type=int, default=300)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--out", default=str(RESULTS / "multi_fidelity.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    bench = load_benchmark(args.bench)
    oracle = MultiFidelityOracle(bench)
    budget_epochs = args.budget_trainings * oracle.max_epochs
    names = [s for s in args.strategies.split(",") if s]
    partial_path = args.out.replace(".json", ".partial.json")
    config = {"bench": args.bench, "budget_trainings": args.budget_trainings}
    done: dict[str, dict] = {}
    try:
        with open(partial_path) as f:
            stored = json.load(f)
        if stored.get("config") == config:
            done = stored["runs"]
    except FileNotFoundError:
        pass
    seconds = {k: v.get("seconds", 0.0) for k, v in done.items()}
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(n, s) for n in names for s in seeds]
    with progress_bar(total=len(jobs), desc="multi-fidelity", unit="run") as bar:
        for name, seed in jobs:
            key = f"{name}/{seed}"
            bar.set_postfix_str(key)
            if key not in done:
                start = time.perf_counter()
                base, params = VARIANTS.get(name, (name, None))
                run = run_budget(bench, base, args.budget_trainings, seed, strategy_params=params)
                run.strategy = name
                seconds[key] = time.perf_counter() - start
                done[key] = {**run.to_dict(), "seconds": seconds[key]}
                write_json(partial_path, {"config": config, "runs": done})
            bar.update()
    runs = [FidelityRun.from_dict(done[f"{n}/{s}"]) for n, s in jobs]
    optimum = oracle.optimum
    summary = regret_table(runs, optimum, budget_epochs, FRACTIONS)
    comparisons = [
        paired(runs, optimum, f * budget_epochs, OURS, b)
        for b in BASELINES
        if OURS in names and b in names
        for f in FRACTIONS
    ]
    mean = {(r["strategy"], r["fraction"]): r["mean"] for r in summary}
    accepted = bool(
        OURS in names
        and all(
            mean[(OURS, f)] < mean[(b, f)]
            for b in ("hyperband", "evolution")
            if b in names
            for f in FRACTIONS
        )
    )
    print(
        f"mean regret (pp) over {len(seeds)} seeds; optimum {optimum:.2f}; budget "
        f"{budget_epochs} epochs ({args.budget_trainings} full trainings)"
    )
    print(
        format_table(
            summary,
            [
                "strategy",
                "fraction",
                "epochs",
                "mean",
                "std",
                "sem",
                "missing",
                "mean_full_trainings",
            ],
        )
    )
    if comparisons:
        cols = ["ours", "baseline", "epochs", "mean_difference", "ci95_low", "ci95_high"]
        print(format_table(comparisons, [*cols, "ours_lower_on_seeds", "ties"]))
    print(
        f"acceptance ({OURS} lower mean regret than hyperband and evolution at 25 % and "
        f"100 %): {accepted}"
    )
    meta = {
        "bench": args.bench,
        "seeds": len(seeds),
        "first_seed": args.first_seed,
        "budget_trainings": args.budget_trainings,
        "budget_epochs": budget_epochs,
        "max_epochs": oracle.max_epochs,
        "eta": 3,
        "min_epochs": 1,
        "incumbent": "best architecture trained to max_epochs (its final val_acc)",
        "cost_unit": "epochs (seconds from bench.epoch_seconds in runs[].cost_seconds)",
        "seconds_per_run": {k: seconds.get(k) for k in (f"{n}/{s}" for n, s in jobs)},
        "mean_resumed": {
            n: float(np.mean([r.resumed for r in runs if r.strategy == n])) for n in names
        },
        "variants": {
            k: {"strategy": b, "params": p} for k, (b, p) in VARIANTS.items() if k in names
        },
        "accepted": accepted,
    }
    write_json(
        args.out,
        {
            "optimum": optimum,
            "runs": [r.to_dict() for r in runs],
            "summary": summary,
            "comparisons": comparisons,
            "meta": meta,
        },
    )
    plot_regret_vs_epochs(
        runs,
        optimum,
        args.out.replace(".json", ".png"),
        f"{args.bench}: {args.seeds} seeds, budget {args.budget_trainings} x "
        f"{oracle.max_epochs} epochs (band: 1 s.e.)",
    )
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
