"""The NAS-Bench-NLP language model (omni.spaces.nlp.network): shapes, bad recipes, parameters."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
import torch

from features.errors import InvalidArchitectureError
from omni.spaces.networks import count_parameters
from omni.spaces.nlp.network import build_rnn

SMALL = {"vocab_size": 50, "emsize": 8, "nhid": 12, "nlayers": 2}

#: a plain tanh RNN: one state
TANH_RNN = {
    "h": {"op": "linear", "input": ["x", "h_prev_0"]},
    "h_new_0": {"op": "activation_tanh", "input": ["h"]},
}
#: an LSTM-like cell with two states, a blend, a 3-input linear and a dead node
TWO_STATES = {
    "f": {"op": "linear", "input": ["x", "h_prev_0", "h_prev_1"]},
    "f_act": {"op": "activation_sigm", "input": ["f"]},
    "c": {"op": "linear", "input": ["x", "h_prev_0"]},
    "c_act": {"op": "activation_leaky_relu", "input": ["c"]},
    "h_new_1": {"op": "blend", "input": ["f_act", "c_act", "h_prev_1"]},
    "h_new_1_act": {"op": "activation_tanh", "input": ["h_new_1"]},
    "h_new_0": {"op": "elementwise_prod", "input": ["h_new_1_act", "f_act"]},
    "unused": {"op": "linear", "input": ["h_prev_0"]},
}


def logs_dir() -> Path:
    env = os.environ.get("OMNI_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return root / "spaces" / "nas_bench_nlp_wikitext2_logs"


@pytest.mark.parametrize("recipe", [TANH_RNN, TWO_STATES], ids=["tanh", "two_states"])
def test_forward_gives_logits_per_token(recipe):
    torch.manual_seed(0)
    model = build_rnn(recipe, **SMALL)
    tokens = torch.randint(0, 50, (7, 3))
    logits = model(tokens)
    assert logits.shape == (7, 3, 50)
    assert torch.isfinite(logits).all()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 50), tokens.reshape(-1))
    loss.backward()
    dead = {  # a node that no output reads is built (and counted) but gets no gradient
        id(p)
        for layer in model.layers
        for (name, _, _), op in zip(layer.nodes, layer.ops, strict=True)
        if name == "unused"
        for p in op.parameters()
    }
    assert all((p.grad is None) == (id(p) in dead) for p in model.parameters())
    model.eval()  # no dropout: two calls agree, each from zero states
    assert torch.equal(model(tokens), model(tokens))


def test_outputs_depend_only_on_the_past():
    torch.manual_seed(0)
    model = build_rnn(TWO_STATES, **SMALL).eval()
    tokens = torch.randint(0, 50, (6, 2))
    changed = tokens.clone()
    changed[4] = (changed[4] + 1) % 50
    a, b = model(tokens), model(changed)
    assert torch.equal(a[:4], b[:4]) and not torch.equal(a[4:], b[4:])


def test_tied_and_untied_parameter_counts():
    tied = build_rnn(TANH_RNN, **SMALL)
    assert tied.decoder.weight is tied.encoder.weight
    # embedding 50x8 + decoder bias 50; layer 0: 12 x (8 + 12) + 12; layer 1 (width 8): 8 x 20 + 8
    assert count_parameters(tied) == 400 + 50 + 252 + 168
    untied = build_rnn(TANH_RNN, **SMALL, tied=False)  # last layer 12 wide, decoder 50 x 12
    assert count_parameters(untied) == 400 + 50 + 252 + 300 + 600


def test_regularisation_adds_no_parameters():
    plain = build_rnn(TWO_STATES, **SMALL, dropout=0, dropouth=0, dropouti=0, wdrop=0)
    heavy = build_rnn(TWO_STATES, **SMALL, dropoute=0.5, wdrop=0.5)
    assert count_parameters(plain) == count_parameters(heavy)
    heavy(torch.randint(0, 50, (4, 2)))  # a training-mode pass draws masks, keeps the count
    assert count_parameters(heavy) == count_parameters(plain)


def _with(node: str, spec: dict) -> dict:
    return {**TANH_RNN, node: spec}


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        (_with("g", {"op": "conv", "input": ["x"]}), "unknown op 'conv'"),
        (_with("h", {"op": "linear", "input": ["x", "h"]}), "cycle"),
        (_with("h_new_2", {"op": "activation_tanh", "input": ["h"]}), "outputs must be h_new_0"),
        ({}, "non-empty object"),
    ],
)
def test_bad_recipes_are_rejected(recipe, message):
    """The network applies the space's rules (omni.spaces.nlp.cell; tests/test_nlp.py)."""
    with pytest.raises(InvalidArchitectureError, match=message):
        build_rnn(recipe, **SMALL)


def test_every_shared_log_has_its_published_parameter_count():
    folder = logs_dir()
    files = sorted(folder.glob("log_stats_model_*.json"))
    if not files:
        pytest.skip(f"NAS-Bench-NLP logs not found at {folder} (set OMNI_SHARED_DATA)")
    checked = 0
    for path in files:  # on the meta device: ~3 s for 100 models instead of ~50 s
        log = json.loads(path.read_text())
        recipe = json.loads(log["recepie"])
        assert (log["emsize"], log["nhid"], log["nlayers"], log["tied"]) == (400, 600, 3, True)
        with torch.device("meta"):
            model = build_rnn(recipe)  # defaults = the logs' settings, vocabulary 33,278
        assert count_parameters(model) == log["num_params"], path.name
        checked += 1
    assert checked == len(files) >= 1
    # one full-size model for real: the meta build counts what a CPU build allocates
    log = json.loads(random.Random(0).choice(files).read_text())
    assert count_parameters(build_rnn(json.loads(log["recepie"]))) == log["num_params"]
