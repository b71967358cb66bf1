"""The DARTS search space (Liu et al., 2019) as benchmarked by NAS-Bench-301.

An architecture is a :class:`DartsGenotype`: a normal and a reduction cell of 8 ``(input, op)``
pairs each. Pairs ``2k`` and ``2k + 1`` are summed into intermediate node ``k + 2``
(k = 0..3); input 0 is the cell input c_{k-2}, 1 is c_{k-1}, ``m >= 2`` is intermediate node m;
the cell outputs the concatenation of nodes 2..5. Op codes index :data:`OP_NAMES` (no ``none``).
Its string form is NASLib's "compact" key ``[[(1, 3), (0, 0), ...], [...]]``; DARTS'
``Genotype(normal=[('sep_conv_3x3', 0), ...], ...)`` strings are read too.

Pairs are kept in the order given; :meth:`DartsSpace.canonical` sorts the two pairs of each
node (their sum is commutative). The two cells never swap. Every node feeds the output, so
nothing is ever pruned. There are (180 * 7^8)^2 ~ 1.1e18 canonical architectures: the space
cannot be enumerated.

Graphs (:meth:`DartsSpace.graphs`): one :class:`~features.dag.CellDAG` per cell, ops on nodes:
node 0 ``"input"`` stands for both cell inputs, nodes 1..8 are the op nodes of the 8 pairs
(canonical order), node 9 ``"output"``. An op node whose pair reads a cell input is fed by
``"input"``; one that reads intermediate node m is fed by the two op nodes of m; every op node
feeds ``"output"`` (the output concatenates every intermediate node). The graphs do not tell
c_{k-2} from c_{k-1}; the ``adjacency`` and ``path`` encodings do.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Mapping
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np

from features.dag import INPUT, OUTPUT, CellDAG
from features.errors import OmniError
from omni.spaces.base import Decision, SearchSpace, Task, as_rng, checked_decisions, invalid
from omni.spaces.darts import encodings as _darts_enc
from omni.spaces.darts.network import OP_NAMES

NUM_NODES = 4  # intermediate nodes per cell
NUM_PAIRS = 2 * NUM_NODES
NUM_OPS = len(OP_NAMES)
CELL_NAMES = ("normal", "reduce")
CONCAT = (2, 3, 4, 5)
#: canonical cells: per node an unordered pair of distinct inputs, an op per pair
CANONICAL_CELLS = 1 * 3 * 6 * 10 * NUM_OPS**NUM_PAIRS
_OP_CODE = {name: code for code, name in enumerate(OP_NAMES)}
_MAX_TEXT = 10_000
#: per intermediate node k (0..3): its unordered input pairs "i,j" (i < j < k + 2)
_INPUT_PAIRS = tuple(
    tuple(f"{i},{j}" for i, j in itertools.combinations(range(k + 2), 2)) for k in range(NUM_NODES)
)
_DECISIONS = tuple(
    Decision(f"{c}_{k}_{name}", choices)
    for c in CELL_NAMES
    for k in range(NUM_NODES)
    for name, choices in (("inputs", _INPUT_PAIRS[k]), ("0_op", OP_NAMES), ("1_op", OP_NAMES))
)

Pair = tuple[int, int]
Cell = tuple[Pair, ...]


class DartsGenotype(NamedTuple):
    """A DARTS architecture: 8 ``(input, op code)`` pairs for each of the two cells."""

    normal: Cell
    reduce: Cell


def _node(pair_index: int) -> int:
    """The intermediate node a pair feeds."""
    return pair_index // 2 + 2


def _compact(arch: DartsGenotype) -> str:
    return "[" + ", ".join("[" + ", ".join(f"({i}, {o})" for i, o in c) + "]" for c in arch) + "]"


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, Integral):
        return None
    return int(value)


def _check_cell(cell: Any, name: str, shown: Any) -> Cell:
    if not isinstance(cell, list | tuple):
        raise invalid(shown, f"the {name} cell must be a sequence of (input, op) pairs")
    if len(cell) != NUM_PAIRS:
        raise invalid(shown, f"the {name} cell must have {NUM_PAIRS} pairs, found {len(cell)}")
    pairs: list[Pair] = []
    for p, pair in enumerate(cell):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise invalid(shown, f"pair {p} of the {name} cell must be (input, op), got {pair!r}")
        src, op = _as_int(pair[0]), _as_int(pair[1])
        if src is None or op is None:
            raise invalid(shown, f"pair {p} of the {name} cell must hold two integers")
        if not 0 <= op < NUM_OPS:
            raise invalid(
                shown, f"op code {op} of the {name} cell is out of range 0..{NUM_OPS - 1}"
            )
        node = _node(p)
        if not 0 <= src < node:
            raise invalid(
                shown, f"input {src} of node {node} ({name} cell) must be in 0..{node - 1}"
            )
        if p % 2 and src == pairs[-1][0]:
            raise invalid(shown, f"the two inputs of node {node} ({name} cell) are both {src}")
        pairs.append((src, op))
    return tuple(pairs)


def _literal(node: ast.expr, text: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        raise invalid(text, "malformed Genotype: its fields must be literals") from None


def _concat(node: ast.expr, text: str) -> tuple[int, ...]:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and not node.keywords
    ):
        bounds = [_literal(a, text) for a in node.args]
        if not all(_as_int(b) is not None for b in bounds) or not 1 <= len(bounds) <= 3:
            raise invalid(text, "malformed Genotype: bad range() in a concat field")
        return tuple(range(*bounds))
    value = _literal(node, text)
    if not isinstance(value, list | tuple):
        raise invalid(text, "malformed Genotype: a concat field must be a list")
    return tuple(value)


def _parse_genotype(text: str) -> DartsGenotype:
    """A DARTS ``Genotype(normal=[(op, input), ...], normal_concat=..., reduce=..., ...)``."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        raise invalid(text, "malformed Genotype string") from None
    fields = ("normal", "normal_concat", "reduce", "reduce_concat")
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        raise invalid(text, "malformed Genotype string")
    if len(tree.args) > len(fields):
        raise invalid(text, "malformed Genotype: too many fields")
    given = dict(zip(fields, tree.args, strict=False))
    for kw in tree.keywords:
        if kw.arg not in fields or kw.arg in given:
            raise invalid(text, f"malformed Genotype: unexpected field {kw.arg!r}")
        given[kw.arg] = kw.value
    if set(given) != set(fields):
        raise invalid(text, f"malformed Genotype: missing {sorted(set(fields) - set(given))}")
    cells = []
    for name in CELL_NAMES:
        if _concat(given[f"{name}_concat"], text) != CONCAT:
            raise invalid(text, f"{name}_concat must be the nodes {list(CONCAT)}")
        items = _literal(given[name], text)
        if not isinstance(items, list | tuple):
            raise invalid(text, f"the {name} cell must be a list of (op, input) pairs")
        pairs = []
        for item in items:
            if not isinstance(item, list | tuple) or len(item) != 2:
                raise invalid(text, f"pair {item!r} of the {name} cell must be (op, input)")
            op, src = item
            if op not in _OP_CODE:
                raise invalid(text, f"unknown op {op!r}; DARTS ops are {list(OP_NAMES)}")
            pairs.append((src, _OP_CODE[op]))
        cells.append(pairs)
    return _from_nested(cells, text)


def _from_nested(value: Any, shown: Any) -> DartsGenotype:
    if not isinstance(value, list | tuple):
        raise invalid(shown, "not a DARTS architecture: expected [normal cell, reduction cell]")
    if len(value) != 2:
        raise invalid(shown, f"expected 2 cells (normal, reduction), found {len(value)}")
    return DartsGenotype(
        *(_check_cell(c, n, shown) for c, n in zip(value, CELL_NAMES, strict=True))
    )


class DartsSpace(SearchSpace):
    """DARTS / NAS-Bench-301 (see the module docstring); CIFAR-10, not enumerable.

    Encodings: ``adjacency`` (NASLib's ``encode_adj``, 114 values; ``onehot`` is an alias),
    ``path`` (binary, 4 x 2,801 = 11,204), ``graph`` (graph features of the two cell DAGs) and
    ``opcount`` (7 op counts per cell). ``adjacency``/``onehot`` keep the pair order given (as
    the study did); pass :meth:`canonical` forms to make isomorphs encode alike.
    """

    name = "darts"
    tasks = {"cifar10": Task("cifar10", (3, 32, 32), 10)}
    default_task = "cifar10"
    enumerable = False
    encodings = ("adjacency", "onehot", "path", "graph", "opcount")
    graph_ops = OP_NAMES
    max_nodes = NUM_PAIRS + 2

    # ---------------------------------------------------------------- parse / print
    def parse(self, text: str) -> DartsGenotype:
        """NASLib's compact key or a DARTS ``Genotype(...)`` string."""
        if not isinstance(text, str):
            raise invalid(text, "an architecture string is required")
        s = text.strip()
        if len(s) > _MAX_TEXT:
            raise invalid(text[:80] + "...", "malformed text: far too long")
        if s.startswith("Genotype"):
            return _parse_genotype(s)
        try:
            value = ast.literal_eval(s)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise invalid(
                text, "malformed text: expected '[[(input, op) x 8], [(input, op) x 8]]'"
            ) from None
        return _from_nested(value, text)

    def to_str(self, arch: Any) -> str:
        """NASLib's compact key, pairs in the architecture's own order."""
        return _compact(self.coerce(arch))

    def validate(self, arch: Any) -> DartsGenotype:
        """A genotype or nested ``[[(input, op) x 8], [...]]`` sequence, checked."""
        if isinstance(arch, str):
            return self.parse(arch)
        return _from_nested(arch, arch)

    def genotype_str(self, arch: Any) -> str:
        """The DARTS ``Genotype(normal=[(op, input), ...], ...)`` string of ``arch``."""
        arch = self.coerce(arch)
        parts = []
        for name, cell in zip(CELL_NAMES, arch, strict=True):
            pairs = ", ".join(f"('{OP_NAMES[o]}', {i})" for i, o in cell)
            parts.append(f"{name}=[{pairs}], {name}_concat={list(CONCAT)}")
        return f"Genotype({', '.join(parts)})"

    # ---------------------------------------------------------------- identity
    def canonical(self, arch: Any) -> DartsGenotype:
        """The two pairs of every node sorted (by input, then op); cells stay in place."""
        arch = self.coerce(arch)
        return DartsGenotype(
            *(
                tuple(p for k in range(0, NUM_PAIRS, 2) for p in sorted(cell[k : k + 2]))
                for cell in arch
            )
        )

    # ---------------------------------------------------------------- sampling and moves
    def sample(
        self, n: int, random_state: int | np.random.Generator | None = None
    ) -> list[DartsGenotype]:
        """``n`` genotypes drawn uniformly: per node two distinct inputs (in random order) and
        an op per pair."""
        rng = as_rng(random_state)
        n = int(n)
        ops = rng.integers(0, NUM_OPS, size=(n, 2, NUM_PAIRS))
        inputs = np.zeros((n, 2, NUM_PAIRS), dtype=np.int64)
        for k in range(NUM_NODES):
            node = k + 2
            first = rng.integers(0, node, size=(n, 2))
            second = rng.integers(0, node - 1, size=(n, 2))
            second += second >= first
            inputs[:, :, 2 * k], inputs[:, :, 2 * k + 1] = first, second
        return [
            DartsGenotype(
                *(
                    tuple(zip(inputs[a, c].tolist(), ops[a, c].tolist(), strict=True))
                    for c in range(2)
                )
            )
            for a in range(n)
        ]

    def _replace(self, arch: DartsGenotype, cell: int, p: int, pair: Pair) -> DartsGenotype:
        pairs = list(arch[cell])
        pairs[p] = pair
        return arch._replace(**{CELL_NAMES[cell]: tuple(pairs)})

    def _other_inputs(self, arch: DartsGenotype, cell: int, p: int) -> list[int]:
        src, sibling = arch[cell][p][0], arch[cell][p ^ 1][0]
        return [i for i in range(_node(p)) if i not in (src, sibling)]

    def neighbours(self, arch: Any) -> list[DartsGenotype]:
        """Per pair of each cell: its 6 other ops, then each other legal input (< its node, not
        its sibling's). 2 cells x (8 x 6 + 2 x (0 + 1 + 2 + 3)) = 120 in all."""
        arch = self.coerce(arch)
        out = []
        for c in range(2):
            for p, (src, op) in enumerate(arch[c]):
                out += [self._replace(arch, c, p, (src, o)) for o in range(NUM_OPS) if o != op]
                out += [self._replace(arch, c, p, (i, op)) for i in self._other_inputs(arch, c, p)]
        return out

    def mutate(
        self, arch: Any, random_state: int | np.random.Generator | None = None
    ) -> DartsGenotype:
        """Pick a cell and a pair; change its op or (with probability 1/2, when it has another
        legal input) its input."""
        arch = self.coerce(arch)
        rng = as_rng(random_state)
        c, p = int(rng.integers(2)), int(rng.integers(NUM_PAIRS))
        src, op = arch[c][p]
        others = self._other_inputs(arch, c, p)
        if others and rng.random() < 0.5:
            return self._replace(arch, c, p, (others[int(rng.integers(len(others)))], op))
        new_op = int(rng.integers(NUM_OPS - 1))
        return self._replace(arch, c, p, (src, new_op + (new_op >= op)))

    # ---------------------------------------------------------------- decisions (Optuna)
    def decisions(self) -> tuple[Decision, ...]:
        """Per cell c (``normal``, ``reduce``) and intermediate node k = 0..3 (node k + 2):
        ``<c>_<k>_inputs``, the node's two distinct inputs as ``"i,j"`` (i < j < k + 2), then
        ``<c>_<k>_0_op`` and ``<c>_<k>_1_op``, the op names (:data:`OP_NAMES`) on inputs i and j.

        The inputs are one unordered pair rather than one decision per pair, so every
        combination is an architecture (no repeated input to reject) and the combinations are
        exactly the canonical forms (pairs sorted by input, as :meth:`canonical`).
        """
        return _DECISIONS

    def to_decisions(self, arch: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, cell in zip(CELL_NAMES, self.canonical(arch), strict=True):
            for k in range(NUM_NODES):
                (i, op_i), (j, op_j) = cell[2 * k : 2 * k + 2]
                values[f"{name}_{k}_inputs"] = f"{i},{j}"
                values[f"{name}_{k}_0_op"] = OP_NAMES[op_i]
                values[f"{name}_{k}_1_op"] = OP_NAMES[op_j]
        return values

    def from_decisions(self, values: Mapping[str, Any]) -> DartsGenotype:
        values = checked_decisions(self, values)
        cells = []
        for name in CELL_NAMES:
            pairs = []
            for k in range(NUM_NODES):
                inputs = (int(t) for t in values[f"{name}_{k}_inputs"].split(","))
                for s, src in enumerate(inputs):
                    pairs.append((src, _OP_CODE[values[f"{name}_{k}_{s}_op"]]))
            cells.append(pairs)
        return self.validate(cells)

    def all_archs(self):
        raise OmniError(
            f"space {self.name!r} cannot be enumerated (~{CANONICAL_CELLS**2:.1e} architectures)"
        )

    # ---------------------------------------------------------------- graphs and encodings
    def graphs(self, arch: Any) -> tuple[CellDAG, CellDAG]:
        """The normal and reduction cell DAGs of the canonical form (module docstring)."""
        return tuple(self._cell_dag(cell) for cell in self.canonical(arch))

    @staticmethod
    def _cell_dag(cell: Cell) -> CellDAG:
        n = NUM_PAIRS + 2
        adj = np.zeros((n, n), dtype=bool)
        for p, (src, _) in enumerate(cell):
            if src < 2:
                adj[0, p + 1] = True
            else:
                first = 2 * (src - 2)
                adj[first + 1, p + 1] = adj[first + 2, p + 1] = True
            adj[p + 1, n - 1] = True
        return CellDAG(adj, (INPUT, *(OP_NAMES[op] for _, op in cell), OUTPUT))

    def encode(self, arch: Any, name: str) -> np.ndarray:
        """``adjacency`` / ``onehot`` (114), ``path`` (11,204), ``graph``, ``opcount`` (14).

        The adjacency encoding reads the canonical form (pairs sorted), so isomorphs encode
        alike; the study encoded the raw pair order.
        """
        self._check_encoding(name)
        if name in ("adjacency", "onehot"):
            return _darts_enc.adjacency_encoding(*self.canonical(arch))
        if name == "path":
            return _darts_enc.path_encoding(*self.coerce(arch))
        return super().encode(arch, name)

    def encoding_names(self, name: str) -> list[str] | None:
        if name in ("adjacency", "onehot"):
            return _darts_enc.adjacency_names()
        if name == "opcount":
            return [f"{cell}:count({op})" for cell in CELL_NAMES for op in OP_NAMES]
        return super().encoding_names(name)

    # ---------------------------------------------------------------- networks
    def network(self, arch: Any, task: str | Task | None = None, **options: Any):
        """The NAS-Bench-Suite-Zero DARTS network (:mod:`omni.spaces.darts.network`).

        ``options``: ``channels`` (initial C, 32), ``layers`` (cells, 8; reductions at
        ``layers // 3`` and ``2 * layers // 3``), ``stem_multiplier`` (3). The defaults
        reproduce NAS-Bench-301's ``params`` file column exactly.
        """
        from omni.spaces.darts.network import DartsNetwork

        spec = self.task(task)
        arch = self.coerce(arch)
        unknown = set(options) - {"channels", "layers", "stem_multiplier"}
        if unknown:
            raise OmniError(
                f"unknown DARTS network options {sorted(unknown)}; "
                "known: channels, layers, stem_multiplier"
            )
        if len(spec.input_shape) != 3:
            raise OmniError(f"task {spec.name!r}: a DARTS network takes (C, H, W) images")
        try:
            return DartsNetwork(
                arch.normal,
                arch.reduce,
                num_classes=spec.num_outputs,
                in_channels=spec.input_shape[0],
                **{k: int(v) for k, v in options.items()},
            )
        except ValueError as err:
            raise OmniError(f"DARTS network: {err}") from None


__all__ = ["CANONICAL_CELLS", "DartsGenotype", "DartsSpace"]
