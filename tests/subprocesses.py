"""Killing a running ``omni`` subprocess at a chosen moment (the crash-safety tests)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest


def omni(*argv: str) -> list[str]:
    """The command line of ``omni argv`` in this interpreter."""
    return [sys.executable, "-m", "omni.cli", *argv]


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], what: str) -> None:
    """SIGKILL ``proc`` as soon as ``ready()``; fail if it ends first or never gets there."""
    deadline = time.time() + 240
    while time.time() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return
        if proc.poll() is not None:
            pytest.fail(f"finished before {what}: {proc.stderr.read().decode()[-1500:]}")
        time.sleep(0.02)
    pytest.fail(f"never reached {what} within 240 s")
