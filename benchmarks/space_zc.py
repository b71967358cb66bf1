"""Zero-cost proxies on every space's reference networks, against the published values.

    python benchmarks/space_zc.py [--data-dir ../shared/data] [--archs 30] [--jobs 1]

For NB101, DARTS/NB301 and TransNAS-Bench-101 micro and macro (class_scene), a seeded sample
of the published file's keys is rebuilt from the key alone and scored with all 13 proxies
(``omni.zero_cost.score_architectures``: random minibatch, one per architecture). Per proxy:
Spearman between our scores and the file's (where the file has the proxy), and the median
seconds per architecture on this machine. Data-independent proxies (params, flops, synflow,
zen, l2_norm) depend on the network only, so their Spearman is the check of our networks;
the others depend on the minibatch (the published ones used real images) and on the
initialisation. Resumable through runs/space_zc/. Writes benchmarks/results/space_zc.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from _common import REPO, RESULTS, default_data_dir
from scipy.stats import spearmanr

from features.zero_cost import PROXIES
from omni import spaces
from omni.data.naslib import NASLIB_FAILURE, find_tables
from omni.reporting import format_table, write_json
from omni.zero_cost import score_architectures

DATA_INDEPENDENT = ("flops", "l2_norm", "params", "synflow", "zen")
#: space -> (file under the data folder, task, batch size; TNB's 256x256 inputs are costly)
SPACES = {
    "nb101": ("spaces/zc_nasbench101.json", "cifar10", 16),
    "darts": ("spaces/zc_nasbench301.json", "cifar10", 16),
    "tnb101-micro": ("spaces/zc_transbench101_micro.json", "class_scene", 4),
    "tnb101-macro": ("samples/zc_transbench101_macro_sample20.json", "class_scene", 4),
}


def published(record: dict, proxy: str) -> float:
    value = record.get(proxy)
    if isinstance(value, dict):
        value = value.get("score")
    if value is None or float(value) == NASLIB_FAILURE or not np.isfinite(float(value)):
        return float("nan")
    return float(value)


def run_space(name: str, data_dir: str, n_archs: int, jobs: int, seed: int) -> list[dict]:
    file, task, batch = SPACES[name]
    with open(f"{data_dir}/{file}", encoding="utf-8") as fh:
        table = next(t for k, t in find_tables(json.load(fh)).items() if k[-1] == task)
    keys = sorted(table)
    keys = [keys[i] for i in np.random.default_rng(seed).permutation(len(keys))[:n_archs]]
    space = spaces.get(name)
    spec = space.task(task)
    start = time.perf_counter()
    results = score_architectures(
        space,
        keys,
        proxies=PROXIES,
        data="random",
        batch_size=batch,
        seed=seed,
        input_shape=spec.input_shape,
        num_classes=spec.num_outputs,
        n_jobs=jobs,
        cache_dir=REPO / "runs" / "space_zc",
        progress=True,
    )
    wall = time.perf_counter() - start
    rows = []
    for proxy in PROXIES:
        ours = results.scores[proxy]
        theirs = np.array([published(table[k], proxy) for k in keys])
        both = np.isfinite(ours) & np.isfinite(theirs)
        rho = float(spearmanr(ours[both], theirs[both])[0]) if both.sum() > 2 else float("nan")
        rows.append(
            {
                "space": name,
                "task": task,
                "proxy": proxy,
                "data_independent": proxy in DATA_INDEPENDENT,
                "archs": len(keys),
                "computed": int(np.isfinite(ours).sum()),
                "compared": int(both.sum()),
                "spearman_vs_published": rho,
                "median_seconds": float(np.nanmedian(results.seconds[proxy])),
            }
        )
    per_arch = np.nansum([results.seconds[p] for p in PROXIES], axis=0)
    rows.append(
        {
            "space": name,
            "task": task,
            "proxy": "all 13",
            "archs": len(keys),
            "median_seconds": float(np.median(per_arch)),
            "wall_seconds": wall,
            "batch_size": batch,
        }
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(default_data_dir()))
    parser.add_argument("--archs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spaces", default=",".join(SPACES))
    parser.add_argument("--out", default=str(RESULTS / "space_zc.json"))
    args = parser.parse_args(argv)
    rows = []
    for name in args.spaces.split(","):
        rows += run_space(name, args.data_dir, args.archs, args.jobs, args.seed)
        print(
            format_table(
                rows,
                ["space", "proxy", "computed", "spearman_vs_published", "median_seconds"],
                floatfmt=".3f",
            )
        )
        command = "python benchmarks/space_zc.py " + " ".join(
            sys.argv[1:] if argv is None else argv
        )
        write_json(args.out, {"command": command.strip(), "results": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
