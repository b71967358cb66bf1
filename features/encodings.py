"""Architecture encodings over the generic :class:`~features.dag.CellDAG`.

Every encoder takes the op vocabulary explicitly (the space knows it, this module does not), so
columns line up across architectures of one space:

- :func:`onehot` -- upper-triangular adjacency bits + one-hot op per node (White et al. 2020,
  "A Study on Encodings for NAS"); for NAS-Bench-201 its op part is the study's 6 x 5 one-hot.
- :func:`path_encoding` -- how many input -> output paths carry each op sequence (BANANAS,
  White et al. 2021); lengths 0..``max_length``, sequences indexed in base ``len(ops)``.
- :func:`op_counts` -- how many nodes carry each op.
- :func:`padded_dag` -- adjacency and one-hot ops padded to ``max_nodes`` (GCN / arch2vec input).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from features.dag import INPUT, OUTPUT, CellDAG
from features.errors import OmniError


def _op_index(ops: Sequence[str]) -> dict[str, int]:
    index = {op: i for i, op in enumerate(ops)}
    if len(index) != len(ops):
        raise OmniError(f"op vocabulary has duplicates: {list(ops)}")
    return index


def _inner_op_ids(dag: CellDAG, index: dict[str, int]) -> list[int]:
    try:
        return [index[op] for op in dag.ops[1:-1]]
    except KeyError as err:
        raise OmniError(f"op {err.args[0]!r} is not in the vocabulary {list(index)}") from None


def onehot(dag: CellDAG, ops: Sequence[str]) -> np.ndarray:
    """Adjacency bits (strict upper triangle, row-major) then a one-hot row per inner node."""
    index = _op_index(ops)
    ids = _inner_op_ids(dag, index)
    adj_bits = dag.adjacency[np.triu_indices(dag.num_nodes, k=1)].astype(np.float32)
    op_bits = np.zeros((len(ids), len(ops)), dtype=np.float32)
    op_bits[np.arange(len(ids)), ids] = 1.0
    return np.concatenate([adj_bits, op_bits.ravel()])


def path_encoding_size(num_ops: int, max_length: int) -> int:
    """Number of distinct op sequences of length 0..max_length."""
    return sum(num_ops**k for k in range(max_length + 1))


def path_index(sequence: Sequence[int], num_ops: int) -> int:
    """Column of one op sequence: sequences of shorter length come first."""
    offset = path_encoding_size(num_ops, len(sequence) - 1) if sequence else 0
    code = 0
    for op in sequence:
        code = code * num_ops + op
    return offset + code


def path_encoding(dag: CellDAG, ops: Sequence[str], max_length: int) -> np.ndarray:
    """Count of input -> output paths per op sequence (ops of the path's inner nodes, in order)."""
    index = _op_index(ops)
    vec = np.zeros(path_encoding_size(len(ops), max_length), dtype=np.float32)
    for labels in dag.paths():
        if len(labels) > max_length:
            raise OmniError(f"path of length {len(labels)} exceeds max_length={max_length}")
        try:
            seq = [index[op] for op in labels]
        except KeyError as err:
            raise OmniError(f"op {err.args[0]!r} is not in the vocabulary {list(ops)}") from None
        vec[path_index(seq, len(ops))] += 1.0
    return vec


def op_counts(dag: CellDAG, ops: Sequence[str]) -> np.ndarray:
    """Number of inner nodes carrying each op of the vocabulary."""
    ids = _inner_op_ids(dag, _op_index(ops))
    return np.bincount(np.asarray(ids, dtype=int), minlength=len(ops)).astype(np.float32)


def padded_dag(dag: CellDAG, ops: Sequence[str], max_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """(adjacency padded to max_nodes x max_nodes, one-hot ops padded to max_nodes x vocab).

    The vocabulary used for the one-hot is ``["input", "output", *ops]``; the output node is
    kept last so that graphs of different sizes align at both ends.
    """
    n = dag.num_nodes
    if n > max_nodes:
        raise OmniError(f"cell has {n} nodes, more than max_nodes={max_nodes}")
    vocab = _op_index([INPUT, OUTPUT, *ops])
    adj = np.zeros((max_nodes, max_nodes), dtype=np.float32)
    labels = np.zeros((max_nodes, len(vocab)), dtype=np.float32)
    position = list(range(n - 1)) + [max_nodes - 1]
    for a in range(n):
        for b in np.flatnonzero(dag.adjacency[a]):
            adj[position[a], position[int(b)]] = 1.0
    for node, op in enumerate(dag.ops):
        if op not in vocab:
            raise OmniError(f"op {op!r} is not in the vocabulary {list(vocab)}")
        labels[position[node], vocab[op]] = 1.0
    return adj, labels


ENCODERS = ("onehot", "path", "opcount", "padded")
