"""Readers for the shared NAS-Bench-201 files: the 15,625-row table and the 200 learning curves."""

from __future__ import annotations

import csv
import json
import logging
import math
from pathlib import Path

import numpy as np

from features.errors import DataFormatError
from omni import spaces
from omni.data.benchmark import Benchmark

logger = logging.getLogger(__name__)

TABLE_KEY_COLUMNS = ("index", "arch_str", "naslib_key", "canonical_id")
TABLE_TARGET = "val_acc_200ep"
#: HW-NAS-Bench writes -1.0 where a device has no measurement.
HW_MISSING = -1.0


def _open_text(path: Path):
    try:
        return open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise DataFormatError(f"{path}: no such file") from None


def _float_or_nan(text: str) -> float:
    return math.nan if text.strip() == "" else float(text)


def read_nb201_table(path: str | Path) -> Benchmark:
    """NB201 table CSV: target ``val_acc_200ep``; ``zen`` as a proxy; other columns as extras."""
    path = Path(path)
    space = spaces.get("nb201")
    with _open_text(path) as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header or any(c not in header for c in ("arch_str", TABLE_TARGET)):
            raise DataFormatError(
                f"{path}: expected a CSV header with 'arch_str' and {TABLE_TARGET!r}, got {header}"
            )
        rows = list(reader)
    col = {name: k for k, name in enumerate(header)}
    numeric = [c for c in header if c not in ("arch_str", "naslib_key")]
    values: dict[str, np.ndarray] = {}
    for name in numeric:
        try:
            values[name] = np.array([_float_or_nan(r[col[name]]) for r in rows], dtype=float)
        except (ValueError, IndexError):
            raise DataFormatError(
                f"{path}: column {name!r} holds a non-number or a row is short"
            ) from None
    archs = [space.to_str(space.parse(r[col["arch_str"]])) for r in rows]
    extra = {}
    for name in numeric:
        if name in (TABLE_TARGET, "zen"):
            continue
        column = values[name]
        if name.startswith("hw_"):
            missing = column == HW_MISSING
            if missing.any():
                logger.info(
                    "%s: %d '-1.0' (no measurement) in %s -> NaN", path.name, missing.sum(), name
                )
                column = np.where(missing, np.nan, column)
        extra["benchmark_id" if name == "index" else name] = column
    zc = {"zen": values["zen"]} if "zen" in values else {}
    return Benchmark(
        space="nb201",
        dataset="cifar10",
        archs=archs,
        target=values[TABLE_TARGET],
        zc=zc,
        extra=extra,
        metadata={"source": str(path), "format": "nb201-table"},
    )


def read_nb201_curves(path: str | Path) -> Benchmark:
    """The learning-curve JSON: per-epoch ``train_acc`` / ``val_acc``; target = last ``val_acc``."""
    path = Path(path)
    space = spaces.get("nb201")
    with _open_text(path) as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as err:
            raise DataFormatError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, list) or not data or not all(isinstance(r, dict) for r in data):
        raise DataFormatError(f"{path}: expected a list of objects with 'arch_str' and curves")
    metrics = [m for m in ("train_acc", "val_acc", "train_loss", "val_loss") if m in data[0]]
    if "arch_str" not in data[0] or not metrics:
        raise DataFormatError(f"{path}: records need 'arch_str' and a curve such as 'val_acc'")
    epochs = max(len(r.get(m) or []) for r in data for m in metrics)
    curves = {m: np.full((len(data), epochs), np.nan) for m in metrics}
    proxies = sorted({p for r in data for p in (r.get("proxies") or {})})
    zc = {p: np.full(len(data), np.nan) for p in proxies}
    archs, index = [], []
    for row, rec in enumerate(data):
        archs.append(space.to_str(space.parse(rec["arch_str"])))
        index.append(rec.get("index", math.nan))
        for m in metrics:
            vals = [math.nan if v is None else float(v) for v in rec.get(m) or []]
            curves[m][row, : len(vals)] = vals
        for p, v in (rec.get("proxies") or {}).items():
            zc[p][row] = math.nan if v is None or not math.isfinite(float(v)) else float(v)
    final = "val_acc" if "val_acc" in curves else metrics[0]
    return Benchmark(
        space="nb201",
        dataset="cifar10-valid",
        archs=archs,
        target=curves[final][:, -1],
        zc=zc,
        curves=curves,
        extra={"benchmark_id": np.asarray(index, dtype=float)},
        metadata={
            "source": str(path),
            "format": "nb201-curves",
            "target": f"{final} at epoch {epochs}",
        },
    )
