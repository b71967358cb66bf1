"""Reader for NAS-Bench-NLP training logs: a folder of ``log_stats_model_*.json``.

One log is one training run of the benchmark's 3-layer language model with one recurrent cell
(its ``recepie``): per-epoch ``train_losses``, ``val_losses`` and ``wall_times`` (seconds), a
``status`` ("OK", or e.g. "loss is nan!" for a run that diverged, with its curve cut short).

- Target: ``100 - final validation loss`` (nats per token), higher is better -- the study's
  orientation, which keeps the losses' differences as they are. A run that did not finish
  (status not "OK", fewer epochs than it was set to train, a non-finite last loss) keeps its
  row with a NaN target and its partial curves (NaN-padded), counted in
  ``metadata["unfinished"]``; nothing is dropped.
- Curves ``train_loss`` and ``val_loss``, ``epoch_seconds`` from ``wall_times``,
  ``train_seconds`` their sum; extra columns ``num_params`` and ``benchmark_id`` (the recipe id).
- Isomorphic cells (several logs of one cell under different ids) stay separate rows; their
  count is in ``metadata["isomorphism_classes"]`` and splits keep each class on one side.

Any file that is not a complete log (truncated or foreign JSON, a missing field, a recipe that
is not a valid cell) raises :class:`DataFormatError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from features.errors import DataFormatError, InvalidArchitectureError
from omni import spaces
from omni.data.benchmark import Benchmark

logger = logging.getLogger(__name__)

LOG_PATTERN = "log_stats_model_*.json"
TARGET_OFFSET = 100.0
_REQUIRED = ("recepie", "train_losses", "val_losses", "wall_times", "status")


def is_nlp_log_folder(folder: Path) -> bool:
    return folder.is_dir() and next(folder.glob(LOG_PATTERN), None) is not None


def _losses(log: dict[str, Any], key: str, path: Path) -> list[float]:
    values = log[key]
    if not isinstance(values, list):
        raise DataFormatError(f"{path}: {key!r} must be a list of numbers")
    try:
        return [math.nan if v is None else float(v) for v in values]
    except (TypeError, ValueError):
        raise DataFormatError(f"{path}: {key!r} holds a value that is not a number") from None


def read_log(path: Path) -> dict[str, Any]:
    """One log, checked: its JSON object with the fields the reader needs."""
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise DataFormatError(f"{path}: cannot read the log ({err})") from None
    except json.JSONDecodeError as err:
        raise DataFormatError(f"{path}: not a complete JSON log (truncated?): {err}") from None
    if not isinstance(log, dict):
        raise DataFormatError(f"{path}: a NAS-Bench-NLP log is a JSON object")
    missing = [k for k in _REQUIRED if k not in log]
    if missing:
        raise DataFormatError(f"{path}: not a NAS-Bench-NLP log, missing {missing}")
    return log


def read_nlp_logs(folder: str | Path, dataset: str | None = None) -> Benchmark:
    """Every log of ``folder`` as one :class:`Benchmark` of space ``nlp``."""
    folder = Path(folder)
    paths = sorted(folder.glob(LOG_PATTERN))
    if not paths:
        raise DataFormatError(f"{folder}: no NAS-Bench-NLP logs ({LOG_PATTERN}) in it")
    space = spaces.get("nlp")
    logs = [read_log(p) for p in paths]
    archs, curves, seconds, finished = [], {"train_loss": [], "val_loss": []}, [], []
    for path, log in zip(paths, logs, strict=True):
        try:
            archs.append(space.to_str(space.parse(log["recepie"])))
        except InvalidArchitectureError as err:
            raise DataFormatError(f"{path}: its recepie is not a valid cell: {err}") from None
        train, val = _losses(log, "train_losses", path), _losses(log, "val_losses", path)
        walls = _losses(log, "wall_times", path)
        curves["train_loss"].append(train)
        curves["val_loss"].append(val)
        seconds.append(walls)
        planned = log.get("epochs", len(val))
        finished.append(
            log["status"] == "OK" and len(val) >= planned and bool(val) and math.isfinite(val[-1])
        )
    epochs = max(len(row) for rows in (*curves.values(), seconds) for row in rows)
    padded = {k: _pad(rows, epochs) for k, rows in curves.items()}
    epoch_seconds = _pad(seconds, epochs)
    target = np.array(
        [
            TARGET_OFFSET - row[-1] if ok else math.nan
            for row, ok in zip(curves["val_loss"], finished, strict=True)
        ]
    )
    unfinished = [
        {"file": p.name, "status": log["status"], "epochs": len(log["val_losses"])}
        for p, log, ok in zip(paths, logs, finished, strict=True)
        if not ok
    ]
    for item in unfinished:
        logger.info(
            "%s: run did not finish (%s, %d epochs); target NaN",
            item["file"],
            item["status"],
            item["epochs"],
        )
    names = {_dataset_name(log) for log in logs}
    name = dataset or (names.pop() if len(names) == 1 else "unknown")
    classes = len({space.key(a) for a in archs})
    return Benchmark(
        space="nlp",
        dataset=name,
        archs=archs,
        target=target,
        curves=padded,
        epoch_seconds=epoch_seconds,
        train_seconds=np.nansum(epoch_seconds, axis=1),
        extra={
            "num_params": np.array([float(log.get("num_params", math.nan)) for log in logs]),
            "benchmark_id": np.array([_number(log.get("recepie_id")) for log in logs]),
        },
        metadata={
            "source": str(folder),
            "format": "nas-bench-nlp-logs",
            "target": f"{TARGET_OFFSET:g} - validation loss (nats per token) at the last epoch",
            "unfinished": unfinished,
            "isomorphism_classes": classes,
        },
    )


def _pad(rows: list[list[float]], width: int) -> np.ndarray:
    out = np.full((len(rows), width), np.nan)
    for k, row in enumerate(rows):
        out[k, : len(row)] = row
    return out


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _dataset_name(log: dict[str, Any]) -> str:
    """``"data/wikitext-2"`` -> ``"wikitext2"``; ``"data/penn"`` -> ``"ptb"``."""
    base = Path(str(log.get("data", "unknown"))).name.lower().replace("-", "")
    return {"penn": "ptb", "ptb": "ptb"}.get(base, base or "unknown")
