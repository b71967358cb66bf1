from __future__ import annotations

import json
import math

import numpy as np
import pytest

from features.errors import DataFormatError
from omni import spaces
from omni.data import Benchmark, load_benchmark
from omni.data.naslib import read_naslib_zc

NB201 = spaces.get("nb201")


def write_naslib(path, datasets: dict) -> None:
    path.write_text(json.dumps(datasets, allow_nan=True))


def record(acc, **scores):
    rec = {"val_accuracy": acc}
    rec.update(scores)
    return rec


@pytest.fixture
def naslib_file(tmp_path):
    keys = ["(4, 3, 3, 0, 0, 0)", "(1, 1, 1, 1, 1, 1)", "(2, 2, 2, 2, 2, 2)"]
    data = {
        "cifar10": {
            keys[0]: record(81.9, jacov={"score": -133.8, "time": 0.5}, synflow={"score": 46.0}),
            keys[1]: record(10.0, jacov={"score": -1e8}, synflow={"score": -math.inf}),
            keys[2]: record(90.0, jacov={"score": -80.0, "time": 0.7}),
        },
        "cifar100": {keys[0]: record(50.0, jacov={"score": 1.0})},
    }
    path = tmp_path / "zc_nasbench201.json"
    write_naslib(path, data)
    return path


def test_naslib_markers_become_nan_and_times_are_kept(naslib_file):
    bench = read_naslib_zc(naslib_file, dataset="cifar10")
    assert bench.space == "nb201" and len(bench) == 3
    assert bench.archs[0] == NB201.to_str(NB201.parse("(4, 3, 3, 0, 0, 0)"))
    assert math.isnan(bench.zc["jacov"][1])  # -1e8 failure marker
    assert math.isnan(bench.zc["synflow"][1])  # -inf
    assert math.isnan(bench.zc["synflow"][2])  # absent
    np.testing.assert_allclose(bench.zc_seconds["jacov"], [0.5, np.nan, 0.7])
    assert bench.metadata["failures"] == {"jacov": 1, "synflow": 1}


def test_multi_dataset_file_needs_a_choice(naslib_file):
    with pytest.raises(DataFormatError, match="several datasets"):
        load_benchmark(naslib_file)
    assert len(load_benchmark(naslib_file, dataset="cifar100")) == 1
    with pytest.raises(DataFormatError, match="no dataset 'imagenet'"):
        load_benchmark(naslib_file, dataset="imagenet")


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"cifar10": {"(1, 1, 1, 1, 1, 1)": {"jacov": 1}}}', "no NASLib zero-cost table"),
        ('{"cifar10": {"(9, 1, 1, 1, 1, 1)": {"val_accuracy": 1}}}', "not a nb201 architecture"),
        ('{"cifar10": {"(1, 1, 1, 1, 1, 1)": {"val_accuracy": 1, "jacov": "x"}}}', "not a number"),
    ],
)
def test_bad_naslib_files(tmp_path, content, message):
    path = tmp_path / "zc_nasbench201_bad.json"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=message):
        load_benchmark(path)


def test_missing_path_and_bad_table(tmp_path):
    with pytest.raises(DataFormatError, match="no such file"):
        load_benchmark(tmp_path / "nope.json")
    csv = tmp_path / "t.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError, match="arch_str"):
        load_benchmark(csv)
    with pytest.raises(DataFormatError, match="expected zc_nasbench201_cifar10.json"):
        load_benchmark(tmp_path)


def test_project_format_round_trip(tmp_path, toy_bench):
    toy_bench.curves["val_acc"] = np.tile(np.arange(3.0), (len(toy_bench), 1))
    toy_bench.curves["val_acc"][0, 2] = np.nan
    path = toy_bench.save(tmp_path / "b.json.gz")
    back = load_benchmark(path)
    assert back.archs == toy_bench.archs
    np.testing.assert_array_equal(back.target, toy_bench.target)
    np.testing.assert_array_equal(back.curves["val_acc"], toy_bench.curves["val_acc"])
    np.testing.assert_array_equal(back.zc["good"], toy_bench.zc["good"])
    with pytest.raises(DataFormatError, match="shape"):
        Benchmark("nb201", "x", ["a", "b"], [1.0])


def test_shared_nb201_folder(nb201_bench):
    b = nb201_bench
    assert len(b) == 9_445 and len(b.proxies) == 13
    assert np.isnan(b.zc["jacov"]).sum() == 1  # the all-none cell's -1e8
    assert np.isnan(b.extra["hw_edgetpu_latency"]).any()  # -1.0 markers -> NaN
    assert np.isfinite(b.extra["val_acc_12ep"]).all()
    assert b.metadata["proxy_seconds"]["jacov"] > 0  # costs from the timed pre-release run
    assert b.target.min() == 10.0 and b.target.max() == 91.57


def test_shared_other_layouts(shared_data):
    lc = load_benchmark(shared_data / "nb201" / "nb201_cifar10_lc200.json")
    assert lc.curves["val_acc"].shape == (200, 200)
    assert np.isnan(lc.zc["jacob_cov"]).sum() == 9
    nb101 = load_benchmark(shared_data / "samples" / "zc_nasbench101_sample20.json")
    assert nb101.space == "nb101" and len(nb101) == 20
    tnb = load_benchmark(shared_data / "samples" / "zc_transbench101_micro_sample20.json", "jigsaw")
    assert len(tnb) == 20 and np.isnan(tnb.zc["epe_nas"]).any()
    pre = load_benchmark(shared_data / "samples" / "zc_nasbench201_prerelease_cifar10.json")
    assert len(pre) == 725 and np.isfinite(pre.zc_seconds["synflow"]).sum() >= 720
