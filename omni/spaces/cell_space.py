"""A generic search space of cells whose operations sit on the edges of a fixed DAG.

One implementation of the :class:`~omni.spaces.base.SearchSpace` contract. A user declares a
space in one line -- the number of nodes and the op names -- and gets parsing, printing,
validation, sampling, mutation, neighbourhoods, canonicalisation, the generic DAG that
``features.encodings`` consumes and a NAS-Bench-201-style network. NAS-Bench-201 is one instance
(4 nodes, 5 ops); TransNAS-Bench-101 micro another.

An architecture is a tuple of op names, one per edge, edges ordered by target node and then by
source node: ``(1<-0), (2<-0), (2<-1), (3<-0), ...``. Its string form is NAS-Bench-201's
``|op~0|+|op~0|op~1|+|...|``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from features import encodings
from features.dag import INPUT, OUTPUT, CellDAG
from features.errors import InvalidArchitectureError, OmniError
from features.graph_features import graph_features
from omni.spaces.base import Decision, SearchSpace, Task, as_rng, checked_decisions

Arch = tuple[str, ...]

#: image-classification tasks of a NAS-Bench-201-style network
IMAGE_TASKS = {
    "cifar10": Task("cifar10", (3, 32, 32), 10),
    "cifar100": Task("cifar100", (3, 32, 32), 100),
    "ImageNet16-120": Task("ImageNet16-120", (3, 16, 16), 120),
}


class CellSpace(SearchSpace):
    """Ops-on-edges cell space with ``num_nodes`` nodes (node 0 input, last node output).

    ``none_op`` names the op that removes an edge (it may be ``None`` when the space has none);
    it drives canonicalisation: an op on an edge that lies on no input -> output path of
    non-``none`` edges cannot affect the output and is replaced by ``none_op``. ``tasks``
    defaults to CIFAR-10/100 and ImageNet16-120 (``default_task`` CIFAR-10).
    ``network_factory(arch, task, **options) -> nn.Module`` replaces the NAS-Bench-201 skeleton.
    """

    enumerable = True
    encodings = ("onehot", "path", "opcount", "graph", "padded")

    def __init__(
        self,
        name: str,
        num_nodes: int,
        ops: Sequence[str],
        none_op: str | None = "none",
        max_path_length: int | None = None,
        tasks: Mapping[str, Task] | None = None,
        default_task: str | None = None,
        network_factory: Callable[..., Any] | None = None,
    ) -> None:
        if num_nodes < 2:
            raise OmniError(f"a cell needs at least 2 nodes, got {num_nodes}")
        if len(set(ops)) != len(ops) or not ops:
            raise OmniError(f"ops must be distinct and non-empty, got {list(ops)}")
        if none_op is not None and none_op not in ops:
            raise OmniError(f"none_op {none_op!r} is not one of the ops {list(ops)}")
        self.name = name
        self.num_nodes = num_nodes
        self.ops = tuple(ops)
        self.none_op = none_op
        self.edges = tuple((i, j) for j in range(1, num_nodes) for i in range(j))
        self.max_path_length = max_path_length or (num_nodes - 1)
        self._op_id = {op: k for k, op in enumerate(self.ops)}
        self.tasks = dict(IMAGE_TASKS if tasks is None else tasks)
        self.default_task = default_task or next(iter(self.tasks), None)
        self.graph_ops = self.path_ops
        self.max_nodes = self.num_edges + 2
        self.network_factory = network_factory

    def __repr__(self) -> str:
        return f"CellSpace({self.name!r}, num_nodes={self.num_nodes}, ops={list(self.ops)})"

    @property
    def num_edges(self) -> int:
        return len(self.edges)

    # ---------------------------------------------------------------- parse / print
    def parse(self, text: str) -> Arch:
        """Parse the string form; raises :class:`InvalidArchitectureError` with the reason."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"expected an architecture string, got {type(text)}")
        s = text.strip()
        nodes = s.split("+")
        if len(nodes) != self.num_nodes - 1:
            raise InvalidArchitectureError(
                f"{text!r}: expected {self.num_nodes - 1} '+'-separated node groups "
                f"like '|op~0|+|op~0|op~1|', found {len(nodes)}"
            )
        ops: list[str] = []
        for j, group in enumerate(nodes, start=1):
            g = group.strip()
            if not (g.startswith("|") and g.endswith("|")):
                raise InvalidArchitectureError(f"{text!r}: node group {g!r} must be '|...|'")
            items = [t for t in g[1:-1].split("|")]
            if len(items) != j:
                raise InvalidArchitectureError(
                    f"{text!r}: node {j} must have {j} inputs, found {len(items)}"
                )
            for i, item in enumerate(items):
                op, sep, src = item.partition("~")
                if not sep or src != str(i):
                    raise InvalidArchitectureError(
                        f"{text!r}: edge {item!r} into node {j} must read 'op~{i}'"
                    )
                if op not in self._op_id:
                    raise InvalidArchitectureError(
                        f"{text!r}: unknown op {op!r}; this space knows {list(self.ops)}"
                    )
                ops.append(op)
        return tuple(ops)

    def to_str(self, arch: Arch | str) -> str:
        """The string form ``|op~0|+|op~0|op~1|+...``."""
        arch = self.coerce(arch)
        groups = []
        for j in range(1, self.num_nodes):
            items = [f"{arch[self.edges.index((i, j))]}~{i}" for i in range(j)]
            groups.append("|" + "|".join(items) + "|")
        return "+".join(groups)

    def validate(self, arch: Iterable[str]) -> Arch:
        """An op sequence checked against the space; returns the op tuple."""
        if isinstance(arch, str):
            return self.parse(arch)
        try:
            ops = tuple(arch)
        except TypeError:
            raise InvalidArchitectureError(f"not an architecture: {arch!r}") from None
        if len(ops) != self.num_edges:
            raise InvalidArchitectureError(
                f"{ops!r}: expected {self.num_edges} edge ops for space {self.name!r}"
            )
        for op in ops:
            if op not in self._op_id:
                raise InvalidArchitectureError(
                    f"{ops!r}: unknown op {op!r}; this space knows {list(self.ops)}"
                )
        return ops

    def op_ids(self, arch: Arch | str) -> tuple[int, ...]:
        """Op indices (into ``self.ops``) per edge."""
        return tuple(self._op_id[op] for op in self.coerce(arch))

    def from_op_ids(self, ids: Sequence[int]) -> Arch:
        if len(ids) != self.num_edges or any(not 0 <= int(k) < len(self.ops) for k in ids):
            raise InvalidArchitectureError(f"{tuple(ids)!r}: not {self.num_edges} op indices")
        return tuple(self.ops[int(k)] for k in ids)

    def decisions(self) -> tuple[Decision, ...]:
        """One op per edge, named ``edge_<j>_<i>`` (the edge into node j from node i)."""
        return tuple(Decision(f"edge_{j}_{i}", self.ops) for i, j in self.edges)

    def to_decisions(self, arch: Arch | str) -> dict[str, Any]:
        return {d.name: op for d, op in zip(self.decisions(), self.coerce(arch), strict=True)}

    def from_decisions(self, values: Mapping[str, Any]) -> Arch:
        values = checked_decisions(self, values)
        return self.validate(values[d.name] for d in self.decisions())

    def all_archs(self) -> Iterable[Arch]:
        """Every op assignment, in op-index order (only sensible for small spaces)."""
        for ids in itertools.product(range(len(self.ops)), repeat=self.num_edges):
            yield self.from_op_ids(ids)

    # ---------------------------------------------------------------- canonical form
    def prune(self, arch: Arch | str) -> Arch:
        """Replace ops on edges that lie on no input -> output path of live edges by none."""
        arch = self.coerce(arch)
        if self.none_op is None:
            return arch
        n = self.num_nodes
        live = {e for e, op in zip(self.edges, arch, strict=True) if op != self.none_op}
        reach = {0}
        for j in range(1, n):
            if any((i, j) in live and i in reach for i in range(j)):
                reach.add(j)
        coreach = {n - 1}
        for i in range(n - 2, -1, -1):
            if any((i, j) in live and j in coreach for j in range(i + 1, n)):
                coreach.add(i)
        return tuple(
            op if (e in live and e[0] in reach and e[1] in coreach) else self.none_op
            for e, op in zip(self.edges, arch, strict=True)
        )

    def canonical(self, arch: Arch | str) -> Arch:
        """One representative per isomorphism class of pruned cells.

        Relabellings of the inner nodes that keep every live edge pointing forward map a cell to
        an isomorph; the representative is the one with the smallest op-index tuple.
        """
        pruned = self.prune(arch)
        best = self.op_ids(pruned)
        if self.none_op is None:  # every edge live: no non-trivial relabelling stays forward
            return pruned
        inner = list(range(1, self.num_nodes - 1))
        edge_pos = {e: k for k, e in enumerate(self.edges)}
        for perm in itertools.permutations(inner):
            if list(perm) == inner:
                continue
            relabel = {0: 0, self.num_nodes - 1: self.num_nodes - 1}
            relabel.update(dict(zip(inner, perm, strict=True)))
            ids = [self._op_id[self.none_op]] * self.num_edges
            ok = True
            for (i, j), op in zip(self.edges, pruned, strict=True):
                if op == self.none_op:
                    continue
                a, b = relabel[i], relabel[j]
                if a >= b:
                    ok = False
                    break
                ids[edge_pos[(a, b)]] = self._op_id[op]
            if ok and tuple(ids) < best:
                best = tuple(ids)
        return self.from_op_ids(best)

    # ---------------------------------------------------------------- sampling
    @property
    def size(self) -> int:
        """Number of distinct op assignments (before canonicalisation)."""
        return len(self.ops) ** self.num_edges

    def sample(self, n: int, random_state: int | np.random.Generator | None = None) -> list[Arch]:
        """``n`` architectures drawn uniformly (with replacement) from all op assignments."""
        rng = as_rng(random_state)
        ids = rng.integers(0, len(self.ops), size=(n, self.num_edges))
        return [self.from_op_ids(row) for row in ids]

    def neighbours(self, arch: Arch | str) -> list[Arch]:
        """Every architecture that differs from ``arch`` in exactly one edge op."""
        arch = self.coerce(arch)
        out = []
        for k, current in enumerate(arch):
            for op in self.ops:
                if op != current:
                    out.append(arch[:k] + (op,) + arch[k + 1 :])
        return out

    # ---------------------------------------------------------------- encodings
    def graphs(self, arch: Arch | str) -> tuple[CellDAG]:
        """One DAG: see :meth:`cell`."""
        return (self.cell(arch),)

    def cell(self, arch: Arch | str) -> CellDAG:
        """The generic DAG: input, one node per edge (labelled with its op), output.

        ``none`` edges become isolated nodes (kept so that positions line up across cells).
        """
        arch = self.coerce(arch)
        m = self.num_edges
        adj = np.zeros((m + 2, m + 2), dtype=bool)
        live = [op != self.none_op for op in arch]
        for a, (i, j) in enumerate(self.edges):
            if not live[a]:
                continue
            if i == 0:
                adj[0, a + 1] = True
            if j == self.num_nodes - 1:
                adj[a + 1, m + 1] = True
            for b, (k, _) in enumerate(self.edges):
                if k == j and live[b]:
                    adj[a + 1, b + 1] = True
        return CellDAG(adj, (INPUT, *arch, OUTPUT))

    @property
    def path_ops(self) -> tuple[str, ...]:
        """The vocabulary of path encodings: every op but none."""
        return tuple(op for op in self.ops if op != self.none_op)

    def encode(self, arch: Arch | str, name: str) -> np.ndarray:
        """``onehot`` (adjacency bits + one-hot op per edge-node, over every op), ``path``
        (path counts over the non-none ops), ``opcount`` (over every op), ``graph`` (graph
        features over the non-none ops), ``padded`` (adjacency and labels of every node)."""
        self._check_encoding(name)
        dag = self.cell(arch)
        if name == "onehot":
            return encodings.onehot(dag, self.ops)
        if name == "path":
            return encodings.path_encoding(dag, self.path_ops, self.max_path_length)
        if name == "opcount":
            return encodings.op_counts(dag, self.ops)
        if name == "graph":
            return graph_features(dag, self.path_ops)
        adj, ops = encodings.padded_dag(dag, self.ops, dag.num_nodes)
        return np.concatenate([adj.ravel(), ops.ravel()])

    def network(self, arch: Arch | str, task: str | Task | None = None, **options: Any):
        """The NAS-Bench-201-style torch network of a cell (see :mod:`omni.spaces.networks`);
        ``options``: ``channels``, ``cells_per_stage``. A ``network_factory`` builds it instead."""
        from omni.spaces.networks import build_network

        task = self.task(task)
        if self.network_factory is not None:
            return self.network_factory(self.coerce(arch), task, **options)
        if len(task.input_shape) != 3:
            raise OmniError(f"task {task.name!r}: a cell network takes (C, H, W) images")
        return build_network(self, self.coerce(arch), task.num_outputs, task.input_shape, **options)
