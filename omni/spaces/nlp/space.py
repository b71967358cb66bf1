"""The NAS-Bench-NLP search space (Klyuchnikov et al., 2022): recurrent cells of a 3-layer LM.

An architecture is a :class:`~omni.spaces.nlp.cell.RecurrentCell`; its string form is its
recipe as compact JSON with sorted keys (the logs' ``recepie`` parses as it is). The space is
not enumerable. Identity, pruning and the rules of a valid cell: :mod:`omni.spaces.nlp.cell`.

Moves (:meth:`NLPSpace.neighbours`): replace one node's op by another that takes the same
number of inputs, or rewire one input of one node to another source that keeps the cell
acyclic; both are their own inverse. :meth:`NLPSpace.sample` grows cells like the benchmark's
generator: 1-3 hidden states, 4-12 op nodes, each reading the newest value and earlier ones.

Graph (:meth:`NLPSpace.graphs`, of the canonical cell): node 0 ``"input"`` stands for the
time step, which feeds ``x`` (label ``"token"``) and each ``h_prev_<i>`` (``"hidden"``); then
the op nodes in topological order, labelled by op; every output ``h_new_<i>`` feeds the last
node ``"output"``. Encodings: ``graph``, ``opcount``, ``onehot`` (adjacency bits + one-hot ops
of the graph padded to :data:`MAX_NODES`) and ``padded``.

Decisions (Optuna, :meth:`NLPSpace.decisions`): :data:`MAX_OP_NODES` op slots, each an op or
``"-"`` (absent) and up to 3 inputs, and the slots of the outputs ``h_new_<i>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from features import encodings as _enc
from features.dag import INPUT, OUTPUT, CellDAG
from features.errors import InvalidArchitectureError
from omni.spaces.base import Decision, SearchSpace, Task, as_rng, checked_decisions, invalid
from omni.spaces.nlp import cell as _cell
from omni.spaces.nlp.cell import MAX_HIDDEN, MAX_OP_NODES, OP_ARITY, RecurrentCell

#: WikiText-2's vocabulary in the benchmark's corpus build; one bptt window of tokens
NLP_TASKS = {"wikitext2": Task("wikitext2", (35,), 33278, inputs="tokens")}
TOKEN, HIDDEN = "token", "hidden"
MAX_NODES = 1 + 1 + _cell.MAX_HIDDEN + _cell.MAX_OP_NODES + 1
#: op frequencies of the benchmark's generated cells (shared logs), used by sample()
_SAMPLE_OPS = {
    "linear": 0.48,
    "activation_sigm": 0.17,
    "activation_tanh": 0.15,
    "activation_leaky_relu": 0.11,
    "elementwise_sum": 0.04,
    "elementwise_prod": 0.03,
    "blend": 0.02,
}
#: the value of an absent slot, input or output in the decisions
EMPTY = "-"
_SLOT_INPUTS = max(high for _, high in OP_ARITY.values())
_CELL_INPUTS = (_cell.TOKEN_INPUT, *(f"h_prev_{i}" for i in range(MAX_HIDDEN)))
_SLOT = re.compile(r"slot_(\d+)")
_DECISIONS = (
    *(
        d
        for k in range(MAX_OP_NODES)
        for d in (
            Decision(f"slot_{k}_op", (EMPTY, *OP_ARITY)),
            *(
                Decision(
                    f"slot_{k}_in_{j}",
                    (EMPTY, *_CELL_INPUTS, *(f"slot_{m}" for m in range(k))),
                )
                for j in range(_SLOT_INPUTS)
            ),
        )
    ),
    *(
        Decision(f"out_{i}", (EMPTY, *(f"slot_{k}" for k in range(MAX_OP_NODES))))
        for i in range(MAX_HIDDEN)
    ),
)


class NLPSpace(SearchSpace):
    """NAS-Bench-NLP recurrent cells (see the module docstring)."""

    name = "nlp"
    tasks = dict(NLP_TASKS)
    default_task = "wikitext2"
    enumerable = False
    encodings = ("onehot", "graph", "opcount", "padded")
    graph_ops = (TOKEN, HIDDEN, *OP_ARITY)
    structural_ops = (TOKEN, HIDDEN)
    max_nodes = MAX_NODES

    # ---------------------------------------------------------------- strings
    def parse(self, text: str) -> RecurrentCell:
        return _cell.parse_recipe(text)

    def to_str(self, arch: Any) -> str:
        return self.coerce(arch).to_json()

    def validate(self, arch: Any) -> RecurrentCell:
        if isinstance(arch, RecurrentCell):
            return _cell.cell_from_recipe(arch.recipe(), shown=arch)
        if isinstance(arch, dict):
            return _cell.cell_from_recipe(arch)
        raise invalid(arch, "a recurrent cell is a RecurrentCell, a recipe dict or its JSON")

    # ---------------------------------------------------------------- identity
    def prune(self, arch: Any) -> RecurrentCell:
        return _cell.prune(self.coerce(arch))

    def canonical(self, arch: Any) -> RecurrentCell:
        return _cell.canonical(self.coerce(arch))

    # ---------------------------------------------------------------- sampling and moves
    def sample(
        self, n: int, random_state: int | np.random.Generator | None = None
    ) -> list[RecurrentCell]:
        rng = as_rng(random_state)
        return [self._sample_one(rng) for _ in range(int(n))]

    def _sample_one(self, rng: np.random.Generator) -> RecurrentCell:
        ops, weights = list(_SAMPLE_OPS), np.array(list(_SAMPLE_OPS.values()))
        while True:
            hidden = int(rng.choice([1, 2, 3], p=[0.45, 0.45, 0.10]))
            size = int(rng.integers(max(4, hidden + 1), 13))
            sources = ["x", *(f"h_prev_{i}" for i in range(hidden))]
            recipe: dict[str, dict[str, Any]] = {}
            for k in range(size):
                op = str(rng.choice(ops, p=weights / weights.sum()))
                low, high = OP_ARITY[op]
                arity = min(
                    high if op != "linear" else int(rng.choice([2, 3], p=[0.85, 0.15])),
                    len(sources),
                )
                if arity < low:
                    continue
                newest = sources[-1]
                others = [s for s in sources if s != newest]
                picked = [newest, *rng.choice(others, size=arity - 1, replace=False)]
                recipe[f"node_{k}"] = {"op": op, "input": [str(s) for s in picked]}
                sources.append(f"node_{k}")
            inner = [s for s in sources if s.startswith("node_")]
            late = inner[len(inner) // 2 : -1]
            if len(late) < hidden - 1:
                continue
            outs = (
                [inner[-1], *rng.choice(late, size=hidden - 1, replace=False)]
                if hidden > 1
                else [inner[-1]]
            )
            if len(set(outs)) < hidden:
                continue
            rename = {old: f"h_new_{i}" for i, old in enumerate(outs)}
            cell = _cell.cell_from_recipe(
                {
                    rename.get(name, name): {
                        "op": spec["op"],
                        "input": [rename.get(s, s) for s in spec["input"]],
                    }
                    for name, spec in recipe.items()
                }
            )
            if self._reads_token(cell):
                return cell

    @staticmethod
    def _reads_token(cell: RecurrentCell) -> bool:
        """Whether ``h_new_0`` depends on ``x`` (else the model ignores its input)."""
        reads = {name: inputs for name, _, inputs in cell.nodes}
        stack, seen = ["h_new_0"], set()
        while stack:
            node = stack.pop()
            if node == "x":
                return True
            if node in seen or node not in reads:
                continue
            seen.add(node)
            stack.extend(reads[node])
        return False

    def neighbours(self, arch: Any) -> list[RecurrentCell]:
        cell = self.coerce(arch)
        spec = {name: (op, inputs) for name, op, inputs in cell.nodes}
        hidden = [f"h_prev_{i}" for i in range(cell.num_hidden)]
        found: dict[str, RecurrentCell] = {}
        own = cell.to_json()

        def add(recipe: dict[str, dict[str, Any]]) -> None:
            try:
                new = _cell.cell_from_recipe(recipe)
            except InvalidArchitectureError:  # a move that breaks a rule is not a neighbour
                return
            text = new.to_json()
            if text != own:
                found.setdefault(text, new)

        for name, (op, inputs) in spec.items():
            for other, (low, high) in OP_ARITY.items():
                if other != op and low <= len(inputs) <= high:
                    recipe = cell.recipe()
                    recipe[name]["op"] = other
                    add(recipe)
            downstream = self._descendants(spec, name)
            candidates = ["x", *hidden, *(n for n in spec if n != name and n not in downstream)]
            for pos, src in enumerate(inputs):
                for new_src in candidates:
                    if new_src == src or new_src in inputs:
                        continue
                    recipe = cell.recipe()
                    recipe[name]["input"][pos] = new_src
                    add(recipe)
        return list(found.values())

    @staticmethod
    def _descendants(spec: dict[str, tuple[str, tuple[str, ...]]], name: str) -> set[str]:
        out, stack = set(), [name]
        while stack:
            node = stack.pop()
            for other, (_, inputs) in spec.items():
                if node in inputs and other not in out:
                    out.add(other)
                    stack.append(other)
        return out

    # ---------------------------------------------------------------- decisions (Optuna)
    def decisions(self) -> tuple[Decision, ...]:
        """Op slots k = 0..23, then the outputs (``"-"`` is absent throughout).

        ``slot_<k>_op``: ``"-"`` or an op of :data:`OP_ARITY`; ``slot_<k>_in_<j>`` (j = 0..2):
        ``"-"``, ``x``, ``h_prev_0`` .. ``h_prev_2`` or an earlier slot ``slot_<m>`` (m < k),
        the slot's inputs being its inputs other than ``"-"``, in order; ``out_<i>``
        (i = 0..2): ``"-"`` or the slot that is ``h_new_<i>``. ``out_0`` is required and the
        outputs are consecutive. Inputs of an absent slot are ignored.

        NLPSpace.sample also requires that h_new_0 reads ``x``, but the space's rules
        (:meth:`validate`) do not, and 11 of the 100 cells in the benchmark's logs break it,
        so :meth:`from_decisions` does not require it either.
        """
        return _DECISIONS

    def to_decisions(self, arch: Any) -> dict[str, Any]:
        """The pruned cell's op nodes in topological order in slots 0, 1, ..."""
        cell = self.prune(arch)
        spec = {name: (op, inputs) for name, op, inputs in cell.nodes}
        order = cell.topological_order()
        slot = {name: f"slot_{k}" for k, name in enumerate(order)}
        values: dict[str, Any] = {d.name: EMPTY for d in _DECISIONS}
        for k, name in enumerate(order):
            op, inputs = spec[name]
            values[f"slot_{k}_op"] = op
            for j, src in enumerate(inputs):
                values[f"slot_{k}_in_{j}"] = slot.get(src, src)
        for i in range(cell.num_hidden):
            values[f"out_{i}"] = slot[f"h_new_{i}"]
        return values

    def from_decisions(self, values: Mapping[str, Any]) -> RecurrentCell:
        """The cell of the decisions: slot k is the node ``h_new_<i>`` when ``out_<i>`` names
        it, else ``node_<k>``; every rule of :meth:`validate` applies."""
        if isinstance(values, Mapping):  # before the check of choices: say why it is wrong
            for k in range(MAX_OP_NODES):
                for j in range(_SLOT_INPUTS):
                    src = values.get(f"slot_{k}_in_{j}")
                    m = _SLOT.fullmatch(src) if isinstance(src, str) else None
                    if m and int(m.group(1)) >= k:
                        raise self._bad(
                            f"slot_{k}_in_{j} is {src}: a slot reads x, h_prev_<i> and earlier "
                            f"slots only (slot_0 .. slot_{k - 1})"
                        )
        values = checked_decisions(self, values)
        present = {f"slot_{k}" for k in range(MAX_OP_NODES) if values[f"slot_{k}_op"] != EMPTY}
        outs = [values[f"out_{i}"] for i in range(MAX_HIDDEN)]
        if outs[0] == EMPTY:
            raise self._bad("out_0 is '-': every cell has the output h_new_0")
        count = outs.index(EMPTY) if EMPTY in outs else len(outs)
        later = [i for i in range(count, MAX_HIDDEN) if outs[i] != EMPTY]
        if later:
            raise self._bad(
                f"out_{count} is '-' but out_{later[0]} is not: outputs are consecutive"
            )
        names: dict[str, str] = {}
        for i, src in enumerate(outs[:count]):
            if src not in present:
                raise self._bad(f"out_{i} is {src}, an absent slot (its op is '-')")
            if src in names:
                raise self._bad(f"{names[src].replace('h_new', 'out')} and out_{i} are both {src}")
            names[src] = f"h_new_{i}"
        recipe: dict[str, dict[str, Any]] = {}
        for k in range(MAX_OP_NODES):
            slot = f"slot_{k}"
            if slot not in present:
                continue
            op = values[f"{slot}_op"]
            inputs = [values[f"{slot}_in_{j}"] for j in range(_SLOT_INPUTS)]
            inputs = [src for src in inputs if src != EMPTY]
            low, high = OP_ARITY[op]
            if not low <= len(inputs) <= high:
                wanted = str(low) if low == high else f"{low}-{high}"
                raise self._bad(
                    f"{slot} is {op}, which takes {wanted} inputs; it has {len(inputs)}"
                )
            for src in inputs:
                hidden = re.fullmatch(r"h_prev_(\d+)", src)
                if src.startswith("slot_") and src not in present:
                    raise self._bad(f"{slot} reads {src}, an absent slot (its op is '-')")
                if hidden and int(hidden.group(1)) >= count:
                    raise self._bad(f"{slot} reads {src}, but the cell has {count} outputs")
                if inputs.count(src) > 1:
                    raise self._bad(f"{slot} reads {src} twice")
            rename = [names.get(s, f"node_{s[5:]}") if s in present else s for s in inputs]
            recipe[names.get(slot, f"node_{k}")] = {"op": op, "input": rename}
        return self.validate(recipe)

    def _bad(self, rule: str) -> InvalidArchitectureError:
        return InvalidArchitectureError(f"decisions of {self.name!r}: {rule}")

    # ---------------------------------------------------------------- graphs and encodings
    def graphs(self, arch: Any) -> tuple[CellDAG]:
        cell = self.canonical(arch)
        spec = {name: (op, inputs) for name, op, inputs in cell.nodes}
        inputs = ["x", *(f"h_prev_{i}" for i in range(cell.num_hidden))]
        order = [*inputs, *cell.topological_order()]
        index = {name: k + 1 for k, name in enumerate(order)}
        n = len(order) + 2
        adj = np.zeros((n, n), dtype=bool)
        labels = [INPUT, TOKEN, *(HIDDEN for _ in inputs[1:])]
        for name in inputs:
            adj[0, index[name]] = True
        for name in order[len(inputs) :]:
            op, srcs = spec[name]
            labels.append(op)
            for src in srcs:
                adj[index[src], index[name]] = True
            if name.startswith("h_new_"):
                adj[index[name], n - 1] = True
        labels.append(OUTPUT)
        return (CellDAG(adj, tuple(labels)),)

    def encode(self, arch: Any, name: str) -> np.ndarray:
        if name == "onehot":
            self._check_encoding(name)
            adj, labels = _enc.padded_dag(self.graphs(arch)[0], self.graph_ops, MAX_NODES)
            rows, cols = np.triu_indices(MAX_NODES, k=1)
            return np.concatenate([adj[rows, cols], labels.ravel()]).astype(np.float32)
        return super().encode(arch, name)

    # ---------------------------------------------------------------- networks
    def network(self, arch: Any, task: str | Task | None = None, **options: Any):
        """The benchmark's 3-layer language model with this cell (``options``: its sizes)."""
        from omni.spaces.nlp.network import build_rnn

        spec = self.task(task)
        return build_rnn(self.coerce(arch).recipe(), vocab_size=spec.num_outputs, **options)
