"""xl domain configs: ``KEY = VALUE`` lines, strings, numbers, nested lists.

Parsed with the Lark LALR grammar ``grammars/xl.lark``.  The transformer runs
inside the parser (no parse tree is built), turning tokens straight into
Document nodes that remember their spans.  A file made only of simple lines
(``key = value`` or a flat list on one line) and trivia takes the fast path
(``_scan``): one pattern spelt from the same grammar terminals matches each
line with its parts in groups and gives the same nodes without the parser;
anything else goes to the parser.  ``xl_errors`` words the parser's errors.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..document import Document, LazyBody, List, ParseError, Scalar, Setting, Str
from ..grammar import grammar_text
from ..lazy import Pattern
from . import escapes
from .limits import MAX_XL_VALUES, POSSESSIVE, check_values
from .xl_errors import STRING as _STR
from .xl_errors import check_depth as _check_depth
from .xl_errors import located as _located
from .xl_errors import position as _position
from ..grammar_terms import terminals
from .. import rxstore

# lark is imported when the parser is first needed: a file of simple lines
# (most files) is read without it.

_SIMPLE = escapes.XL


def unquote(raw: str) -> str:
    """The value of an xl string token, as libxlu's dequote reads it."""
    body = raw[1:-1]
    if "\\" not in body:
        return body
    out = []
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        i += 1
        if c != "\\" or i >= n:
            out.append(c)
            continue
        c = body[i]
        i += 1
        if c in _SIMPLE:
            out.append(_SIMPLE[c])
        elif c == "x":
            j = i
            while j < n and j < i + 2 and body[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(body[i:j], 16)) if j > i else "x")
            i = j
        elif c in "01234567":
            j = i
            while j < n and j < i + 2 and body[j] in "01234567":
                j += 1
            out.append(chr(int(body[i - 1 : j], 8)))
            i = j
        else:
            out.append(c)
    return "".join(out)


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(value: str, q: str) -> str:
    """Source text for ``value`` in quote style ``q`` (``"`` or ``'``)."""
    q = q if q in ("'", '"') else '"'
    out = []
    for c in value:
        if c == q:
            out.append("\\" + c)
        elif c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) < 32:
            out.append("\\x%02x" % ord(c))
        else:
            out.append(c)
    return q + "".join(out) + q


# Pieces of a SIMPLE_LINE token (see xl.lark): key, operator, then the value,
# whose atoms are found by scanning left to right (so a '#' inside a string is
# never taken for a comment).
_HEAD = Pattern(r"([A-Za-z_][._0-9A-Za-z]*)[ \t\f\r\v]*(\+?=)[ \t\f\r\v]*")
_ATOMS = Pattern(f"#[^\\n]*|({_STR}|[0-9][0-9a-fA-FxX.]*)|(\\])")
# The atoms of a flat list, between its brackets (comments skipped).
_ITEMS = rxstore.compile(f"#[^\\n]*|({_STR}|[0-9][0-9a-fA-FxX.]*)")


def _atom(raw: str, start: int):
    end = start + len(raw)
    if raw[0] == '"' or raw[0] == "'":
        value = raw[1:-1] if "\\" not in raw else unquote(raw)
        return Str(start, end, value, raw[0])
    return Scalar(start, end, raw)


def _simple_setting(text: str, base: int) -> Setting:
    """The Setting of one SIMPLE_LINE token ``text`` found at offset ``base``."""
    head = _HEAD.match(text)
    pos = head.end()
    if text[pos] != "[":
        m = _ATOMS.match(text, pos)
        value = _atom(m.group(1), base + pos)
    else:
        items = []
        for m in _ATOMS.finditer(text, pos + 1):
            if m.group(2):
                break
            if m.group(1):
                items.append(_atom(m.group(1), base + m.start(1)))
        value = List(base + pos, base + m.end(2), items)
    key_start = base + head.start(1)
    return Setting(
        key_start,
        value.end,
        key=head.group(1),
        op=head.group(2),
        value=value,
        key_start=key_start,
    )


class _Build:
    """Tokens to nodes, called by the LALR parser as each rule reduces
    (made a lark Transformer when the parser is built)."""

    def SIMPLE_LINE(self, tok):
        return _simple_setting(tok.value, tok.start_pos)

    def STRING(self, tok):
        return Str(tok.start_pos, tok.end_pos, unquote(tok.value), tok.value[0])

    def NUMBER(self, tok):
        return Scalar(tok.start_pos, tok.end_pos, tok.value)

    def list(self, kids):
        items = [
            k for k in kids if not hasattr(k, "type")
        ]  # drop bracket, comma and newline tokens
        return List(kids[0].start_pos, kids[-1].end_pos, items)

    def setting(self, kids):
        key, op, value = kids
        return Setting(
            key.start_pos,
            value.end,
            key=key.value,
            op=op.value,
            value=value,
            key_start=key.start_pos,
        )

    def start(self, kids):
        return [k for k in kids if k is not None and not hasattr(k, "type")]


# On Python 3.11+ the repeats of strings, line ends and gaps are made
# possessive: they never need to backtrack (what they repeat is unambiguous),
# and a possessive repeat keeps no state per iteration, so a string full of
# escapes or a million blank lines is matched in constant memory.
_POSSESSIVE = [
    (r'(?:\\[^\n][^"\\\n]*)*"', r'(?:\\[^\n][^"\\\n]*)*+"'),  # STRING
    (r"(?:\\[^\n][^'\\\n]*)*'", r"(?:\\[^\n][^'\\\n]*)*+'"),
    (r"(?:#[^\n]*)?\n)+/", r"(?:#[^\n]*)?\n)++/"),  # NL
    (r"|#[^\n]*\n)*/", r"|#[^\n]*\n)*+/"),  # _GAP
]


def _grammar(possessive: bool = POSSESSIVE) -> str:
    text = grammar_text("xl.lark")
    if possessive:
        for old, new in _POSSESSIVE:
            if old not in text:  # pragma: no cover - grammar changed
                raise AssertionError(f"xl.lark no longer has {old!r}")
            text = text.replace(old, new)
    return text


@lru_cache(maxsize=1)
def _parser():
    from lark import Lark, Transformer

    return Lark(
        _grammar(),
        parser="lalr",
        lexer="contextual",
        transformer=type("Build", (_Build, Transformer), {})(),
        maybe_placeholders=False,
    )


# One value each: a string, number, setting name or '['; comments are skipped.
_VALUES = Pattern(f"#[^\\n]*|({_STR}|[0-9][0-9a-fA-FxX.]*|[A-Za-z_][._0-9A-Za-z]*|\\[)")


# -- the fast path ------------------------------------------------------------
# Most files are nothing but simple lines and trivia.  For those, the tokens
# the LALR parser would see are known in advance (SIMPLE_LINE, and trivia it
# skips or accepts as empty statements), so the same grammar terminals,
# matched in a loop, give the same nodes without a token stream.  Anything
# else goes to the parser.  tests/test_xl_fast.py checks both agree.


def simple_line(
    rx, groups: bool, possessive: bool = POSSESSIVE, short: bool = False
) -> str:
    """SIMPLE_LINE (see xl.lark) spelt from the terminals ``rx(name)``; with
    ``groups``, the key, operator, list and atom each in a group.  Without
    groups it is, character for character, the terminal Lark derives
    (checked when the scanners are built, and by the tests).  ``short``
    spells a list's items as atoms each followed by a comma or by the
    closing bracket: the same lists with the atom spelt once, so the pattern
    every run compiles is shorter."""

    def g(piece: str) -> str:
        return f"({piece})" if groups else piece

    # (spelt as Lark spells them: a tab, form feed and carriage return
    # themselves, the vertical tab as an escape)
    ws = "[ \t\x0c\r\\v]*"
    gap = "(?:[ \t\x0c\r\\v\n]|#[^\n]*\n)*" + ("+" if possessive else "")
    atom = f"(?:{rx('STRING')}|{rx('NUMBER')})"
    if short:
        flat = f"\\[{gap}(?:{atom}{gap}(?:,{gap}|(?=\\])))*\\]"
    else:
        flat = f"\\[{gap}(?:{atom}{gap}(?:,{gap}{atom}{gap})*(?:,{gap})?)?\\]"
    value = f"(?:{g(flat)}|{g(atom)})"
    return f"{g(rx('KEY'))}{ws}{g(rx('OP'))}{ws}{value}{ws}(?:#[^\n]*)?\n"


@lru_cache(maxsize=2)
def _scanner(possessive: bool = POSSESSIVE) -> re.Pattern:
    """The trivia the parser skips, then one simple line (if one follows),
    its key, operator, list and atom in groups 1-4 (2-5 without possessive
    repeats, where group 1 makes the trivia atomic).  A match without the
    line is the trivia at the end of a file, or before what is no simple
    line (one pattern for both: compiling is start-up time)."""
    stored = terminals(_grammar(possessive))  # without building the parser
    if stored is not None:
        rx = stored[0].__getitem__
    else:
        lark = _parser()

        def rx(name: str) -> str:
            return lark.get_terminal(name).pattern.to_regexp()

    if simple_line(rx, False, possessive) != rx("SIMPLE_LINE"):  # pragma: no cover
        raise AssertionError("xl.lark's SIMPLE_LINE changed: update simple_line")
    trivia = "|".join(rx(n) for n in ("WS", "COMMENT", "NL", "SEMI"))
    # The trivia before a line is matched whole, never given back: a comment
    # cut short could otherwise start a setting.
    if possessive:
        lead = f"(?:{trivia})*+"
    else:
        lead = f"(?=((?:{trivia})*))\\1"
    return rxstore.compile(
        f"{lead}(?:{simple_line(rx, True, possessive, short=True)})?"
    )


def _scan(text: str) -> tuple["_Lines | None", int]:
    """(body, end) for a file of simple lines and trivia, its settings made
    when first asked for; else (None, the offset of the first statement
    that is not a simple line).  No node is made here: a file found not to
    be xl (an xm file's first lines are often simple) costs none."""
    line = _scanner()
    match = line.match
    k = line.groups - 4  # the key is group k + 1
    lines = []
    pos = 0
    while True:
        m = match(text, pos)
        pos = m.end()
        if m.lastindex is None or m.lastindex <= k:  # trivia, no line
            break
        lines.append(m)
    if pos < len(text):
        return None, pos
    return _Lines(text, lines, k), pos


class _Lines(LazyBody):
    """The Settings of simple lines (matches of the line pattern, whose key
    is group ``k`` + 1), each made when first asked for."""

    __slots__ = ("text", "lines", "k", "made", "names")

    def __init__(self, text: str, lines: list[re.Match], k: int) -> None:
        self.text, self.lines, self.k = text, lines, k
        self.made: list[Setting | None] = [None] * len(lines)
        self.names: list[str] | None = None  # each line's key

    def all(self) -> list[Setting]:
        made = self.made
        if None in made:
            for i, m in enumerate(self.lines):
                if made[i] is None:
                    made[i] = _setting(self.text, m, self.k)
        return list(made)

    def named(self, keys: tuple[str, ...]) -> list[Setting]:
        names = self.names
        if names is None:
            key_g = self.k + 1
            names = self.names = [m[key_g] for m in self.lines]
        found = [i for i, name in enumerate(names) if name in keys]
        made = self.made
        for i in found:
            if made[i] is None:
                made[i] = _setting(self.text, self.lines[i], self.k)
        return [made[i] for i in found]


def _setting(text: str, m: re.Match, k: int) -> Setting:
    """The Setting of one simple line."""
    s, e = m.span(m.lastindex)
    if m.lastindex == k + 3:  # a list
        found = _ITEMS.finditer(text, s + 1, e - 1)
        value = List(s, e, [_atom(i[1], i.start()) for i in found if i[1] is not None])
    else:
        value = _atom(text[s:e], s)
    key_start = m.start(k + 1)
    # (start, end, key, op, value, key_start), positional: cheaper
    return Setting(key_start, e, m.group(k + 1), m.group(k + 2), value, key_start)


# A statement start no xl rule accepts: a name not followed by '=' or '+='
# (`import os`, `disk.append(...)`, `if x:`), or a character that cannot
# start a name.  (Whitespace, comments, newlines and ';' are trivia, already
# skipped where this is tried.)
# (The lookahead and backreference make the name and spaces atomic: no
# backtracking into a shorter name.)
_FOREIGN = Pattern(r"(?=([A-Za-z_][._0-9A-Za-z]*[ \t\f\r\v]*))\1(?![=+])|[^A-Za-z_]")
# Or a setting whose value xl never reads: xl's values are strings, numbers
# and lists, and a string or number ends its statement (`x = 'sd%s' % y`,
# `memory = 512 * 2`, `disk = swapdisk`: Python).  (A number is matched
# whole, as the lookahead and backreference make it atomic.)
_FOREIGN_VALUE = Pattern(
    r"""[A-Za-z_][._0-9A-Za-z]*[ \t\f\r\v]*\+?=[ \t\f\r\v]*"""
    r"""(?:(?:"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*"|'[^'\\\n]*(?:\\[^\n][^'\\\n]*)*'"""
    r"""|(?=([0-9][0-9a-fA-FxX.]*))\1)[ \t\f\r\v]*[^ \t\f\r\v#\n;]"""
    r"""|[^"'\[0-9 \t\f\r\v])"""
)


class Foreign(Exception):
    """Raised by ``parse(..., foreign_ok=True)`` when a statement shows the
    text is not xl, before any parser runs; ``error()`` gives the ParseError
    the parser would have raised (computed on demand: it costs a parse)."""

    def __init__(self, text: str, offset: int):
        super().__init__(offset)
        self.text = text
        self.offset = offset

    def error(self) -> ParseError:
        from lark import UnexpectedInput

        try:
            _parser().parse(self.text)
        except UnexpectedInput as err:
            return _located(self.text, err)
        line, col = _position(self.text, self.offset)  # pragma: no cover
        return ParseError("not an xl statement", line, col)


def parse(text: str, path: str = "-", foreign_ok: bool = False) -> Document:
    """Parse xl config text (decoded with surrogateescape) into a Document."""
    check_values(text, _VALUES, _position, MAX_XL_VALUES)
    body, stop = _scan(text)
    if body is None:
        if foreign_ok and (
            _FOREIGN.match(text, stop) or _FOREIGN_VALUE.match(text, stop)
        ):
            raise Foreign(text, stop)
        _check_depth(text)
        from lark import UnexpectedInput

        try:
            body = _parser().parse(text)
        except UnexpectedInput as err:
            raise _located(text, err) from None
    return Document(text, "xl", body, quote, path)
