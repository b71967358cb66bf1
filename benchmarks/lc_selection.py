"""Can a few labelled architectures tell which learning-curve statistic ranks the others best?

    python benchmarks/lc_selection.py [--data-dir ../shared/data] [--seeds 10]

A composite that beats the best single statistic must, at the least, find that statistic from
its training architectures. The statistics here (SoTL-E, early stopping, LCE) fit nothing, so
their Kendall tau on the training architectures is an honest estimate, and the only question is
whether it points at the statistic that is best on the test architectures. Same splits as
``nlp_lc.py`` / ``omni evaluate`` (uniform, isomorph-safe, seeds 0..N-1). For each benchmark,
fidelity and train size: how often the statistic with the highest training tau is the one with
the highest test tau, the test tau of that choice against the best fixed statistic, and the
correlation over seeds between the training and the test gap of the best fixed statistic over
each other one.
A negative correlation means a lead on the training cells predicts a loss on the test cells:
on a small file this happens when a few architectures carry the lead (``decisive_cell``: the
best statistic's lead in concordant pairs, the part of it that its most decisive architecture
carries, and both taus without it), so that which side of the split they fall on decides.
Writes benchmarks/results/lc_selection.json.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _common import RESULTS, default_data_dir
from nlp_lc import LOGS
from scipy import stats

from omni.data import load_benchmark
from omni.evaluation.splits import class_groups, uniform_split
from omni.featurizer import Featurizer
from omni.predictors import resolve
from omni.reporting import format_table, write_json

STATISTICS = ("sotle", "early-stop", "lce", "lce-hedged")
#: name -> (benchmark under the data dir, or built in; fidelities; test size; train sizes;
#: classes drawn afresh per seed as the population, None: all). The last case puts the
#: built-in benchmark in NLP's shoes: 93 classes, so that train and test use all of them.
CASES = {
    "nlp": (LOGS, (3, 10), 43, (20, 50), None),
    "nb201-cifar10-curves": ("nb201/nb201_cifar10_lc200.json", (10,), 100, (20, 50), None),
    "nb201-digits": ("nb201-digits", (3,), 200, (20, 100), None),
    "nb201-digits, 93 classes": ("nb201-digits", (3,), 43, (20, 50), 93),
}


def _tau(y: np.ndarray, pred: np.ndarray) -> float:
    return float(stats.kendalltau(y, pred)[0])


def scores_of(bench, fidelity: int) -> dict[str, np.ndarray]:
    """Each statistic's score of every architecture (they fit nothing)."""
    out = {}
    for spec in resolve(bench, [f"{name}@{fidelity}" for name in STATISTICS]):
        X = Featurizer.for_table(bench, spec.groups).transform_rows(np.arange(len(bench)))
        out[spec.name.split("@")[0]] = spec.make(0).fit(X, bench.target).predict(X)
    return out


def decisive_cell(y: np.ndarray, better: np.ndarray, other: np.ndarray) -> dict:
    """``better``'s lead over ``other`` in concordant pairs (every architecture), the net pairs
    of it that the one architecture carrying most of it is in, and the two taus without it."""
    ok = np.flatnonzero(np.isfinite(y))
    y, better, other = y[ok], better[ok], other[ok]
    order = np.sign(y[:, None] - y[None, :])
    lead = np.sign(better[:, None] - better[None, :]) - np.sign(other[:, None] - other[None, :])
    per_arch = (lead * order).sum(axis=1) / 2.0  # net pairs won, per architecture
    total = per_arch.sum() / 2.0  # every pair is counted from both of its ends
    top = int(per_arch.argmax())
    rest = np.arange(len(y)) != top
    return {
        "lead_pairs": float(total),
        "pairs_of_top": float(per_arch[top]),
        "row": int(ok[top]),
        "kt_without": [_tau(y[rest], better[rest]), _tau(y[rest], other[rest])],
    }


def decisive_cells(bench, fidelity: int) -> list[dict]:
    """:func:`decisive_cell` of the statistic with the best tau on every architecture, over
    each other one."""
    scores = scores_of(bench, fidelity)
    ok = np.isfinite(bench.target)
    best = max(STATISTICS, key=lambda k: _tau(bench.target[ok], scores[k][ok]))
    return [
        {
            "fidelity": fidelity,
            "best": best,
            "other": name,
            **decisive_cell(bench.target, scores[best], scores[name]),
        }
        for name in STATISTICS
        if name != best
    ]


def selection(bench, fidelity, test_size, sizes, seeds, population=None) -> list[dict]:
    scores = scores_of(bench, fidelity)
    every = class_groups(bench)
    rows = []
    for n in sizes:
        train_tau = np.zeros((seeds, len(STATISTICS)))
        test_tau = np.zeros((seeds, len(STATISTICS)))
        for seed in range(seeds):
            groups = every
            if population is not None:
                drawn = np.random.default_rng([seed, population]).permutation(len(every))
                groups = [every[k] for k in drawn[:population]]
            split = uniform_split(bench, test_size, max(sizes), random_state=seed, groups=groups)
            train = split.train_rows(n)
            for k, name in enumerate(STATISTICS):
                train_tau[seed, k] = _tau(bench.target[train], scores[name][train])
                test_tau[seed, k] = _tau(bench.target[split.test], scores[name][split.test])
        picked = train_tau.argmax(axis=1)
        best = int(test_tau.mean(axis=0).argmax())
        row = {
            "fidelity": fidelity,
            "train_size": n,
            "best_fixed": STATISTICS[best],
            "best_fixed_test_kt": float(test_tau[:, best].mean()),
            "picked_by_train_kt": float(test_tau[np.arange(seeds), picked].mean()),
            "picks_the_test_best": float((picked == test_tau.argmax(axis=1)).mean()),
        }
        for k, name in enumerate(STATISTICS):  # does a training-set lead carry over to test?
            if k != best:
                train_gap = train_tau[:, best] - train_tau[:, k]
                test_gap = test_tau[:, best] - test_tau[:, k]
                row[f"gap_corr_vs_{name}"] = float(np.corrcoef(train_gap, test_gap)[0, 1])
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--out", default=str(RESULTS / "lc_selection.json"))
    args = p.parse_args(argv)
    summary, decisive = [], []
    for case, (source, fidelities, test_size, sizes, population) in CASES.items():
        path = source if source == "nb201-digits" else f"{args.data_dir}/{source}"
        try:
            bench = load_benchmark(path)
        except Exception as err:  # a benchmark this machine lacks is skipped, and said so
            print(f"skipping {case}: {err}", file=sys.stderr)
            continue
        for e in fidelities:
            for row in selection(bench, e, test_size, sizes, args.seeds, population):
                classes = population or len(class_groups(bench))
                summary.append({"benchmark": case, "classes": classes, **row})
            if population is None:
                decisive += [{"benchmark": case, **d} for d in decisive_cells(bench, e)]
    print(format_table(summary, list(dict.fromkeys(k for row in summary for k in row))))
    for d in decisive:
        print(
            f"{d['benchmark']} e={d['fidelity']}: {d['best']} leads {d['other']} by "
            f"{d['lead_pairs']:.0f} concordant pairs, {d['pairs_of_top']:.0f} of them through one "
            f"architecture (row {d['row']}); without it, Kendall tau {d['kt_without'][0]:.3f} "
            f"against {d['kt_without'][1]:.3f}"
        )
    command = "python benchmarks/lc_selection.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    write_json(
        args.out,
        {"command": command, "seeds": args.seeds, "summary": summary, "decisive": decisive},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
