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


#: per-architecture columns that are the target measured early (NB201: the 12-epoch accuracy)
LOW_FIDELITY_COLUMNS = ("val_acc_12ep",)


def low_fidelity_columns(bench) -> list[str]:
    """The benchmark's low-fidelity ``extra:`` groups."""
    return [f"extra:{c}" for c in LOW_FIDELITY_COLUMNS if c in bench.extra]


def low_fidelity_groups(bench) -> list[str]:
    """Low-fidelity columns plus the learning-curve groups (:func:`omni.feature_groups.lc_groups`)."""
    from omni.feature_groups import lc_groups

    return low_fidelity_columns(bench) + lc_groups(bench)
