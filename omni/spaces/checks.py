"""``check_space``: the executable form of the :class:`~omni.spaces.base.SearchSpace` contract.

Like scikit-learn's ``check_estimator``, it runs a space through every promise of the
contract and raises ``AssertionError`` naming the first one broken. The test suite runs it on
every registered space; users run it on their own before registering them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from features.dag import CellDAG
from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.base import SearchSpace, Task, as_rng

#: strings no space may accept
BAD_STRINGS = ("", "   ", "not an architecture", "(", "|x~0|", "[[(9, 9)]]", "()")


def _require(ok: bool, space: SearchSpace, what: str) -> None:
    if not ok:
        raise AssertionError(f"space {space.name!r}: {what}")


def check_space(
    space: SearchSpace,
    *,
    task: str | Task | None = None,
    network_options: Mapping[str, Any] | None = None,
    n_samples: int = 20,
    seed: int = 0,
    isomorphic_pairs: Sequence[tuple[Any, Any]] = (),
    symmetric_neighbours: bool = True,
) -> None:
    """Check that ``space`` keeps the contract (raises ``AssertionError`` otherwise).

    ``task`` and ``network_options`` choose the network that is built and run forward (pass
    a small width / resolution to keep it fast). ``isomorphic_pairs`` are known isomorphs that
    must share a canonical form. ``symmetric_neighbours``: b a neighbour of a implies a a
    neighbour of b (false for spaces whose moves act on a pruned form, such as NB101's).
    """
    rng = as_rng(seed)
    _check_attributes(space)
    archs = space.sample(n_samples, rng)
    _require(len(archs) == n_samples, space, f"sample({n_samples}) gave {len(archs)}")
    for arch in archs:
        _check_round_trip(space, arch)
        _check_canonical(space, arch)
    for arch in archs[: max(3, n_samples // 4)]:
        _check_moves(space, arch, rng, symmetric_neighbours)
    for a, b in isomorphic_pairs:
        _require(space.key(a) == space.key(b), space, f"isomorphs {a!r} and {b!r} differ in key")
    _check_graphs_and_encodings(space, archs)
    _check_decisions(space, archs)
    _check_bad_input(space)
    _check_enumeration(space)
    _check_network(space, archs[0], task, dict(network_options or {}))


def _check_attributes(space: SearchSpace) -> None:
    _require(isinstance(space.name, str) and bool(space.name), space, "name must be a string")
    _require(isinstance(space.tasks, Mapping) and bool(space.tasks), space, "tasks is empty")
    for name, task in space.tasks.items():
        _require(isinstance(task, Task) and task.name == name, space, f"task {name!r} malformed")
    _require(space.default_task in space.tasks, space, "default_task is not one of tasks")
    _require(bool(space.encodings), space, "encodings is empty")
    _require(bool(space.graph_ops), space, "graph_ops is empty")


def _check_round_trip(space: SearchSpace, arch: Any) -> None:
    _require(space.validate(arch) == arch, space, f"validate changed a sample: {arch!r}")
    text = space.to_str(arch)
    _require(isinstance(text, str), space, "to_str must return a string")
    _require(space.parse(text) == arch, space, f"parse(to_str(a)) != a for {text!r}")
    _require(space.to_str(space.parse(text)) == text, space, f"to_str not stable for {text!r}")
    _require(space.is_valid(text) and space.is_valid(arch), space, f"{text!r} not is_valid")
    _require(hash(arch) == hash(space.parse(text)), space, "architectures must be hashable")


def _check_canonical(space: SearchSpace, arch: Any) -> None:
    canon = space.canonical(arch)
    _require(space.is_valid(canon), space, f"canonical form of {arch!r} is not valid")
    _require(space.canonical(canon) == canon, space, f"canonical is not idempotent on {arch!r}")
    _require(space.key(space.prune(arch)) == space.key(arch), space, "prune changed the class")
    _require(space.key(space.to_str(arch)) == space.key(arch), space, "key differs for str form")


def _check_moves(space: SearchSpace, arch: Any, rng: np.random.Generator, symmetric: bool) -> None:
    neighbours = space.neighbours(arch)
    _require(bool(neighbours), space, f"{arch!r} has no neighbours")
    texts = [space.to_str(b) for b in neighbours]
    _require(len(set(texts)) == len(texts), space, f"neighbours of {arch!r} repeat")
    own = space.to_str(arch)
    for b, text in zip(neighbours, texts, strict=True):
        _require(space.is_valid(b), space, f"neighbour {text!r} is not valid")
        _require(text != own and b != arch, space, f"{arch!r} is its own neighbour")
        if symmetric:
            back = {space.to_str(c) for c in space.neighbours(b)}
            _require(own in back, space, f"{arch!r} -> {text!r} is a neighbour, not back")
    for _ in range(5):
        child = space.mutate(arch, rng)
        _require(space.is_valid(child), space, f"mutate({arch!r}) is not valid")
        _require(child != arch, space, f"mutate({arch!r}) returned it unchanged")


def _check_decisions(space: SearchSpace, archs: list[Any]) -> None:
    decisions = space.decisions()
    if not decisions:
        return
    names = [d.name for d in decisions]
    _require(len(set(names)) == len(names), space, "decision names repeat")
    for d in decisions:
        _require(isinstance(d.choices, tuple) and bool(d.choices), space, f"{d.name}: no choices")
        _require(len(set(d.choices)) == len(d.choices), space, f"{d.name}: choices repeat")
    for arch in archs:
        values = space.to_decisions(arch)
        _require(sorted(values) == sorted(names), space, f"to_decisions({arch!r}) names differ")
        for d in decisions:
            _require(values[d.name] in d.choices, space, f"{d.name}={values[d.name]!r} no choice")
        back = space.from_decisions(values)
        _require(space.key(back) == space.key(arch), space, f"decisions of {arch!r} round trip")
    values = space.to_decisions(archs[0])
    values.pop(names[0])
    try:
        space.from_decisions(values)
    except InvalidArchitectureError:
        pass
    else:
        _require(False, space, "from_decisions must reject a missing decision")


def _check_graphs_and_encodings(space: SearchSpace, archs: list[Any]) -> None:
    vocab = set(space.graph_ops)
    counts = set()
    for arch in archs:
        dags = space.graphs(arch)
        _require(isinstance(dags, tuple) and bool(dags), space, "graphs() must be a tuple")
        counts.add(len(dags))
        for dag in dags:
            _require(isinstance(dag, CellDAG), space, "graphs() must hold CellDAGs")
            inner = set(dag.ops[1:-1])
            _require(inner <= vocab | {"none"}, space, f"labels {inner - vocab} not in graph_ops")
    _require(len(counts) == 1, space, f"graphs() gave {sorted(counts)} DAGs for different archs")
    by_key: dict[str, np.ndarray] = {}
    for name in space.encodings:
        lengths = set()
        for arch in archs:
            vec = np.asarray(space.encode(arch, name))
            _require(vec.ndim == 1, space, f"encoding {name!r} must be a vector")
            _require(bool(np.all(np.isfinite(vec))), space, f"encoding {name!r} is not finite")
            lengths.add(vec.size)
            if name == "graph":  # graph features cannot tell isomorphs apart
                key = space.key(arch)
                seen = by_key.setdefault(key, vec)
                _require(np.array_equal(seen, vec), space, "isomorphs differ in graph features")
        _require(len(lengths) == 1, space, f"encoding {name!r} lengths vary: {sorted(lengths)}")
    try:
        space.encode(archs[0], "no-such-encoding")
    except OmniError:
        pass
    else:
        _require(False, space, "an unknown encoding name must raise OmniError")


def _check_bad_input(space: SearchSpace) -> None:
    for text in BAD_STRINGS:
        try:
            space.parse(text)
        except InvalidArchitectureError as err:
            _require(bool(str(err)), space, f"empty error message for {text!r}")
        else:
            _require(False, space, f"parse({text!r}) must raise InvalidArchitectureError")
        _require(not space.is_valid(text), space, f"is_valid({text!r}) must be False")
    for thing in (None, 3.5, object()):
        try:
            space.coerce(thing)
        except InvalidArchitectureError:
            continue
        _require(False, space, f"coerce({thing!r}) must raise InvalidArchitectureError")


def _check_enumeration(space: SearchSpace) -> None:
    if space.enumerable:
        _require(isinstance(space.size, int) and space.size > 0, space, "enumerable needs a size")
        first = next(iter(space.all_archs()))
        _require(space.is_valid(first), space, "all_archs() yields an invalid architecture")
    else:
        try:
            next(iter(space.all_archs()))
        except OmniError:
            return
        _require(False, space, "a space that cannot be enumerated must refuse all_archs()")


def _check_network(space: SearchSpace, arch: Any, task: Any, options: dict[str, Any]) -> None:
    import torch

    spec = space.task(task)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = space.network(arch, spec, **options)
        _require(isinstance(model, torch.nn.Module), space, "network() must be an nn.Module")
        if spec.inputs == "tokens":  # a language model: (seq_len, batch) ids -> per-token logits
            x = torch.randint(0, spec.num_outputs, (*spec.input_shape, 2))
            expected = (*spec.input_shape, 2, spec.num_outputs)
        else:
            x = torch.randn(2, *spec.input_shape)
            expected = (2, spec.num_outputs)
        model.eval()
        with torch.no_grad():
            out = model(x)
    _require(
        tuple(out.shape) == expected,
        space,
        f"network output {tuple(out.shape)}, expected {expected}",
    )
    _require(bool(torch.isfinite(out).all()), space, "network output is not finite")
    try:
        space.network(arch, "no-such-task", **options)
    except OmniError:
        return
    _require(False, space, "an unknown task must raise OmniError")


__all__ = ["check_space"]
