"""The :class:`Benchmark`: one table of architectures and everything measured about them."""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from features.errors import DataFormatError

FORMAT_NAME = "omni-benchmark"
FORMAT_VERSION = 1


def _floats(values: Any) -> np.ndarray:
    """JSON numbers/None -> float array with NaN for missing."""
    return np.array(
        [[math.nan if v is None else v for v in row] for row in values]
        if values and isinstance(values[0], list)
        else [math.nan if v is None else v for v in values],
        dtype=float,
    )


def _jsonable(array: np.ndarray) -> list:
    """Float array -> nested lists with None for NaN and +-inf (failure markers; strict JSON)."""
    obj = np.asarray(array, dtype=object)
    obj[~np.isfinite(np.asarray(array, dtype=float))] = None
    return obj.tolist()


@dataclass
class Benchmark:
    """Architectures (string form of ``space``) with their measured numbers.

    Every array is aligned with ``archs``; a value nobody measured is NaN, never a magic number.

    - ``target``: final validation accuracy (percent, or the benchmark's own metric).
    - ``zc`` / ``zc_seconds``: zero-cost score and the seconds it took, per proxy.
    - ``curves``: per metric (``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``), an
      (n, epochs) array; ``epoch_seconds`` is (n, epochs) of training time per epoch.
    - ``train_seconds``: cost of the full training run that produced ``target``.
    - ``extra``: other per-architecture columns (latency, low-fidelity accuracy, ...).
    - ``ws`` / ``ws_seconds``: weight-sharing scores (a sub-network's accuracy with a trained
      supernet's weights) and the seconds each took, per supernet; ``metadata["weight_sharing"]``
      records each supernet's training seconds (see :mod:`omni.weight_sharing`).
    """

    space: str
    dataset: str
    archs: list[str]
    target: np.ndarray
    zc: dict[str, np.ndarray] = field(default_factory=dict)
    zc_seconds: dict[str, np.ndarray] = field(default_factory=dict)
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    epoch_seconds: np.ndarray | None = None
    train_seconds: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    ws: dict[str, np.ndarray] = field(default_factory=dict)
    ws_seconds: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.archs)
        self.target = np.asarray(self.target, dtype=float)
        if self.target.shape != (n,):
            raise DataFormatError(f"target has shape {self.target.shape}, expected ({n},)")
        if self.train_seconds is None:
            self.train_seconds = np.full(n, np.nan)
        for name, table in (
            ("zc", self.zc),
            ("zc_seconds", self.zc_seconds),
            ("extra", self.extra),
            ("ws", self.ws),
            ("ws_seconds", self.ws_seconds),
        ):
            for key, col in table.items():
                table[key] = np.asarray(col, dtype=float)
                if table[key].shape != (n,):
                    raise DataFormatError(
                        f"{name}[{key!r}] has shape {table[key].shape}, expected ({n},)"
                    )
        for key in self.zc:
            self.zc_seconds.setdefault(key, np.full(n, np.nan))
        for key in self.ws:
            self.ws_seconds.setdefault(key, np.full(n, np.nan))
        for key, curve in self.curves.items():
            self.curves[key] = np.asarray(curve, dtype=float)
            if self.curves[key].ndim != 2 or len(self.curves[key]) != n:
                raise DataFormatError(
                    f"curve {key!r} has shape {self.curves[key].shape}, expected ({n}, epochs)"
                )
        if self.epoch_seconds is not None:
            self.epoch_seconds = np.asarray(self.epoch_seconds, dtype=float)
            if self.epoch_seconds.ndim != 2 or len(self.epoch_seconds) != n:
                raise DataFormatError(
                    f"epoch_seconds has shape {self.epoch_seconds.shape}, expected ({n}, epochs)"
                )
        self.train_seconds = np.asarray(self.train_seconds, dtype=float)

    def __len__(self) -> int:
        return len(self.archs)

    def __repr__(self) -> str:
        return (
            f"Benchmark(space={self.space!r}, dataset={self.dataset!r}, n={len(self)}, "
            f"proxies={sorted(self.zc)}, curves={sorted(self.curves)}, extra={sorted(self.extra)}"
            + (f", ws={sorted(self.ws)})" if self.ws else ")")
        )

    @property
    def proxies(self) -> list[str]:
        return sorted(self.zc)

    @property
    def num_epochs(self) -> int:
        return max((c.shape[1] for c in self.curves.values()), default=0)

    def subset(self, rows: np.ndarray | list[int]) -> Benchmark:
        """The benchmark restricted to ``rows`` (in that order)."""
        rows = np.asarray(rows, dtype=int)
        return Benchmark(
            space=self.space,
            dataset=self.dataset,
            archs=[self.archs[i] for i in rows],
            target=self.target[rows],
            zc={k: v[rows] for k, v in self.zc.items()},
            zc_seconds={k: v[rows] for k, v in self.zc_seconds.items()},
            curves={k: v[rows] for k, v in self.curves.items()},
            epoch_seconds=None if self.epoch_seconds is None else self.epoch_seconds[rows],
            train_seconds=self.train_seconds[rows],
            extra={k: v[rows] for k, v in self.extra.items()},
            metadata=dict(self.metadata),
            ws={k: v[rows] for k, v in self.ws.items()},
            ws_seconds={k: v[rows] for k, v in self.ws_seconds.items()},
        )

    # ------------------------------------------------------------------ project format
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "space": self.space,
            "dataset": self.dataset,
            "metadata": self.metadata,
            "archs": list(self.archs),
            "target": _jsonable(self.target),
            "zc": {k: _jsonable(v) for k, v in self.zc.items()},
            "zc_seconds": {k: _jsonable(v) for k, v in self.zc_seconds.items()},
            "curves": {k: _jsonable(v) for k, v in self.curves.items()},
            "epoch_seconds": None if self.epoch_seconds is None else _jsonable(self.epoch_seconds),
            "train_seconds": _jsonable(self.train_seconds),
            "extra": {k: _jsonable(v) for k, v in self.extra.items()},
            "ws": {k: _jsonable(v) for k, v in self.ws.items()},
            "ws_seconds": {k: _jsonable(v) for k, v in self.ws_seconds.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Benchmark:
        if data.get("format") != FORMAT_NAME:
            raise DataFormatError(f"{source}: not an {FORMAT_NAME} file (no 'format' key)")
        if data.get("version") != FORMAT_VERSION:
            raise DataFormatError(
                f"{source}: format version {data.get('version')}, expected {FORMAT_VERSION}"
            )
        try:
            return cls(
                space=data["space"],
                dataset=data["dataset"],
                archs=list(data["archs"]),
                target=_floats(data["target"]),
                zc={k: _floats(v) for k, v in data.get("zc", {}).items()},
                zc_seconds={k: _floats(v) for k, v in data.get("zc_seconds", {}).items()},
                curves={k: _floats(v) for k, v in data.get("curves", {}).items()},
                epoch_seconds=None
                if data.get("epoch_seconds") is None
                else _floats(data["epoch_seconds"]),
                train_seconds=_floats(data["train_seconds"]) if data.get("train_seconds") else None,
                extra={k: _floats(v) for k, v in data.get("extra", {}).items()},
                metadata=dict(data.get("metadata", {})),
                ws={k: _floats(v) for k, v in data.get("ws", {}).items()},
                ws_seconds={k: _floats(v) for k, v in data.get("ws_seconds", {}).items()},
            )
        except KeyError as err:
            raise DataFormatError(f"{source}: missing key {err.args[0]!r}") from None

    def save(self, path: str | Path) -> Path:
        """Write the project format (gzip-compressed JSON when the name ends in ``.gz``)."""
        path = Path(path)
        text = json.dumps(self.to_dict(), allow_nan=False)
        tmp = path.with_name(path.name + ".tmp")
        if path.suffix == ".gz":
            with gzip.open(tmp, "wt", encoding="utf-8") as fh:
                fh.write(text)
        else:
            tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return path
