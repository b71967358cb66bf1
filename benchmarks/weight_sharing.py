"""The weight-sharing predictor on ``nb201-digits``: how well a one-shot supernet ranks the
benchmark's cells, what it costs, and what it adds to OMNI.

    python benchmarks/weight_sharing.py [--supernet-seeds 3] [--epochs E] [--seeds 10]
                                        [--train-sizes 20,100] [--cache DIR] [--quiet]

1. Supernets: for each supernet seed, a SPOS supernet with the benchmark's own skeleton
   (channels 4/8/16, 3 cells per stage) and data split is trained on the training images
   (``omni.weight_sharing``; cached, so a rerun reads it back), then every one of the 1,000
   cells is scored by its validation accuracy with inherited weights after batch-norm
   recalibration. Reported: Kendall tau and Spearman of the scores against the benchmark's
   trained accuracies (``bench.target``) over all cells, the supernet's training seconds (init)
   and the median seconds per sub-network (query).
2. Zero-cost proxies: the Kendall tau of each of the benchmark's proxies on the same cells (as
   stored, no sign flipped); the best one is the reference.
3. OMNI with and without the ws group: the untuned composite (``graph`` + ``zc:*``, the
   library's defaults) against the same plus ``ws:spos-s<k>`` for each supernet seed k, and the
   ws score alone (``WeightSharingPredictor``), through the study's protocol
   (``omni.evaluation.evaluate``: canonical uniform splits, test size 200) at n = 20 and 100
   over 10 seeds. Every predictor of a seed shares its split, so the differences are paired;
   reported per train size: mean and std over seeds of KT(omni + ws) - KT(omni).

Resumable: supernets and their scores are cached artefacts, and the protocol's records are
kept per seed in ``<out>.partial.json`` until the run completes. Timings are wall-clock on this
machine (inflated when other jobs share the cores).

Writes benchmarks/results/weight_sharing.json and weight_sharing.png.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
from _common import REPO, RESULTS

if str(REPO) not in sys.path:  # the package itself, not an installed copy
    sys.path.insert(0, str(REPO))

import torch  # noqa: E402
from scipy import stats  # noqa: E402

from base_predictors.weight_sharing import WeightSharingPredictor  # noqa: E402
from omni.data import load_benchmark  # noqa: E402
from omni.evaluation import evaluate  # noqa: E402
from omni.feature_groups import feature_matrix, group_init_seconds  # noqa: E402
from omni.predictor import OmniPredictor  # noqa: E402
from omni.predictors import PredictorSpec, composite_spec  # noqa: E402
from omni.reporting import format_table, save_figure, write_json  # noqa: E402
from omni.tuning import DEFAULT_PARAMS  # noqa: E402
from omni.weight_sharing.scoring import attach_ws_scores  # noqa: E402
from omni.weight_sharing.training import SupernetConfig, default_cache_dir  # noqa: E402

BENCHMARK = "nb201-digits"


def kendall(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(stats.kendalltau(a[ok], b[ok])[0])


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(stats.spearmanr(a[ok], b[ok])[0])


def supernet_rows(bench, seeds, config, cache, progress) -> list[dict]:
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        group = attach_ws_scores(
            bench, config=config, seed=seed, cache_dir=cache, progress=progress
        )
        name = group.partition(":")[2]
        scores, secs = bench.ws[name], bench.ws_seconds[name]
        rows.append(
            {
                "group": group,
                "seed": seed,
                "kendall_tau": kendall(scores, bench.target),
                "spearman": spearman(scores, bench.target),
                "init_seconds": group_init_seconds(bench, group),
                "query_seconds": float(np.nanmedian(secs)),
                "scoring_seconds_all_cells": float(np.nansum(secs)),
                "score_mean": float(np.nanmean(scores)),
                "score_range": [float(np.nanmin(scores)), float(np.nanmax(scores))],
                "distinct_scores": int(len(np.unique(scores[np.isfinite(scores)]))),
                "supernet": bench.metadata["weight_sharing"][name]["supernet"],
                "wall_seconds_this_session": time.perf_counter() - start,
            }
        )
        print(
            f"{group}: KT {rows[-1]['kendall_tau']:.3f}, Spearman {rows[-1]['spearman']:.3f}, "
            f"init {rows[-1]['init_seconds']:.1f} s, query {rows[-1]['query_seconds'] * 1e3:.1f} ms"
        )
    return rows


def proxy_rows(bench) -> list[dict]:
    rows = [
        {
            "proxy": p,
            "kendall_tau": kendall(bench.zc[p], bench.target),
            "spearman": spearman(bench.zc[p], bench.target),
            "query_seconds": float(np.nanmedian(bench.zc_seconds[p])),
        }
        for p in bench.proxies
    ]
    return sorted(rows, key=lambda r: -r["kendall_tau"])


def specs_for(bench, ws_groups: list[str]) -> list[PredictorSpec]:
    base = composite_spec(bench)
    specs = [base]
    for group in ws_groups:
        groups = (*base.groups, group)
        _, columns = feature_matrix(bench, groups, [0])
        specs.append(
            PredictorSpec(
                f"omni+{group}",
                "composite",
                groups,
                lambda rs, columns=columns: OmniPredictor(
                    columns=columns, random_state=rs, **DEFAULT_PARAMS
                ),
            )
        )
    for group in ws_groups:
        specs.append(
            PredictorSpec(
                group, "weight-sharing", (group,), lambda rs: WeightSharingPredictor(), False
            )
        )
    return specs


def run_protocol(bench, specs, sizes, seeds, test_size, partial: Path, progress) -> list[dict]:
    """The protocol seed by seed, each seed's records kept in ``partial`` once done."""
    done: dict[str, list[dict]] = {}
    if partial.exists():
        done = json.loads(partial.read_text(encoding="utf-8")).get("by_seed", {})
    for seed in seeds:
        if str(seed) in done:
            continue
        start = time.perf_counter()
        done[str(seed)] = evaluate(
            bench, specs, sizes, test_size=test_size, seeds=[seed], progress=progress
        )
        write_json(partial, {"by_seed": done})
        print(f"protocol seed {seed}: {time.perf_counter() - start:.0f} s")
    return [r for seed in seeds for r in done[str(seed)]]


def paired_differences(records: list[dict], ws_groups: list[str], sizes) -> list[dict]:
    kt = {(r["predictor"], r["train_size"], r["seed"]): r["kendall_tau"] for r in records}
    seeds = sorted({r["seed"] for r in records})
    out = []
    for n in sizes:
        pooled = []
        for group in ws_groups:
            diff = np.array([kt[(f"omni+{group}", n, s)] - kt[("omni", n, s)] for s in seeds])
            pooled.append(diff)
            out.append(_diff_row(f"omni+{group}", n, diff))
        out.append(_diff_row("omni+ws (every supernet seed)", n, np.concatenate(pooled)))
    return out


def _diff_row(name: str, n: int, diff: np.ndarray) -> dict:
    return {
        "comparison": f"{name} - omni",
        "train_size": n,
        "mean_kt_difference": float(np.mean(diff)),
        "std_kt_difference": float(np.std(diff)),
        "standard_error": float(np.std(diff, ddof=1) / math.sqrt(len(diff)))
        if len(diff) > 1
        else None,
        "wins": int(np.sum(diff > 0)),
        "losses": int(np.sum(diff < 0)),
        "pairs": len(diff),
    }


def summarize(records: list[dict]) -> list[dict]:
    out = []
    for name, n in dict.fromkeys((r["predictor"], r["train_size"]) for r in records):
        rows = [r for r in records if (r["predictor"], r["train_size"]) == (name, n)]
        kt = np.array([r["kendall_tau"] for r in rows])
        out.append(
            {
                "predictor": name,
                "train_size": n,
                "kendall_tau": float(np.mean(kt)),
                "kendall_tau_std": float(np.std(kt)),
                "spearman": float(np.mean([r["spearman"] for r in rows])),
                "init_seconds": float(np.mean([r["init_seconds"] for r in rows])),
                "query_seconds": float(np.mean([r["query_seconds"] for r in rows])),
                "seeds": len(rows),
            }
        )
    return out


def plot(payload: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    nets = payload["supernets"]
    proxies = payload["proxies"]
    names = [r["group"] for r in nets] + [f"zc:{r['proxy']}" for r in proxies]
    values = [r["kendall_tau"] for r in nets] + [r["kendall_tau"] for r in proxies]
    colors = ["tab:purple"] * len(nets) + ["tab:orange"] * len(proxies)
    left.barh(range(len(names)), values, color=colors)
    left.set_yticks(range(len(names)), names, fontsize=8)
    left.invert_yaxis()
    left.axvline(0, color="k", lw=0.5)
    left.set_xlabel("Kendall tau vs trained accuracy (all 1,000 cells)")
    left.set_title("weight-sharing scores (purple) and zero-cost proxies")
    summary = payload["summary"]
    sizes = sorted({s["train_size"] for s in summary})
    preds = list(dict.fromkeys(s["predictor"] for s in summary))
    width = 0.8 / len(preds)
    for k, name in enumerate(preds):
        rows = {s["train_size"]: s for s in summary if s["predictor"] == name}
        x = np.arange(len(sizes)) + k * width
        right.bar(
            x,
            [rows[n]["kendall_tau"] for n in sizes],
            width,
            yerr=[rows[n]["kendall_tau_std"] for n in sizes],
            label=name,
            capsize=2,
        )
    right.set_xticks(np.arange(len(sizes)) + 0.4 - width / 2, [f"n = {n}" for n in sizes])
    right.set_ylabel("Kendall tau (test 200, mean +- std over seeds)")
    right.set_title("OMNI with and without the ws group (paired splits)")
    top = max(s["kendall_tau"] + s["kendall_tau_std"] for s in summary)
    right.set_ylim(0, top + 0.2)
    right.legend(fontsize=7, ncol=4, loc="upper center")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--supernet-seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=SupernetConfig().epochs)
    parser.add_argument("--seeds", type=int, default=10, help="seeds of the protocol")
    parser.add_argument("--train-sizes", default="20,100")
    parser.add_argument("--test-size", type=int, default=200)
    parser.add_argument("--cache", default=None, help=f"supernet cache ({default_cache_dir()})")
    parser.add_argument("--out", default=str(RESULTS / "weight_sharing.json"))
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--plot-only", action="store_true", help="re-plot an existing --out")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.plot_only:
        plot(json.loads(out.read_text(encoding="utf-8")), out.with_suffix(".png"))
        return 0
    torch.set_num_threads(1)
    start = time.perf_counter()
    sizes = [int(s) for s in args.train_sizes.split(",")]
    bench = load_benchmark(BENCHMARK)
    config = SupernetConfig.for_benchmark(bench, epochs=args.epochs)
    nets = supernet_rows(bench, range(args.supernet_seeds), config, args.cache, not args.quiet)
    proxies = proxy_rows(bench)
    ws_groups = [r["group"] for r in nets]
    partial = out.with_name(out.stem + ".partial.json")
    specs = specs_for(bench, ws_groups)
    records = run_protocol(
        bench, specs, sizes, range(args.seeds), args.test_size, partial, not args.quiet
    )
    summary = summarize(records)
    paired = paired_differences(records, ws_groups, sizes)
    kts = np.array([r["kendall_tau"] for r in nets])
    payload = {
        "benchmark": BENCHMARK,
        "description": __doc__.split("\n\n")[0],
        "supernet_config": config.to_dict(),
        "supernets": nets,
        "ws_kendall_tau_mean": float(kts.mean()),
        "ws_kendall_tau_std": float(kts.std()),
        "proxies": proxies,
        "best_proxy": proxies[0],
        "omni_groups": list(specs[0].groups),
        "train_sizes": sizes,
        "test_size": args.test_size,
        "seeds": args.seeds,
        "summary": summary,
        "paired_differences": paired,
        "records": records,
        "machine": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": 1,
            "note": "wall-clock seconds; another job shared the 2 cores during the run",
        },
        "wall_seconds_last_session": time.perf_counter() - start,
    }
    write_json(out, payload)
    plot(payload, out.with_suffix(".png"))
    partial.unlink(missing_ok=True)
    print()
    print(
        f"ws KT over {len(nets)} supernets: {kts.mean():.3f} +- {kts.std():.3f}; best proxy "
        f"{proxies[0]['proxy']} KT {proxies[0]['kendall_tau']:.3f}"
    )
    print(format_table(summary, ["predictor", "train_size", "kendall_tau", "kendall_tau_std"]))
    print(
        format_table(
            paired,
            ["comparison", "train_size", "mean_kt_difference", "std_kt_difference", "wins"],
        )
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
