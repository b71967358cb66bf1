"""Parameter counts of our reference networks against the published ones, on every row.

    python benchmarks/space_params.py [--data-dir ../shared/data]

For every space with a NASLib file in the shared data (NB101, TransNAS-Bench-101 micro on its
four buildable tasks, the macro sample, NB201), each key is rebuilt from the key alone on
PyTorch's meta device (no memory, no arithmetic) and its parameter count compared with the
file's ``params`` (millions). Writes benchmarks/results/space_params.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch
from _common import RESULTS, default_data_dir

from omni import spaces
from omni.data.naslib import find_tables
from omni.reporting import format_table, write_json

#: (space, file under the data folder, tasks to check)
FILES = (
    ("darts", "spaces/zc_nasbench301.json", ("cifar10",)),
    ("nb201", "nb201/zc_nasbench201_cifar10.json", ("cifar10",)),
    ("nb101", "spaces/zc_nasbench101.json", ("cifar10",)),
    (
        "tnb101-micro",
        "spaces/zc_transbench101_micro.json",
        ("class_scene", "class_object", "room_layout", "jigsaw"),
    ),
    (
        "tnb101-macro",
        "samples/zc_transbench101_macro_sample20.json",
        ("class_scene", "class_object", "room_layout", "jigsaw"),
    ),
)


def published_params(record: dict) -> float:
    value = record["params"]
    return float(value["score"] if isinstance(value, dict) else value)


def count_params(space, key: str, task: str) -> float:
    with torch.device("meta"):
        net = space.network(space.parse(key), task)
    return sum(p.numel() for p in net.parameters()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--out", default=str(RESULTS / "space_params.json"))
    args = parser.parse_args(argv)
    rows = []
    for name, file, tasks in FILES:
        path = f"{args.data_dir}/{file}"
        if not spaces.is_registered(name):
            print(f"skipping {name}: not a registered space", file=sys.stderr)
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                tables = find_tables(json.load(fh))
        except FileNotFoundError:
            print(f"skipping {name}: {path} not found", file=sys.stderr)
            continue
        space = spaces.get(name)
        for task in tasks:
            table = next(t for k, t in tables.items() if k[-1] == task)
            start = time.perf_counter()
            errors = []
            for key, record in table.items():
                ours = count_params(space, key, task)
                theirs = published_params(record)
                errors.append(abs(ours - theirs) / theirs)
            rows.append(
                {
                    "space": name,
                    "task": task,
                    "rows": len(errors),
                    "max_relative_error": max(errors),
                    "rows_within_1e-4": sum(e <= 1e-4 for e in errors),
                    "seconds": time.perf_counter() - start,
                }
            )
    print(format_table(rows, list(rows[0]) if rows else []))
    write_json(args.out, {"command": "python benchmarks/space_params.py", "results": rows})
    return 0 if all(r["rows_within_1e-4"] == r["rows"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
