"""``load_benchmark``: one entry point for every benchmark format and built-in name."""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from features.errors import DataFormatError
from omni.data.benchmark import FORMAT_NAME, Benchmark
from omni.data.naslib import read_naslib_zc
from omni.data.nb201_files import read_nb201_curves, read_nb201_table
from omni.data.nlp_logs import is_nlp_log_folder, read_nlp_logs

logger = logging.getLogger(__name__)

BUILTIN = {"nb201-digits": "nb201_digits.json.gz"}
NB201_ZC_FILE = "zc_nasbench201_cifar10.json"
NB201_TABLE_FILE = "nb201_cifar10_table.csv"
#: a separate NASLib run that measured every proxy's seconds (only its times are used)
NB201_TIMED_FILE = "samples/zc_nasbench201_prerelease_cifar10.json"


def builtin_path(name: str) -> Path:
    """Path of a benchmark shipped in the package."""
    return Path(str(resources.files("omni").joinpath("builtin", BUILTIN[name])))


def load_benchmark(
    path_or_name: str | Path, dataset: str | None = None, space: str | None = None
) -> Benchmark:
    """Read a benchmark: a built-in name, a project file, a NASLib ``zc_*.json``, the NB201 table
    CSV, the NB201 learning-curve JSON, a folder of NAS-Bench-NLP logs, or a folder holding the
    shared NB201 files.

    A folder with both the NASLib NB201 zero-cost file and the NB201 table gives the zero-cost
    cells joined (by NB201 index) with the table's extra columns (12-epoch accuracy, hardware).
    ``space`` names the search space of a NASLib file whose name does not tell it; for other
    formats, which record their space, it must agree with the file.
    """
    try:
        bench = _load(path_or_name, dataset, space)
    except (UnicodeDecodeError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataFormatError(
            f"{path_or_name}: not a readable benchmark file (corrupt or truncated: {err})"
        ) from None
    if space is not None and bench.space != space:
        raise DataFormatError(
            f"{path_or_name}: holds {bench.space!r} architectures, not {space!r} ones"
        )
    return bench


def _load(path_or_name: str | Path, dataset: str | None, space: str | None) -> Benchmark:
    if str(path_or_name) in BUILTIN:
        return _read_project(builtin_path(str(path_or_name)))
    path = Path(path_or_name)
    if is_nlp_log_folder(path):
        return read_nlp_logs(path, dataset)
    if path.is_dir():
        return _read_folder(path, dataset)
    if not path.exists():
        raise DataFormatError(
            f"{path}: no such file or folder; give a benchmark file, a folder, or one of {sorted(BUILTIN)}"
        )
    if path.suffix == ".csv":
        return read_nb201_table(path)
    if path.name.endswith(".gz"):
        return _read_project(path)
    with open(path, encoding="utf-8") as fh:
        head = fh.read(4096).lstrip()
    if head.startswith("["):
        return read_nb201_curves(path)
    if f'"format": "{FORMAT_NAME}"' in head or f'"format":"{FORMAT_NAME}"' in head:
        return _read_project(path)
    return read_naslib_zc(path, dataset=dataset, space=space)


def _read_project(path: Path) -> Benchmark:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise DataFormatError(f"{path}: no such file") from None
    except (OSError, json.JSONDecodeError) as err:
        raise DataFormatError(f"{path}: not a readable {FORMAT_NAME} file ({err})") from None
    return Benchmark.from_dict(data, source=str(path))


def _read_folder(folder: Path, dataset: str | None) -> Benchmark:
    if (folder / "nb201").is_dir() and not (folder / NB201_ZC_FILE).exists():
        folder = folder / "nb201"
    zc_file, table_file = folder / NB201_ZC_FILE, folder / NB201_TABLE_FILE
    if not zc_file.exists():
        raise DataFormatError(
            f"{folder}: expected {NB201_ZC_FILE} (and optionally {NB201_TABLE_FILE}) in it"
        )
    bench = read_naslib_zc(zc_file, dataset=dataset, space="nb201")
    if table_file.exists():
        join_table(bench, read_nb201_table(table_file))
    timed = folder.parent / NB201_TIMED_FILE
    if timed.exists():
        fill_proxy_seconds(bench, read_naslib_zc(timed, dataset=dataset, space="nb201"))
    return bench


def fill_proxy_seconds(bench: Benchmark, timed: Benchmark) -> None:
    """Where ``bench`` has no measured proxy seconds, record ``timed``'s median per proxy.

    Only the costs are taken (``metadata["proxy_seconds"]``), never scores: the two runs differ.
    """
    medians = {}
    for proxy, secs in timed.zc_seconds.items():
        if (
            proxy in bench.zc
            and not np.isfinite(bench.zc_seconds[proxy]).any()
            and np.isfinite(secs).any()
        ):
            medians[proxy] = float(np.nanmedian(secs))
    bench.metadata["proxy_seconds"] = medians
    bench.metadata["proxy_seconds_source"] = timed.metadata.get("source")


def join_table(bench: Benchmark, table: Benchmark) -> None:
    """Add ``table``'s extra columns to ``bench`` in place, matching rows by architecture."""
    row_of = {arch: k for k, arch in enumerate(table.archs)}
    missing = [a for a in bench.archs if a not in row_of]
    if missing:
        raise DataFormatError(
            f"{len(missing)} architectures are not in the table, e.g. {missing[0]}"
        )
    rows = np.array([row_of[a] for a in bench.archs])
    for name, column in table.extra.items():
        if name not in bench.extra:
            bench.extra[name] = column[rows]
    bench.metadata["joined"] = table.metadata.get("source")
