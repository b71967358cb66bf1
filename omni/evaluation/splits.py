"""Train/test splits of the study's protocol, over canonical classes.

Isomorphic cells share one canonical form; a split draws *classes*, one member each, so no
isomorph of a test architecture can reach the training set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from features.errors import InvalidArchitectureError, OmniError
from omni import spaces
from omni.data.benchmark import Benchmark
from omni.spaces.base import as_rng

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """Row indices into a benchmark; ``train`` for the largest train size (nested prefixes)."""

    train: np.ndarray
    test: np.ndarray

    def train_rows(self, n: int) -> np.ndarray:
        if n > len(self.train):
            raise OmniError(f"train size {n} exceeds the {len(self.train)} architectures available")
        return self.train[:n]


def canonical_keys(bench: Benchmark) -> list[str]:
    """One key per row; rows with equal keys are isomorphic. Unknown spaces: the arch itself."""
    if not spaces.is_registered(bench.space):
        logger.warning("space %r is not registered: isomorphs cannot be merged", bench.space)
        return list(bench.archs)
    space = spaces.get(bench.space)
    try:
        return [space.key(a) for a in bench.archs]
    except InvalidArchitectureError as err:
        raise OmniError(
            f"benchmark architecture rejected by space {bench.space!r}: {err}"
        ) from None


def class_groups(bench: Benchmark) -> list[np.ndarray]:
    """Rows grouped by canonical class (only rows with a finite target), in first-seen order."""
    groups: dict[str, list[int]] = {}
    for row, key in enumerate(canonical_keys(bench)):
        if np.isfinite(bench.target[row]):
            groups.setdefault(key, []).append(row)
    return [np.asarray(g) for g in groups.values()]


def _one_member(groups: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    return np.array([g[rng.integers(len(g))] for g in groups], dtype=int)


def uniform_split(
    bench: Benchmark,
    test_size: int,
    max_train_size: int,
    random_state: int | np.random.Generator | None = None,
    groups: list[np.ndarray] | None = None,
) -> Split:
    """Disjoint uniform draws of canonical classes: ``test_size`` for test, the rest for train."""
    rng = as_rng(random_state)
    groups = class_groups(bench) if groups is None else groups
    if test_size + max_train_size > len(groups):
        raise OmniError(
            f"test size {test_size} + train size {max_train_size} exceed the "
            f"{len(groups)} distinct (canonical) architectures of the benchmark"
        )
    order = rng.permutation(len(groups))
    test = _one_member([groups[k] for k in order[:test_size]], rng)
    train = _one_member([groups[k] for k in order[test_size : test_size + max_train_size]], rng)
    return Split(train=train, test=test)


def mutation_split(
    bench: Benchmark,
    test_size: int,
    max_train_size: int,
    random_state: int | np.random.Generator | None = None,
    num_seeds: int = 5,
    top_fraction: float = 0.05,
    groups: list[np.ndarray] | None = None,
) -> Split:
    """Test set = benchmark architectures within a few mutations of ``num_seeds`` good seeds.

    Seeds are drawn from the top ``top_fraction`` by target; the test set grows by breadth-first
    mutation (one edge op at a time) around them. Training draws uniformly from the other classes.
    """
    if not spaces.is_registered(bench.space):
        raise OmniError(f"the mutation test set needs a registered space, not {bench.space!r}")
    space = spaces.get(bench.space)
    rng = as_rng(random_state)
    groups = class_groups(bench) if groups is None else groups
    keys = canonical_keys(bench)
    group_of = {keys[g[0]]: k for k, g in enumerate(groups)}
    best = np.array([bench.target[g].max() for g in groups])
    top = np.flatnonzero(best >= np.quantile(best, 1 - top_fraction))
    seeds = rng.choice(top, size=min(num_seeds, len(top)), replace=False)
    chosen: list[int] = []
    seen: set[int] = set()
    frontier = [int(s) for s in seeds]
    while frontier and len(chosen) < test_size:
        nxt: list[int] = []
        for k in frontier:
            if k in seen:
                continue
            seen.add(k)
            chosen.append(k)
            if len(chosen) == test_size:
                break
            arch = bench.archs[groups[k][0]]
            for nb in space.neighbours(arch):
                key = space.key(nb)
                if key in group_of and group_of[key] not in seen:
                    nxt.append(group_of[key])
        frontier = list(rng.permutation(nxt)) if nxt else []
    if len(chosen) < test_size:
        raise OmniError(f"only {len(chosen)} benchmark architectures lie around the seeds")
    rest = np.array([k for k in range(len(groups)) if k not in seen])
    if max_train_size > len(rest):
        raise OmniError(f"train size {max_train_size} exceeds the {len(rest)} architectures left")
    train_groups = rng.permutation(rest)[:max_train_size]
    return Split(
        train=_one_member([groups[k] for k in train_groups], rng),
        test=_one_member([groups[k] for k in chosen], rng),
    )


SPLITS = {"uniform": uniform_split, "mutation": mutation_split}
