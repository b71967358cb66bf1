"""A one-shot supernet of an ops-on-edges cell space, assembled through the space contract.

The supernet holds, at every edge of every cell of the space's reference skeleton, one
candidate module per op of the space's vocabulary; a *path* (one op per edge, i.e. an
architecture) picks which candidate runs. Training samples a path per step (single-path
one-shot, Guo et al. 2020); scoring fixes one path and reads the sub-network with the weights it
inherits.

Nothing here knows a skeleton's shapes. The supernet is assembled from networks the space
itself builds (``space.network(arch, task, **options)``):

1. one *uniform* network per op ``k`` (op ``k`` on every edge), built for real under the seed:
   their modules are the candidates;
2. the *slots* are the module paths where the uniform networks disagree (types, parameter
   shapes or settings differ): everything else is the shared skeleton, taken from the first;
3. the edge of each slot comes from *probe* networks built on the meta device (no memory, no
   random numbers): the architecture with op ``k`` on edge ``e`` and op 0 elsewhere differs
   from uniform network 0 exactly at edge ``e``'s slots.

The assembly checks that every difference between a probe and uniform network 0 lies in a slot,
that each slot belongs to exactly one edge and that a probe's slot module equals the uniform
network's: so the sub-network of a path *is* ``space.network(path)`` with inherited weights
(:meth:`Supernet.subnet_state_dict` loads into it). A skeleton whose shared parts depend on the
ops (say, a width that grows with the live edges) is refused with an :class:`OmniError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.base import SearchSpace, Task
from omni.spaces.cell_space import CellSpace


class ChoiceOp(nn.Module):
    """The candidates of one slot (one per op of the space, in op order); ``active`` runs."""

    def __init__(self, candidates: Sequence[nn.Module], edge: int) -> None:
        super().__init__()
        self.candidates = nn.ModuleList(candidates)
        self.edge = int(edge)
        self.active = 0

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.candidates[self.active](*args, **kwargs)

    def extra_repr(self) -> str:
        return f"edge={self.edge}, active={self.active}"


def require_cell_space(space: SearchSpace) -> CellSpace:
    """``space`` when it is an ops-on-edges cell space, else the :class:`OmniError` saying so."""
    if not isinstance(space, CellSpace):
        raise OmniError(
            f"weight sharing needs an ops-on-edges cell space (a CellSpace such as 'nb201' or "
            f"'tnb101-micro'); space {getattr(space, 'name', space)!r} is not one"
        )
    return space


class Supernet(nn.Module):
    """Every architecture of ``space`` in one module (see the module docstring).

    ``task`` and ``network_options`` are what ``space.network`` takes (the skeleton's width,
    depth, ...). The weights are initialised as the space initialises its networks, under the
    caller's torch seed. ``forward`` runs the current path (:meth:`set_path`).
    """

    def __init__(
        self,
        space: SearchSpace,
        task: str | Task | None = None,
        network_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.space = require_cell_space(space)
        self.task = space.task(task)
        self.network_options = dict(network_options or {})
        body, slots = _assemble(self.space, self.task, self.network_options)
        self.body = body
        self.slot_paths = tuple(slots)
        self.slots = [body.get_submodule(p) for p in self.slot_paths]
        self.path: tuple[int, ...] = (0,) * self.space.num_edges

    @property
    def num_ops(self) -> int:
        return len(self.space.ops)

    @property
    def num_edges(self) -> int:
        return self.space.num_edges

    def set_path(self, arch: Any) -> None:
        """Run architecture ``arch`` (string, op tuple, or a sequence of op indices)."""
        ids = self._op_ids(arch)
        for slot in self.slots:
            slot.active = ids[slot.edge]
        self.path = ids

    def _op_ids(self, arch: Any) -> tuple[int, ...]:
        if isinstance(arch, np.ndarray) or (
            isinstance(arch, Sequence)
            and not isinstance(arch, str)
            and all(isinstance(v, int | np.integer) for v in arch)
        ):
            try:
                return self.space.op_ids(self.space.from_op_ids([int(v) for v in arch]))
            except InvalidArchitectureError as err:
                raise InvalidArchitectureError(
                    f"not an architecture of space {self.space.name!r}: {err}"
                ) from None
        return self.space.op_ids(check_arch(self.space, arch))

    def sample_path(self, rng: np.random.Generator) -> tuple[int, ...]:
        """One op index per edge, uniformly (the single-path sampling of SPOS)."""
        return tuple(int(v) for v in rng.integers(0, self.num_ops, size=self.num_edges))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def subnet_state_dict(self, arch: Any) -> dict[str, torch.Tensor]:
        """The weights ``arch`` inherits, keyed as ``space.network(arch, task, **options)``'s
        ``state_dict``: load them into that network to run the sub-network on its own."""
        ids = self._op_ids(arch)
        chosen = {p: ids[s.edge] for p, s in zip(self.slot_paths, self.slots, strict=True)}
        out = {}
        for key, value in self.body.state_dict().items():
            slot = next((p for p in self.slot_paths if key.startswith(p + ".")), None)
            if slot is None:
                out[key] = value
                continue
            _, k, rest = key[len(slot) + 1 :].split(".", 2)  # candidates.<k>.<name>
            if int(k) == chosen[slot]:
                out[f"{slot}.{rest}"] = value
        return out


# ---------------------------------------------------------------------------- assembly
def _signature(module: nn.Module) -> tuple:
    """What makes two modules interchangeable, children aside: type, own tensors, children's
    names and -- for a leaf -- its settings (a container's ``extra_repr`` may list its
    children's ops, which the children's own signatures already compare)."""
    children = tuple(n for n, _ in module.named_children())
    return (
        type(module),
        "" if children else module.extra_repr(),
        tuple((n, tuple(p.shape)) for n, p in module.named_parameters(recurse=False)),
        tuple((n, tuple(b.shape)) for n, b in module.named_buffers(recurse=False) if b is not None),
        children,
    )


def _same(a: nn.Module, b: nn.Module) -> bool:
    """Equal structure all the way down (types, settings, tensor shapes)."""
    if _signature(a) != _signature(b):
        return False
    return all(
        _same(ca, cb)
        for (_, ca), (_, cb) in zip(a.named_children(), b.named_children(), strict=True)
    )


def _diverging(modules: Sequence[nn.Module], path: str = "") -> list[str]:
    """The topmost module paths where ``modules`` stop being the same (see :func:`_same`):
    a path whose modules differ in their own signature, or whose children differ."""
    first = modules[0]
    if all(_same(first, m) for m in modules[1:]):
        return []
    if any(_signature(m) != _signature(first) for m in modules[1:]) or not list(
        first.named_children()
    ):
        return [path]
    out = []
    for name, _ in first.named_children():
        out += _diverging(
            [m.get_submodule(name) for m in modules], f"{path}.{name}" if path else name
        )
    return out


def _within(path: str, slots: Sequence[str]) -> str | None:
    return next((s for s in slots if path == s or path.startswith(s + ".")), None)


def _assemble(
    space: CellSpace, task: Task, options: Mapping[str, Any]
) -> tuple[nn.Module, list[str]]:
    ops, edges = space.ops, space.num_edges
    if len(ops) < 2:
        raise OmniError(f"space {space.name!r} has one op: every edge is fixed, nothing to share")
    uniform = [space.network((op,) * edges, task, **options) for op in ops]
    slots = _diverging(uniform)
    if not slots or "" in slots:
        raise OmniError(
            f"space {space.name!r}: its networks do not differ only at the edges' ops, so no "
            "supernet can share their skeleton"
        )
    edge_of: dict[str, int] = {}
    with torch.device("meta"):
        for e in range(edges):
            for k in range(1, len(ops)):
                arch = tuple(ops[k] if i == e else ops[0] for i in range(edges))
                probe = space.network(arch, task, **options)
                for path in _diverging([uniform[0], probe]):
                    slot = _within(path, slots)
                    if slot is None:
                        raise OmniError(
                            f"space {space.name!r}: op {ops[k]!r} on edge {e} changes module "
                            f"{path!r} of the skeleton, outside the edges' ops; no supernet "
                            "can share it"
                        )
                    if edge_of.setdefault(slot, e) != e:
                        raise OmniError(
                            f"space {space.name!r}: module {slot!r} depends on edges "
                            f"{edge_of[slot]} and {e}; a supernet needs one op module per edge"
                        )
                    if not _same(probe.get_submodule(slot), uniform[k].get_submodule(slot)):
                        raise OmniError(
                            f"space {space.name!r}: the module of op {ops[k]!r} at {slot!r} "
                            "depends on the ops of other edges"
                        )
    unowned = [s for s in slots if s not in edge_of]
    if unowned:
        raise OmniError(f"space {space.name!r}: modules {unowned} belong to no edge")
    body = uniform[0]
    for slot in slots:
        parent_path, _, name = slot.rpartition(".")
        parent = body.get_submodule(parent_path) if parent_path else body
        choice = ChoiceOp([net.get_submodule(slot) for net in uniform], edge_of[slot])
        parent.register_module(name, choice)  # replaces the child (ModuleList items too)
    return body, slots


def check_arch(space: SearchSpace, arch: Any) -> tuple[str, ...]:
    """``arch`` as an op tuple of ``space``, or :class:`InvalidArchitectureError`."""
    try:
        return require_cell_space(space).coerce(arch)
    except InvalidArchitectureError as err:
        raise InvalidArchitectureError(
            f"not an architecture of space {space.name!r}: {err}"
        ) from None


__all__ = ["ChoiceOp", "Supernet", "check_arch", "require_cell_space"]
