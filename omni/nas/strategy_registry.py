"""A registry of strategy classes by their ``name`` attribute: the one shape behind
``omni.nas.strategies`` (full trainings) and ``omni.nas.fidelity_strategies`` (epochs)."""

from __future__ import annotations

import copy
from typing import Any, Generic, TypeVar

from features.errors import OmniError

T = TypeVar("T")


class StrategyRegistry(Generic[T]):
    """Name -> class; ``kind`` names the entries in error messages ("strategy", ...)."""

    def __init__(self, kind: str, base: type[T]) -> None:
        self.kind = kind
        self.base = base
        self._classes: dict[str, type[T]] = {}

    def register(self, cls: type[T], overwrite: bool = False) -> type[T]:
        """Make ``cls`` available under ``cls.name``; returns it (usable as a decorator)."""
        name = getattr(cls, "name", "")
        if not name:
            raise OmniError(f"{cls.__name__} has no name")
        if name in self._classes and not overwrite:
            raise OmniError(f"a {self.kind} named {name!r} is already registered")
        self._classes[name] = cls
        return cls

    def get(self, name: str) -> type[T]:
        """The class registered as ``name``."""
        try:
            return self._classes[name]
        except KeyError:
            raise OmniError(f"unknown {self.kind} {name!r}; registered: {self.names()}") from None

    def make(self, name: str, **params: Any) -> T:
        """A new instance; ``params`` go to its constructor."""
        cls = self.get(name)
        try:
            return cls(**params)
        except TypeError as err:
            raise OmniError(f"{self.kind} {name!r}: {err}") from None

    def resolve(self, strategy: T | str) -> T:
        """A new instance for a name, a private copy of an instance (the caller's object is
        never shared between searchers)."""
        if isinstance(strategy, str):
            return self.make(strategy)
        if isinstance(strategy, self.base):
            return copy.deepcopy(strategy)
        raise OmniError(f"strategy must be a name or a {self.base.__name__}, got {strategy!r}")

    def names(self) -> list[str]:
        return list(self._classes)

    def __contains__(self, name: object) -> bool:
        return name in self._classes
