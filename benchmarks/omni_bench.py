"""OMNI (untuned and Optuna-tuned per budget) against the best single base predictor.

    python benchmarks/omni_bench.py [--data-dir ../shared/data] [--seeds 10] [--trials 12] [--jobs 2]

For every benchmark (NB201 CIFAR-10 from the shared data; the built-in nb201-digits when it
is installed), seed and train size, the protocol's split (omni.evaluation) gives train and test
architectures; for every query budget the script scores

- ``omni``: the untuned plan (cheapest-first groups within the budget, default stack);
- ``omni-tuned``: the plan Optuna picks on the *training* architectures only (CV Kendall tau);
- every single base predictor whose inputs fit the budget, trained ones and those that fit
  nothing (each proxy, the low-fidelity column, early stopping and SoTL-E at each fidelity).

Budgets: ``encoding`` (architecture encodings only), ``zero-cost`` (encodings + proxies within
5 s per architecture), ``zero-cost-all`` (every proxy, when they cost more than 5 s together),
``low-fidelity`` (+ the benchmark's low-fidelity columns, e.g. NB201's 12-epoch accuracy, or
learning-curve groups; no query limit since NB201 ships no epoch times).
Parts are cached per (benchmark, seed, and the options that change them) under
runs/omni_bench/<code fingerprint>/ (a hash of the library source), so an interrupted run
resumes and a changed library computes afresh.
Writes benchmarks/results/omni.json and omni.png. The other spaces' published files
(:data:`SPACE_BENCHMARKS`: NB101, DARTS, TransNAS-Bench-101 micro per task) run the same way,
e.g. ``--benchmarks nb101,tnb101-micro-class_scene --budgets encoding,zero-cost-all``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from _common import (
    RESULTS,
    SPACE_BENCHMARKS,
    default_data_dir,
    low_fidelity_columns,
    low_fidelity_groups,
    parts_dir,
)
from joblib import Parallel, delayed

from omni.budget import Budget
from omni.data import load_benchmark
from omni.evaluation.metrics import score_predictions
from omni.evaluation.splits import class_groups, uniform_split
from omni.feature_groups import (
    expand_groups,
    feature_matrix,
    group_query_seconds,
    is_encoding,
    lc_groups,
)
from omni.predictors import PredictorSpec, available, resolve
from omni.reporting import format_table, write_json, write_text_atomic
from omni.tuning import default_plan, plan_cost, tune

PARTS = parts_dir("omni_bench")
COMPOSITES = ("omni", "omni-tuned")


def load(arg):
    """A benchmark from a name/path, or a (path, dataset) pair."""
    if isinstance(arg, tuple | list):
        return load_benchmark(arg[0], dataset=arg[1])
    return load_benchmark(arg)


def budgets(bench, only=()) -> dict[str, tuple[Budget, list[str]]]:
    """name -> (budget, extra groups allowed on top of encodings and proxies); ``only``: just
    these names (all when empty)."""
    lowfi = low_fidelity_groups(bench)
    out = {"encoding": (Budget(0.02), []), "zero-cost": (Budget(5.0), [])}
    proxies = expand_groups(bench, ["zc:*"])
    every_proxy = plan_cost(bench, proxies)
    if any(not math.isfinite(group_query_seconds(bench, g)) for g in proxies):
        every_proxy = math.inf  # a file without proxy times (NB101): no finite budget admits them
    if every_proxy > 5.0 or "zero-cost-all" in only:  # NB201's proxies add up to 8.1 s
        out["zero-cost-all"] = (
            Budget(every_proxy if math.isinf(every_proxy) else math.ceil(every_proxy)),
            [],
        )
    if lowfi:
        out["low-fidelity"] = (Budget(math.inf), lowfi)
    return {k: v for k, v in out.items() if not only or k in only}


def allow(bench, extra_groups: list[str]) -> None:
    """Make the low-fidelity groups candidates (their cost is unmeasured on NB201)."""
    declared = bench.metadata.setdefault("extra_seconds", {})
    for g in extra_groups:
        if g.startswith("extra:"):
            declared.setdefault(g.split(":", 1)[1], float("nan"))


def restrict(bench, budget_name: str, groups: list[str], extra_groups: list[str]) -> list[str]:
    if budget_name == "low-fidelity":
        return groups
    return [g for g in groups if g not in extra_groups and not g.startswith(("extra:", "lc:"))]


def fit_score(bench, groups, params, train, test, seed) -> dict:
    X, cols = feature_matrix(bench, groups, train)
    Xt, _ = feature_matrix(bench, groups, test)
    from omni.predictor import OmniPredictor

    start = time.perf_counter()
    model = OmniPredictor(columns=cols, random_state=seed, **params).fit(X, bench.target[train])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    pred = model.predict(Xt)
    per_arch = (time.perf_counter() - start) / len(test)
    out = score_predictions(bench.target[test], pred)
    out.update(
        fit_seconds=fit_s, query_seconds=plan_cost(bench, groups) - 0.01 + per_arch, groups=groups
    )
    return out


_SINGLE_CACHE: dict = {}


def single_scores(bench, singles, train, test, seed, n) -> dict:
    """Every trained single predictor's test scores, computed once per (seed, train size)."""
    key = (bench.space, bench.dataset, seed, n)
    if key not in _SINGLE_CACHE:
        out = {}
        for name, spec in singles.items():
            if name == "omni" or not spec.needs_training:
                continue
            try:
                g = expand_groups(bench, spec.groups)
            except Exception:
                continue
            X, _ = feature_matrix(bench, g, train)
            Xt, _ = feature_matrix(bench, g, test)
            model = spec.make(seed).fit(X, bench.target[train])
            out[name] = (g, score_predictions(bench.target[test], model.predict(Xt)))
        _SINGLE_CACHE[key] = out
    return _SINGLE_CACHE[key]


def training_free_records(bench_name, bench_arg, seed, sizes, test_size, only=()) -> list[dict]:
    """Predictors that fit nothing: each proxy, each low-fidelity column, and early stopping /
    SoTL-E at every fidelity the low-fidelity budget offers -- scored on the seed's test set."""
    from base_predictors.column import ColumnPredictor

    bench = load(bench_arg)
    split = uniform_split(
        bench, test_size, max(sizes), random_state=seed, groups=class_groups(bench)
    )
    lc = lc_groups(bench)
    fidelities = sorted({int(g.rsplit("@", 1)[1]) for g in lc})
    names = list(bench.proxies) + [f"{p}@{e}" for e in fidelities for p in ("early-stop", "sotle")]
    specs = [s for s in resolve(bench, names) if not s.needs_training]
    columns = low_fidelity_columns(bench)
    specs += [
        PredictorSpec(c, "low-fidelity", (c,), lambda rs: ColumnPredictor(), False) for c in columns
    ]
    records = []
    for spec in specs:
        X, _ = feature_matrix(bench, spec.groups, split.test)
        scores = score_predictions(bench.target[split.test], spec.make(seed).fit(X).predict(X))
        cost = plan_cost(bench, list(spec.groups))
        low_fidelity = any(g.startswith(("lc:", "extra:")) for g in spec.groups)
        for budget_name, (budget, _) in budgets(bench, only).items():
            if budget_name == "encoding":
                continue
            if budget_name != "low-fidelity" and (low_fidelity or cost > budget.query_seconds):
                continue
            for n in sizes:
                base = {"benchmark": bench_name, "budget": budget_name, "train_size": n}
                records.append(
                    {**base, "seed": seed, "predictor": spec.name, **scores, "query_seconds": cost}
                )
    return records


def part_path(parts: Path, bench_name, seed, sizes, test_size, only, trials) -> Path:
    """A seed's cached records, named by everything else that changes them."""
    budgets_key = "-".join(only) if only else "all"
    sizes_key = "-".join(map(str, sizes))
    name = f"{bench_name}-seed{seed}-t{test_size}-n{sizes_key}-{budgets_key}-trials{trials}"
    return parts / f"{name}.json"


def run_seed(
    bench_name, bench_arg, seed, sizes, trials, test_size, only, parts, composite_only=False
) -> list[dict]:
    """The seed's records; ``composite_only``: just ``omni`` and ``omni-tuned``."""
    part = part_path(parts, bench_name, seed, sizes, test_size, only, trials)
    if part.exists():
        try:
            return json.loads(part.read_text())
        except ValueError:  # a part of an older, non-atomic writer: recompute it
            print(f"{part}: unreadable, recomputing seed {seed}", file=sys.stderr)
    bench = load(bench_arg)
    groups_all = class_groups(bench)
    split = uniform_split(bench, test_size, max(sizes), random_state=seed, groups=groups_all)
    singles = available(bench)
    records = []
    for budget_name, (budget, extra_groups) in budgets(bench, only).items():
        allow(bench, extra_groups)
        for n in sizes:
            train = split.train_rows(n)
            base = {"benchmark": bench_name, "budget": budget_name, "train_size": n, "seed": seed}
            groups, params = default_plan(bench, budget)
            groups = restrict(bench, budget_name, groups, extra_groups)
            records.append(
                {
                    **base,
                    "predictor": "omni",
                    **fit_score(bench, groups, params, train, split.test, seed),
                }
            )
            if trials > 0:  # --trials 0: the untuned composite only
                start = time.perf_counter()
                profile, _ = tune(bench, train, budget, n_trials=trials, random_state=seed, folds=3)
                tune_s = time.perf_counter() - start
                if budget_name != "low-fidelity":
                    kept = restrict(bench, budget_name, profile.groups, extra_groups)
                    if kept != profile.groups:  # the tuner may only use what this budget allows
                        profile.groups = kept or groups
                rec = fit_score(bench, profile.groups, profile.params, train, split.test, seed)
                rec.update(
                    tune_seconds=tune_s,
                    cv_kendall_tau=profile.cv_kendall_tau,
                    params=profile.params,
                    groups=profile.groups,
                    departed=profile.groups != groups or profile.params != params,
                    confirmation=profile.extra.get("confirmation"),
                )
                records.append({**base, "predictor": "omni-tuned", **rec})
            if composite_only:
                continue
            for name, (g, out) in single_scores(bench, singles, train, split.test, seed, n).items():
                if budget_name == "encoding" and not all(is_encoding(x) for x in g):
                    continue
                if budget_name.startswith("zero-cost") and (
                    plan_cost(bench, g) > budget.query_seconds
                    or any(x.startswith(("extra:", "lc:")) for x in g)
                ):
                    continue
                records.append(
                    {**base, "predictor": name, **out, "query_seconds": plan_cost(bench, g)}
                )
    write_text_atomic(part, json.dumps(records, default=float))
    return records


def kept_records(earlier: list[dict], fresh: list[dict]) -> list[dict]:
    """The earlier records minus every composite record (``omni``, ``omni-tuned``) of the
    (benchmark, budget, train size, seed) cells refreshed: a stale tuned record never stays."""
    cells = {(r["benchmark"], r["budget"], r["train_size"], r["seed"]) for r in fresh}
    return [
        r
        for r in earlier
        if r["predictor"] not in COMPOSITES
        or (r["benchmark"], r["budget"], r["train_size"], r["seed"]) not in cells
    ]


def summarize(records):
    table = {}
    for r in records:
        table.setdefault((r["benchmark"], r["budget"], r["train_size"], r["predictor"]), []).append(
            r
        )
    rows = []
    for (bench, budget, n, name), rs in sorted(table.items()):
        kt = np.array([r["kendall_tau"] for r in rs], dtype=float)
        q = np.array([r.get("query_seconds", np.nan) for r in rs], dtype=float)
        rows.append(
            {
                "benchmark": bench,
                "budget": budget,
                "train_size": n,
                "predictor": name,
                "kt_mean": float(np.nanmean(kt)),
                "kt_std": float(np.nanstd(kt)),
                "seeds": len(rs),
                "query_seconds": float(np.nanmax(q)) if np.isfinite(q).any() else float("nan"),
            }
        )
        if name == "omni-tuned" and all("departed" in r for r in rs):
            rows[-1]["departed"] = sum(bool(r["departed"]) for r in rs)
        checks = [r["confirmation"] for r in rs if r.get("confirmation")]
        if name == "omni-tuned" and checks:  # runs whose best plan beat the default on CV
            rows[-1]["challenged"] = len(checks)
            rows[-1]["fresh_gain_mean"] = float(np.mean([c["gain"] for c in checks]))
            rows[-1]["paired_error_median"] = float(np.median([c["paired_error"] for c in checks]))
            rows[-1]["gain_in_errors_max"] = max(
                c["gain"] / c["paired_error"] if c["paired_error"] > 0 else 0.0 for c in checks
            )
    return rows


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({(r["benchmark"], r["budget"]) for r in rows})
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 4), squeeze=False)
    for ax, (bench, budget) in zip(axes[0], keys, strict=True):
        sub = [r for r in rows if r["benchmark"] == bench and r["budget"] == budget]
        best_single = {}
        for r in sub:
            if r["predictor"] not in ("omni", "omni-tuned"):
                n = r["train_size"]
                if n not in best_single or r["kt_mean"] > best_single[n]["kt_mean"]:
                    best_single[n] = r
        for name in ("omni", "omni-tuned"):
            pts = sorted((r for r in sub if r["predictor"] == name), key=lambda r: r["train_size"])
            ax.errorbar(
                [r["train_size"] for r in pts],
                [r["kt_mean"] for r in pts],
                [r["kt_std"] for r in pts],
                marker="o",
                label=name,
                capsize=3,
            )
        pts = [best_single[n] for n in sorted(best_single)]
        ax.errorbar(
            [r["train_size"] for r in pts],
            [r["kt_mean"] for r in pts],
            [r["kt_std"] for r in pts],
            marker="s",
            ls="--",
            label="best single",
            capsize=3,
        )
        ax.set_xscale("log")
        ax.set_title(f"{bench}: {budget}")
        ax.set_xlabel("training architectures")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("Kendall tau")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--trials", type=int, default=12, help="tuner trials (0: no omni-tuned)")
    p.add_argument("--train-sizes", default="20,100,400")
    p.add_argument("--test-size", type=int, default=200)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument(
        "--summarize-parts",
        action="store_true",
        help="only summarize the seeds already finished under runs/omni_bench/<code fingerprint>/",
    )
    p.add_argument(
        "--reverse", action="store_true", help="seeds last-first (a second process meets the first)"
    )
    p.add_argument("--benchmarks", default="nb201-cifar10,nb201-digits")
    p.add_argument("--budgets", default="", help="comma-separated budget names (default: all)")
    p.add_argument("--out", default=str(RESULTS / "omni.json"))
    p.add_argument(
        "--refresh-composite",
        action="store_true",
        help="recompute only omni / omni-tuned and keep every other record of --out (after a "
        "change to the composite alone: the single predictors' records stay valid)",
    )
    args = p.parse_args(argv)
    only = [b for b in args.budgets.split(",") if b]
    # finished seeds are cached per output file, so a partial run never feeds the main one
    default_out = Path(args.out).resolve() == (RESULTS / "omni.json").resolve()
    parts_dir = PARTS if default_out else PARTS / Path(args.out).stem
    if args.refresh_composite:
        if not Path(args.out).exists():
            p.error(f"--refresh-composite needs the earlier results in {args.out}")
        parts_dir = parts_dir / "composite"
    sizes = [int(s) for s in args.train_sizes.split(",")]
    benches = {"nb201-cifar10": args.data_dir, "nb201-digits": "nb201-digits"}
    benches.update({k: (f"{args.data_dir}/{f}", d) for k, (f, d) in SPACE_BENCHMARKS.items()})
    tasks = []
    for name in args.benchmarks.split(","):
        if name not in benches:
            p.error(f"unknown benchmark {name!r}; known: {sorted(benches)}")
        try:
            load(benches[name])
        except Exception as err:  # the built-in benchmark may not be installed yet
            print(f"skipping {name}: {err}", file=sys.stderr)
            continue
        seeds = range(args.seeds - 1, -1, -1) if args.reverse else range(args.seeds)
        tasks += [(name, benches[name], s) for s in seeds]
    start = time.perf_counter()
    if args.summarize_parts:
        done = [
            t
            for t in tasks
            if part_path(parts_dir, t[0], t[2], sizes, args.test_size, only, args.trials).exists()
        ]
        print(f"summarizing {len(done)} finished (benchmark, seed) parts", file=sys.stderr)
        tasks = done
    parts = Parallel(n_jobs=args.jobs, verbose=10)(
        delayed(run_seed)(
            name,
            arg,
            seed,
            sizes,
            args.trials,
            args.test_size,
            only,
            parts_dir,
            args.refresh_composite,
        )
        for name, arg, seed in tasks
    )
    records = [r for part in parts for r in part]
    if args.refresh_composite:
        records += kept_records(json.loads(Path(args.out).read_text())["records"], records)
    else:
        for name, arg, seed in tasks:  # cheap, so computed afresh rather than cached
            records += training_free_records(name, arg, seed, sizes, args.test_size, only)
    rows = summarize(records)
    print(
        format_table(
            rows,
            [
                "benchmark",
                "budget",
                "train_size",
                "predictor",
                "kt_mean",
                "kt_std",
                "query_seconds",
            ],
        )
    )
    meta = {
        "seeds": sorted({t[2] for t in tasks}),
        "trials": args.trials,
        "seconds": time.perf_counter() - start,
    }
    if args.refresh_composite:  # the singles' run keeps its meta; the refresh is noted beside it
        earlier = json.loads(Path(args.out).read_text())["meta"]
        meta = {**earlier, "composite_refresh": {**meta, "trials": args.trials}}
    elif args.summarize_parts and Path(args.out).exists():  # the run's own trials and seconds
        meta = {**json.loads(Path(args.out).read_text())["meta"], "seeds": meta["seeds"]}
    write_json(
        args.out,
        {
            "meta": meta,
            "summary": rows,
            "records": records,
        },
    )
    plot(rows, args.out.replace(".json", ".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
