"""The plainest xm configs, read line by line without a Python parser.

Most xm configs are nothing but lines such as ``name = 'vm1'``,
``memory = 512``, ``vif = ['bridge=xenbr0']`` and
``disk.append('phy:/dev/sda,xvda,w')``, with comments and blank lines
between them.  For a file made only of those (every line at column 0, plain
quoted strings without escapes or prefixes, decimal integers, one-line lists
of them), the Document is known from the text alone: this module builds it
with one pattern, and gives up (None) on anything else, which ``xm_ast``
(or libcst) then reads.  The tests prove it gives exactly ``xm_ast``'s
Document wherever it reads a file (corpus, mutated and generated input).
"""

from __future__ import annotations

import keyword

from xencfg.document import Document, List, Scalar, Setting, Str
from xencfg.formats.pystrings import quote
from xencfg.lazy import Pattern
from .. import rxstore

# Text the fast reader leaves to libcst, before parsing anything: carriage
# returns, form feeds, vertical tabs, NUL, a byte-order mark, undecodable
# bytes (surrogates), and anything that may be an f-string prefix: a quote
# after an f (with r or b beside it), not inside a name (``conf'`` is not).
_DECLINE_CHARS = ("\r", "\f", "\v", "\0")
_DECLINE_WIDE = Pattern("[\ufeff\ud800-\udfff]")  # for non-ASCII text only
_F_QUOTE = rxstore.compile("[fF][rRbB]?['\"]")
_NAME_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
)


def declined_text(text: str) -> bool:
    """Whether the fast reader leaves ``text`` to libcst unread."""
    for c in _DECLINE_CHARS:
        if c in text:
            return True
    if not text.isascii() and _DECLINE_WIDE.search(text):
        return True
    for m in _F_QUOTE.finditer(text):
        at = m.start()
        if at and text[at - 1] in "rRbB":
            at -= 1
        if at == 0 or text[at - 1] not in _NAME_CHARS:
            return True
    return False


__all__ = ["parse"]

_STRING = r"""'[^'\\\n]*'|"[^"\\\n]*\""""
_ATOM = rf"(?:{_STRING}|0(?![0-9])|[1-9][0-9]*)(?![0-9A-Za-z_.'\"])"
# Atoms, each followed by a comma or by the closing bracket: the same lists
# as ``ATOM (, ATOM)* ,?`` with the atom spelt once (the pattern is compiled
# in every run: its length is start-up time).
_ITEMS = rf"(?:{_ATOM}[ \t]*(?:,[ \t]*|(?=\])))*"
# Blank and comment lines, then one statement (groups: 1 key, 2 atom,
# 3 list, 4 appended-to name, 5 appended string), then the line's end.
_LINE = rxstore.compile(
    r"(?:[ \t]*(?:#[^\n]*)?\n)*"
    r"(?:([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*"
    rf"(?:({_ATOM})|(\[[ \t]*{_ITEMS}\]))"
    rf"|([A-Za-z_][A-Za-z0-9_]*)\.append\(({_STRING})\))"
    r"[ \t]*(?:#[^\n]*)?(?:\n|\Z)"
)
TRIVIA = rxstore.compile(r"(?:[ \t]*(?:#[^\n]*)?(?:\n|\Z))*")
_ITEM = rxstore.compile(_ATOM)
_KEYWORDS = frozenset(keyword.kwlist)


def _atom(raw: str, start: int):
    end = start + len(raw)
    if raw[0] == "'" or raw[0] == '"':
        return Str(start, end, raw[1:-1], raw[0])
    return Scalar(start, end, raw)


def parse(text: str, path: str = "-") -> Document | None:
    """The Document of a file of plain lines, or None for any other file."""
    if declined_text(text):
        return None
    body: list = []
    pos = read_plain(text, 0, body)
    if TRIVIA.match(text, pos).end() < len(text):
        return None
    return Document(text, "xm", body, quote, path)


def plain_at(text: str, pos: int) -> bool:
    """Whether a plain line starts at ``pos`` (a line's start)."""
    m = _LINE.match(text, pos)
    return m is not None and (m.group(1) or m.group(4)) not in _KEYWORDS


def read_plain(text: str, pos: int, body: list) -> int:
    """The Settings of the plain lines from ``pos`` on, appended to
    ``body``; where the first line that is not plain starts (its comment
    and blank lines before it included)."""
    match = _LINE.match
    while True:
        m = match(text, pos)
        if m is None:
            return pos
        key = m.group(1)
        if key is not None:
            s, e = m.span(m.lastindex)
            if m.lastindex == 2:
                value = _atom(m.group(2), s)
            else:
                items = [
                    _atom(i.group(), i.start()) for i in _ITEM.finditer(text, s, e)
                ]
                value = List(s, e, items)
            start = m.start(1)
            op = "="
        else:
            key = m.group(4)
            s, e = m.span(5)
            value = _atom(m.group(5), s)
            start = m.start(4)
            e += 1  # the closing parenthesis
            op = "append"
        if key in _KEYWORDS:
            return pos
        body.append(Setting(start, e, key, op, value, start, False))
        pos = m.end()
