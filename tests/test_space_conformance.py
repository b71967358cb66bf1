"""Every registered space (and the README's example space) keeps the SearchSpace contract."""

from __future__ import annotations

import example_space
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.errors import InvalidArchitectureError, OmniError
from omni import spaces
from omni.spaces import Task
from omni.spaces.checks import check_space

#: small networks for the forward pass (full-size ones only count parameters, elsewhere)
SMALL = {
    "nb201": {"network_options": {"channels": (4, 8, 16), "cells_per_stage": 1}},
    "tiny": {"network_options": {"channels": 4}},
    "nb101": {
        "network_options": {"stem_channels": 8, "cells_per_stack": 1},
        "symmetric_neighbours": False,
    },
    "darts": {"network_options": {"channels": 4, "layers": 3}},
    "tnb101-micro": {
        "task": Task("small", (3, 64, 64), 63),
        "network_options": {"base_channels": 8},
    },
    "tnb101-macro": {
        "task": Task("small", (3, 64, 64), 63),
        "network_options": {"base_channels": 8},
    },
    "nlp": {
        "task": Task("small", (12,), 50, inputs="tokens"),
        "network_options": {"emsize": 16, "nhid": 16},
    },
}
ALL = sorted(set(spaces.names()) | {"tiny"})


def test_every_registered_space_has_small_settings():
    missing = set(spaces.names()) - set(SMALL)
    assert not missing, f"add small network settings for {missing} to SMALL"


@pytest.mark.parametrize("name", ALL)
def test_check_space(name):
    check_space(spaces.get(name), **SMALL.get(name, {}))


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_round_trip_and_moves(name, seed):
    space = spaces.get(name)
    arch = space.sample(1, seed)[0]
    assert space.parse(space.to_str(arch)) == arch
    canon = space.canonical(arch)
    assert space.canonical(canon) == canon
    child = space.mutate(arch, seed)
    assert space.is_valid(child) and child != arch
    assert space.key(space.canonical(child)) == space.key(child)


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40))
def test_junk_strings_raise_invalid_architecture(name, text):
    space = spaces.get(name)
    try:
        arch = space.parse(text)
    except InvalidArchitectureError as err:
        assert str(err)
    else:  # a random string that parses must then round-trip
        assert space.parse(space.to_str(arch)) == arch


def test_check_space_catches_a_broken_space():
    class Broken(spaces.CellSpace):
        def canonical(self, arch):  # not idempotent: flips the first op each time
            arch = self.coerce(arch)
            first = self.ops[(self.ops.index(arch[0]) + 1) % len(self.ops)]
            return (first,) + arch[1:]

    with pytest.raises(AssertionError, match="canonical"):
        check_space(Broken("broken", num_nodes=3, ops=example_space.OPS), **SMALL["tiny"])


def test_unknown_space_and_bad_registration():
    with pytest.raises(OmniError, match="unknown space"):
        spaces.get("no-such-space")
    with pytest.raises(OmniError, match="SearchSpace"):
        spaces.register("nb201")  # type: ignore[arg-type]
    with pytest.raises(OmniError, match="already registered"):
        spaces.register(spaces.get("nb201"))


def test_plugin_module_from_environment(monkeypatch, tmp_path):
    module = tmp_path / "my_space.py"
    module.write_text(
        "from omni import spaces\n"
        "spaces.register(spaces.CellSpace('plugin-space', num_nodes=3, ops=['none', 'a', 'b']))\n"
    )
    monkeypatch.setenv(spaces.PLUGIN_VARIABLE, str(module))
    assert spaces.get("plugin-space").num_nodes == 3
    monkeypatch.setenv(spaces.PLUGIN_VARIABLE, str(tmp_path / "missing.py"))
    with pytest.raises(OmniError, match="could not load space module"):
        spaces.get("another-unknown-space")
