"""NAS-Bench-101 (Ying et al., 2019): cells of up to 7 vertices and 9 edges, ops on vertices.

An architecture is an :class:`NB101Cell`: an upper-triangular 0/1 matrix (vertex 0 the input,
the last vertex the output) and one op label per vertex. It is kept *raw*, as given: vertices on
no input -> output path stay in it; :meth:`NB101Space.prune` removes them, and NB101's rules
(input reaches output, at most 7 vertices and 9 edges) apply to the pruned cell. The string form
is NASLib's key: ``"(n*n matrix bits row-major, n op codes)"`` with codes 0 input, 1 output,
2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu (n = 7 in NASLib's files).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from features.dag import CellDAG
from features.encodings import path_encoding_size, path_index
from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.base import Decision, SearchSpace, Task, as_rng, checked_decisions, invalid
from omni.spaces.nb101.graph import (
    CONV1X1,
    CONV3X3,
    INPUT,
    MAX_EDGES,
    MAX_VERTICES,
    MAXPOOL3X3,
    NASLIB_CODES,
    OPS,
    OUTPUT,
    canonical_form,
    nb101_hash,
    prune_matrix,
)
from omni.spaces.nb101.network import build_network

logger = logging.getLogger(__name__)

_LABELS = frozenset(NASLIB_CODES)
_CODE = {label: code for code, label in enumerate(NASLIB_CODES)}
_INT = re.compile(r"[ \t]*[+-]?[0-9]+[ \t]*")
#: op one-hot of NASLib's ``encode_adj`` (nasbench101 encodings, branches Develop / predictors)
_ONEHOT_OPS = (MAXPOOL3X3, CONV3X3, CONV1X1)
#: NASLib's ``convert_to_cell`` gives padding vertices this op
_PAD_OP = CONV3X3
_MAX_PATH = MAX_VERTICES - 2
_CACHE = 1 << 16
#: the 7-vertex form's upper-triangle (i, j) pairs, row-major (NASLib's onehot order)
_EDGES = tuple((int(i), int(j)) for i, j in zip(*np.triu_indices(MAX_VERTICES, k=1), strict=True))
_DECISIONS = tuple(Decision(f"edge_{i}_{j}", (0, 1)) for i, j in _EDGES) + tuple(
    Decision(f"op_{v}", OPS) for v in range(1, MAX_VERTICES - 1)
)


def _broken(arch: Any, rule: str) -> InvalidArchitectureError:
    """:func:`invalid`, with the rule kept on the error (``err.rule``) for re-wording."""
    err = invalid(arch, rule)
    err.rule = rule  # type: ignore[attr-defined]
    return err


class NB101Cell(NamedTuple):
    """A (raw) NB101 cell: ``matrix[i][j] = 1`` for an edge i -> j, and one op per vertex."""

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    @property
    def num_vertices(self) -> int:
        return len(self.ops)

    @property
    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    def array(self) -> np.ndarray:
        """The adjacency matrix as an ``(n, n)`` int8 array."""
        n = len(self.ops)
        return np.array(self.matrix, dtype=np.int8).reshape(n, n)


def _cell(matrix: np.ndarray, ops: tuple[str, ...]) -> NB101Cell:
    return NB101Cell(tuple(tuple(int(b) for b in row) for row in np.asarray(matrix)), tuple(ops))


def _op_label(op: Any) -> str | None:
    if isinstance(op, str):
        return op if op in _LABELS else None
    if isinstance(op, (int, np.integer)) and not isinstance(op, (bool, np.bool_)):
        return NASLIB_CODES[int(op)] if 0 <= int(op) < len(NASLIB_CODES) else None
    return None


def _normalise(arch: Any) -> NB101Cell:
    """Shape, entries, triangularity and op labels checked; the raw cell as an NB101Cell."""
    if isinstance(arch, Mapping) and {"matrix", "ops"} <= set(arch):
        matrix, ops = arch["matrix"], arch["ops"]
    elif isinstance(arch, (tuple, list)) and len(arch) == 2:
        matrix, ops = arch
    else:
        raise _broken(arch, "expected an NB101Cell, a (matrix, ops) pair or a key string")
    try:
        m = np.asarray(matrix)
    except (ValueError, TypeError):
        raise _broken(arch, "matrix is not square (ragged rows)") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise _broken(arch, f"matrix is not square (shape {m.shape})")
    n = m.shape[0]
    if n < 2:
        raise _broken(arch, f"a cell needs at least 2 vertices (input and output), got {n}")
    if m.dtype.kind not in "biuf" or not np.isin(m, (0, 1)).all():
        raise _broken(arch, "matrix entries must be 0 or 1")
    m = m.astype(np.int8)
    if np.any(np.tril(m)):
        raise _broken(arch, "matrix is not strictly upper triangular (edges must go i -> j > i)")
    if isinstance(ops, str) or not hasattr(ops, "__len__") or len(ops) != n:
        raise _broken(arch, f"ops must give one op label or code per vertex ({n})")
    labels = tuple(_op_label(op) for op in ops)
    for op, label in zip(ops, labels, strict=True):
        if label is None:
            raise _broken(
                arch,
                f"unknown op {op!r} (labels {list(NASLIB_CODES)}, or their codes 0..4: "
                "0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu)",
            )
    if labels[0] != INPUT or labels[-1] != OUTPUT:
        raise _broken(arch, "the first op must be 'input' and the last 'output'")
    if INPUT in labels[1:] or OUTPUT in labels[:-1]:
        raise _broken(arch, "'input' and 'output' may only label the first and last vertex")
    return _cell(m, labels)


@lru_cache(maxsize=_CACHE)
def _normalise_cached(arch: NB101Cell) -> NB101Cell:
    return _normalise(arch)


@lru_cache(maxsize=_CACHE)
def _pruned(cell: NB101Cell) -> NB101Cell:
    """The pruned form of a normalised cell, or the error of the NB101 rule it breaks."""
    matrix, ops = prune_matrix(cell.array(), cell.ops)
    if len(ops) < 2:
        raise _broken(cell, "the input does not reach the output")
    edges = int(matrix.sum())
    if edges > MAX_EDGES:
        raise _broken(cell, f"more than {MAX_EDGES} edges after pruning ({edges})")
    if len(ops) > MAX_VERTICES:
        raise _broken(cell, f"more than {MAX_VERTICES} vertices after pruning ({len(ops)})")
    return _cell(matrix, ops)


@lru_cache(maxsize=_CACHE)
def _canonical(pruned: NB101Cell) -> NB101Cell:
    matrix, codes = canonical_form(pruned.array(), tuple(_CODE[op] for op in pruned.ops))
    return _cell(matrix, tuple(NASLIB_CODES[c] for c in codes))


def pad_to_seven(cell: NB101Cell) -> NB101Cell:
    """A pruned cell of n < 7 vertices as NASLib's 7-vertex ``convert_to_cell`` writes it.

    Vertices 0..n-2 keep their place, the output moves to vertex 6 (with its in-edges), and
    the padding vertices n-1..5 get no edge and the op ``conv3x3-bn-relu``.
    """
    n = cell.num_vertices
    if n >= MAX_VERTICES:
        return cell
    src = cell.array()
    matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
    matrix[: n - 1, : n - 1] = src[: n - 1, : n - 1]
    matrix[: n - 1, -1] = src[: n - 1, -1]
    ops = cell.ops[:-1] + (_PAD_OP,) * (MAX_VERTICES - n) + (OUTPUT,)
    return _cell(matrix, ops)


class NB101Space(SearchSpace):
    """NAS-Bench-101 on CIFAR-10 (see the module docstring); cells are :class:`NB101Cell`."""

    name = "nb101"
    tasks = {"cifar10": Task("cifar10", (3, 32, 32), 10)}
    default_task = "cifar10"
    enumerable = False
    encodings = ("onehot", "path", "graph", "opcount", "padded")
    graph_ops = OPS
    max_nodes = MAX_VERTICES

    # ---------------------------------------------------------------- parse / print
    def parse(self, text: str) -> NB101Cell:
        """A NASLib key ``"(b_00, ..., b_(n-1)(n-1), code_0, ..., code_(n-1))"`` (raw)."""
        if not isinstance(text, str):
            raise _broken(text, "expected a key string")
        body = text.strip()
        parts = body[1:-1].split(",") if body.startswith("(") and body.endswith(")") else []
        if not parts or not all(_INT.fullmatch(p) for p in parts):
            raise _broken(text, "malformed text: expected '(' integers separated by ', ' ')'")
        ints = [int(p) for p in parts]
        n = (math.isqrt(4 * len(ints) + 1) - 1) // 2
        if n < 2 or n * n + n != len(ints):
            raise _broken(
                text,
                f"wrong number of ints ({len(ints)}): expected n*n matrix bits then n op codes "
                "(56 for 7 vertices)",
            )
        matrix = np.array(ints[: n * n]).reshape(n, n)
        codes = ints[n * n :]
        for code in codes:
            if not 0 <= code < len(NASLIB_CODES):
                raise _broken(
                    text,
                    f"unknown op code {code} (0 input, 1 output, 2 maxpool3x3, "
                    "3 conv1x1-bn-relu, 4 conv3x3-bn-relu)",
                )
        try:
            return self.validate((matrix, codes))
        except InvalidArchitectureError as err:
            raise _broken(text, getattr(err, "rule", str(err))) from None

    def to_str(self, arch: Any) -> str:
        """NASLib's key string of the raw cell (``parse(to_str(a)) == a``)."""
        cell = self.coerce(arch)
        values = [b for row in cell.matrix for b in row] + [_CODE[op] for op in cell.ops]
        return "(" + ", ".join(str(v) for v in values) + ")"

    def validate(self, arch: Any) -> NB101Cell:
        """An NB101Cell, a ``(matrix, ops)`` pair or a ``{"matrix", "ops"}`` dict (matrix nested
        lists or an array, ops labels or NASLib codes), checked; the raw cell as an NB101Cell."""
        try:
            cell = _normalise_cached(arch) if isinstance(arch, NB101Cell) else _normalise(arch)
        except TypeError:  # an NB101Cell holding lists
            cell = _normalise(arch)
        _pruned(cell)
        return cell

    # ---------------------------------------------------------------- identity
    def prune(self, arch: Any) -> NB101Cell:
        """The cell without its vertices on no input -> output path (NB101's rule)."""
        return _pruned(self.coerce(arch))

    def canonical(self, arch: Any) -> NB101Cell:
        """The pruned cell relabelled to the smallest (matrix bits, op codes) of its class.

        Every order of the interior vertices that keeps the matrix upper triangular is tried;
        matrices compare row-major, then op codes (NASLib's) in vertex order.
        """
        return _canonical(self.prune(arch))

    def nb101_hash(self, arch: Any) -> str:
        """NB101's own hash of the pruned cell (``graph_util.hash_module``; the API's key)."""
        cell = self.prune(arch)
        return nb101_hash(cell.array(), cell.ops)

    # ---------------------------------------------------------------- sampling and moves
    def sample(
        self, n: int, random_state: int | np.random.Generator | None = None
    ) -> list[NB101Cell]:
        """Raw 7-vertex cells as nasbench's random spec draws them: random upper-triangular bits
        and interior ops, redrawn until valid."""
        rng = as_rng(random_state)
        out: list[NB101Cell] = []
        while len(out) < n:
            matrix = np.triu(rng.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1)
            inner = rng.integers(0, len(OPS), size=MAX_VERTICES - 2)
            ops = (INPUT, *(OPS[int(k)] for k in inner), OUTPUT)
            cell = _cell(matrix, ops)
            try:
                _pruned(cell)
            except InvalidArchitectureError:
                continue
            out.append(cell)
        return out

    def neighbours(self, arch: Any) -> list[NB101Cell]:
        """Moves on the pruned cell, each result valid and none equal to it.

        In order: every other op on each interior vertex; every single upper-triangle bit flip
        (row-major); and, while the cell has fewer than 7 vertices, every insertion of a new
        vertex (each op) on a new path u -> new -> w, placed right after u. In NB101's fixed
        7-vertex form an insertion is two bit flips and an op; without it the input -> output
        cell (a tenth of NASLib's NB101 keys prune to it) would have no neighbour at all.
        A flip may leave dead vertices: such neighbours are raw cells, as NB101 allows.
        """
        raw = self.coerce(arch)
        cell = _pruned(raw)
        n = cell.num_vertices
        matrix = cell.array()
        candidates: list[NB101Cell] = []
        for v in range(1, n - 1):
            for op in OPS:
                if op != cell.ops[v]:
                    candidates.append(
                        NB101Cell(cell.matrix, cell.ops[:v] + (op,) + cell.ops[v + 1 :])
                    )
        for i in range(n - 1):
            for j in range(i + 1, n):
                flipped = matrix.copy()
                flipped[i, j] ^= 1
                candidates.append(_cell(flipped, cell.ops))
        if n < MAX_VERTICES:
            for u in range(n - 1):
                grown = np.insert(np.insert(matrix, u + 1, 0, axis=0), u + 1, 0, axis=1)
                for w in range(u + 2, n + 1):
                    added = grown.copy()
                    added[u, u + 1] = added[u + 1, w] = 1
                    for op in OPS:
                        candidates.append(
                            _cell(added, cell.ops[: u + 1] + (op,) + cell.ops[u + 1 :])
                        )
        found: dict[NB101Cell, None] = {}
        for candidate in candidates:
            if candidate in (cell, raw) or candidate in found:
                continue
            try:
                _pruned(candidate)
            except InvalidArchitectureError:
                continue
            found[candidate] = None
        return list(found)

    def mutate(self, arch: Any, random_state: int | np.random.Generator | None = None) -> NB101Cell:
        """NASLib's mutation: flip each upper-triangle bit with probability 1/7 and change each
        interior op with probability 1/3 (to another op), redrawn until valid.

        It acts on the 7-vertex form (the raw cell, or the pruned one padded as
        :func:`pad_to_seven`), so dead vertices can come alive. The child is also redrawn
        until it is a different cell (another canonical form) from ``arch``.
        """
        rng = as_rng(random_state)
        cell = self.coerce(arch)
        base = cell if cell.num_vertices == MAX_VERTICES else pad_to_seven(self.prune(cell))
        own = self.canonical(cell)
        matrix = base.array()
        rows, cols = np.triu_indices(MAX_VERTICES, k=1)
        for _ in range(10_000):
            child = matrix.copy()
            flip = rng.random(len(rows)) < 1.0 / MAX_VERTICES
            child[rows[flip], cols[flip]] ^= 1
            ops = list(base.ops)
            for v in range(1, MAX_VERTICES - 1):
                if rng.random() < 1.0 / len(OPS):
                    others = [op for op in OPS if op != ops[v]]
                    ops[v] = others[int(rng.integers(len(others)))]
            candidate = _cell(child, tuple(ops))
            try:
                if _canonical(_pruned(candidate)) != own:
                    return candidate
            except InvalidArchitectureError:
                continue
        logger.warning("mutate: no valid child of %s in 10000 draws; using a neighbour", arch)
        return super().mutate(cell, rng)

    # ---------------------------------------------------------------- decisions (Optuna)
    def decisions(self) -> tuple[Decision, ...]:
        """The 7-vertex form: ``edge_<i>_<j>`` (0 or 1) for each of the 21 edges i -> j > i
        (row-major), then ``op_<v>`` (an interior op label) for the vertices v = 1..5."""
        return _DECISIONS

    def to_decisions(self, arch: Any) -> dict[str, Any]:
        """The decisions of the pruned cell padded to 7 vertices (:func:`pad_to_seven`)."""
        cell = pad_to_seven(self.prune(arch))
        values: dict[str, Any] = {f"edge_{i}_{j}": cell.matrix[i][j] for i, j in _EDGES}
        values.update({f"op_{v}": cell.ops[v] for v in range(1, MAX_VERTICES - 1)})
        return values

    def from_decisions(self, values: Mapping[str, Any]) -> NB101Cell:
        """The raw 7-vertex cell of the decisions; NB101's rules (input reaches output, at
        most 9 edges after pruning) apply as in :meth:`validate`."""
        values = checked_decisions(self, values)
        matrix = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=np.int8)
        for i, j in _EDGES:
            matrix[i, j] = int(values[f"edge_{i}_{j}"])
        ops = (INPUT, *(values[f"op_{v}"] for v in range(1, MAX_VERTICES - 1)), OUTPUT)
        try:
            return self.validate(_cell(matrix, ops))
        except InvalidArchitectureError as err:
            rule = getattr(err, "rule", str(err))
            raise InvalidArchitectureError(f"decisions of {self.name!r}: {rule}") from None

    # ---------------------------------------------------------------- graphs and encodings
    def graphs(self, arch: Any) -> tuple[CellDAG, ...]:
        """The pruned cell as one DAG (labels 'input', op labels, 'output')."""
        cell = self.prune(arch)
        return (CellDAG(cell.array().astype(bool), cell.ops),)

    def encode(self, arch: Any, name: str) -> np.ndarray:
        """``onehot`` (36), ``path`` (364) or the defaults ``graph``, ``opcount``, ``padded``.

        ``onehot`` is NASLib's ``encode_adj`` (the study's adjacency one-hot): the 21
        upper-triangle bits of the 7x7 matrix row-major, then per interior vertex 1..5 a
        one-hot over (maxpool3x3, conv3x3-bn-relu, conv1x1-bn-relu). It encodes the *pruned*
        cell; one of fewer than 7 vertices is first padded as NASLib's ``convert_to_cell``
        does (:func:`pad_to_seven`: output moved to vertex 6, padding vertices edge-less with
        conv3x3-bn-relu). NASLib itself encodes whichever 7x7 matrix it holds, raw for sampled
        cells, so raw cells with dead vertices can differ there.

        ``path`` is the binary BANANAS path encoding: 1 where some input -> output path of the
        pruned cell carries that op sequence, over the 3^0 + ... + 3^5 = 364 sequences of
        length 0..5, ordered as :func:`features.encodings.path_index` with the ops in
        :attr:`graph_ops` order (not NASLib's column order).
        """
        self._check_encoding(name)
        if name == "onehot":
            cell = pad_to_seven(self.prune(arch))
            bits = cell.array()[np.triu_indices(MAX_VERTICES, k=1)].astype(np.float32)
            ops = np.zeros((MAX_VERTICES - 2, len(_ONEHOT_OPS)), dtype=np.float32)
            for v, op in enumerate(cell.ops[1:-1]):
                ops[v, _ONEHOT_OPS.index(op)] = 1.0
            return np.concatenate([bits, ops.ravel()])
        if name == "path":
            (dag,) = self.graphs(arch)
            vec = np.zeros(path_encoding_size(len(OPS), _MAX_PATH), dtype=np.float32)
            for labels in dag.paths():
                vec[path_index([OPS.index(op) for op in labels], len(OPS))] = 1.0
            return vec
        return super().encode(arch, name)

    def encoding_names(self, name: str) -> list[str] | None:
        if name == "onehot":
            edges = [
                f"edge({i},{j})" for i, j in zip(*np.triu_indices(MAX_VERTICES, k=1), strict=True)
            ]
            ops = [f"op{v}={op}" for v in range(1, MAX_VERTICES - 1) for op in _ONEHOT_OPS]
            return edges + ops
        if name == "path":
            names = [""] * path_encoding_size(len(OPS), _MAX_PATH)
            for length in range(_MAX_PATH + 1):
                for seq in np.ndindex(*([len(OPS)] * length)):
                    names[path_index(seq, len(OPS))] = "path(" + ">".join(OPS[k] for k in seq) + ")"
            return names
        return super().encoding_names(name)

    # ---------------------------------------------------------------- networks
    def network(self, arch: Any, task: str | Task | None = None, **options: Any):
        """NB101's network of the pruned cell (:mod:`omni.spaces.nb101.network`).

        Options: ``stem_channels`` (128), ``num_stacks`` (3), ``cells_per_stack`` (3); the
        defaults reproduce the published parameter counts. The task gives the input channels
        and the number of classes.
        """
        spec = self.task(task)
        allowed = {"stem_channels", "num_stacks", "cells_per_stack"}
        unknown = set(options) - allowed
        if unknown:
            raise OmniError(
                f"unknown NB101 network options {sorted(unknown)}; known {sorted(allowed)}"
            )
        cell = self.prune(arch)
        return build_network(cell.array(), cell.ops, spec.input_shape, spec.num_outputs, **options)


__all__ = ["NB101Cell", "NB101Space", "pad_to_seven"]
