"""NAS-Bench-201 (Dong & Yang, ICLR 2020): a 4-node cell with 5 ops on its 6 edges.

Besides the NB201 string, NASLib's tuple keys parse: ``"(t0, ..., t5)"`` with op codes
0 skip_connect, 1 none, 2 nor_conv_3x3, 3 nor_conv_1x1, 4 avg_pool_3x3, and element k at
string position ``[0, 1, 3, 2, 4, 5][k]`` (NASLib orders edges by source node first).
"""

from __future__ import annotations

from features.errors import InvalidArchitectureError
from omni.spaces.base import int_tuple
from omni.spaces.cell_space import Arch, CellSpace

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
NASLIB_TO_STRING_POSITION = (0, 1, 3, 2, 4, 5)


class NB201Space(CellSpace):
    """NAS-Bench-201, with NASLib key conversions."""

    def __init__(self) -> None:
        super().__init__("nb201", num_nodes=4, ops=NB201_OPS, none_op="none")

    def from_naslib_key(self, key: str) -> Arch:
        """``"(4, 0, 3, 1, 4, 3)"`` -> op tuple."""
        codes = int_tuple(key, 6, "(4, 0, 3, 1, 4, 3)")
        if any(not 0 <= c < len(NASLIB_OPS) for c in codes):
            raise InvalidArchitectureError(f"{key!r}: expected 6 op codes in 0..4")
        ops: list[str] = [""] * 6
        for k, code in enumerate(codes):
            ops[NASLIB_TO_STRING_POSITION[k]] = NASLIB_OPS[code]
        return tuple(ops)

    def to_naslib_key(self, arch: Arch | str) -> str:
        """op tuple -> ``"(4, 0, 3, 1, 4, 3)"``."""
        arch = self.coerce(arch)
        codes = [NASLIB_OPS.index(arch[NASLIB_TO_STRING_POSITION[k]]) for k in range(6)]
        return "(" + ", ".join(str(c) for c in codes) + ")"

    def parse(self, text: str) -> Arch:
        """NB201 string or NASLib key."""
        if isinstance(text, str) and text.strip().startswith("("):
            return self.from_naslib_key(text)
        return super().parse(text)
