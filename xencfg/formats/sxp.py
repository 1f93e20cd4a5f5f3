"""S-expressions: ``xm list --long`` output, xend's ``config.sxp``,
``xend-config.sxp`` and libvirt's ``*.sexpr`` fixtures.

The grammar of record is ``grammars/sxp.lark``.  ``parse`` compiles the
grammar's own terminals into one regular expression and runs a small stack
builder over its matches: the grammar's only rule is "balanced
parentheses", which a stack checks exactly.  It is several times faster than
Lark's parser on large ``xm list -l`` captures.  ``bench/sxp_lark.py`` holds
the readers that run Lark itself on the same grammar (``_Build`` below is
their tree-less inline transformer); the tests check that they and ``parse``
agree on every corpus file, and ``bench/parse_sxp.py`` times them.

Tree: ``Document.body`` holds the top-level nodes in order: a ``List`` for
each ``( ... )`` (spanning the parens) and a ``Str`` for each atom or string.
Atoms are ``Str(quote="")`` whose value is their text; strings are
``Str(quote='"' or "'")`` whose value has its escapes decoded the way xend's
reader (tools/python/xen/xend/sxp.py) decodes them.  Parens, whitespace and
``#`` comments are trivia owned by the enclosing list (or the document).
"""

from __future__ import annotations

import gc
import re
from functools import lru_cache

from ..document import Document, List, ParseError, Str
from ..grammar import grammar_text, lalr_parser
from ..grammar_terms import terminals
from . import escapes
from .limits import POSSESSIVE, MAX_DEPTH, MAX_VALUES, too_deep, too_many
from .. import rxstore

# lark is imported only by the Lark reader (bench/sxp_lark.py, tests) and
# when the stored terminals are out of date.

GRAMMAR = "sxp.lark"
FMT = "sxp"

# --- the grammar, loaded once ----------------------------------------------


@lru_cache(maxsize=None)
def _lark():
    """Lark's LALR parser for the grammar, with the inline tree builder."""
    return lalr_parser(GRAMMAR, _Build)


_NO_ITEMS: tuple = ()
# Texts longer than this share their repeated atom values.
_SHARE_FROM = 65536

# Group numbers in the scanner below.
_LPAR, _RPAR, _ATOM, _STRING, _BAD = 1, 2, 3, 4, 5


@lru_cache(maxsize=None)
def _scanner() -> re.Pattern[str]:
    """One regex built from the grammar's terminals.

    Each match is the ignored trivia (WS, COMMENT) before one significant
    token, then the token in its own group: LPAR, RPAR, ATOM, STRING, or a
    lone character no terminal accepts (an unterminated string), or the end
    of the text.  Every character of the input is covered by some match.
    """
    stored = terminals(grammar_text(GRAMMAR))  # without building the parser
    if stored is None:
        lark = _lark()
        stored = {t.name: t.pattern.to_regexp() for t in lark.terminals}, list(
            lark.ignore_tokens
        )
    terms, ignore = stored
    for name, rx in terms.items():
        if re.compile(rx).groups:  # pragma: no cover - grammar sanity
            raise AssertionError(f"terminal {name} has capturing groups")
    trivia = "|".join(f"(?:{terms[n]})" for n in ignore)
    tokens = "|".join(f"({terms[n]})" for n in ("LPAR", "RPAR", "ATOM", "STRING"))
    star = "*+" if POSSESSIVE else "*"  # no state kept per comment line
    return rxstore.compile(f"(?:{trivia}){star}(?:{tokens}|(?s:(.))|\\Z)")


# --- string escapes, as xend's reader decodes them ---------------------------

_SIMPLE = escapes.SXP
_ESCAPE = rxstore.compile(
    r"""\\(?:
        ([abtnvfr\\'"])         # 1 simple
      | x([0-9a-fA-F]{1,2})     # 2 hex byte
      | ([0-7]{1,3})            # 3 octal byte
      | (\n)                    # 4 backslash-newline: line continuation
      | (x)                     # 5 \x without digits
      | (.)                     # 6 anything else
    )""",
    re.X | re.S,
)


def _byte(value: int) -> str:
    # A byte from an escape.  Bytes >= 0x80 become the surrogates that
    # surrogateescape uses, and the caller re-decodes the whole value so that
    # "\xc3\xa9" reads as "é" -- the same value as the raw bytes would give.
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


def _unescape(raw: str, offset: int, text: str) -> str:
    """Decode the escapes of string content ``raw`` found at ``offset``."""
    high = False

    def one(m: re.Match[str]) -> str:
        nonlocal high
        k = m.lastindex
        if k == 1:
            return _SIMPLE[m.group(1)]
        if k == 4:
            return ""
        if k == 6:
            # xend keeps the backslash and drops the character after it
            # ("ignore escape if it doesn't match anything we know").
            return "\\"
        if k == 5:
            raise _error(
                text,
                offset + m.start(),
                "bad escape '\\x' in string: it needs one or two hex digits",
            )
        digits = m.group(k)
        value = int(digits, 16 if k == 2 else 8)
        if value > 0xFF:
            raise _error(
                text,
                offset + m.start(),
                f"octal escape '\\{digits}' in string is out of range"
                " (at most \\377)",
            )
        if value >= 0x80:
            high = True
        return _byte(value)

    out = _ESCAPE.sub(one, raw)
    if high:
        out = out.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    return out


# --- errors ----------------------------------------------------------------


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _error(text: str, offset: int, message: str) -> ParseError:
    line, col = _line_col(text, offset)
    return ParseError(message, line, col)


def _unclosed(text: str, opens: list[int]) -> ParseError:
    """The file ended with ``opens`` (offsets of '(') still open."""
    at = opens[-1]
    line, col = _line_col(text, at)
    end_line, _ = _line_col(text, len(text))
    more = ""
    if len(opens) > 1:
        more = f"; {len(opens)} lists are still open"
    return ParseError(
        f"missing ')' to close '(' opened at {line}:{col}"
        f" (the file ends at line {end_line}{more})",
        line,
        col,
    )


def _stray_close(text: str, offset: int) -> ParseError:
    return _error(text, offset, "unexpected ')' with no open '('")


def _unterminated(text: str, offset: int) -> ParseError:
    q = text[offset]
    return _error(
        text,
        offset,
        f"unterminated string starting here (no closing {q} before the end"
        " of the file)",
    )


# --- the fast reader ---------------------------------------------------------


def parse(text: str, path: str = "-") -> Document:
    """Read S-expressions into a lossless Document (fmt "sxp").

    Raises ParseError, located at the offending character, for an unbalanced
    ')' or '(', an unterminated string or a bad string escape.
    """
    # Building a big tree of small objects makes the cyclic garbage collector
    # rescan it over and over; nothing here creates cycles, so pause it.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        if len(text) > MAX_VALUES:
            _count(text)  # before any node is built
        return _build(text, path)
    finally:
        if paused:
            gc.enable()


def _count(text: str) -> None:
    """TooMany at the first value past MAX_VALUES, found as _build would."""
    left = MAX_VALUES
    for m in _scanner().finditer(text, 1 if text[:1] == "\ufeff" else 0):
        k = m.lastindex
        if k != _RPAR and k != _BAD:
            left -= 1
            if left < 0:
                raise too_many(*_line_col(text, m.start(k)))


def _build(text: str, path: str) -> Document:
    """The Document of ``text``, whose values ``parse`` has counted: a text
    of at most MAX_VALUES characters cannot hold more, a longer one was
    counted by ``_count``, which stops where this would."""
    body: list = []
    items = body
    stack: list[List] = []
    LPAR, RPAR, ATOM, STRING = _LPAR, _RPAR, _ATOM, _STRING
    # A long text shares its repeated atom values (memory); a short one
    # has few to share.
    big = len(text) > _SHARE_FROM
    atoms: dict[str, str] | None = {} if big else None
    # A byte-order mark is trivia, as in xl and xm files.  (Each token ends
    # its match: its end is the match's, and the end less its length its
    # start.)
    for m in _scanner().finditer(text, 1 if text[:1] == "\ufeff" else 0):
        k = m.lastindex
        if k == ATOM:
            v = m[k]
            e = m.end()
            if atoms is not None:
                v = atoms.setdefault(v, v)
            items.append(Str(e - len(v), e, v, ""))
        elif k == LPAR:
            s = m.end() - 1
            if len(stack) >= MAX_DEPTH:
                raise too_deep(*_line_col(text, s))
            node = List(s, s + 1, [])
            items.append(node)
            stack.append(node)
            items = node.items
        elif k == RPAR:
            if not stack:
                raise _stray_close(text, m.start(k))
            node = stack.pop()
            node.end = m.end()
            # In a long text: exact size saves ~10% memory, and every empty
            # list shares one immutable empty tuple (a million '()' would
            # cost 56 MB more).
            if not items:
                node.items = _NO_ITEMS
            elif big:
                node.items = items[:]
            items = stack[-1].items if stack else body
        elif k == STRING:
            s, e = m.span(k)
            raw = text[s + 1 : e - 1]
            if "\\" in raw:
                raw = _unescape(raw, s + 1, text)
            items.append(Str(s, e, raw, text[s]))
        elif k is not None:  # BAD: a quote no string closes
            raise _unterminated(text, m.start(k))
    if stack:
        raise _unclosed(text, [n.start for n in stack])
    return Document(text=text, fmt=FMT, body=body, quoter=quote, path=path)


# --- the Lark reader ---------------------------------------------------------


class _Build:
    """Inline transformer: Lark tokens straight to Document nodes (made a
    lark Transformer when the parser is built)."""

    @staticmethod
    def _node(tok):
        if not hasattr(tok, "type"):
            return tok  # already a node (a nested list)
        s, e = tok.start_pos, tok.end_pos
        if tok.type == "ATOM":
            return Str(s, e, str(tok), "")
        raw = tok[1:-1]
        if "\\" in raw:
            raw = _unescape(raw, s + 1, _Build.text)
        return Str(s, e, raw, tok[0])

    text = ""

    def list(self, children):
        node = self._node
        return List(
            children[0].start_pos,
            children[-1].end_pos,
            [node(c) for c in children[1:-1]],
        )

    def start(self, children):
        node = self._node
        return [node(c) for c in children]


# --- writing values back -----------------------------------------------------

# A value that may be written as a bare atom and reads back as exactly one
# atom with that value, which xend also accepts: printable ASCII only (xend
# rejects other characters outside strings), no parens, '#' or separators,
# and no quote first.  Anything else is written as a "string".
# Known limit: an atom that starts with a separator and sits right after
# another atom (`a;b` holds `a` and `;b`) cannot be replaced safely without
# context: a new value not starting with a separator would join `a`.
_SAFE_ATOM = rxstore.compile(
    r"[!-~](?<![()#{}<>\[\]!;\"'])[^\x00-\x20()#{}<>\[\]!;\x7f-\U0010ffff]*"
)
_QUOTE_ESC = {
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\a": "\\a",
    "\b": "\\b",
    "\v": "\\v",
    "\f": "\\f",
}
_NEEDS_ESC = rxstore.compile(r"[\\\x00-\x1f\x7f\ud800-\udfff]")


def _esc_char(c: str) -> str:
    e = _QUOTE_ESC.get(c)
    if e is not None:
        return e
    o = ord(c)
    if 0xDC80 <= o <= 0xDCFF:  # an undecodable byte: write it as \xHH
        return f"\\x{o - 0xDC00:02x}"
    if 0xD800 <= o <= 0xDFFF:
        raise ValueError(f"cannot write the lone surrogate U+{o:04X}")
    return f"\\x{o:02x}"


def quote(value: str, quote: str) -> str:
    """Source text for ``value`` in quote style ``quote`` ('"', "'" or "").

    Quoted strings escape the backslash, the quote and control characters
    with escapes xend's reader decodes back to ``value``.  A bare atom
    ("") is returned unchanged when it reads back as one atom; otherwise the
    value is written as a double-quoted string.
    """
    if quote == "":
        if _SAFE_ATOM.fullmatch(value):
            return value
        quote = '"'
    if quote not in ('"', "'"):
        raise ValueError(f"not an S-expression quote: {quote!r}")
    body = _NEEDS_ESC.sub(lambda m: _esc_char(m.group()), value)
    body = body.replace(quote, "\\" + quote)
    return quote + body + quote
