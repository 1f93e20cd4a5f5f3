"""A one-line progress bar on stderr: ``[#######       ] 120/400``.

Shown only when stderr is a terminal and the run is not quiet.  Messages go
through :meth:`Progress.message`, which clears the bar first and draws it
again after, so bar and messages never mix on one line.
"""

from __future__ import annotations

import sys
import time


class Progress:
    WIDTH = 30

    def __init__(self, total: int, enabled: bool, stream=None):
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.enabled = enabled and total > 1
        self._last = 0.0
        self._shown = False

    @classmethod
    def for_stderr(cls, total: int, quiet: bool) -> "Progress":
        try:
            tty = sys.stderr.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(total, tty and not quiet)

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last >= 0.1 or self.done >= self.total:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        filled = self.WIDTH * self.done // max(1, self.total)
        bar = "#" * filled + " " * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total}")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def message(self, text: str) -> None:
        self.clear()
        self.stream.write(text if text.endswith("\n") else text + "\n")
        if self.enabled and self.done < self.total:
            self._draw()
