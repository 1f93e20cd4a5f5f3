"""Errors that end a command, and the exit codes (black's).

Every floor may raise these; only the CLI catches them and prints them.

  0    OK: fine
  1    CHANGED: something would change (check, diff --check, --strict warnings)
  2    BAD: bad input or usage; the other files were still done
  123  INTERNAL: an internal error (please report it)
"""

from __future__ import annotations

import sys

OK, CHANGED, BAD, INTERNAL = 0, 1, 2, 123
INTERRUPTED = 130


class Usage(Exception):
    """Bad usage or unreadable input named on the command line: exit 2."""


class Failed(Exception):
    """Bad input, already worded as ``PATH:LINE: error: ...``: exit 2."""


def err(text: str) -> None:
    """A message on stderr, one line ending."""
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
