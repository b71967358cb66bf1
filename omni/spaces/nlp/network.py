"""The NAS-Bench-NLP language model (Klyuchnikov et al. 2022): an AWD-style stack of custom cells.

Skeleton (defaults reproduce the ``num_params`` of every NAS-Bench-NLP WikiText-2 log): a token
embedding (``vocab_size x emsize``); ``nlayers`` recurrent layers that all run the same cell
recipe, layer ``l`` reading ``emsize`` (l = 0) or ``nhid`` features and holding ``nhid`` features
per hidden state (``emsize`` in the last layer when tied); a decoder whose weight is the embedding
when ``tied`` (only its bias of ``vocab_size`` is new).

Inside a cell every ``linear`` node has one weight matrix per input (``hidden x input size``; the
size is the layer's input size for ``x``, its hidden size otherwise) and one bias; the other ops
have no parameters. The cell keeps ``k`` hidden states, ``k - 1`` the largest ``i`` of an output
``h_new_<i>``; ``h_new_i`` becomes ``h_prev_i`` at the next step and ``h_new_0`` is also the
layer's output at that step. Nodes that no output reads are built and counted as in the release.

Regularisation as in AWD-LSTM, none of it with parameters of its own: embedding row dropout
(``dropoute``), locked (per sequence) dropout on the embedding (``dropouti``), between layers
(``dropouth``) and on the last layer's output (``dropout``), and DropConnect (``wdrop``) on the
weights a linear node applies to non-``x`` inputs, one mask per sequence. All of it is off in
eval mode. Every module works on the ``meta`` device, so parameters can be counted without
allocating.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from features.errors import InvalidInputError
from omni.spaces.nlp.cell import cell_from_recipe

_ACTIVATIONS = {
    "activation_tanh": nn.Tanh,
    "activation_sigm": nn.Sigmoid,
    "activation_leaky_relu": nn.LeakyReLU,
}
Node = tuple[str, str, tuple[str, ...]]


def cell_nodes(recipe: Mapping[str, Mapping[str, Any]]) -> tuple[list[Node], int]:
    """The op nodes of ``recipe`` in evaluation order, and its number of hidden states.

    The recipe is checked by :func:`omni.spaces.nlp.cell.cell_from_recipe` (the space's rules);
    a bad one raises its :class:`InvalidArchitectureError`.
    """
    cell = cell_from_recipe(recipe)
    spec = {name: (op, inputs) for name, op, inputs in cell.nodes}
    return [(name, *spec[name]) for name in cell.topological_order()], cell.num_hidden


def locked_dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Dropout of (seq, batch, features) with one mask per sequence, shared over time."""
    if not training or not p:
        return x
    mask = x.new_empty(1, x.shape[1], x.shape[2]).bernoulli_(1 - p) / (1 - p)
    return x * mask


class TokenEmbedding(nn.Embedding):
    """An embedding that drops whole rows (words) with probability ``dropoute`` in training."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dropoute: float = 0.0) -> None:
        super().__init__(num_embeddings, embedding_dim)
        self.dropoute = float(dropoute)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        weight = self.weight
        if self.training and self.dropoute:
            keep = weight.new_empty(weight.shape[0], 1).bernoulli_(1 - self.dropoute)
            weight = weight * keep / (1 - self.dropoute)
        return F.embedding(tokens, weight)


class CellLinear(nn.Linear):
    """An ``nn.Linear`` that can apply a given (e.g. weight-dropped) copy of its weight."""

    def forward(self, x: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        return F.linear(x, self.weight if weight is None else weight, self.bias)


class LinearNode(nn.Module):
    """A ``linear`` node: ``sum_i W_i a_i + b``, one weight per input, the bias on the first."""

    def __init__(self, in_sizes: Sequence[int], out_size: int, dropped: Sequence[bool]) -> None:
        super().__init__()
        self.parts = nn.ModuleList(
            CellLinear(n, out_size, bias=i == 0) for i, n in enumerate(in_sizes)
        )
        self.dropped = tuple(bool(d) for d in dropped)

    def weights(self, wdrop: float) -> list[torch.Tensor | None]:
        """This sequence's weights: DropConnect on the non-``x`` inputs (None = as is)."""
        if not self.training or not wdrop:
            return [None] * len(self.parts)
        return [
            F.dropout(part.weight, wdrop, True) if d else None
            for part, d in zip(self.parts, self.dropped, strict=True)
        ]

    def forward(self, args: Sequence[torch.Tensor], weights: Sequence[Any]) -> torch.Tensor:
        out = self.parts[0](args[0], weights[0])
        for part, a, w in zip(self.parts[1:], args[1:], weights[1:], strict=True):
            out = out + part(a, w)
        return out


def _apply(op: str, args: Sequence[torch.Tensor]) -> torch.Tensor:
    if op == "blend":
        gate, a, b = args
        return gate * a + (1 - gate) * b
    if op == "elementwise_sum":
        return args[0] + args[1]
    return args[0] * args[1]  # elementwise_prod


class RecurrentLayer(nn.Module):
    """One recurrent layer running a recipe's cell over a (seq, batch, input) sequence."""

    def __init__(
        self,
        recipe: Mapping[str, Mapping[str, Any]],
        input_size: int,
        hidden_size: int,
        wdrop: float = 0.0,
    ) -> None:
        super().__init__()
        nodes, self.num_states = cell_nodes(recipe)
        self.input_size, self.hidden_size, self.wdrop = input_size, hidden_size, float(wdrop)
        self.nodes = tuple(nodes)
        modules: list[nn.Module] = []
        for _, op, args in self.nodes:
            if op == "linear":
                sizes = [input_size if a == "x" else hidden_size for a in args]
                modules.append(LinearNode(sizes, hidden_size, [a != "x" for a in args]))
            elif op in _ACTIVATIONS:
                modules.append(_ACTIVATIONS[op]())
            else:
                modules.append(nn.Identity())  # parameter-free op, applied by _apply
        self.ops = nn.ModuleList(modules)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in +-1/sqrt(hidden_size), as the release's CustomRNN."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        batch = xs.shape[1]
        states = [xs.new_zeros(batch, self.hidden_size) for _ in range(self.num_states)]
        weights = [m.weights(self.wdrop) if isinstance(m, LinearNode) else None for m in self.ops]
        outputs = []
        for x in xs.unbind(0):
            values = {"x": x, **{f"h_prev_{i}": s for i, s in enumerate(states)}}
            for (name, op, args), module, w in zip(self.nodes, self.ops, weights, strict=True):
                inputs = [values[a] for a in args]
                if op == "linear":
                    values[name] = module(inputs, w)
                elif op in _ACTIVATIONS:
                    values[name] = module(inputs[0])
                else:
                    values[name] = _apply(op, inputs)
            states = [values[f"h_new_{i}"] for i in range(self.num_states)]
            outputs.append(states[0])
        return torch.stack(outputs, 0)


class CustomRNNModel(nn.Module):
    """Embedding, ``nlayers`` :class:`RecurrentLayer` s, decoder: tokens in, logits out."""

    def __init__(
        self,
        recipe: Mapping[str, Mapping[str, Any]],
        vocab_size: int = 33278,
        emsize: int = 400,
        nhid: int = 600,
        nlayers: int = 3,
        dropout: float = 0.1,
        dropouth: float = 0.25,
        dropouti: float = 0.4,
        dropoute: float = 0.0,
        wdrop: float = 0.1,
        tied: bool = True,
    ) -> None:
        super().__init__()
        if min(vocab_size, emsize, nhid, nlayers) < 1:
            raise InvalidInputError(
                f"vocab_size, emsize, nhid and nlayers must be >= 1, "
                f"got {vocab_size}, {emsize}, {nhid}, {nlayers}"
            )
        self.vocab_size = int(vocab_size)
        self.dropout, self.dropouth, self.dropouti = dropout, dropouth, dropouti
        self.encoder = TokenEmbedding(vocab_size, emsize, dropoute)
        sizes = [emsize] + [nhid] * (nlayers - 1) + [emsize if tied else nhid]
        self.layers = nn.ModuleList(
            RecurrentLayer(recipe, sizes[i], sizes[i + 1], wdrop) for i in range(nlayers)
        )
        self.decoder = nn.Linear(sizes[-1], vocab_size)
        if tied:
            self.decoder.weight = self.encoder.weight
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        if not tied:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """(seq_len, batch) token ids -> (seq_len, batch, vocab_size) logits, zero initial state."""
        if tokens.dim() != 2 or tokens.is_floating_point():
            raise InvalidInputError(
                f"expected integer token ids of shape (seq_len, batch), got "
                f"{tuple(tokens.shape)} {tokens.dtype}"
            )
        h = locked_dropout(self.encoder(tokens), self.dropouti, self.training)
        for i, layer in enumerate(self.layers):
            p = self.dropouth if i < len(self.layers) - 1 else self.dropout
            h = locked_dropout(layer(h), p, self.training)
        seq, batch, width = h.shape
        return self.decoder(h.reshape(seq * batch, width)).reshape(seq, batch, -1)


def build_rnn(recipe: Mapping[str, Mapping[str, Any]], **options: Any) -> CustomRNNModel:
    """The NAS-Bench-NLP language model of a parsed ``recipe`` (node -> {"op", "input"});
    ``options`` are :class:`CustomRNNModel`'s sizes and dropouts, whose defaults are the
    WikiText-2 settings of the benchmark's logs. Raises :class:`InvalidArchitectureError` for an
    invalid recipe (see :func:`cell_nodes`)."""
    return CustomRNNModel(recipe, **options)


__all__ = [
    "CellLinear",
    "CustomRNNModel",
    "LinearNode",
    "RecurrentLayer",
    "TokenEmbedding",
    "build_rnn",
    "cell_nodes",
    "locked_dropout",
]
