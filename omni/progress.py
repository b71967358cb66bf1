"""Progress reports for long work: a live bar on a terminal, a few plain lines in a log.

``progress_bar`` gives tqdm when standard error is a terminal. Otherwise (CI, a log file, a
pipe) it gives :class:`PlainProgress`, which writes one line when it starts, one per quarter of
the work and one at the end, instead of hundreds of carriage-return frames.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

#: fractions of the work at which a plain report writes a line
MILESTONES = (0.25, 0.5, 0.75)


class PlainProgress:
    """The part of tqdm's interface the library uses, as a handful of plain lines."""

    def __init__(
        self,
        iterable: Iterable | None = None,
        total: int | None = None,
        desc: str = "",
        unit: str = "it",
        disable: bool = False,
        stream: TextIO | None = None,
    ) -> None:
        self.iterable = iterable
        self.total = total if total is not None else _length(iterable)
        self.desc, self.unit, self.disable = desc, unit, disable
        self.stream = stream or sys.stderr
        self.n = 0
        self.postfix = ""
        self._next = 0
        self._start = time.perf_counter()
        self._closed = False
        self._write(f"0/{self.total or '?'} {unit}s")

    def _write(self, text: str) -> None:
        if not self.disable:
            label = f"{self.desc}: " if self.desc else ""
            extra = f" ({self.postfix})" if self.postfix else ""
            print(f"{label}{text}{extra}", file=self.stream, flush=True)

    def update(self, n: int = 1) -> None:
        self.n += n
        if not self.total:
            return
        crossed = False
        while self._next < len(MILESTONES) and self.n >= MILESTONES[self._next] * self.total:
            self._next += 1
            crossed = True
        if crossed and self.n < self.total:
            self._write(f"{self.n}/{self.total} {self.unit}s, {self._elapsed()}")

    def set_postfix_str(self, text: str) -> None:
        self.postfix = text

    def _elapsed(self) -> str:
        return f"{time.perf_counter() - self._start:.0f} s"

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.postfix = ""
            self._write(f"{self.n}/{self.total or self.n} {self.unit}s done in {self._elapsed()}")

    def __iter__(self) -> Iterator:
        for item in self.iterable or ():
            yield item
            self.update()
        self.close()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _length(iterable: Iterable | None) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None


def progress_bar(iterable: Iterable | None = None, **kwargs: Any):
    """tqdm on a terminal, :class:`PlainProgress` elsewhere (same arguments: total, desc,
    unit, disable)."""
    if getattr(sys.stderr, "isatty", lambda: False)():
        from tqdm.auto import tqdm

        return tqdm(iterable, **kwargs)
    return PlainProgress(iterable, **kwargs)
