"""The library's exception hierarchy.

It lives in the bottom layer so that every layer can raise it; ``omni`` re-exports it.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as SklearnNotFittedError


class OmniError(Exception):
    """Base class of every error the library raises on purpose."""


class InvalidInputError(OmniError, ValueError):
    """Arrays of the wrong shape, type or content given to a model."""


class InvalidArchitectureError(OmniError, ValueError):
    """An architecture string or object that a space rejects."""


class DataFormatError(OmniError, ValueError):
    """A benchmark file whose layout is not what its reader expects."""


class BudgetError(OmniError, ValueError):
    """No plan fits the requested time budget."""


class NotFittedError(OmniError, SklearnNotFittedError):
    """A model was used before it was fitted (scikit-learn's ``NotFittedError`` too)."""
