"""Offsets in xm config text, and in the private copies made of it."""

from __future__ import annotations

import bisect
import re

from xencfg.document import ParseError
from xencfg.lazy import Pattern

NEWLINES = Pattern(r"\r\n?|\n")  # (for the readers of odd files)


def line_starts(text: str, universal: bool) -> list[int]:
    if universal:
        return [0] + [m.end() for m in NEWLINES.finditer(text)]
    return [0] + [m.end() for m in re.finditer("\n", text)]


def offset_at(starts: list[int], text: str, line: int, col0: int) -> int:
    """Offset of a 1-based line and 0-based column, clamped into the text."""
    line = min(max(line, 1), len(starts))
    begin = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    return min(begin + max(col0, 0), end, len(text))


def error_at(text: str, offset: int, message: str) -> ParseError:
    starts = line_starts(text, universal=False)
    line = bisect.bisect_right(starts, offset) - 1
    return ParseError(message, line + 1, offset - starts[line] + 1)


class Patched:
    """A private copy of the text with some spans replaced, and the way back.

    ``patches`` are (start, end, replacement) in offsets of ``base``, and
    disjoint.  ``orig(p)`` maps an offset in the copy back to ``base``, and
    on through ``outer`` when ``base`` is itself a copy.
    """

    def __init__(
        self,
        base: str,
        patches: list[tuple[int, int, str]],
        outer: "Patched | None" = None,
    ):
        self.outer = outer
        self.patches = sorted(patches)
        parts: list[str] = []
        self._pstarts: list[int] = []
        pos = 0
        plen = 0
        for start, end, repl in self.patches:
            parts.append(base[pos:start])
            plen += start - pos
            self._pstarts.append(plen)
            parts.append(repl)
            plen += len(repl)
            pos = end
        parts.append(base[pos:])
        self.text = "".join(parts)
        self._starts: list[int] | None = None

    def orig(self, p: int) -> int:
        p = self._back(p)
        return self.outer.orig(p) if self.outer is not None else p

    def _back(self, p: int) -> int:
        if not self.patches:
            return p
        i = bisect.bisect_right(self._pstarts, p) - 1
        if i < 0:
            return p
        start, end, repl = self.patches[i]
        pstart = self._pstarts[i]
        pend = pstart + len(repl)
        if p >= pend:
            return end + (p - pend)
        return start + min(p - pstart, end - start)

    def orig_line_col(self, line: int, col0: int) -> int:
        """Original offset of a (1-based line, 0-based col) in the copy."""
        if self._starts is None:
            self._starts = line_starts(self.text, universal=True)
        return self.orig(offset_at(self._starts, self.text, line, col0))
