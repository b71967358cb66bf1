"""TransNAS-Bench-101 (Duan et al., CVPR 2021): the micro (cell) and macro (module) spaces.

``TNB101MicroSpace`` ("tnb101-micro") and ``TNB101MacroSpace`` ("tnb101-macro") share the tasks
:data:`TNB_TASKS` and the network parts of :mod:`omni.spaces.tnb101.network`.
"""

from __future__ import annotations

from omni.spaces.tnb101.macro import TNB101MacroSpace
from omni.spaces.tnb101.micro import TNB101MicroSpace
from omni.spaces.tnb101.network import DECODER_TASKS, TNB_TASKS

__all__ = ["DECODER_TASKS", "TNB_TASKS", "TNB101MacroSpace", "TNB101MicroSpace"]
