"""RestrictedSpace: a search that stays inside a sparse benchmark table."""

from __future__ import annotations

import numpy as np
import pytest

from features.errors import OmniError
from omni import spaces
from omni.data import Benchmark
from omni.nas import TabularOracle
from omni.nas.simulate import run_search
from omni.spaces.restricted import RestrictedSpace

NB201 = spaces.get("nb201")


def _table(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return list(dict.fromkeys(NB201.key(a) for a in NB201.sample(4 * n, rng)))[:n]


def test_moves_stay_in_the_table_and_are_the_nearest():
    archs = _table(40)
    space = RestrictedSpace(NB201, archs, num_neighbours=5)
    assert space.size == 40 and space.enumerable
    assert all(space.contains(a) for a in space.sample(30, 0))
    onehot = {a: NB201.encode(a, "onehot") for a in archs}
    for arch in archs[:5]:
        nbs = [NB201.key(b) for b in space.neighbours(arch)]
        assert len(nbs) == 5 and arch not in nbs and set(nbs) <= set(archs)
        # hamming distance in the one-hot encoding: no table member outside is nearer
        dist = {b: np.abs(onehot[b] - onehot[arch]).sum() for b in archs if b != arch}
        assert max(dist[b] for b in nbs) <= min(d for b, d in dist.items() if b not in nbs)
    child = space.mutate(archs[0], 0)
    assert space.contains(child) and NB201.key(child) != archs[0]


def test_isomorphs_count_once_and_parent_rules_apply():
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"
    swap = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|none~2|"
    assert NB201.key(arch) == NB201.key(swap)
    space = RestrictedSpace(NB201, [arch, swap, *_table(5)])
    assert space.size == 6
    assert space.to_str(space.parse(arch)) == arch
    with pytest.raises(OmniError):
        RestrictedSpace(NB201, [arch, swap])


def test_oracle_restricts_a_sparse_table_only(toy_bench, nb201_bench):
    sparse = TabularOracle(toy_bench)  # 600 of NB201's 8,765 classes
    assert sparse.neighbour_coverage < 0.5 and isinstance(sparse.space, RestrictedSpace)
    full = TabularOracle(nb201_bench)  # every NB201 cell
    assert full.neighbour_coverage > 0.9 and not isinstance(full.space, RestrictedSpace)
    assert not isinstance(TabularOracle(toy_bench, restrict=False).space, RestrictedSpace)


def test_evolution_on_a_sparse_table_queries_only_table_members():
    archs = _table(60, seed=3)
    target = np.array([NB201.encode(a, "opcount")[3] for a in archs], dtype=float)
    bench = Benchmark("nb201", "toy", archs, target + np.arange(60) * 1e-3)
    run = run_search(bench, "evolution", 40, seed=0)
    assert len(set(run.archs)) == 40
    assert all(NB201.key(a) in set(archs) for a in run.archs)
