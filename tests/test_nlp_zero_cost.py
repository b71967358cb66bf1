"""Zero-cost proxies on token batches: the NAS-Bench-NLP language model (small sizes)."""

from __future__ import annotations

import copy
import logging
import math

import pytest
import torch

import omni.zero_cost as runner
from features.errors import OmniError
from features.zero_cost import PROXIES, compute_proxies
from features.zero_cost.batches import make_batch, token_batch
from omni.spaces import Task
from omni.spaces.nlp.network import build_rnn

SIZES = {"vocab_size": 1000, "emsize": 32, "nhid": 32}
#: tanh RNN (no ReLU: nwot is NaN)
TANH_RNN = {
    "h": {"op": "linear", "input": ["x", "h_prev_0"]},
    "h_new_0": {"op": "activation_tanh", "input": ["h"]},
}
#: a gated cell with two states and a leaky ReLU
GATED = {
    "f": {"op": "linear", "input": ["x", "h_prev_0"]},
    "f_act": {"op": "activation_sigm", "input": ["f"]},
    "c": {"op": "linear", "input": ["x", "h_prev_0", "h_prev_1"]},
    "c_act": {"op": "activation_leaky_relu", "input": ["c"]},
    "h_new_1": {"op": "blend", "input": ["f_act", "c_act", "h_prev_1"]},
    "h_new_0": {"op": "activation_tanh", "input": ["h_new_1"]},
}
#: a sum and a product of two linear branches
BRANCHES = {
    "a": {"op": "linear", "input": ["x", "h_prev_0"]},
    "b": {"op": "linear", "input": ["h_prev_0"]},
    "s": {"op": "elementwise_sum", "input": ["a", "b"]},
    "t": {"op": "activation_tanh", "input": ["a"]},
    "p": {"op": "elementwise_prod", "input": ["t", "s"]},
    "h_new_0": {"op": "activation_leaky_relu", "input": ["p"]},
}
CELLS = {"tanh": TANH_RNN, "gated": GATED, "branches": BRANCHES}


def model_of(recipe, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_rnn(recipe, **SIZES)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny recurrent models: thousands of small ops, far faster on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def batch():
    return token_batch(12, 4, 1000, seed=0)


@pytest.fixture(scope="module")
def scored(batch):
    """(scores, seconds, NaN reasons logged) per cell, for all 13 proxies."""
    out = {}
    for name, recipe in CELLS.items():
        handler = _Collect()
        logger = logging.getLogger("features.zero_cost")
        logger.addHandler(handler)
        try:
            scores, seconds = compute_proxies(model_of(recipe), *batch, seed=0, input_kind="tokens")
        finally:
            logger.removeHandler(handler)
        out[name] = (scores, seconds, handler.messages)
    return out


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_token_batch_is_seeded_next_token_prediction():
    x, y = token_batch(10, 3, 50, seed=1)
    assert x.shape == y.shape == (10, 3) and x.dtype == y.dtype == torch.long
    assert torch.equal(x[1:], y[:-1]) and int(x.max()) < 50 and int(x.min()) >= 0
    again = make_batch("random", (10,), 3, 50, seed=1, input_kind="tokens")
    assert torch.equal(again[0], x) and torch.equal(again[1], y)
    assert not torch.equal(token_batch(10, 3, 50, seed=2)[0], x)
    with pytest.raises(OmniError, match="'random' only"):
        make_batch("digits", (10,), 3, 50, input_kind="tokens")


def test_task_knows_token_inputs():
    assert Task("t", (3, 8, 8), 10).inputs == "image"
    assert Task("wikitext2", (35,), 33278, inputs="tokens").input_shape == (35,)
    with pytest.raises(OmniError, match="'image' or 'tokens'"):
        Task("t", (35,), 10, inputs="text")
    with pytest.raises(OmniError, match="seq_len"):
        Task("t", (3, 8, 8), 10, inputs="tokens")


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_every_proxy_is_finite_or_nan_with_a_reason(scored, cell):
    scores, seconds, messages = scored[cell]
    assert set(scores) == set(seconds) == set(PROXIES)
    for proxy, value in scores.items():
        assert math.isfinite(value) or math.isnan(value)
        if math.isnan(value):
            assert any(m.startswith(f"zero-cost proxy {proxy} is NaN: ") for m in messages)
    assert math.isnan(scores["epe_nas"])  # a sequence has no class
    assert any("epe_nas is NaN: undefined on token batches" in m for m in messages)
    for proxy in ("params", "flops", "l2_norm", "synflow", "jacov", "grad_norm", "snip"):
        assert math.isfinite(scores[proxy]), proxy
    assert all(s >= 0 for s in seconds.values())


def test_nwot_reads_the_leaky_relus(scored):
    assert math.isnan(scored["tanh"][0]["nwot"])
    assert any("nwot is NaN: the model has no ReLU module" in m for m in scored["tanh"][2])
    assert math.isfinite(scored["gated"][0]["nwot"])


def test_scores_are_deterministic_for_a_seed(batch, scored):
    again, _ = compute_proxies(model_of(GATED), *batch, seed=0, input_kind="tokens")
    first = scored["gated"][0]
    assert all(
        again[p] == first[p] or (math.isnan(again[p]) and math.isnan(first[p])) for p in PROXIES
    )
    other, _ = compute_proxies(
        model_of(GATED), *batch, proxies=["zen"], seed=1, input_kind="tokens"
    )
    assert other["zen"] != first["zen"]  # the seed drives zen's draws


def test_different_cells_get_different_scores(scored):
    for proxy in ("synflow", "params", "flops"):
        values = [scored[c][0][proxy] for c in sorted(CELLS)]
        assert len(set(values)) == len(values), proxy
    # params: the tied 1000 x 32 embedding, the decoder bias, and the cell's linear layers
    assert scored["tanh"][0]["params"] == (32_000 + 1000 + 3 * (32 * 64 + 32)) / 1e6


def test_the_model_is_left_as_it_was(batch):
    model = model_of(GATED)
    before = copy.deepcopy(model.state_dict())
    compute_proxies(model, *batch, seed=0, input_kind="tokens")
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_bad_token_batches_are_rejected(batch):
    model = model_of(TANH_RNN)
    x, y = batch
    with pytest.raises(OmniError, match="integer ids of shape"):
        compute_proxies(model, x.float(), y, input_kind="tokens")
    with pytest.raises(OmniError, match="targets"):
        compute_proxies(model, x, y[:-1], input_kind="tokens")
    with pytest.raises(OmniError, match="vocabulary is 1000"):
        compute_proxies(model, x + 1000, y, input_kind="tokens")
    with pytest.raises(OmniError, match="input_kind"):
        compute_proxies(model, x, y, input_kind="text")


def test_score_architectures_on_a_token_space():
    from omni import spaces

    try:
        space = copy.copy(spaces.get("nlp"))
    except OmniError:
        pytest.skip("no 'nlp' space registered")
    space.tasks = {space.default_task: Task("lm", (8,), 1000, inputs="tokens")}
    archs = space.sample(2, 0)
    results = runner.score_architectures(
        space,
        archs,
        proxies=["params", "synflow", "jacov", "epe_nas"],
        batch_size=3,
        progress=False,
        network_kwargs={"emsize": 16, "nhid": 16},
    )
    assert results.metadata["inputs"] == "tokens" and results.metadata["input_shape"] == [8]
    assert all(math.isnan(v) for v in results.scores["epe_nas"])
    assert all(math.isfinite(v) for v in results.scores["params"])


def test_jacobian_rows_are_sequences():
    from features.zero_cost._common import Evidence, token_cross_entropy
    from features.zero_cost._shared import run_shared_pass

    model = model_of(GATED)
    x, y = token_batch(4, 4, 1000, seed=3)  # seq_len == batch: the layout must not be guessed
    changed = x.clone()
    changed[:, 0] = (changed[:, 0] + 7) % 1000  # sequence 0 only
    rows = []
    for tokens in (x, changed):
        ev = Evidence(model, tokens, y, loss_fn=token_cross_entropy, input_kind="tokens")
        run_shared_pass(ev, {"input_grad"})
        rows.append(ev.input_grad)
    assert rows[0].shape == (4, 4 * 32)
    assert not torch.equal(rows[0][0], rows[1][0])
    assert torch.equal(rows[0][1:], rows[1][1:])
