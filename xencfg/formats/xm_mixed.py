"""xm configs of plain lines with a few other statements among them.

An xm config is often a dozen plain lines (``xm_lines``) and an ``import
os`` with an ``if`` among them.  This reader takes the plain lines as
``xm_lines`` does and gives CPython's parser only the pieces between them,
each read by the ast reader (``xm_ast``) as it reads a whole file: the ast
of a piece that runs from a statement at a line's start to the next plain
line there is the ast of those statements in the whole file.  The tests
hold it to the ast reader on the whole file, wherever it gives a Document.
"""

from __future__ import annotations

import ast
import warnings

from xencfg.document import Document
from xencfg.formats.pystrings import quote
from xencfg.formats.xm_ast import FMT, Decline, _Reader
from xencfg.formats.xm_lines import TRIVIA, declined_text, plain_at, read_plain


def parse(text: str, path: str = "-") -> Document | None:
    """The Document ``xm_ast.parse`` gives for ``text``, or None: a piece
    that is not Python by itself (a string or bracket still open there)
    and every other doubt leave the whole file to ``xm_ast``."""
    if declined_text(text) or not text.isascii() or "__future__" in text:
        return None
    reader = _Reader(text)
    pos, end = 0, len(text)
    counted = 0  # (lines counted up to here: once each, whatever the pieces)
    try:
        while True:
            pos = read_plain(text, pos, reader.body)
            if TRIVIA.match(text, pos).end() >= end:
                break
            stop = _next_plain(text, pos)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text[pos:stop])
            reader.line0 += text.count("\n", counted, pos)
            counted = pos
            reader.block(tree.body, False, 1)
            pos = stop
    except (Decline, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    doc = Document(text, FMT, reader.body, quote, path)
    doc._lines = reader.starts[:-1]
    return doc


def _next_plain(text: str, pos: int) -> int:
    """The start of the first plain line from the line at ``pos`` on (the
    line where a piece starts is none: ``read_plain`` stopped there), or
    the end of the text."""
    while True:
        c = text[pos : pos + 1]
        if (c.isalpha() or c == "_") and plain_at(text, pos):
            return pos
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return len(text)
