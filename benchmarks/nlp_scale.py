"""Time and memory of the NAS-Bench-NLP path at the size of the full release (14,322 logs).

    python benchmarks/nlp_scale.py [--logs 14322] [--data-dir ../shared/data]

We hold 100 of the release's logs. To see whether the reader, the featurizer and the
evaluation hold up on the whole release, this writes ``--logs`` synthetic logs into a temporary
folder: recipes sampled from the ``nlp`` space (so isomorphism detection and graph features do
real work), each with the curves and wall times of a real log (taken in turn, the losses scaled
by a random factor of about 1 %). Then, in a fresh subprocess (so the peak RSS counts the
interpreter and its imports), it loads the folder and runs ``omni evaluate`` with ``omni@10``,
``lce@10`` and ``early-stop`` (n = 100, test 1,000, one seed). The Kendall taus of borrowed
curves mean nothing and are not reported: only seconds and memory.
Writes benchmarks/results/nlp_scale.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, default_data_dir
from nlp_lc import LOGS

from omni import spaces
from omni.reporting import write_json

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from omni.data import load_benchmark
from omni.evaluation import evaluate
from omni.predictors import resolve
bench = load_benchmark(sys.argv[1])
t1 = time.perf_counter()
specs = resolve(bench, ["omni@10", "lce@10", "early-stop@10"])
evaluate(bench, specs, [100], test_size=1000, seeds=[0], progress=False)
t2 = time.perf_counter()
print(json.dumps({"rows": len(bench), "classes": bench.metadata.get("isomorphism_classes"),
                  "load_seconds": t1 - t0, "evaluate_seconds": t2 - t1,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_logs(source: Path, folder: Path, n: int, seed: int = 0) -> None:
    """``n`` logs of sampled recipes with the curves of the real logs of ``source``."""
    real = [json.loads(p.read_text()) for p in sorted(source.glob("log_stats_model_*.json"))]
    if not real:
        raise SystemExit(f"no NAS-Bench-NLP logs in {source}")
    space = spaces.get("nlp")
    rng = np.random.default_rng(seed)
    for i, cell in enumerate(space.sample(n, rng)):
        log = dict(real[i % len(real)])
        scale = 1.0 + 0.01 * rng.standard_normal()
        for key in ("train_losses", "val_losses", "test_losses"):
            if isinstance(log.get(key), list):
                log[key] = [v * scale if v is not None else None for v in log[key]]
        log["recepie"] = space.to_str(cell)
        log["recepie_id"] = str(i)
        (folder / f"log_stats_model_{i}_synthetic.json").write_text(json.dumps(log))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=str(default_data_dir()))
    p.add_argument("--logs", type=int, default=14322)
    p.add_argument("--out", default=str(RESULTS / "nlp_scale.json"))
    args = p.parse_args(argv)
    if args.logs < 1100:
        p.error("--logs must leave 1,100 for n = 100 and test 1,000")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_logs(Path(args.data_dir) / LOGS, Path(tmp), args.logs)
        written = time.perf_counter() - start
        out = subprocess.run(
            [sys.executable, "-c", CHILD, tmp], capture_output=True, text=True, check=True
        )
    result = {
        "logs": args.logs,
        "write_seconds": written,
        **json.loads(out.stdout.splitlines()[-1]),
    }
    print(json.dumps(result, indent=1))
    write_json(
        args.out,
        {"command": "python benchmarks/nlp_scale.py " + " ".join(argv or sys.argv[1:]), **result},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
