"""Helpers shared by the benchmark scripts (not part of the library)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


#: the packages whose code decides every benchmark's numbers
LIBRARY_PACKAGES = ("omni", "base_predictors", "features")

#: the other spaces' NASLib files under the data folder: name -> (file, dataset)
SPACE_BENCHMARKS = {
    "nb101": ("spaces/zc_nasbench101.json", "cifar10"),
    "darts": ("spaces/zc_nasbench301.json", "cifar10"),
    **{
        f"tnb101-micro-{task}": ("spaces/zc_transbench101_micro.json", task)
        for task in ("class_scene", "class_object", "room_layout", "jigsaw")
    },
}


@functools.cache
def code_fingerprint() -> str:
    """A short hash of the library's source: cached parts made by other code are not reused."""
    digest = hashlib.sha256()
    for package in LIBRARY_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            digest.update(path.relative_to(REPO).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def parts_dir(script: str) -> Path:
    """Where ``script`` caches finished parts for a resumed run: one folder per library version
    (:func:`code_fingerprint`), so a rerun after a change of the library computes afresh."""
    return REPO / "runs" / script / code_fingerprint()


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


def cached_evaluate(
    part: Path,
    make: Callable[[], tuple[object, list]],
    sizes: Sequence[int],
    test_size: int,
    seeds: int,
    **tags,
) -> list[dict]:
    """Records of ``omni.evaluation.evaluate`` for ``make() -> (benchmark, specs)`` on seeds
    0..``seeds``-1, each tagged with ``tags``; kept in ``part`` and read back on a rerun."""
    from omni.evaluation import evaluate
    from omni.reporting import write_json

    if part.exists():
        return json.loads(part.read_text())
    start = time.perf_counter()
    bench, specs = make()
    recs = evaluate(
        bench, specs, list(sizes), test_size=test_size, seeds=range(seeds), progress=False
    )
    for r in recs:
        r.update(tags)
    part.parent.mkdir(parents=True, exist_ok=True)
    write_json(part, recs)
    print(f"{part.stem}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return recs


def write_summary(
    out: str, script: str, argv: Sequence[str] | None, records: list[dict], by: str | None = None
) -> None:
    """Print the mean/std table of ``records`` (one block per value of ``by``) and write it,
    the records and the command line that made them to ``out``."""
    from omni.evaluation import summarize
    from omni.reporting import format_table, write_json

    keys = [None] if by is None else list(dict.fromkeys(r[by] for r in records))
    summary = []
    for key in keys:
        rows = summarize([r for r in records if by is None or r[by] == key])
        summary += [row if by is None else {by: key, **row} for row in rows]
    print(format_table(summary, [*([by] if by else []), "predictor", "train_size", "mean", "std"]))
    command = f"python benchmarks/{script} " + " ".join(sys.argv[1:] if argv is None else argv)
    write_json(out, {"command": command, "summary": summary, "records": records})


def chosen(parser, value: str, known, what: str, sep: str = ",") -> list[str]:
    """The ``sep``-separated names of ``value``, each checked against ``known`` (a parser error
    names the unknown ones)."""
    names = value.split(sep)
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown {what} {unknown}; known: {list(known)}")
    return names
