"""Search spaces, looked up by name: ``omni.spaces.get("nb201")``.

A new ops-on-edges space is one line: ``register(CellSpace("mine", num_nodes=5, ops=[...]))``.
"""

from __future__ import annotations

from features.errors import OmniError
from omni.spaces.cell_space import Arch, CellSpace
from omni.spaces.nb201 import NB201Space

_REGISTRY: dict[str, CellSpace] = {}


def register(space: CellSpace, overwrite: bool = False) -> CellSpace:
    """Make ``space`` available to :func:`get` under ``space.name``."""
    if space.name in _REGISTRY and not overwrite:
        raise OmniError(f"a space named {space.name!r} is already registered")
    _REGISTRY[space.name] = space
    return space


def get(name: str) -> CellSpace:
    """The registered space called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise OmniError(f"unknown space {name!r}; registered: {sorted(_REGISTRY)}") from None


def names() -> list[str]:
    return sorted(_REGISTRY)


register(NB201Space())

__all__ = ["Arch", "CellSpace", "NB201Space", "get", "names", "register"]
