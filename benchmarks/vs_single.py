"""OMNI against the best single predictor, paired by seed, from runs already on disk.

    python benchmarks/vs_single.py [RESULTS.json ...] [--out results/vs_single.json]

Reads the records of ``omni_bench.py`` runs (and of ``nlp_lc.py`` and the other scripts whose
records name a case or a space; their cells are split by fidelity ``@e``) and, per (benchmark, budget, train size), compares the untuned composite with
two single predictors:

- ``after the fact``: the single with the highest mean tau over the seeds, the README's "best
  single". Picking the largest of a dozen noisy means on the same seeds it is scored on favours
  it (a winner's curse), so the comparison is strict on OMNI.
- ``held out``: for each seed, the single with the highest mean over the *other* seeds, scored
  on this one: a choice a user could have made without this seed's test set.

Seed s has the same split for every predictor, so the per-seed difference removes most of the
split-to-split spread that the two means carry: the table gives the mean difference, its
standard error (std / sqrt(seeds)) and the seeds OMNI wins and loses. A gap of more than two
standard errors is one that ten seeds can tell from noise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from _common import RESULTS

from omni.reporting import format_table, write_json

DEFAULT_RUNS = (
    "omni.json",
    "spaces_nb101.json",
    "spaces_tnb101_micro.json",
    "spaces_darts.json",
    "nlp_lc.json",
)
#: the composite compared; every other name that starts with it (``omni-tuned``, a stack of
#: ``stack_members.py``, a variant of ``lc_composite_transfer.py``) is a composite, not a single
COMPOSITE = "omni"


def cells_of(path: Path) -> dict[tuple, dict[str, dict[int, float]]]:
    """(benchmark, budget, train size) -> predictor -> seed -> Kendall tau."""
    cells: dict[tuple, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for r in json.loads(path.read_text())["records"]:
        name, budget = r["predictor"], r.get("budget")
        if budget is None:  # nlp_lc.py: one cell per fidelity, "lce@3" is "lce" at e=3
            name, _, epochs = name.partition("@")
            budget = f"e={epochs}" if epochs else "all"
        tau = r["kendall_tau"]
        if (
            (name != COMPOSITE and name.startswith(COMPOSITE))
            or tau is None
            or not np.isfinite(tau)
        ):
            continue
        bench = r.get("benchmark") or r.get("case") or r.get("space") or path.stem
        cell = (bench, budget, r["train_size"])
        cells[cell][name][r["seed"]] = float(tau)
    return cells


def paired(diff: np.ndarray) -> dict:
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
    return {
        "diff_mean": float(diff.mean()),
        "diff_se": float(se),
        "wins": int((diff > 0).sum()),
        "losses": int((diff < 0).sum()),
    }


def compare(by_predictor: dict[str, dict[int, float]]) -> dict | None:
    """OMNI minus the best single, after the fact and held out, over the seeds all share."""
    if COMPOSITE not in by_predictor:
        return None
    singles = {k: v for k, v in by_predictor.items() if k != COMPOSITE}
    seeds = sorted(set(by_predictor[COMPOSITE]).intersection(*map(set, singles.values())))
    if len(seeds) < 2 or not singles:
        return None
    tau = {k: np.array([v[s] for s in seeds]) for k, v in singles.items()}
    omni = np.array([by_predictor[COMPOSITE][s] for s in seeds])
    best = max(tau, key=lambda k: tau[k].mean())
    held_out, picks = [], []
    for i in range(len(seeds)):
        others = np.arange(len(seeds)) != i
        pick = max(tau, key=lambda k: tau[k][others].mean())
        picks.append(pick)
        held_out.append(tau[pick][i])
    held_out = np.array(held_out)
    return {
        "seeds": len(seeds),
        "omni": float(omni.mean()),
        "best_single": best,
        "best_single_kt": float(tau[best].mean()),
        "vs_best": paired(omni - tau[best]),
        "held_out_kt": float(held_out.mean()),
        "held_out_picks": sorted(set(picks)),
        "vs_held_out": paired(omni - held_out),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("runs", nargs="*", help=f"result files (default: {', '.join(DEFAULT_RUNS)})")
    p.add_argument("--out", default=str(RESULTS / "vs_single.json"))
    args = p.parse_args(argv)
    start = time.perf_counter()
    paths = [Path(r) for r in args.runs] or [RESULTS / r for r in DEFAULT_RUNS]
    missing = [str(x) for x in paths if not x.exists()]
    if missing:
        p.error(f"no such result file: {', '.join(missing)}")
    rows = []
    for path in paths:
        try:
            cells = cells_of(path)
        except (OSError, KeyError, ValueError) as err:
            p.error(f"{path}: not a benchmark run with per-seed records ({err!r})")
        for (bench, budget, n), by_predictor in sorted(cells.items()):
            result = compare(by_predictor)
            if result is not None:
                rows.append(
                    {"file": path.name, "benchmark": bench, "budget": budget, "n": n, **result}
                )
    if not rows:
        print("no cell holds both omni and a single predictor", file=sys.stderr)
        return 1
    table = [
        {
            "benchmark": r["benchmark"],
            "budget": r["budget"],
            "n": r["n"],
            "omni": r["omni"],
            "best single": f"{r['best_single']} {r['best_single_kt']:.3f}",
            "diff ± se": f"{r['vs_best']['diff_mean']:+.3f} ± {r['vs_best']['diff_se']:.3f}",
            "won/lost": f"{r['vs_best']['wins']}/{r['vs_best']['losses']}",
            "held-out pick": f"{r['held_out_kt']:.3f}",
            "diff ± se (held out)": (
                f"{r['vs_held_out']['diff_mean']:+.3f} ± {r['vs_held_out']['diff_se']:.3f}"
            ),
        }
        for r in rows
    ]
    print(format_table(table, list(table[0])))
    write_json(
        args.out,
        {
            "meta": {
                "command": "python benchmarks/vs_single.py " + " ".join(argv or sys.argv[1:]),
                "runs": [str(x) for x in paths],
                "seconds": time.perf_counter() - start,
            },
            "rows": rows,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
