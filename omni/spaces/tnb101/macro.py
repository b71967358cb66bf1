"""TransNAS-Bench-101 macro (Duan et al., CVPR 2021): a sequence of 4 to 6 ResNet modules.

An architecture is a tuple of module codes: 1 keeps the shape, 2 doubles the width, 3 halves the
resolution, 4 both. Valid: 4 to 6 modules, 1 to 4 of them halve the resolution (codes 3, 4),
1 to 3 double the width (codes 2, 4) -- 3,256 architectures. Order matters and no two
architectures are isomorphic, so :meth:`~TNB101MacroSpace.canonical` is the identity.

Strings: the form is TNB's ``"64-1133-basic"``; NASLib's key ``"(1, 1, 3, 3, 0, 0)"`` (six codes,
0 = no module, only as padding at the end) parses too.

Moves: change one module's code, insert a module anywhere, delete one; each kept when valid.
DAG: a chain input -> one node per module (labelled ``module_<code>``) -> output.
Encodings: ``onehot`` (6 positions x 5 codes, 0 = no module: 30 columns), ``graph``,
``opcount``, ``padded`` (the chain padded to 8 nodes).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from torch import nn

from features.dag import INPUT, OUTPUT, CellDAG
from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.base import (
    Decision,
    SearchSpace,
    Task,
    as_rng,
    checked_decisions,
    int_tuple,
    invalid,
)
from omni.spaces.tnb101.network import (
    MODULE_CODES,
    TNB_TASKS,
    basic_block,
    build_network,
    resolve_task,
)

MacroArch = tuple[int, ...]

MIN_MODULES, MAX_MODULES = 4, 6
MIN_REDUCTIONS, MAX_REDUCTIONS = 1, 4
MIN_DOUBLINGS, MAX_DOUBLINGS = 1, 3
BASE = "64"
_DECISIONS = (
    Decision("length", tuple(range(MIN_MODULES, MAX_MODULES + 1))),
    *(Decision(f"module_{p}", MODULE_CODES) for p in range(MAX_MODULES)),
)


class TNB101MacroSpace(SearchSpace):
    """TransNAS-Bench-101 macro: module-code sequences (see the module docstring)."""

    name = "tnb101-macro"
    tasks = dict(TNB_TASKS)
    default_task = "class_scene"
    enumerable = True
    encodings = ("onehot", "graph", "opcount", "padded")
    graph_ops = tuple(f"module_{c}" for c in MODULE_CODES)
    max_nodes = MAX_MODULES + 2

    def __init__(self) -> None:
        self._all: tuple[MacroArch, ...] | None = None

    # ---------------------------------------------------------------- strings
    def parse(self, text: str) -> MacroArch:
        """TNB arch string ``64-<codes>-basic`` or NASLib key ``(m1, ..., m6)``."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"expected an architecture string, got {type(text)}")
        s = text.strip()
        if s.startswith("("):
            return self.from_naslib_key(s)
        parts = s.split("-")
        if len(parts) != 3 or parts[2] != "basic":
            raise invalid(text, f"a TNB macro string reads '{BASE}-<module codes>-basic'")
        if parts[0] != BASE:
            raise invalid(
                text,
                f"this space's networks start at width {BASE} (choose the width "
                "with network(..., base_channels=))",
            )
        if not parts[1].isdigit():
            raise invalid(text, "module codes must be digits 1..4, e.g. '64-1133-basic'")
        return self.validate(tuple(int(c) for c in parts[1]))

    def from_naslib_key(self, key: str) -> MacroArch:
        """``"(1, 1, 3, 3, 0, 0)"`` -> ``(1, 1, 3, 3)``."""
        codes = int_tuple(key, MAX_MODULES, "(1, 1, 3, 3, 0, 0)")
        return self.validate(codes)

    def to_str(self, arch: Any) -> str:
        """TNB's architecture string ``64-<codes>-basic``."""
        return f"{BASE}-{''.join(str(c) for c in self.coerce(arch))}-basic"

    def to_naslib_key(self, arch: Any) -> str:
        """NASLib's key: six codes, zero-padded."""
        codes = self.coerce(arch)
        padded = codes + (0,) * (MAX_MODULES - len(codes))
        return "(" + ", ".join(str(c) for c in padded) + ")"

    def validate(self, arch: Any) -> MacroArch:
        """A module-code sequence checked against the rules (trailing zeros are padding)."""
        if isinstance(arch, str):
            return self.parse(arch)
        try:
            items = tuple(arch)
        except TypeError:
            raise InvalidArchitectureError(f"not an architecture: {arch!r}") from None
        if not all(isinstance(c, int | np.integer) and not isinstance(c, bool) for c in items):
            raise invalid(arch, "module codes must be integers 1..4")
        codes = [int(c) for c in items]
        while codes and codes[-1] == 0:
            codes.pop()
        bad = [c for c in codes if c not in (0, *MODULE_CODES)]
        if bad:
            raise invalid(
                arch,
                f"module code {bad[0]} is not 1 (keep), 2 (double width), 3 (halve resolution) "
                "or 4 (both)",
            )
        if 0 in codes:
            raise invalid(arch, "0 (no module) may only pad the end of the sequence")
        if not MIN_MODULES <= len(codes) <= MAX_MODULES:
            raise invalid(arch, f"needs {MIN_MODULES} to {MAX_MODULES} modules, has {len(codes)}")
        reductions = sum(c in (3, 4) for c in codes)
        if not MIN_REDUCTIONS <= reductions <= MAX_REDUCTIONS:
            raise invalid(
                arch,
                f"needs {MIN_REDUCTIONS} to {MAX_REDUCTIONS} modules that halve the resolution "
                f"(codes 3, 4), has {reductions}",
            )
        doublings = sum(c in (2, 4) for c in codes)
        if not MIN_DOUBLINGS <= doublings <= MAX_DOUBLINGS:
            raise invalid(
                arch,
                f"needs {MIN_DOUBLINGS} to {MAX_DOUBLINGS} modules that double the width "
                f"(codes 2, 4), has {doublings}",
            )
        return tuple(codes)

    # ---------------------------------------------------------------- identity
    def canonical(self, arch: Any) -> MacroArch:
        """The architecture itself (a sequence space has no isomorphs)."""
        return self.coerce(arch)

    # ---------------------------------------------------------------- enumeration and moves
    def all_archs(self) -> Iterable[MacroArch]:
        """Every architecture: by length, then lexicographically."""
        if self._all is None:
            found = []
            for n in range(MIN_MODULES, MAX_MODULES + 1):
                for codes in itertools.product(MODULE_CODES, repeat=n):
                    if self.is_valid(codes):
                        found.append(codes)
            self._all = tuple(found)
        return iter(self._all)

    @property
    def size(self) -> int:
        """3,256."""
        if self._all is None:
            self.all_archs()
        assert self._all is not None
        return len(self._all)

    def sample(
        self, n: int, random_state: int | np.random.Generator | None = None
    ) -> list[MacroArch]:
        """``n`` architectures drawn uniformly from the 3,256 (with replacement)."""
        rng = as_rng(random_state)
        archs = tuple(self.all_archs())
        return [archs[int(k)] for k in rng.integers(0, len(archs), size=n)]

    def neighbours(self, arch: Any) -> list[MacroArch]:
        """Valid architectures one change away: a module's code changed, a module inserted at
        any position, or a module deleted (in that order, without repeats)."""
        codes = self.coerce(arch)
        candidates: list[tuple[int, ...]] = []
        for k, current in enumerate(codes):
            candidates += [codes[:k] + (c,) + codes[k + 1 :] for c in MODULE_CODES if c != current]
        if len(codes) < MAX_MODULES:
            for k in range(len(codes) + 1):
                candidates += [codes[:k] + (c,) + codes[k:] for c in MODULE_CODES]
        if len(codes) > MIN_MODULES:
            candidates += [codes[:k] + codes[k + 1 :] for k in range(len(codes))]
        seen = {codes}
        out = []
        for cand in candidates:
            if cand not in seen and self.is_valid(cand):
                seen.add(cand)
                out.append(cand)
        return out

    # ---------------------------------------------------------------- decisions (Optuna)
    def decisions(self) -> tuple[Decision, ...]:
        """``length`` (4, 5 or 6 modules) and ``module_<p>`` (code 1..4) for p = 0..5;
        positions from ``length`` on are ignored (:meth:`to_decisions` fills them with 1)."""
        return _DECISIONS

    def to_decisions(self, arch: Any) -> dict[str, Any]:
        codes = self.coerce(arch)
        padded = codes + (MODULE_CODES[0],) * (MAX_MODULES - len(codes))
        return {"length": len(codes), **{f"module_{p}": c for p, c in enumerate(padded)}}

    def from_decisions(self, values: Mapping[str, Any]) -> MacroArch:
        values = checked_decisions(self, values)
        return self.validate(tuple(values[f"module_{p}"] for p in range(values["length"])))

    # ---------------------------------------------------------------- graphs and encodings
    def graphs(self, arch: Any) -> tuple[CellDAG]:
        """A chain: input -> ``module_<code>`` per module -> output."""
        codes = self.coerce(arch)
        n = len(codes) + 2
        adj = np.zeros((n, n), dtype=bool)
        adj[np.arange(n - 1), np.arange(1, n)] = True
        return (CellDAG(adj, (INPUT, *(f"module_{c}" for c in codes), OUTPUT)),)

    def encode(self, arch: Any, name: str) -> np.ndarray:
        """``onehot``: per position 0..5 a one-hot over codes 0 (no module) .. 4; the others as
        :meth:`SearchSpace.encode`."""
        if name != "onehot":
            return super().encode(arch, name)
        codes = self.coerce(arch)
        padded = codes + (0,) * (MAX_MODULES - len(codes))
        vec = np.zeros((MAX_MODULES, len(MODULE_CODES) + 1), dtype=np.float32)
        vec[np.arange(MAX_MODULES), padded] = 1.0
        return vec.ravel()

    def encoding_names(self, name: str) -> list[str] | None:
        if name == "onehot":
            return [
                f"pos{k}:{'none' if c == 0 else f'module_{c}'}"
                for k in range(MAX_MODULES)
                for c in range(len(MODULE_CODES) + 1)
            ]
        return super().encoding_names(name)

    # ---------------------------------------------------------------- network
    def network(
        self,
        arch: Any,
        task: str | Task | None = None,
        base_channels: int = 64,
        reference_shortcut_bn: bool = True,
        **options: Any,
    ) -> nn.Module:
        """The TNB macro network: stem, two ResNet basic blocks per module, task head.

        Defaults reproduce the published parameter counts exactly; ``reference_shortcut_bn``
        keeps the reference's shortcut BatchNorm settings (eps=1, momentum=1, see
        :mod:`omni.spaces.tnb101.network`).
        """
        if options:
            raise OmniError(
                f"unknown network options {sorted(options)}; "
                "this space takes base_channels and reference_shortcut_bn"
            )
        spec = resolve_task(self, task)
        block = basic_block(reference_shortcut_bn)
        return build_network(self.coerce(arch), block, spec, base_channels)


__all__ = ["TNB101MacroSpace"]
