"""Every base predictor's quality against its cost: Kendall tau / Spearman vs init and query
seconds, with the Pareto-optimal predictors marked.

    python benchmarks/pareto.py [--data-dir ../shared/data] [--seeds 10] [--train-sizes 20,100,400]
    python benchmarks/pareto.py --only bnn,bnn[12ep] ...   # rerun some rows, keep the rest

Benchmarks: NB201 CIFAR-10 from the shared data and the built-in ``nb201-digits`` (skipped with
a message while it is not installed). Every registered base predictor whose inputs a benchmark
has runs through the study's protocol (``omni.evaluation.evaluate``: uniform canonical splits,
test size 200), plus every zero-cost proxy and these extra entries (on nb201-digits, whose
training data is built in, a one-shot supernet's scores are attached first, so the
weight-sharing predictor runs there; the supernet is trained once and cached):

- ``seminas-sup``: SemiNAS without unlabelled architectures (its supervised counterpart);
- on NB201, where no learning curves ship, ``early-stop[12ep]``, ``lcsvr[12ep]`` and
  ``bnn[12ep]`` read the 12-epoch accuracy column instead (its training cost is not in the data, so their query cost
  is unknown and they stay off the Pareto plot).

SemiNAS gets ``DEFAULT_UNLABELED`` random architectures of the space (encoded like its inputs,
drawn with the seed of the split) -- the wiring ``omni.predictors`` should do. Calibration of
the predictors with ``predict_dist`` (fraction of test targets within 1 and 2 predicted std,
Spearman between |error| and std) is measured on the same splits for seeds 0..4.

Writes benchmarks/results/pareto.json and pareto.png.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np
from _common import REPO, RESULTS, default_data_dir

if str(REPO) not in sys.path:  # the package itself, not an installed copy
    sys.path.insert(0, str(REPO))

from scipy import stats  # noqa: E402

from base_predictors import registry  # noqa: E402
from omni import spaces  # noqa: E402
from omni.data import load_benchmark  # noqa: E402
from omni.evaluation import evaluate  # noqa: E402
from omni.evaluation.splits import class_groups, uniform_split  # noqa: E402
from omni.feature_groups import feature_matrix  # noqa: E402
from omni.predictors import PredictorSpec, available, unlabeled_pool  # noqa: E402
from omni.reporting import format_table, write_json  # noqa: E402
from omni.weight_sharing import attach_ws_scores  # noqa: E402

FAMILY_COLORS = {
    "model-based": "tab:blue",
    "zero-cost": "tab:orange",
    "learning-curve": "tab:green",
    "hybrid": "tab:red",
    "weight-sharing": "tab:brown",
    "composite": "tab:purple",
}
SIZE_MARKERS = {0: "o", 1: "s", 2: "^", 3: "D", 4: "v"}


def semi_supervised_spec(bench, info: registry.PredictorInfo) -> PredictorSpec:
    def make(rs):
        pool = unlabeled_pool(bench.space, info.groups, info.unlabeled, int(rs or 0))
        return info.make(rs, unlabeled_X=pool)

    return PredictorSpec(info.name, info.family, info.groups, make, info.cost.needs_training)


def specs_for(bench, with_omni: bool) -> tuple[list[PredictorSpec], list[str]]:
    """The specs to run on ``bench`` and the registered names it cannot run (with reasons)."""
    found = available(bench)
    if not with_omni:
        found.pop("omni", None)
    skipped = [
        f"{i.name} (needs {', '.join(i.groups)})"
        for i in registry.all_predictors()
        if i.name not in found
    ]
    specs = []
    for name, spec in found.items():
        try:
            info = registry.get(name)
        except Exception:
            info = None
        if info is not None and info.unlabeled and spaces.is_registered(bench.space):
            specs.append(semi_supervised_spec(bench, info))
            specs.append(PredictorSpec(f"{name}-sup", spec.family, spec.groups, spec.make, True))
        else:
            specs.append(spec)
    if "val_acc_12ep" in bench.extra:
        es = registry.get("early-stop")
        specs.append(
            PredictorSpec("early-stop[12ep]", es.family, ("extra:val_acc_12ep",), es.make, False)
        )
        for hybrid in ("lcsvr", "bnn"):
            info = registry.get(hybrid)
            specs.append(
                PredictorSpec(
                    f"{hybrid}[12ep]", info.family, ("onehot", "extra:val_acc_12ep"), info.make
                )
            )
    return specs, skipped


def merge_saved(path, names: set[str], records: list[dict], cal: list[dict]):
    """``records`` and ``cal`` of the predictors ``names`` added to what ``path`` holds of the
    others (``--only``: rerun some rows, keep the rest)."""
    with open(path, encoding="utf-8") as fh:
        saved = json.load(fh)
    keep = [r for r in saved["records"] if r["predictor"] not in names]
    keep_cal = [c for c in saved.get("calibration", []) if c["predictor"] not in names]
    nan = [{k: math.nan if v is None else v for k, v in r.items()} for r in keep]
    families = {s["predictor"]: s["family"] for s in saved["summary"]}
    return nan + records, keep_cal + cal, saved["meta"], families


# ------------------------------------------------------------------ summaries
def pareto_mask(kt: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """True where no other point has KT >= and cost <= with one of them strict."""
    ok = np.isfinite(kt) & np.isfinite(cost)
    mask = np.zeros(len(kt), dtype=bool)
    for i in np.flatnonzero(ok):
        better = ok & (kt >= kt[i]) & (cost <= cost[i]) & ((kt > kt[i]) | (cost < cost[i]))
        mask[i] = not better.any()
    return mask


def summarize(records: list[dict], families: dict[str, str]) -> list[dict]:
    out = []
    keys = dict.fromkeys((r["benchmark"], r["predictor"], r["train_size"]) for r in records)
    for bench, name, n in keys:
        rows = [
            r
            for r in records
            if (r["benchmark"], r["predictor"], r["train_size"]) == (bench, name, n)
        ]

        def col(key, rows=rows):
            return np.array([r[key] for r in rows], dtype=float)

        kt, rho = col("kendall_tau"), col("spearman")
        out.append(
            {
                "benchmark": bench,
                "predictor": name,
                "family": families.get(name, "?"),
                "train_size": n,
                "kendall_tau": float(np.nanmean(kt)) if np.isfinite(kt).any() else math.nan,
                "kendall_tau_std": float(np.nanstd(kt)) if np.isfinite(kt).any() else math.nan,
                "spearman": float(np.nanmean(rho)) if np.isfinite(rho).any() else math.nan,
                "seeds": int(np.isfinite(kt).sum()),
                "init_seconds": float(np.mean(col("init_seconds"))),
                "query_seconds": float(np.mean(col("query_seconds"))),
            }
        )
    for bench in dict.fromkeys(s["benchmark"] for s in out):
        rows = [s for s in out if s["benchmark"] == bench]
        kt = np.array([s["kendall_tau"] for s in rows])
        for axis in ("init", "query"):
            cost = np.array([s[f"{axis}_seconds"] for s in rows])
            for s, flag in zip(rows, pareto_mask(kt, cost), strict=True):
                s[f"pareto_{axis}"] = bool(flag)
    return out


def calibration(bench, specs, sizes, seeds, bench_name: str) -> list[dict]:
    """Coverage of +-1 and +-2 predicted std and Spearman(|error|, std) on the protocol's splits."""
    groups = class_groups(bench)
    rows = []
    for spec in specs:
        if spec.name.endswith("-sup") or not hasattr(spec.make(0), "predict_dist"):
            continue
        for n in sizes:
            within1, within2, rhos = [], [], []
            for seed in seeds:
                split = uniform_split(bench, 200, max(sizes), random_state=seed, groups=groups)
                train = split.train_rows(n)
                x_train, _ = feature_matrix(bench, spec.groups, train)
                x_test, _ = feature_matrix(bench, spec.groups, split.test)
                model = spec.make(seed).fit(x_train, bench.target[train])
                mean, std = model.predict_dist(x_test)
                err = np.abs(bench.target[split.test] - mean)
                within1.append(float(np.mean(err <= std)))
                within2.append(float(np.mean(err <= 2 * std)))
                rhos.append(float(stats.spearmanr(err, std)[0]))
            rows.append(
                {
                    "benchmark": bench_name,
                    "predictor": spec.name,
                    "train_size": n,
                    "within_1_std": float(np.mean(within1)),
                    "within_2_std": float(np.mean(within2)),
                    "spearman_abs_error_std": float(np.nanmean(rhos)),
                    "seeds": len(seeds),
                }
            )
    return rows


# ------------------------------------------------------------------ plot
def plot(summary: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    benches = list(dict.fromkeys(s["benchmark"] for s in summary))
    sizes = sorted({s["train_size"] for s in summary})
    fig, axes = plt.subplots(len(benches), 2, figsize=(13, 5.2 * len(benches)), squeeze=False)
    floor = 1e-7
    for row, bench in enumerate(benches):
        pts, seen = [], set()
        for s in summary:
            if s["benchmark"] != bench or not np.isfinite(s["kendall_tau"]):
                continue
            key = (s["predictor"], s["kendall_tau"], s["query_seconds"])
            if key in seen:  # a training-free predictor: the same point at every train size
                continue
            seen.add(key)
            fixed = sum(
                1
                for o in summary
                if o["benchmark"] == bench
                and (o["predictor"], o["kendall_tau"], o["query_seconds"]) == key
            )
            pts.append(
                {
                    **s,
                    "label": s["predictor"]
                    if fixed > 1
                    else f"{s['predictor']} n={s['train_size']}",
                }
            )
        for col, axis in enumerate(("init", "query")):
            ax = axes[row][col]
            key = f"{axis}_seconds"
            shown = [s for s in pts if np.isfinite(s[key])]
            for s in shown:
                ax.scatter(
                    max(s[key], floor),
                    s["kendall_tau"],
                    color=FAMILY_COLORS.get(s["family"], "gray"),
                    marker=SIZE_MARKERS[sizes.index(s["train_size"]) % len(SIZE_MARKERS)],
                    s=70 if s[f"pareto_{axis}"] else 28,
                    edgecolors="black" if s[f"pareto_{axis}"] else "none",
                    linewidths=1.4,
                    alpha=0.9,
                    zorder=3,
                )
            front = sorted(
                (s for s in shown if s[f"pareto_{axis}"]), key=lambda s: max(s[key], floor)
            )
            if front:
                ax.step(
                    [max(s[key], floor) for s in front],
                    [s["kendall_tau"] for s in front],
                    where="post",
                    color="black",
                    lw=1,
                    alpha=0.6,
                    zorder=2,
                )
                for k, s in enumerate(front):
                    ax.annotate(
                        s["label"],
                        (max(s[key], floor), s["kendall_tau"]),
                        fontsize=7,
                        xytext=(5, -11 if k % 2 else 5),
                        textcoords="offset points",
                    )
            ax.set_xscale("log")
            ax.set_xlabel(f"{axis} seconds" + (" per architecture" if axis == "query" else ""))
            ax.set_ylabel("Kendall tau (mean over seeds)")
            ax.set_title(f"{bench}: Kendall tau vs {axis} cost (black edge: Pareto-optimal)")
            ax.grid(alpha=0.3)
    handles = [
        Line2D([], [], marker="o", ls="", color=c, label=f) for f, c in FAMILY_COLORS.items()
    ]
    handles += [
        Line2D(
            [], [], marker=SIZE_MARKERS[k % len(SIZE_MARKERS)], ls="", color="gray", label=f"n={n}"
        )
        for k, n in enumerate(sizes)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--train-sizes", default="20,100,400")
    parser.add_argument("--calibration-seeds", type=int, default=5)
    parser.add_argument("--with-omni", action="store_true", help="also run the composite")
    parser.add_argument("--out", default=str(RESULTS / "pareto.json"))
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--benchmarks", default="nb201-cifar10,nb201-digits", help="which benchmarks to run"
    )
    parser.add_argument("--plot-only", action="store_true", help="re-plot an existing --out")
    parser.add_argument(
        "--only",
        help="comma-separated predictor names: rerun only these and merge them into --out",
    )
    args = parser.parse_args(argv)
    if args.plot_only:
        with open(args.out, encoding="utf-8") as fh:
            saved = json.load(fh)["summary"]  # strict JSON: NaN was written as null
        saved = [{k: math.nan if v is None else v for k, v in s.items()} for s in saved]
        plot(saved, args.out.replace(".json", ".png"))
        return 0
    sizes = [int(s) for s in args.train_sizes.split(",")]
    benches = []
    wanted = args.benchmarks.split(",")
    for name, source in (("nb201-cifar10", args.data_dir), ("nb201-digits", "nb201-digits")):
        if name not in wanted:
            continue
        try:
            bench = load_benchmark(source)
        except Exception as err:
            print(f"skipping {name}: {err}")
            continue
        if name == "nb201-digits":  # its training data is built in: a supernet can score it
            attach_ws_scores(bench, progress=not args.quiet)
        benches.append((name, bench))
    records, cal, meta_benches, families = [], [], {}, {}
    start = time.perf_counter()
    for bench_name, bench in benches:
        specs, skipped = specs_for(bench, args.with_omni)
        if args.only:
            specs = [s for s in specs if s.name in args.only.split(",")]
        families.update({s.name: s.family for s in specs})
        print(f"{bench_name}: {len(specs)} predictors; not available here: {skipped or 'none'}")
        t0 = time.perf_counter()
        recs = evaluate(bench, specs, sizes, seeds=range(args.seeds), progress=not args.quiet)
        for r in recs:
            r["benchmark"] = bench_name
        records += recs
        cal += calibration(
            bench, specs, sizes, list(range(min(args.calibration_seeds, args.seeds))), bench_name
        )
        meta_benches[bench_name] = {
            "repr": repr(bench),
            "skipped_predictors": skipped,
            "seconds": time.perf_counter() - t0,
            "has_training_seconds": bool(np.isfinite(bench.train_seconds).any()),
        }
    if not records:
        print("no benchmark could be loaded (or no --only predictor runs on it)")
        return 1
    previous = None
    if args.only:
        records, cal, previous, saved_families = merge_saved(
            args.out, set(args.only.split(",")), records, cal
        )
        families = {**saved_families, **families}
    summary = summarize(records, families)
    columns = [
        "benchmark",
        "predictor",
        "family",
        "train_size",
        "kendall_tau",
        "kendall_tau_std",
        "spearman",
        "init_seconds",
        "query_seconds",
        "pareto_init",
        "pareto_query",
    ]
    summary.sort(
        key=lambda s: (s["benchmark"], s["train_size"], -np.nan_to_num(s["kendall_tau"], nan=-9))
    )
    print(
        format_table(
            sorted(
                summary,
                key=lambda s: (
                    s["benchmark"],
                    s["train_size"],
                    -s["kendall_tau"] if np.isfinite(s["kendall_tau"]) else 9,
                ),
            ),
            columns,
        )
    )
    print(
        format_table(
            cal,
            [
                "benchmark",
                "predictor",
                "train_size",
                "within_1_std",
                "within_2_std",
                "spearman_abs_error_std",
            ],
        )
    )
    meta = {
        "data_dir": args.data_dir,
        "seeds": args.seeds,
        "train_sizes": sizes,
        "test_size": 200,
        "benchmarks": meta_benches,
        "seconds": time.perf_counter() - start,
        "note": (
            "init_seconds = fit time + the benchmark's training seconds of the training "
            "architectures (NB201 CIFAR-10 ships none, so there it is fit time + feature cost) "
            "; query_seconds = feature seconds per architecture + predict time per architecture"
        ),
    }
    if previous is not None:  # --only: the earlier run's settings, and every rerun since
        reruns = previous.get("reruns", []) + ([previous["rerun"]] if "rerun" in previous else [])
        kept = {k: v for k, v in previous.items() if k not in ("rerun", "reruns")}
        meta = {**kept, "reruns": [*reruns, {"predictors": args.only.split(","), **meta}]}
    out = write_json(
        args.out,
        {"meta": meta, "summary": summary, "calibration": cal, "records": records},
    )
    plot(summary, str(out).replace(".json", ".png"))
    seconds = time.perf_counter() - start
    print(f"wrote {out} and {str(out).replace('.json', '.png')} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
