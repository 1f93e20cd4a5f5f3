"""xl's own S-expressions (``xl list -l`` with ``output_format="sxp"``).

They are read by the S-expression reader, with one quirk of xl's printer
(``printf_info_sexp``) allowed for: for a PV domain it closes ``(image``
and then ``(domain`` too early, so the domain's ``(device ...)`` lists
follow it at the top level and its last ``)`` has nothing to close.  Such
a stray ``)`` is read as trivia (the text is kept byte for byte) and a note
says so; a top-level ``(device ...)`` belongs to the ``(domain ...)`` before
it (see ``transforms/disks.py``).  Anything else unbalanced stays an error.
"""

from __future__ import annotations


from ..document import Document, ParseError
from . import sxp
from .limits import TooDeep
from .. import rxstore

# xl prints "(domain\n\t(domid N)\n\t(create_info)": xend never did.
_XL_SIGNATURE = rxstore.compile(r"\(domain\s+\(domid\s+-?\d+\)\s+\(create_info\)")
_STRAY = "unexpected ')' with no open '('"


def _offset(text: str, line: int, col: int) -> int:
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos + col - 1


def _closes_devices(text: str, at: int) -> bool:
    """A stray ')' as xl prints it: alone on its line, after a device list."""
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    return line.strip() == ")" and text[:line_start].rstrip().endswith(")")


def parse_sxp(text: str, path: str) -> Document:
    """S-expressions as xend and xl print them (xl's stray ``)`` of PV
    domains taken as trivia).  Raises ParseError."""
    try:
        return sxp.parse(text, path)
    except TooDeep:
        raise
    except ParseError as err:
        return parse_quirky(text, path, err)


def parse_quirky(text: str, path: str, error: ParseError) -> Document:
    """Re-read *text* (which failed with *error*) as xl's S-expressions,
    taking stray ``)`` of PV domains as trivia.  Raises *error* (or the next
    error) when the text is not xl's output or is broken otherwise."""
    if not _XL_SIGNATURE.search(text):
        raise error
    work = text
    strays: list[int] = []
    limit = text.count("(domain") + 1
    while True:
        if error.message != _STRAY or len(strays) >= limit:
            raise error
        at = _offset(work, error.line, error.col)
        if not _closes_devices(work, at):
            raise error
        strays.append(error.line)
        work = work[:at] + " " + work[at + 1 :]  # same length: spans hold
        try:
            doc = sxp.parse(work, path)
            break
        except ParseError as err:
            error = err.with_traceback(None)  # (no frames kept: see detect)
    doc.text = text
    for line in strays:
        doc.notes.append(
            (
                line,
                "a ')' with nothing to close: xl closes a PV domain's "
                "(domain ...) before its devices; read as xl prints it",
            )
        )
    return doc
