"""A NAS-Bench-NLP recurrent cell: named op nodes over the inputs ``x`` and ``h_prev_<i>``.

A recipe (the logs' ``recepie``) maps a node name to ``{"op": ..., "input": [names]}``. Inputs are
the token embedding ``x``, the previous hidden states ``h_prev_0``, ``h_prev_1``, ... and other
nodes; a node named exactly ``h_new_<i>`` is output i (``h_new_0`` feeds the next layer, the
others become ``h_prev_<i>`` at the next step), so the outputs must be ``h_new_0`` ..
``h_new_<k-1>`` and only ``h_prev_0`` .. ``h_prev_<k-1>`` may be read. Ops and their number of
inputs are :data:`OP_ARITY`.

Identity: :func:`prune` drops nodes that no output reads; :func:`canonical` renames the inner
nodes ``node_0``, ``node_1``, ... by their place in the graph (a structural hash over what a
node reads and what reads it, ties between interchangeable nodes settled by trying their
orders) and sorts the inputs of the symmetric ops, so two recipes that differ only in node
names or in the order of a linear / sum / product's inputs get one canonical form.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from features.errors import InvalidArchitectureError

#: op -> (fewest, most) inputs
OP_ARITY: dict[str, tuple[int, int]] = {
    "linear": (1, 3),
    "blend": (3, 3),
    "elementwise_sum": (2, 2),
    "elementwise_prod": (2, 2),
    "activation_tanh": (1, 1),
    "activation_sigm": (1, 1),
    "activation_leaky_relu": (1, 1),
}
#: ops whose result does not depend on the order of their inputs
SYMMETRIC_OPS = frozenset({"linear", "elementwise_sum", "elementwise_prod"})
MAX_HIDDEN = 3
#: most op nodes a cell may have (the padded encodings are this wide)
MAX_OP_NODES = 24
TOKEN_INPUT = "x"
_HIDDEN = re.compile(r"h_prev_(\d+)")
_OUTPUT = re.compile(r"h_new_(\d+)")
_MAX_TEXT = 100_000
_MAX_ORDERINGS = 720

Node = tuple[str, str, tuple[str, ...]]  # (name, op, inputs)


def _invalid(shown: Any, rule: str) -> InvalidArchitectureError:
    text = shown if isinstance(shown, str) else repr(shown)
    if len(text) > 120:
        text = text[:117] + "..."
    return InvalidArchitectureError(f"{text!r}: {rule}")


@dataclass(frozen=True)
class RecurrentCell:
    """A validated recipe: op nodes sorted by name (build with :func:`cell_from_recipe`)."""

    nodes: tuple[Node, ...]

    @property
    def num_hidden(self) -> int:
        """Number of hidden states (outputs ``h_new_<i>``)."""
        return sum(1 for name, _, _ in self.nodes if _OUTPUT.fullmatch(name))

    def recipe(self) -> dict[str, dict[str, Any]]:
        """The recipe dict of the logs (node -> {"op", "input"})."""
        return {name: {"op": op, "input": list(inputs)} for name, op, inputs in self.nodes}

    def to_json(self) -> str:
        return json.dumps(self.recipe(), sort_keys=True, separators=(",", ":"))

    def topological_order(self) -> list[str]:
        """Node names, every node after the nodes it reads (ties by name)."""
        reads = {
            name: {s for s in inputs if not is_cell_input(s)} for name, _, inputs in self.nodes
        }
        done: list[str] = []
        while len(done) < len(reads):  # the recipe is acyclic (checked when it was built)
            placed = set(done)
            done.extend(sorted(n for n, src in reads.items() if n not in placed and src <= placed))
        return done


def is_cell_input(name: str) -> bool:
    """``x`` or ``h_prev_<i>``."""
    return name == TOKEN_INPUT or _HIDDEN.fullmatch(name) is not None


def parse_recipe(text: str) -> RecurrentCell:
    """A cell from a recipe's JSON text (the logs' ``recepie``)."""
    if not isinstance(text, str):
        raise _invalid(text, "a recurrent cell's string form is its recipe as JSON")
    if len(text) > _MAX_TEXT:
        raise _invalid(text[:80], f"a recipe string is at most {_MAX_TEXT} characters")
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise _invalid(
            text, 'a recipe is JSON like {"h_new_0": {"op": "linear", "input": ["x", "h_prev_0"]}}'
        ) from None
    return cell_from_recipe(obj, shown=text)


def cell_from_recipe(recipe: Any, shown: Any = None) -> RecurrentCell:
    """Check a recipe mapping (node -> {"op", "input"}) and return its cell."""
    shown = recipe if shown is None else shown
    if not isinstance(recipe, Mapping) or not recipe:
        raise _invalid(shown, "a recipe is a non-empty object of node -> {op, input}")
    nodes: list[Node] = []
    for name, spec in recipe.items():
        if not isinstance(name, str) or not name or is_cell_input(name):
            raise _invalid(shown, f"node name {name!r} is empty or reserved for a cell input")
        if not isinstance(spec, Mapping) or set(spec) != {"op", "input"}:
            raise _invalid(shown, f"node {name!r} must be exactly {{'op': ..., 'input': [...]}}")
        op, inputs = spec["op"], spec["input"]
        if op not in OP_ARITY:
            raise _invalid(shown, f"node {name!r}: unknown op {op!r}; ops are {sorted(OP_ARITY)}")
        if not isinstance(inputs, list | tuple) or not all(isinstance(i, str) for i in inputs):
            raise _invalid(shown, f"node {name!r}: 'input' must be a list of node names")
        low, high = OP_ARITY[op]
        if not low <= len(inputs) <= high:
            wanted = str(low) if low == high else f"{low}-{high}"
            raise _invalid(shown, f"node {name!r}: {op} takes {wanted} inputs, got {len(inputs)}")
        if len(set(inputs)) != len(inputs):
            raise _invalid(shown, f"node {name!r} reads one input twice: {list(inputs)}")
        nodes.append((name, op, tuple(inputs)))
    cell = RecurrentCell(tuple(sorted(nodes)))
    _check_graph(cell, shown)
    return cell


def _check_graph(cell: RecurrentCell, shown: Any) -> None:
    names = {name for name, _, _ in cell.nodes}
    outputs = sorted(int(m.group(1)) for n in names if (m := _OUTPUT.fullmatch(n)))
    if not outputs or outputs != list(range(len(outputs))):
        raise _invalid(shown, f"outputs must be h_new_0 .. h_new_<k-1>, found {outputs}")
    if len(outputs) > MAX_HIDDEN:
        raise _invalid(shown, f"at most {MAX_HIDDEN} hidden states, found {len(outputs)}")
    if len(cell.nodes) > MAX_OP_NODES:
        raise _invalid(shown, f"at most {MAX_OP_NODES} op nodes, found {len(cell.nodes)}")
    for name, _, inputs in cell.nodes:
        for src in inputs:
            hidden = _HIDDEN.fullmatch(src)
            if hidden and int(hidden.group(1)) >= len(outputs):
                raise _invalid(
                    shown, f"node {name!r} reads {src} but the cell has {len(outputs)} outputs"
                )
            if src not in names and not is_cell_input(src):
                raise _invalid(shown, f"node {name!r} reads {src!r}, which is not defined")
    reads = {name: set(inputs) for name, _, inputs in cell.nodes}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = finished

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for src in sorted(reads[node]):
            if src not in reads:
                continue
            if state.get(src) == 1:
                cycle = path[path.index(src) :] + [src] if src in path else [src, node]
                raise _invalid(shown, f"the recipe has a cycle: {' -> '.join(cycle)}")
            if src not in state:
                visit(src, path + [src])
        state[node] = 2

    for name in sorted(reads):
        if name not in state:
            visit(name, [name])


# ---------------------------------------------------------------------- identity
def prune(cell: RecurrentCell) -> RecurrentCell:
    """The cell without the nodes that no output reads."""
    reads = {name: inputs for name, _, inputs in cell.nodes}
    live: set[str] = set()
    stack = [n for n in reads if _OUTPUT.fullmatch(n)]
    while stack:
        node = stack.pop()
        if node in live:
            continue
        live.add(node)
        stack.extend(s for s in reads[node] if s in reads)
    return RecurrentCell(tuple(n for n in cell.nodes if n[0] in live))


def _digest(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def _structural_hashes(cell: RecurrentCell) -> dict[str, str]:
    """Per node: a hash of what it computes (down) joined with how its value is used (up)."""
    spec = {name: (op, inputs) for name, op, inputs in cell.nodes}
    order = cell.topological_order()
    down: dict[str, str] = {}

    def label(src: str) -> str:
        return down[src] if src in spec else src

    for name in order:
        op, inputs = spec[name]
        args = [label(s) for s in inputs]
        if op in SYMMETRIC_OPS:
            args.sort()
        down[name] = _digest(op, *args)
    up: dict[str, str] = {}
    for name in reversed(order):
        uses = []
        for other, (op, inputs) in spec.items():
            for pos, src in enumerate(inputs):
                if src == name:
                    where = "*" if op in SYMMETRIC_OPS else str(pos)
                    uses.append(_digest(down[other], up[other], where))
        role = name if _OUTPUT.fullmatch(name) else "inner"
        up[name] = _digest(role, *sorted(uses))
    return {name: _digest(down[name], up[name]) for name in spec}


def _renamed(cell: RecurrentCell, names: Mapping[str, str]) -> RecurrentCell:
    nodes = []
    for name, op, inputs in cell.nodes:
        new_inputs = tuple(names.get(s, s) for s in inputs)
        if op in SYMMETRIC_OPS:
            new_inputs = tuple(sorted(new_inputs))
        nodes.append((names.get(name, name), op, new_inputs))
    return RecurrentCell(tuple(sorted(nodes)))


def canonical(cell: RecurrentCell) -> RecurrentCell:
    """The representative of the cell's isomorphism class (see the module docstring)."""
    cell = prune(cell)
    hashes = _structural_hashes(cell)
    inner = sorted((h, n) for n, h in hashes.items() if not _OUTPUT.fullmatch(n))
    groups = [[n for _, n in grp] for _, grp in itertools.groupby(inner, key=lambda t: t[0])]
    orderings = math.prod(math.factorial(len(g)) for g in groups)
    if orderings > _MAX_ORDERINGS:  # many interchangeable nodes: settle ties by old name
        groups = [[n] for g in groups for n in g]
    best: RecurrentCell | None = None
    for choice in itertools.product(*(itertools.permutations(g) for g in groups)):
        flat = [n for g in choice for n in g]
        candidate = _renamed(cell, {old: f"node_{k}" for k, old in enumerate(flat)})
        if best is None or candidate.to_json() < best.to_json():
            best = candidate
    return best if best is not None else _renamed(cell, {})


__all__ = [
    "MAX_HIDDEN",
    "MAX_OP_NODES",
    "OP_ARITY",
    "RecurrentCell",
    "canonical",
    "cell_from_recipe",
    "is_cell_input",
    "parse_recipe",
    "prune",
]
