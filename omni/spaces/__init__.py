"""Search spaces, looked up by name: ``omni.spaces.get("nb201")``.

Every space implements the :class:`SearchSpace` contract; callers hold the contract only.
A new ops-on-edges space is one line: ``register(CellSpace("mine", num_nodes=5, ops=[...]))``;
any other shape is a :class:`SearchSpace` subclass. :func:`~omni.spaces.checks.check_space`
tests that a space keeps the contract.

Spaces of the user's own reach the ``omni`` command without touching the library: list
modules (importable names or ``.py`` paths) that call :func:`register` in the environment
variable ``OMNI_SPACES`` (comma-separated), or publish a ``SearchSpace`` under the entry-point
group ``omni.spaces`` of a package.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from importlib.metadata import entry_points
from pathlib import Path

from features.errors import OmniError
from omni.spaces.base import Arch, Decision, SearchSpace, Task
from omni.spaces.cell_space import CellSpace
from omni.spaces.darts import DartsSpace
from omni.spaces.nb101 import NB101Space
from omni.spaces.nb201 import NB201Space
from omni.spaces.nlp import NLPSpace
from omni.spaces.tnb101 import TNB101MacroSpace, TNB101MicroSpace

_REGISTRY: dict[str, SearchSpace] = {}
_ALIASES: dict[str, str] = {}
_LOADED_PLUGINS: set[str] = set()
PLUGIN_VARIABLE = "OMNI_SPACES"
ENTRY_POINT_GROUP = "omni.spaces"


def register(
    space: SearchSpace, overwrite: bool = False, aliases: tuple[str, ...] = ()
) -> SearchSpace:
    """Make ``space`` available to :func:`get` under ``space.name`` (and ``aliases``)."""
    if not isinstance(space, SearchSpace):
        raise OmniError(f"register() takes a SearchSpace, got {type(space).__name__}")
    if space.name in _REGISTRY and not overwrite:
        raise OmniError(f"a space named {space.name!r} is already registered")
    _REGISTRY[space.name] = space
    for alias in aliases:
        _ALIASES[alias] = space.name
    return space


def load_plugins() -> None:
    """Import the modules of ``OMNI_SPACES`` and register the ``omni.spaces`` entry points
    (each once); :class:`OmniError` when one cannot be loaded."""
    for item in filter(None, (t.strip() for t in os.environ.get(PLUGIN_VARIABLE, "").split(","))):
        if item in _LOADED_PLUGINS:
            continue
        _LOADED_PLUGINS.add(item)
        try:
            if item.endswith(".py"):
                path = Path(item).resolve()
                spec = importlib.util.spec_from_file_location(f"omni_space_{path.stem}", path)
                if spec is None or spec.loader is None or not path.is_file():
                    raise FileNotFoundError(item)
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
            else:
                importlib.import_module(item)
        except Exception as err:  # a user's module may fail in any way: report which one
            raise OmniError(
                f"{PLUGIN_VARIABLE}: could not load space module {item!r}: {err}"
            ) from err
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if f"ep:{ep.value}" in _LOADED_PLUGINS:
            continue
        _LOADED_PLUGINS.add(f"ep:{ep.value}")
        obj = ep.load()
        space = obj() if callable(obj) and not isinstance(obj, SearchSpace) else obj
        if space.name not in _REGISTRY:
            register(space)


def get(name: str | SearchSpace) -> SearchSpace:
    """The registered space called ``name`` (a space is returned as is)."""
    if isinstance(name, SearchSpace):
        return name
    if not isinstance(name, str):
        raise OmniError(f"space must be a SearchSpace or a registered name, got {name!r}")
    if _ALIASES.get(name, name) not in _REGISTRY:
        load_plugins()
    try:
        return _REGISTRY[_ALIASES.get(name, name)]
    except (KeyError, TypeError):
        raise OmniError(f"unknown space {name!r}; registered: {sorted(_REGISTRY)}") from None


def names() -> list[str]:
    load_plugins()
    return sorted(_REGISTRY)


def is_registered(name: str) -> bool:
    if _ALIASES.get(name, name) not in _REGISTRY:
        load_plugins()
    return _ALIASES.get(name, name) in _REGISTRY


register(NB201Space(), aliases=("nasbench201",))
register(NB101Space(), aliases=("nasbench101",))
register(DartsSpace(), aliases=("nasbench301", "nb301"))
register(TNB101MicroSpace(), aliases=("transbench101_micro",))
register(TNB101MacroSpace(), aliases=("transbench101_macro",))
register(NLPSpace(), aliases=("nasbenchnlp", "nb-nlp"))

__all__ = [
    "Arch",
    "CellSpace",
    "Decision",
    "NB201Space",
    "NLPSpace",
    "TNB101MacroSpace",
    "TNB101MicroSpace",
    "SearchSpace",
    "Task",
    "get",
    "is_registered",
    "names",
    "register",
]
