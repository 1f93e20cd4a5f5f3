"""Regular expressions compiled on first use.

Compiling a pattern costs more than most single-file runs use it for, and
many patterns serve only rare input (an error, another map format), so a
module keeps those as :class:`Pattern` and pays when one is first used.
"""

from __future__ import annotations

import re

from .rxstore import compile


class Pattern:
    """``re.compile(pattern, flags)``, done on the first use of any of its
    attributes (``match``, ``search``, ``sub``, ``pattern``...)."""

    __slots__ = ("_args", "_rx")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._rx = None

    def compiled(self) -> re.Pattern:
        rx = self._rx
        if rx is None:
            rx = self._rx = compile(*self._args)
        return rx

    def __getattr__(self, name: str):
        return getattr(self.compiled(), name)
