"""TransNAS-Bench-101 micro (Duan et al., CVPR 2021): a 4-node cell, 4 ops on its 6 edges.

An architecture is the op tuple of :class:`~omni.spaces.cell_space.CellSpace` (edges by target
node, then source: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 -- TNB's cell-string order). All
4^6 = 4,096 cells are in the benchmark; canonical forms are CellSpace's (dead edges -> none,
the 1<->2 relabelling).

Strings: the form is TNB's architecture string ``"64-41414-3_00_022"`` (op codes 0 none,
1 skip_connect, 2 nor_conv_1x1, 3 nor_conv_3x3; one group per target node); NASLib's key
``"(3, 0, 0, 0, 2, 2)"`` (the same codes in the same order) and the NAS-Bench-201-style
``|op~0|+|op~0|op~1|+|...|`` parse too.

Encodings: CellSpace's (``onehot`` there is 28 adjacency bits of the 8-node edge-DAG plus 6 x 4
op bits = 52 columns) and ``edge-onehot``, the study's 6 edges x 4 ops = 24 columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import nn

from features.errors import InvalidArchitectureError, OmniError
from omni.spaces.base import Task, int_tuple
from omni.spaces.cell_space import Arch, CellSpace
from omni.spaces.tnb101.network import (
    EDGE_OPS,
    TNB_TASKS,
    build_network,
    micro_block,
    parse_structure,
    resolve_task,
)

MICRO_OPS = EDGE_OPS
"""Op names; the index is TNB's op code."""
BASE = "64"
STRUCTURE = "41414"


class TNB101MicroSpace(CellSpace):
    """TransNAS-Bench-101 micro, with TNB arch-string and NASLib key conversions."""

    encodings = (*CellSpace.encodings, "edge-onehot")

    def __init__(self) -> None:
        super().__init__(
            "tnb101-micro",
            num_nodes=4,
            ops=MICRO_OPS,
            none_op="none",
            tasks=TNB_TASKS,
            default_task="class_scene",
        )

    # ---------------------------------------------------------------- strings
    def parse(self, text: str) -> Arch:
        """TNB arch string, NASLib key or NB201-style string."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"expected an architecture string, got {type(text)}")
        s = text.strip()
        if s.startswith("("):
            return self.from_naslib_key(s)
        if "-" in s and "|" not in s:
            return self.from_arch_string(s)
        return super().parse(text)

    def from_naslib_key(self, key: str) -> Arch:
        """``"(3, 0, 0, 0, 2, 2)"`` -> op tuple (TNB op codes in cell-string order)."""
        codes = int_tuple(key, self.num_edges, "(3, 0, 0, 0, 2, 2)")
        return self._from_codes(codes, key)

    def from_arch_string(self, text: str) -> Arch:
        """``"64-41414-3_00_022"`` -> op tuple."""
        parts = text.strip().split("-")
        if len(parts) != 3:
            raise InvalidArchitectureError(
                f"{text!r}: a TNB micro string reads '{BASE}-{STRUCTURE}-a_bc_def'"
            )
        base, structure, cell = parts
        if cell == "basic":
            raise InvalidArchitectureError(
                f"{text!r}: a macro (ResNet-block) string; it belongs to space 'tnb101-macro'"
            )
        if (base, structure) != (BASE, STRUCTURE):
            raise InvalidArchitectureError(
                f"{text!r}: this space's networks are '{BASE}-{STRUCTURE}-...' (choose width "
                "and modules with network(..., base_channels=, structure=))"
            )
        groups = cell.split("_")
        if [len(g) for g in groups] != list(range(1, self.num_nodes)):
            raise InvalidArchitectureError(
                f"{text!r}: the cell part must be groups of 1, 2, 3 op codes like '3_00_022'"
            )
        if not all(c.isdigit() for g in groups for c in g):
            raise InvalidArchitectureError(f"{text!r}: op codes must be digits 0..3")
        return self._from_codes([int(c) for g in groups for c in g], text)

    def _from_codes(self, codes: Sequence[int], text: str) -> Arch:
        bad = [c for c in codes if not 0 <= c < len(self.ops)]
        if bad:
            raise InvalidArchitectureError(
                f"{text!r}: op codes must be 0 none, 1 skip_connect, 2 nor_conv_1x1, "
                f"3 nor_conv_3x3; got {bad[0]}"
            )
        return tuple(self.ops[c] for c in codes)

    def codes(self, arch: Arch | str) -> tuple[int, ...]:
        """TNB op codes per edge (cell-string order)."""
        return self.op_ids(arch)

    def to_str(self, arch: Arch | str) -> str:
        """TNB's architecture string ``64-41414-a_bc_def``."""
        codes = "".join(str(c) for c in self.codes(arch))
        return f"{BASE}-{STRUCTURE}-{codes[0]}_{codes[1:3]}_{codes[3:6]}"

    def to_naslib_key(self, arch: Arch | str) -> str:
        """NASLib's key ``"(a, b, c, d, e, f)"``."""
        return "(" + ", ".join(str(c) for c in self.codes(arch)) + ")"

    def to_nb201_str(self, arch: Arch | str) -> str:
        """The NAS-Bench-201-style string ``|op~0|+|op~0|op~1|+|...|``."""
        return super().to_str(arch)

    # ---------------------------------------------------------------- encodings
    def encode(self, arch: Arch | str, name: str) -> np.ndarray:
        """CellSpace's encodings, plus ``edge-onehot``: one-hot op (in TNB code order) per edge,
        edges in cell-string order (24 columns)."""
        if name != "edge-onehot":
            return super().encode(arch, name)
        vec = np.zeros((self.num_edges, len(self.ops)), dtype=np.float32)
        vec[np.arange(self.num_edges), self.codes(arch)] = 1.0
        return vec.ravel()

    def encoding_names(self, name: str) -> list[str] | None:
        if name == "edge-onehot":
            return [f"{j}<-{i}:{op}" for i, j in self.edges for op in self.ops]
        return super().encoding_names(name)

    # ---------------------------------------------------------------- network
    def network(
        self,
        arch: Arch | str,
        task: str | Task | None = None,
        base_channels: int = 64,
        structure: str | Sequence[int] = STRUCTURE,
        **options: Any,
    ) -> nn.Module:
        """The TNB micro network: stem, modules ``structure`` of two cells each, task head.

        Defaults reproduce the published parameter counts (NASLib's ``params``) exactly. Tasks:
        :data:`~omni.spaces.tnb101.network.TNB_TASKS` or any :class:`Task` with a
        ``(C, H, W)`` input (pooled linear head) or ``(tiles, C, H, W)`` (jigsaw head).
        """
        if options:
            raise OmniError(
                f"unknown network options {sorted(options)}; "
                "this space takes base_channels and structure"
            )
        spec = resolve_task(self, task)
        block = micro_block(self.coerce(arch))
        return build_network(parse_structure(structure), block, spec, base_channels)


__all__ = ["MICRO_OPS", "TNB101MicroSpace"]
