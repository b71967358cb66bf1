"""Helpers shared by the benchmark scripts (not part of the library)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def default_data_dir() -> Path:
    """``$OMNI_SHARED_DATA`` or ``../shared/data`` next to the repository."""
    env = os.environ.get("OMNI_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"
