"""Weight sharing: the supernet holds every sub-network of an ops-on-edges space exactly
(NB201, TNB101-micro and the README's user space, whose network the library never saw),
training is deterministic, resumable and cached, scores become the ``ws:<name>`` feature
group with its costs, and the predictor reads them. Small widths and a few steps only."""

from __future__ import annotations

import json
import shutil

import example_space  # noqa: F401  (registers the README's user space "tiny")
import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.base import clone

from base_predictors.base import FAMILIES, TRAINING_FREE_FAMILIES, BasePredictor
from base_predictors.registry import PredictorInfo
from base_predictors.weight_sharing import WeightSharingPredictor
from features.errors import InvalidArchitectureError, OmniError
from omni import spaces
from omni.data import Benchmark
from omni.evaluation.protocol import run_one
from omni.feature_groups import (
    expand_groups,
    feature_matrix,
    group_init_seconds,
    group_query_seconds,
    groups_init_seconds,
)
from omni.featurizer import Featurizer
from omni.predictors import PredictorSpec
from omni.spaces.base import Task
from omni.training.datasets import DatasetSpec
from omni.training.trainer import recalibrate_bn
from omni.weight_sharing import training
from omni.weight_sharing.scoring import attach_ws_scores, score_archs
from omni.weight_sharing.supernet import Supernet
from omni.weight_sharing.training import SupernetConfig, supernet_key, train_supernet

#: reduced skeletons of the two ops-on-edges spaces (small width, low resolution)
SMALL = {
    "nb201": (Task("tiny", (1, 8, 8), 10), {"channels": (4, 8, 8), "cells_per_stage": 1}),
    "tnb101-micro": (Task("tiny", (1, 16, 16), 10), {"base_channels": 4, "structure": "41"}),
    "tiny": (Task("tiny", (1, 8, 8), 10), {"channels": 4}),  # a user's space and network
}
TINY_DATA = DatasetSpec(val_size=60, train_size=130)


def tiny_config(**overrides) -> SupernetConfig:
    settings = {
        "epochs": 3,
        "network": SMALL["nb201"][1],
        "data": TINY_DATA,
        **overrides,
    }
    return SupernetConfig(**settings)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def supernet_of(name: str, seed: int = 0) -> Supernet:
    task, options = SMALL[name]
    torch.manual_seed(seed)
    return Supernet(spaces.get(name), task, options)


# --------------------------------------------------------------------------- the supernet
@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_sampled_path_is_the_space_network_with_inherited_weights(name):
    space = spaces.get(name)
    task, options = SMALL[name]
    net = supernet_of(name).eval()
    assert len(net.slots) > 0 and {s.edge for s in net.slots} == set(range(space.num_edges))
    x = torch.randn(6, *task.input_shape)
    uniform = [(op,) * space.num_edges for op in space.ops]
    for arch in uniform + space.sample(12, 0):
        net.set_path(arch)
        with torch.no_grad():
            out = net(x)
        assert out.shape == (6, task.num_outputs) and torch.isfinite(out).all()
        alone = space.network(arch, task, **options).eval()
        alone.load_state_dict(net.subnet_state_dict(arch))  # strict: every key, right shapes
        with torch.no_grad():
            torch.testing.assert_close(alone(x), out, rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_op_of_one_edge_changes_the_output(name):
    space = spaces.get(name)
    task, _ = SMALL[name]
    net = supernet_of(name).eval()
    x = torch.randn(4, *task.input_shape)
    conv = next(op for op in space.ops if "conv" in op and "3x3" in op)
    base = (conv,) * space.num_edges
    outputs = []
    for op in space.ops:  # the last edge feeds the output directly
        net.set_path(base[:-1] + (op,))
        with torch.no_grad():
            outputs.append(net(x))
    for i in range(len(outputs)):
        for j in range(i + 1, len(outputs)):
            assert not torch.allclose(outputs[i], outputs[j]), (space.ops[i], space.ops[j])


def test_paths_by_op_index_and_sampling_are_uniform():
    net = supernet_of("nb201")
    space = net.space
    net.set_path([4, 3, 2, 1, 0, 4])
    assert net.path == (4, 3, 2, 1, 0, 4)
    assert all(s.active == net.path[s.edge] for s in net.slots)
    net.set_path(space.to_str(space.from_op_ids([0] * 6)))
    assert net.path == (0,) * 6
    draws = np.array([net.sample_path(np.random.default_rng(k)) for k in range(400)])
    counts = np.bincount(draws.ravel(), minlength=5) / draws.size
    assert np.allclose(counts, 0.2, atol=0.03)


# --------------------------------------------------------------------------- training
def _weights(trained) -> dict[str, torch.Tensor]:
    return trained.model.state_dict()


def test_training_resumes_to_the_same_weights(tmp_path):
    space, config = spaces.get("nb201"), tiny_config()
    first = train_supernet(space, config, seed=3, cache_dir=tmp_path / "a", stop_after=2)
    assert first.manifest["epochs_done"] == 2 and not first.path.exists()
    assert (tmp_path / "a" / f"{first.key}.ckpt.pt").exists()
    resumed = train_supernet(space, config, seed=3, cache_dir=tmp_path / "a", progress=False)
    straight = train_supernet(space, config, seed=3, cache_dir=tmp_path / "b", progress=False)
    assert resumed.manifest["epochs_done"] == straight.manifest["epochs_done"] == 3
    assert not (tmp_path / "a" / f"{first.key}.ckpt.pt").exists()
    for key, value in _weights(straight).items():
        assert torch.equal(value, _weights(resumed)[key]), key
    assert resumed.manifest["history"]["train_loss"] == straight.manifest["history"]["train_loss"]
    other = train_supernet(space, config, seed=4, cache_dir=tmp_path / "b", progress=False)
    assert other.key != straight.key
    key = "body.stem.0.weight"
    assert not torch.equal(_weights(other)[key], _weights(straight)[key])


def test_a_cached_supernet_is_read_not_retrained(tmp_path, monkeypatch):
    space, config = spaces.get("nb201"), tiny_config(epochs=1)
    trained = train_supernet(space, config, seed=0, cache_dir=tmp_path, progress=False)
    manifest = json.loads((tmp_path / f"{trained.key}.json").read_text())
    assert manifest["key"] == trained.key == supernet_key(space, config, 0)
    assert manifest["train_seconds"] > 0 and manifest["config"]["network"]["channels"] == [4, 8, 8]

    def no_training(*args, **kwargs):
        raise AssertionError("retrained a cached supernet")

    monkeypatch.setattr(training, "_train", no_training)
    again = train_supernet(space, config, seed=0, cache_dir=tmp_path, progress=False)
    assert again.train_seconds == trained.train_seconds
    for key, value in _weights(trained).items():
        assert torch.equal(value, _weights(again)[key])
    # the weights file is a plain state_dict: it loads without unpickling code
    state = torch.load(trained.path, weights_only=True)
    assert set(state) == set(_weights(trained))
    # another setting is another file
    assert supernet_key(space, tiny_config(epochs=2), 0) != trained.key
    assert supernet_key(space, tiny_config(epochs=1, lr=0.1), 0) != trained.key


def test_cache_directory_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OMNI_CACHE_DIR", str(tmp_path))
    assert training.default_cache_dir() == tmp_path / "supernets"


def test_recalibration_replaces_running_stats_with_the_paths_statistics():
    net = supernet_of("nb201")
    net.set_path(("nor_conv_3x3",) * 6)
    bn = net.body.stem[1]
    x = torch.randn(32, 1, 8, 8) * 3 + 1
    before = bn.running_mean.clone()
    recalibrate_bn(net, x, batch_size=32)
    with torch.no_grad():
        expected = net.body.stem[0](x).mean(dim=(0, 2, 3))
    assert not torch.allclose(before, bn.running_mean)
    torch.testing.assert_close(bn.running_mean, expected, rtol=1e-4, atol=1e-5)
    cell_bn = net.slots[0].candidates[space_index(net, "nor_conv_3x3")].op[2]
    assert cell_bn.num_batches_tracked.item() == 1  # on the path: re-estimated


def space_index(net: Supernet, op: str) -> int:
    return net.space.ops.index(op)


# --------------------------------------------------------------------------- scores and groups
@pytest.fixture(scope="module")
def ws_bench(tmp_path_factory):
    """12 NB201 cells scored by a tiny supernet (target: a noisy count of convolutions)."""
    space = spaces.get("nb201")
    rng = np.random.default_rng(0)
    archs = list(dict.fromkeys(space.key(a) for a in space.sample(40, rng)))[:12]
    target = np.array([a.count("conv") for a in archs], float) + rng.normal(0, 0.1, 12)
    bench = Benchmark("nb201", "digits", archs, target, train_seconds=np.full(12, 5.0))
    cache = tmp_path_factory.mktemp("supernets")
    torch.set_num_threads(1)
    group = attach_ws_scores(bench, config=tiny_config(), cache_dir=cache, progress=False)
    return bench, group, cache


def test_attached_scores_are_the_ws_group_with_its_costs(ws_bench):
    bench, group, cache = ws_bench
    assert group == "ws:spos-s0" and expand_groups(bench, ["ws:*"]) == [group]
    X, columns = feature_matrix(bench, ["onehot", "ws:*"])
    assert columns[-1] == group and np.array_equal(X[:, -1], bench.ws["spos-s0"])
    assert "ws=['spos-s0']" in repr(bench)
    assert np.all((X[:, -1] >= 0) & (X[:, -1] <= 100))
    secs = bench.ws_seconds["spos-s0"]
    assert np.all(secs > 0) and group_query_seconds(bench, group) == np.median(secs)
    info = bench.metadata["weight_sharing"]["spos-s0"]
    manifest = json.loads((cache / f"{info['supernet']}.json").read_text())
    assert group_init_seconds(bench, group) == manifest["train_seconds"] > 0
    assert group_init_seconds(bench, "onehot") == 0.0
    assert groups_init_seconds(bench, ["onehot", "ws:*"]) == manifest["train_seconds"]
    # the init cost reaches the protocol's records; the query cost too
    spec = PredictorSpec(
        "ws", "weight-sharing", (group,), lambda rs: WeightSharingPredictor(), False
    )
    record = run_one(bench, spec, np.arange(6), np.arange(6, 12), seed=0)
    assert record["init_seconds"] >= manifest["train_seconds"]
    assert record["query_seconds"] >= np.median(secs[:6])  # timed on the training rows


def test_scores_survive_save_load_and_subset(ws_bench, tmp_path):
    bench, group, _ = ws_bench
    back = Benchmark.from_dict(json.loads(json.dumps(bench.to_dict())))
    assert np.array_equal(back.ws["spos-s0"], bench.ws["spos-s0"])
    assert np.array_equal(back.ws_seconds["spos-s0"], bench.ws_seconds["spos-s0"])
    assert group_init_seconds(back, group) == group_init_seconds(bench, group)
    part = bench.subset([3, 1])
    assert np.array_equal(part.ws["spos-s0"], bench.ws["spos-s0"][[3, 1]])


def test_attaching_again_reads_the_cache(ws_bench, monkeypatch):
    bench, _, cache = ws_bench
    import omni.weight_sharing.scoring as scoring

    monkeypatch.setattr(training, "_train", None)  # any training would fail
    monkeypatch.setattr(scoring, "score_archs", None)  # and so would any scoring
    copy = bench.subset(np.arange(len(bench)))
    copy.ws.clear()
    attach_ws_scores(copy, config=tiny_config(), cache_dir=cache, progress=False)
    assert np.array_equal(copy.ws["spos-s0"], bench.ws["spos-s0"])


def test_scores_are_deterministic_and_depend_on_the_path(ws_bench):
    bench, _, cache = ws_bench
    trained = train_supernet(spaces.get("nb201"), tiny_config(), cache_dir=cache, progress=False)
    scores, seconds = score_archs(trained.model, bench.archs[:4], tiny_config(), progress=False)
    assert np.array_equal(scores, bench.ws["spos-s0"][:4]) and np.all(seconds > 0)


def test_new_architectures_are_scored_by_the_tables_supernet(ws_bench, tmp_path, monkeypatch):
    bench, group, cache = ws_bench
    shutil.copytree(cache, tmp_path / "supernets")
    monkeypatch.setenv(training.CACHE_VARIABLE, str(tmp_path))
    monkeypatch.setattr(training, "_train", None)  # the supernet is read, never trained again
    known = bench.subset(np.arange(8))
    featurizer = Featurizer.for_table(known, ["onehot", group])
    X = featurizer.transform([*bench.archs[8:], bench.archs[2]])
    assert np.array_equal(X[:4, -1], bench.ws["spos-s0"][8:])  # the table's own scale
    assert X[4, -1] == bench.ws["spos-s0"][2]  # held by the table: read, not scored
    assert SupernetConfig.from_dict(tiny_config().to_dict()) == tiny_config()
    known.metadata["weight_sharing"] = {}
    with pytest.raises(OmniError, match="records no supernet for ws:spos-s0"):
        Featurizer.for_table(known, [group]).transform(bench.archs[8:])
    known.metadata["weight_sharing"] = {"spos-s0": {"config": {"epochs": 3, "lr2": 1}, "seed": 0}}
    with pytest.raises(OmniError, match=r"unknown settings \['lr2'\]"):
        Featurizer.for_table(known, [group]).transform(bench.archs[8:])


# --------------------------------------------------------------------------- the predictor
#: the registry entry proposed for base_predictors/registry.py
PROPOSED = PredictorInfo(
    "ws-spos",
    "weight-sharing",
    ("ws:spos-s0",),
    WeightSharingPredictor,
    "weight sharing: a sub-network's accuracy in a one-shot supernet (SPOS), trained once",
)


def test_registry_entry_conforms(ws_bench):
    from base_predictors import registry

    info = next((i for i in registry.all_predictors() if i.family == "weight-sharing"), PROPOSED)
    assert info.family in FAMILIES
    assert info.cost.needs_training == (info.family not in TRAINING_FREE_FAMILIES)
    est = info.make(random_state=3)
    assert isinstance(est, BasePredictor)
    bench, _, _ = ws_bench
    X, _ = feature_matrix(bench, info.groups)
    pred = est.fit(X).predict(X)
    assert np.array_equal(pred, X[:, 0])


def test_predictor_ranks_by_the_score_and_maps_it_to_the_target_scale():
    rng = np.random.default_rng(0)
    score = rng.uniform(20, 60, size=(50, 1))
    y = 0.5 * score[:, 0] + 70 + rng.normal(0, 0.5, 50)
    est = WeightSharingPredictor().fit(score, y)
    assert est.slope_ == pytest.approx(0.5, abs=0.05) and est.intercept_ == pytest.approx(70, abs=2)
    pred = est.predict(score)
    assert stats.kendalltau(pred, score[:, 0])[0] == 1.0
    assert abs(np.mean(pred - y)) < 0.5
    inverted = WeightSharingPredictor().fit(score, -y)  # never flips the score
    assert (inverted.slope_, inverted.intercept_) == (1.0, 0.0)
    raw = WeightSharingPredictor(calibrate=False).fit(score, y)
    assert np.array_equal(raw.predict(score), score[:, 0])
    with_nan = score.copy()
    with_nan[2] = np.nan
    assert np.isnan(clone(est).fit(with_nan, y).predict(with_nan)[2])
    assert WeightSharingPredictor().cost.needs_training is False


# --------------------------------------------------------------------------- bad input
def test_a_space_that_is_not_ops_on_edges_is_refused(tmp_path):
    with pytest.raises(OmniError, match="ops-on-edges"):
        Supernet(spaces.get("nb101"), Task("t", (1, 8, 8), 10))
    with pytest.raises(OmniError, match="ops-on-edges"):
        train_supernet(spaces.get("darts"), tiny_config(), cache_dir=tmp_path)


def test_a_skeleton_that_depends_on_the_ops_is_refused():
    def factory(arch, task, **options):  # the head's width grows with the live edges
        live = sum(op != "none" for op in arch)
        return torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(int(np.prod(task.input_shape)), live + 1)
        )

    space = spaces.CellSpace("grows", 3, ("none", "skip_connect"), network_factory=factory)
    with pytest.raises(OmniError, match="space 'grows'.* depends on"):
        Supernet(space, Task("t", (1, 4, 4), 2))


def test_unknown_architectures_and_groups_are_errors(ws_bench):
    bench, _, cache = ws_bench
    trained = train_supernet(spaces.get("nb201"), tiny_config(), cache_dir=cache, progress=False)
    with pytest.raises(InvalidArchitectureError, match="unknown op 'conv_9x9'"):
        score_archs(
            trained.model, ["|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|"], tiny_config()
        )
    with pytest.raises(OmniError, match="not an architecture of space 'nb201'"):
        trained.model.set_path(("none",) * 5)
    with pytest.raises(OmniError, match="no weight-sharing score 'nope'"):
        feature_matrix(bench, ["ws:nope"])
    empty = Benchmark("nb201", "digits", bench.archs[:3], bench.target[:3])
    with pytest.raises(OmniError, match="attach_ws_scores"):
        expand_groups(empty, ["ws:*"])
    with pytest.raises(OmniError, match="no 'network' and 'data'"):
        SupernetConfig.for_benchmark(empty)
    with pytest.raises(OmniError, match="epochs"):
        SupernetConfig(epochs=0)


# --------------------------------------------------------------------------- settings and CLI
def test_the_builtin_benchmarks_settings_drive_the_supernet():
    from omni.data import load_benchmark

    bench = load_benchmark("nb201-digits")
    config = SupernetConfig.for_benchmark(bench, epochs=7)
    assert config.network == {"channels": [4, 8, 16], "cells_per_stage": 3}
    assert config.data == DatasetSpec() and config.epochs == 7


def test_ws_command_saves_the_benchmark_with_the_group(ws_bench, tmp_path, capsys):
    from omni.cli import main
    from omni.data import load_benchmark

    bench, _, cache = ws_bench
    source = bench.subset(np.arange(len(bench)))
    source.ws.clear()
    source.ws_seconds.clear()
    source.metadata.clear()
    source.metadata.update(
        {"network": {"space": "nb201", **SMALL["nb201"][1]}, "data": TINY_DATA.to_dict()}
    )
    source.save(tmp_path / "tiny.json")
    out = tmp_path / "tiny_ws.json"
    argv = ["ws", str(tmp_path / "tiny.json"), "--epochs", "3", "--cache", str(cache)]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    assert "ws:spos-s0" in capsys.readouterr().out
    back = load_benchmark(out)
    assert np.array_equal(back.ws["spos-s0"], bench.ws["spos-s0"])  # the same cached supernet
