"""Load time and peak memory of the full NB201 table + zero-cost file.

    python benchmarks/load_speed.py [--data-dir ../shared/data]

Runs the load in a fresh subprocess (so the interpreter and imports are counted honestly in the
peak RSS) and writes benchmarks/results/load_speed.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _common import RESULTS, default_data_dir

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from omni.data import load_benchmark
t1 = time.perf_counter()
bench = load_benchmark(sys.argv[1])
t2 = time.perf_counter()
from omni.data.nb201_files import read_nb201_table
table = read_nb201_table(sys.argv[1] + "/nb201/nb201_cifar10_table.csv")
t3 = time.perf_counter()
print(json.dumps({"import_seconds": t1 - t0, "load_joined_seconds": t2 - t1,
                  "load_table_seconds": t3 - t2, "rows_joined": len(bench), "rows_table": len(table),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--out", default=str(RESULTS / "load_speed.json"))
    args = parser.parse_args(argv)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, args.data_dir], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    result["total_seconds"] = result["load_joined_seconds"] + result["load_table_seconds"]
    print(json.dumps(result, indent=1))
    from omni.reporting import write_json

    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
