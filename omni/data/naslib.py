"""Reader for NASLib's zero-cost benchmark layout (``zc_*.json``, NAS-Bench-Suite-Zero).

Layout: ``{dataset: {arch_key: {"val_accuracy": float, proxy: {"score": s, "time": t} | s, ...}}}``,
optionally nested one level deeper (``{"nasbench101": {"cifar10": {...}}}``). NASLib's failure
marker ``-1e8`` and non-finite scores become NaN, counted and logged.
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

NASLIB_FAILURE = -1e8
_NON_PROXY_KEYS = {"id", "idx", "arch", "val_accuracy"}
_SPACE_BY_FILENAME = (
    ("nasbench201", "nb201"),
    ("nasbench101", "nb101"),
    ("nasbench301", "darts"),
    ("transbench101_micro", "tnb101-micro"),
    ("transbench101_macro", "tnb101-macro"),
)


def _is_record_table(obj: Any) -> bool:
    if not isinstance(obj, dict) or not obj:
        return False
    first = next(iter(obj.values()))
    return isinstance(first, dict) and "val_accuracy" in first


def find_tables(obj: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], dict]:
    """Every {arch_key: record} table in a (possibly nested) NASLib file, by key path."""
    if _is_record_table(obj):
        return {prefix: obj}
    tables: dict[tuple[str, ...], dict] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, dict):
                tables.update(find_tables(value, prefix + (str(key),)))
    return tables


def guess_space(path: Path) -> str:
    name = path.name.lower()
    for token, space in _SPACE_BY_FILENAME:
        if token in name:
            return space
    return "unknown"


def _clean_score(value: Any) -> tuple[float, bool]:
    """(score, was_failure): the failure marker and non-finite values become NaN."""
    if value is None:
        return math.nan, True
    score = float(value)
    if score == NASLIB_FAILURE or not math.isfinite(score):
        return math.nan, True
    return score, False


def read_naslib_zc(
    path: str | Path, dataset: str | None = None, space: str | None = None
) -> Benchmark:
    """Read a NASLib zero-cost file into a :class:`Benchmark` (one dataset of it)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise DataFormatError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataFormatError(f"{path}: not valid JSON ({err})") from None
    tables = find_tables(data)
    if not tables:
        raise DataFormatError(
            f"{path}: no NASLib zero-cost table found; expected "
            '{dataset: {arch_key: {"val_accuracy": ..., proxy: {"score": ...}}}}'
        )
    names = {"/".join(k): k for k in tables}
    if dataset is None:
        if len(tables) > 1:
            raise DataFormatError(
                f"{path}: holds several datasets {sorted(names)}; pick one with dataset="
            )
        chosen = next(iter(tables))
    else:
        matches = [k for k in tables if "/".join(k) == dataset or k[-1] == dataset]
        if len(matches) != 1:
            raise DataFormatError(f"{path}: no dataset {dataset!r}; it holds {sorted(names)}")
        chosen = matches[0]
    table = tables[chosen]
    space = space or guess_space(path)
    return _table_to_benchmark(table, path, space, chosen[-1] if chosen else "unknown")


def _arch_string(key: str, space: str) -> str:
    """The space's string form of a NASLib key when the space is registered, else the key."""
    if not spaces.is_registered(space):
        return key
    sp = spaces.get(space)
    try:
        return sp.to_str(sp.parse(key))
    except InvalidArchitectureError as err:
        raise DataFormatError(f"arch key {key!r} is not a {space} architecture: {err}") from None


def _table_to_benchmark(table: dict, path: Path, space: str, dataset: str) -> Benchmark:
    keys = list(table)
    n = len(keys)
    proxies = sorted({k for rec in table.values() for k in rec if k not in _NON_PROXY_KEYS})
    zc = {p: np.full(n, np.nan) for p in proxies}
    secs = {p: np.full(n, np.nan) for p in proxies}
    target = np.full(n, np.nan)
    ids = np.full(n, np.nan)
    failures = dict.fromkeys(proxies, 0)
    archs = []
    for row, key in enumerate(keys):
        rec = table[key]
        if not isinstance(rec, dict):
            raise DataFormatError(f"{path}: entry {key!r} is not an object")
        archs.append(_arch_string(key, space))
        acc = rec.get("val_accuracy")
        target[row] = math.nan if acc is None else float(acc)
        raw_id = rec.get("id", rec.get("idx"))
        if raw_id is not None:
            ids[row] = float(raw_id)
        for p in proxies:
            if p not in rec:
                continue
            value = rec[p]
            try:
                if isinstance(value, dict):
                    score, failed = _clean_score(value.get("score"))
                    if value.get("time") is not None:
                        secs[p][row] = float(value["time"])
                else:
                    score, failed = _clean_score(value)
            except (TypeError, ValueError):
                raise DataFormatError(
                    f"{path}: {key!r} proxy {p!r} is not a number: {value!r}"
                ) from None
            zc[p][row] = score
            failures[p] += failed
    for p, count in failures.items():
        if count:
            logger.info("%s: %d failed %s scores (NaN)", path.name, count, p)
    extra = {"benchmark_id": ids} if not np.all(np.isnan(ids)) else {}
    return Benchmark(
        space=space,
        dataset=dataset,
        archs=archs,
        target=target,
        zc=zc,
        zc_seconds=secs,
        extra=extra,
        metadata={"source": str(path), "format": "naslib-zc", "failures": failures},
    )
