"""Unified diffs that ``git apply`` and ``patch -p1`` accept.

Lines are compared with their own line ends, so CRLF files diff as CRLF and
a missing final newline gets git's ``\\ No newline at end of file`` marker.
"""

from __future__ import annotations

import difflib

from .document import decode

NO_EOL = "\\ No newline at end of file\n"


def unified(old: bytes, new: bytes, path: str, context: int = 3) -> str:
    """A git-style diff of one file; ``path`` is relative, with '/' separators."""
    a = decode(old).splitlines(keepends=True)
    b = decode(new).splitlines(keepends=True)
    out = [f"diff --git a/{path} b/{path}\n"]
    body = difflib.unified_diff(
        a, b, f"a/{path}", f"b/{path}", n=context, lineterm="\n"
    )
    any_change = False
    for line in body:
        any_change = True
        if line.startswith(("---", "+++")) and line.endswith("\n"):
            # difflib adds a tab and empty date only when given dates.
            out.append(line)
            continue
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n" + NO_EOL)
    return "".join(out) if any_change else ""
