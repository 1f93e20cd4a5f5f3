"""Unified diffs that ``git apply`` and ``patch -p1`` accept.

Lines are compared with their own line ends, so CRLF files diff as CRLF and
a missing final newline gets git's ``\\ No newline at end of file`` marker.
"""

from __future__ import annotations

import difflib

from .document import decode

NO_EOL = "\\ No newline at end of file\n"


def _lines(text: str) -> list[str]:
    """Lines as git and patch see them: split after each LF only.

    ``str.splitlines`` would also split at CR, form feed, U+2028 ... and
    produce lines without a newline in the middle of the file, which breaks
    the patch (old xm configs do contain ``^L`` and lone CRs).
    """
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _quote(name: str) -> str:
    """A path as git writes it in patch headers.

    Names with ``"``, ``\\``, control characters or non-ASCII bytes are
    C-quoted with octal escapes (git's core.quotePath default), which both
    ``git apply`` and GNU ``patch`` read back.
    """
    raw = name.encode("utf-8", "surrogateescape")
    if not any(c < 0x20 or c >= 0x7F or c in b'"\\' for c in raw):
        return name
    out = []
    for c in raw:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c < 0x20 or c >= 0x7F:
            out.append(f"\\{c:03o}")
        else:
            out.append(chr(c))
    return '"' + "".join(out) + '"'


_ESCAPES = {
    0x07: "\\a",
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0B: "\\v",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
}


def unified(old: bytes, new: bytes, path: str, context: int = 3) -> str:
    """A git-style diff of one file; ``path`` is relative, with '/' separators."""
    a = _lines(decode(old))
    b = _lines(decode(new))
    qa, qb = _quote("a/" + path), _quote("b/" + path)
    # As git does: a tab ends a name with a space, so that patch reads all of it.
    tab = "\t" if " " in path else ""
    out = [
        f"diff --git {qa} {qb}\n",
        f"--- {qa}{tab}\n",
        f"+++ {qb}{tab}\n",
    ]
    body = difflib.unified_diff(a, b, n=context, lineterm="\n")
    any_change = False
    for n, line in enumerate(body):
        if n < 2:  # difflib's own ---/+++ lines: written above
            continue
        any_change = True
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n" + NO_EOL)
    return "".join(out) if any_change else ""
