"""Zero-cost proxies (features.zero_cost), minibatches, the omni runner and ``omni zc``."""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pytest
import torch
from torch import nn

import omni.zero_cost as runner
from features.errors import DataFormatError, InvalidArchitectureError, OmniError
from features.zero_cost import PROXIES, compute_proxies
from features.zero_cost.batches import digits_batch, make_batch, npz_batch, random_batch
from features.zero_cost.flops import count_flops
from features.zero_cost.jacov import jacov_from_jacobian
from omni import spaces
from omni.cli import main as cli_main
from omni.spaces import Task

NB201 = spaces.get("nb201")
SMALL = {"channels": (4, 8, 16), "cells_per_stage": 1}
ARCH = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"


def tiny_model(arch: str = ARCH, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return NB201.network(arch, Task("t", (3, 16, 16), 10), **SMALL)


@pytest.fixture(scope="module")
def batch():
    return random_batch((3, 16, 16), batch_size=16, num_classes=10, seed=0)


@pytest.fixture(scope="module")
def all_scores(batch):
    model = tiny_model()
    first = compute_proxies(model, *batch, seed=3)
    second = compute_proxies(model, *batch, seed=3)
    return first, second


def test_proxy_names():
    assert len(PROXIES) == 13 and "jacov" in PROXIES and "synflow" in PROXIES


@pytest.mark.parametrize("proxy", PROXIES)
def test_each_proxy_finite_and_deterministic(all_scores, proxy):
    (scores, seconds), (again, _) = all_scores
    assert math.isfinite(scores[proxy])
    assert scores[proxy] == again[proxy]
    assert seconds[proxy] >= 0


def test_each_proxy_alone_equals_grouped(all_scores, batch):
    (scores, _), _ = all_scores
    model = tiny_model()
    for proxy in ("jacov", "grasp", "fisher", "zen", "synflow"):
        alone, _ = compute_proxies(model, *batch, proxies=[proxy], seed=3)
        assert alone[proxy] == pytest.approx(scores[proxy], rel=1e-5, abs=1e-9)


def test_model_left_untouched(batch):
    model = tiny_model()
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    compute_proxies(model, *batch, seed=0)
    assert not model.training
    assert all(p.grad is None for p in model.parameters())
    after = model.state_dict()
    assert all(
        torch.equal(before[k], after[k]) and before[k].dtype == after[k].dtype for k in before
    )


def test_gradient_proxies_match_hand_computation(batch):
    model = tiny_model()
    x, y = batch
    scores, _ = compute_proxies(model, x, y, proxies=["grad_norm", "snip", "plain", "l2_norm"])
    model.train()
    nn.functional.cross_entropy(model(x), y).backward()
    model.requires_grad_(False)
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert scores["grad_norm"] == pytest.approx(
        sum(float(m.weight.grad.norm()) for m in layers), rel=1e-5
    )
    assert scores["snip"] == pytest.approx(
        sum(float((m.weight * m.weight.grad).abs().sum()) for m in layers), rel=1e-5
    )
    assert scores["plain"] == pytest.approx(
        sum(float((m.weight * m.weight.grad).sum()) for m in layers), rel=1e-4, abs=1e-7
    )
    assert scores["l2_norm"] == pytest.approx(sum(float(m.weight.norm()) for m in layers), rel=1e-6)


def test_jacov_formula_by_hand():
    # rows e_1..e_4: pairwise correlation -1/3, eigenvalues 4/3 (x3) and 0
    v = np.array([4 / 3, 4 / 3, 4 / 3, 0.0]) + 1e-5
    expected = -np.sum(np.log(v) + 1 / v)
    assert jacov_from_jacobian(np.eye(4)) == pytest.approx(expected, rel=1e-6)


def test_flops_convention_by_hand():
    conv = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False))
    assert count_flops(conv, (3, 8, 8)) == pytest.approx(3 * 4 * 9 * 64 / 1e6)
    net = nn.Sequential(nn.Conv2d(3, 4, 1, bias=True), nn.BatchNorm2d(4), nn.ReLU())
    # per output position 3 x 4 MACs + 4 biases; BN 2 per element, ReLU 1 per element
    assert count_flops(net, (3, 2, 2)) == pytest.approx((4 * (12 + 4) + 16 * 2 + 16) / 1e6)


def test_params_and_flops_equal_published(shared_data):
    table = json.loads((shared_data / "nb201" / "zc_nasbench201_cifar10.json").read_text())
    table = table["cifar10"]
    x, y = random_batch((3, 32, 32), 2, 10, 0)
    for key in [
        "(2, 2, 2, 2, 2, 2)",
        "(4, 4, 4, 4, 4, 4)",
        "(4, 3, 3, 0, 0, 0)",
        "(3, 0, 2, 3, 1, 4)",
    ]:
        model = NB201.network(NB201.parse(key))
        scores, _ = compute_proxies(model, x, y, proxies=["params", "flops"])
        assert scores["params"] == pytest.approx(table[key]["params"]["score"], abs=1e-9)
        assert scores["flops"] == pytest.approx(table[key]["flops"]["score"], abs=1e-9)


def test_synflow_overflow_is_nan_with_reason(batch, caplog):
    model = tiny_model()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.weight.fill_(1e30)
    with caplog.at_level(logging.WARNING, logger="features.zero_cost"):
        scores, _ = compute_proxies(model, *batch, proxies=["synflow"])
    assert math.isnan(scores["synflow"])
    assert any("synflow" in r.getMessage() and "overflow" in r.getMessage() for r in caplog.records)


def test_synflow_does_not_modify_the_model(batch):
    model = tiny_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    compute_proxies(model, *batch, proxies=["synflow", "zen"])
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


class IgnoresInput(nn.Module):
    def __init__(self, detach: bool) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.randn(10))
        self.lin = nn.Linear(4, 10)
        self.detach = detach

    def forward(self, x):
        if self.detach:
            return self.bias.expand(x.shape[0], -1)
        return self.bias + 0.0 * x.flatten(1)[:, :1]


@pytest.mark.parametrize("detach", [True, False])
def test_jacov_nan_when_output_ignores_input(detach, caplog):
    x, y = random_batch((3, 4, 4), 8, 10, 0)
    with caplog.at_level(logging.WARNING, logger="features.zero_cost"):
        scores, _ = compute_proxies(IgnoresInput(detach), x, y, proxies=["jacov", "epe_nas"])
    assert math.isnan(scores["jacov"]) and math.isnan(scores["epe_nas"])
    assert any("jacov" in r.getMessage() for r in caplog.records)


def test_unknown_proxy_is_an_error(batch):
    with pytest.raises(OmniError, match="unknown zero-cost proxies"):
        compute_proxies(tiny_model(), *batch, proxies=["jacov", "magic"])


def test_wrong_input_shape_is_an_error():
    x, y = random_batch((3, 8, 8), 4, 10, 0)
    with pytest.raises(OmniError, match="built for"):
        compute_proxies(tiny_model(), x, y, proxies=["jacov"])
    plain = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    x, y = random_batch((1, 8, 8), 4, 10, 0)
    with pytest.raises(OmniError, match="failed on inputs"):
        compute_proxies(plain, x, y, proxies=["grad_norm"])
    with pytest.raises(OmniError):
        runner.score_architectures("nb201", [ARCH], ["params"], input_shape=(3, 32))


def test_bad_arch_string_is_an_error():
    with pytest.raises(InvalidArchitectureError, match="#2"):
        runner.score_architectures("nb201", [ARCH, "|nor_conv_3x3~0|+|oops|"], ["params"])


def test_batches_are_seeded_and_shaped(tmp_path):
    a, b = random_batch((3, 8, 8), 6, 4, 1), random_batch((3, 8, 8), 6, 4, 1)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and int(a[1].max()) < 4
    x, y = digits_batch((3, 12, 10), 32, 10, 0)
    assert x.shape == (32, 3, 12, 10) and y.dtype == torch.long
    assert abs(float(x.mean())) < 0.5 and torch.equal(x[:, 0], x[:, 2])
    np.savez(tmp_path / "b.npz", x=np.random.rand(20, 1, 6, 6), y=np.arange(20) % 3)
    x, y = npz_batch(tmp_path / "b.npz", (3, 6, 6), 8, 0)
    assert x.shape == (8, 3, 6, 6) and int(y.max()) <= 2
    np.savez(tmp_path / "bad.npz", images=np.zeros((4, 6, 6)))
    with pytest.raises(DataFormatError, match="'x' and 'y'"):
        npz_batch(tmp_path / "bad.npz", (1, 6, 6), 2, 0)
    with pytest.raises(OmniError, match="unknown minibatch source"):
        make_batch("cifar", (3, 8, 8))


def test_runner_to_benchmark():
    res = runner.score_architectures(
        "nb201",
        [ARCH, NB201.parse(ARCH)],
        ["params", "l2_norm"],
        batch_size=4,
        progress=False,
        input_shape=(3, 16, 16),
        network_kwargs=SMALL,
    )
    bench = res.to_benchmark()
    assert bench.space == "nb201" and len(bench) == 2 and np.isnan(bench.target).all()
    assert bench.zc["params"][0] == bench.zc["params"][1] > 0
    assert set(bench.zc_seconds) == {"params", "l2_norm"}


def test_cache_resumes_after_interruption(tmp_path, monkeypatch):
    archs = NB201.sample(3, 5)
    kwargs = dict(
        proxies=["params", "jacov"],
        batch_size=4,
        input_shape=(3, 16, 16),
        network_kwargs=SMALL,
        cache_dir=tmp_path / "cache",
        progress=False,
    )
    real = runner._score_one
    calls = []

    def flaky(index, *args, **kw):
        calls.append(index)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(index, *args, **kw)

    monkeypatch.setattr(runner, "_score_one", flaky)
    with pytest.raises(KeyboardInterrupt):
        runner.score_architectures("nb201", archs, **kwargs)
    calls.clear()
    monkeypatch.setattr(
        runner, "_score_one", lambda *a, **k: (calls.append(a[0]), real(*a, **k))[1]
    )
    resumed = runner.score_architectures("nb201", archs, **kwargs)
    assert len(calls) == 2  # the first architecture came from the cache
    fresh = runner.score_architectures("nb201", archs, **{**kwargs, "cache_dir": None})
    for p in ("params", "jacov"):
        np.testing.assert_array_equal(resumed.scores[p], fresh.scores[p])
    calls.clear()
    runner.score_architectures("nb201", archs, **{**kwargs, "proxies": ["params"]})
    assert calls == []  # everything cached


def test_cli_zc_writes_json(tmp_path, capsys):
    archs = tmp_path / "archs.txt"
    archs.write_text(f"{ARCH}\n\n(2, 2, 0, 4, 2, 0)\n")
    out = tmp_path / "zc.json"
    code = cli_main(
        [
            "zc",
            str(archs),
            "--proxies",
            "params,flops,synflow",
            "--batch-size",
            "4",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    payload = json.loads(out.read_text())
    assert [r["arch"] for r in payload["results"]][0] == ARCH
    assert len(payload["results"]) == 2
    for rec in payload["results"]:
        assert set(rec) == {"arch", "scores", "seconds"}
        assert set(rec["scores"]) == {"params", "flops", "synflow"}
        assert all(isinstance(v, float) for v in rec["scores"].values())
    assert payload["results"][1]["scores"]["params"] == pytest.approx(0.802426)
    assert "synflow" in capsys.readouterr().out


def test_cli_zc_bad_input_exit_code(tmp_path, capsys):
    assert cli_main(["zc", "--sample", "1", "--proxies", "nope"]) == 2
    assert "unknown zero-cost proxies" in capsys.readouterr().err
    assert cli_main(["zc", str(tmp_path / "missing.txt")]) == 2
