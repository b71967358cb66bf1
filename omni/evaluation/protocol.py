"""The study's evaluation loop: seeds x train sizes x predictors -> one record each."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from features.errors import OmniError
from omni.data.benchmark import Benchmark
from omni.evaluation.metrics import score_predictions
from omni.evaluation.splits import SPLITS, class_groups
from omni.feature_groups import groups_query_seconds, plan_init_seconds
from omni.featurizer import Featurizer
from omni.predictors import PredictorSpec
from omni.progress import progress_bar

logger = logging.getLogger(__name__)

RECORD_KEYS = (
    "predictor",
    "train_size",
    "seed",
    "kendall_tau",
    "spearman",
    "pearson",
    "sparse_kendall_tau",
    "precision_at_10",
    "precision_at_20",
    "init_seconds",
    "query_seconds",
)


def run_one(
    bench: Benchmark, spec: PredictorSpec, train: np.ndarray, test: np.ndarray, seed: int
) -> dict[str, float]:
    """Fit ``spec`` on ``train`` rows, score it on ``test`` rows; metrics and costs."""
    featurizer = Featurizer.for_table(bench, spec.groups)
    x_train = featurizer.transform_rows(train)
    x_test = featurizer.transform_rows(test)
    model = spec.make(seed)
    start = time.perf_counter()
    model.fit(x_train, bench.target[train])
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pred = model.predict(x_test)
    predict_seconds = (time.perf_counter() - start) / len(test)
    per_arch = groups_query_seconds(bench, spec.groups, train)
    record = score_predictions(bench.target[test], pred)
    record["init_seconds"] = fit_seconds + plan_init_seconds(
        bench, spec.groups, train, spec.needs_training
    )
    record["query_seconds"] = per_arch + predict_seconds
    return record


def evaluate(
    bench: Benchmark,
    predictors: Sequence[PredictorSpec],
    train_sizes: Sequence[int],
    test_size: int = 200,
    seeds: Sequence[int] = tuple(range(10)),
    test_set: str = "uniform",
    progress: bool = True,
) -> list[dict]:
    """One record per (predictor, train size, seed), keys :data:`RECORD_KEYS`.

    For a seed, every predictor and train size shares one test set; training sets are nested
    (the first n of one draw). Training-free predictors are scored once per seed.
    """
    if test_set not in SPLITS:
        raise OmniError(f"unknown test set {test_set!r}; use one of {sorted(SPLITS)}")
    if not train_sizes or min(train_sizes) < 1:
        raise OmniError("train sizes must be positive integers")
    groups = class_groups(bench)
    records: list[dict] = []
    total = len(seeds) * len(train_sizes) * len(predictors)
    bar = progress_bar(total=total, disable=not progress, desc="evaluate", unit="fit")
    for seed in seeds:
        split = SPLITS[test_set](
            bench, test_size, max(train_sizes), random_state=seed, groups=groups
        )
        cached: dict[str, dict] = {}
        for n in train_sizes:
            train = split.train_rows(n)
            for spec in predictors:
                if not spec.needs_training and spec.name in cached:
                    result = dict(cached[spec.name])
                else:
                    result = run_one(bench, spec, train, split.test, seed)
                    if not spec.needs_training:
                        cached[spec.name] = result
                records.append(
                    {"predictor": spec.name, "train_size": int(n), "seed": int(seed), **result}
                )
                bar.update()
    bar.close()
    return records


def summarize(records: Sequence[dict], metric: str = "kendall_tau") -> list[dict]:
    """Mean and standard deviation of ``metric`` per (predictor, train size)."""
    table: dict[tuple[str, int], list[float]] = {}
    costs: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for r in records:
        key = (r["predictor"], r["train_size"])
        table.setdefault(key, []).append(r[metric])
        costs.setdefault(key, []).append((r["init_seconds"], r["query_seconds"]))
    out = []
    for (name, n), values in table.items():
        v = np.asarray(values, dtype=float)
        c = np.asarray(costs[(name, n)], dtype=float)
        out.append(
            {
                "predictor": name,
                "train_size": n,
                "mean": float(np.nanmean(v)),
                "std": float(np.nanstd(v)),
                "seeds": int(np.isfinite(v).sum()),
                "init_seconds": float(np.nanmean(c[:, 0]))
                if np.isfinite(c[:, 0]).any()
                else float("nan"),
                "query_seconds": float(np.nanmean(c[:, 1]))
                if np.isfinite(c[:, 1]).any()
                else float("nan"),
            }
        )
    return out
