"""The hybrid predictors on nb201-digits: ranking quality and calibration of their intervals.

    python benchmarks/hybrid_bnn.py [--fidelity 3] [--train-sizes 20,100] [--seeds 10]

Every predictor reads the same inputs, the one-hot encoding and five statistics of the first
``--fidelity`` epochs of the validation curve (the registry's hybrid groups): the BNN (a
recalibrated deep ensemble), LcSVR, and NGBoost over those inputs. For the two with a
predictive distribution, the coverage of their central 68 % and 95 % Normal intervals on the
200 test cells says whether the uncertainty can be trusted (a calibrated model covers 0.68 and
0.95). Also the composite ``omni@e`` with and without the BNN among its base predictors, paired
on the same splits. Canonical uniform splits (test 200), seeds 0..N-1.

Writes benchmarks/results/hybrid_bnn.json and .png; records are saved (atomically) after every
seed, and a rerun with the same settings skips the seeds the JSON already holds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from _common import RESULTS

from base_predictors import registry
from base_predictors.ngb import NGBPredictor
from omni.data import load_benchmark
from omni.evaluation.metrics import interval_coverage, score_predictions
from omni.evaluation.splits import class_groups, uniform_split
from omni.feature_groups import feature_matrix
from omni.predictor import OmniPredictor
from omni.predictors import composite_spec
from omni.progress import progress_bar
from omni.reporting import format_table, write_json
from omni.tuning import DEFAULT_PARAMS

LEVELS = (0.68, 0.95)


def predictors(bench, fidelity: int) -> dict:
    """name -> (groups, factory(seed) -> estimator)."""
    hybrid = registry.get(f"bnn@{fidelity}").groups
    omni = composite_spec(bench, fidelity=fidelity)
    _, columns = feature_matrix(bench, omni.groups, [0])
    with_bnn = {
        **DEFAULT_PARAMS,
        "base_predictors": [*DEFAULT_PARAMS["base_predictors"], "bnn@all"],
    }
    return {
        f"bnn@{fidelity}": (hybrid, registry.get(f"bnn@{fidelity}").make),
        f"ngb-hybrid@{fidelity}": (hybrid, lambda rs: NGBPredictor(random_state=rs)),
        f"lcsvr@{fidelity}": (hybrid, registry.get(f"lcsvr@{fidelity}").make),
        omni.name: (omni.groups, omni.make),
        f"{omni.name}+bnn": (
            omni.groups,
            lambda rs: OmniPredictor(columns=columns, random_state=rs, **with_bnn),
        ),
    }


def run_seed(
    bench, models: dict, sizes: list[int], seed: int, groups, test_size: int
) -> list[dict]:
    split = uniform_split(bench, test_size, max(sizes), random_state=seed, groups=groups)
    y_test = bench.target[split.test]
    out = []
    for n in sizes:
        train = split.train_rows(n)
        for name, (feature_groups, make) in models.items():
            X_train, _ = feature_matrix(bench, feature_groups, train)
            X_test, _ = feature_matrix(bench, feature_groups, split.test)
            model = make(seed)
            start = time.perf_counter()
            model.fit(X_train, bench.target[train])
            fit_seconds = time.perf_counter() - start
            record = {"predictor": name, "train_size": n, "seed": seed, "fit_seconds": fit_seconds}
            if hasattr(model, "predict_dist"):
                mean, std = model.predict_dist(X_test)
                for level in LEVELS:
                    record[f"coverage_{round(level * 100)}"] = interval_coverage(
                        y_test, mean, std, level
                    )
                record["median_std"] = float(np.median(std))
            else:
                mean = model.predict(X_test)
            record.update(score_predictions(y_test, mean))
            out.append(record)
    return out


def summarize(records: list[dict]) -> list[dict]:
    keys = dict.fromkeys((r["predictor"], r["train_size"]) for r in records)
    out = []
    for name, n in keys:
        rows = [r for r in records if (r["predictor"], r["train_size"]) == (name, n)]
        kt = np.array([r["kendall_tau"] for r in rows])
        row = {
            "predictor": name,
            "train_size": n,
            "seeds": len(rows),
            "kendall_tau": float(np.mean(kt)),
            "kendall_tau_std": float(np.std(kt)),
            "fit_seconds": float(np.mean([r["fit_seconds"] for r in rows])),
        }
        for key in ("coverage_68", "coverage_95"):
            values = [r[key] for r in rows if key in r]
            row[key] = float(np.mean(values)) if values else float("nan")
        out.append(row)
    return out


def paired(records: list[dict], a: str, b: str) -> list[dict]:
    """Mean and std over seeds of KT(b) - KT(a) per train size."""
    out = []
    for n in sorted({r["train_size"] for r in records}):
        kt = {
            (r["predictor"], r["seed"]): r["kendall_tau"] for r in records if r["train_size"] == n
        }
        seeds = sorted(s for (p, s) in kt if p == a and (b, s) in kt)
        diff = np.array([kt[(b, s)] - kt[(a, s)] for s in seeds])
        if len(diff):
            out.append(
                {
                    "comparison": f"{b} - {a}",
                    "train_size": n,
                    "mean": float(diff.mean()),
                    "std": float(diff.std()),
                    "wins": int((diff > 0).sum()),
                    "seeds": len(diff),
                }
            )
    return out


def plot(summary: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_kt, ax_cov) = plt.subplots(1, 2, figsize=(11, 4))
    names = list(dict.fromkeys(s["predictor"] for s in summary))
    for name in names:
        rows = sorted((s for s in summary if s["predictor"] == name), key=lambda s: s["train_size"])
        sizes = [s["train_size"] for s in rows]
        ax_kt.errorbar(
            sizes,
            [s["kendall_tau"] for s in rows],
            yerr=[s["kendall_tau_std"] for s in rows],
            marker="o",
            capsize=3,
            label=name,
        )
        if np.isfinite(rows[0]["coverage_68"]):
            for key, style in (("coverage_68", "-"), ("coverage_95", "--")):
                ax_cov.plot(sizes, [s[key] for s in rows], style, marker="o", label=f"{name} {key}")
    for level in LEVELS:
        ax_cov.axhline(level, color="grey", lw=0.8)
    ax_kt.set(xscale="log", xlabel="training architectures", ylabel="Kendall tau")
    ax_cov.set(xscale="log", xlabel="training architectures", ylabel="interval coverage")
    ax_kt.legend(fontsize=7)
    ax_cov.legend(fontsize=7)
    fig.suptitle("nb201-digits: hybrid predictors (mean, std over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fidelity", type=int, default=3)
    parser.add_argument("--train-sizes", default="20,100")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--test-size", type=int, default=200)
    parser.add_argument("--predictors", help="comma-separated subset of the names above")
    parser.add_argument("--out", default=str(RESULTS / "hybrid_bnn.json"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.train_sizes.split(",")]
    bench = load_benchmark("nb201-digits")
    models = predictors(bench, args.fidelity)
    if args.predictors:
        unknown = set(args.predictors.split(",")) - set(models)
        if unknown:
            parser.error(f"unknown predictors {sorted(unknown)}; known: {sorted(models)}")
        models = {k: v for k, v in models.items() if k in args.predictors.split(",")}
    meta = {
        "benchmark": "nb201-digits",
        "fidelity": args.fidelity,
        "test_size": args.test_size,
        "train_sizes": sizes,
        "predictors": list(models),
    }
    out = Path(args.out)
    records: list[dict] = []
    if out.exists():
        saved = json.loads(out.read_text())
        if saved.get("meta") == meta:  # the same run: resume it
            records = saved["records"]
        else:
            print(f"{out} holds another configuration: starting over", file=sys.stderr)
    done = {r["seed"] for r in records}
    groups = class_groups(bench)
    for seed in progress_bar(range(args.seeds), desc="seeds", unit="seed"):
        if seed in done:
            continue
        records += run_seed(bench, models, sizes, seed, groups, args.test_size)
        summary = summarize(records)
        comparison = paired(records, f"omni@{args.fidelity}", f"omni@{args.fidelity}+bnn")
        write_json(
            out, {"meta": meta, "summary": summary, "paired": comparison, "records": records}
        )
    summary = summarize(records)
    columns = ["predictor", "train_size", "kendall_tau", "kendall_tau_std"]
    print(format_table(summary, [*columns, "coverage_68", "coverage_95", "fit_seconds"]))
    print(
        format_table(
            paired(records, f"omni@{args.fidelity}", f"omni@{args.fidelity}+bnn"),
            ["comparison", "train_size", "mean", "std", "wins", "seeds"],
        )
    )
    plot(summary, out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
