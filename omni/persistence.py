"""Saving and loading fitted composites, with the versions they were made with."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import joblib

from features.errors import OmniError

FORMAT = "omni-model"
VERSIONED = ("omni-nas", "scikit-learn", "xgboost-cpu", "ngboost", "numpy")


def versions() -> dict[str, str]:
    out = {}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def save_model(path: str | Path, model: Any, **info: Any) -> Path:
    """Write ``model`` and ``info`` (groups, space, benchmark, profile...) with the versions."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    joblib.dump({"format": FORMAT, "versions": versions(), "model": model, "info": info}, tmp)
    tmp.replace(path)
    return path


def load_model(path: str | Path) -> tuple[Any, dict]:
    """(model, info); refuses a file made with other library or dependency versions."""
    path = Path(path)
    try:
        payload = joblib.load(path)
    except FileNotFoundError:
        raise OmniError(f"{path}: no such model file") from None
    except Exception as err:  # joblib/pickle raise many kinds on a foreign file
        raise OmniError(
            f"{path}: not a readable omni model ({type(err).__name__}: {err})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise OmniError(f"{path}: not an omni model file")
    saved, here = payload["versions"], versions()
    diff = {k: (saved.get(k), here[k]) for k in here if saved.get(k) != here[k]}
    if diff:
        detail = ", ".join(f"{k} {a} (file) vs {b} (installed)" for k, (a, b) in diff.items())
        raise OmniError(
            f"{path} was saved with other versions: {detail}; refit it with this install"
        )
    return payload["model"], payload["info"]
