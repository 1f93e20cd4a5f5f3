"""xl domain configs: ``KEY = VALUE`` lines, strings, numbers, nested lists.

Parsed with the Lark LALR grammar ``grammars/xl.lark``.  The transformer runs
inside the parser (no parse tree is built), turning tokens straight into
Document nodes that remember their spans.  A file made only of simple lines
(``key = value`` or a flat list on one line) and trivia takes the fast path
(``_scan``): the same grammar terminals matched in a loop give the same
nodes without the parser; anything else goes to the parser.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..document import Document, List, ParseError, Scalar, Setting, Str
from ..grammar import grammar_text
from . import escapes
from .limits import MAX_DEPTH, MAX_XL_VALUES, POSSESSIVE, check_values, too_deep
from ..grammar_terms import terminals

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
_HEAD = re.compile(r"([A-Za-z_][._0-9A-Za-z]*)[ \t\f\r\v]*(\+?=)[ \t\f\r\v]*")
_STR = "\"[^\"\\\\\n]*(?:\\\\[^\n][^\"\\\\\n]*){0}\"|'[^'\\\\\n]*(?:\\\\[^\n][^'\\\\\n]*){0}'".format(
    "*+" if POSSESSIVE else "*"
)
_ATOMS = re.compile(f"#[^\\n]*|({_STR}|[0-9][0-9a-fA-FxX.]*)|(\\])")


def _atom(raw: str, start: int):
    end = start + len(raw)
    if raw[0] in "\"'":
        return Str(start, end, unquote(raw), raw[0])
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


_WORDS = {
    "KEY": "a setting name",
    "OP": "'=' or '+='",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "SEMI": "';'",
    "NL": "end of line",
    "SIMPLE_LINE": "a setting name",
    "$END": "end of file",
}


def _expected(names) -> str:
    words = sorted({_WORDS.get(n, n) for n in names})
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _located(text: str, err) -> ParseError:
    from lark import UnexpectedCharacters, UnexpectedToken

    line, col = err.line, err.column
    if isinstance(err, UnexpectedCharacters):
        ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        if ch in "\"'":
            msg = "unterminated string (strings end on the same line)"
        else:
            msg = f"unexpected character {ch!r}"
        if err.allowed:
            msg += f"; expected {_expected(err.allowed)}"
        return ParseError(msg, line, col)
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END":
            opened = _unclosed_bracket(text)
            if opened is not None:
                line, col = _position(text, opened)
                return ParseError(
                    "this '[' is never closed: missing ']' before the end of the file",
                    line,
                    col,
                )
            what = "end of file"
            line, col = _position(text, len(text))
        elif tok.type == "NL":
            what = "end of line"
        elif tok.type == "SIMPLE_LINE":
            # A whole `key = value` line: name just the key.
            what = f"setting {_HEAD.match(tok.value).group(1)!r}"
        else:
            what = repr(tok.value)
        return ParseError(
            f"unexpected {what}; expected {_expected(err.expected)}", line, col
        )
    return ParseError(str(err).splitlines()[0], line or 1, col or 1)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


_BRACKETS = re.compile(f"#[^\\n]*|{_STR}|[\\[\\]]")


# One value each: a string, number, setting name or '['; comments are skipped.
_VALUES = re.compile(
    f"#[^\\n]*|({_STR}|[0-9][0-9a-fA-FxX.]*|[A-Za-z_][._0-9A-Za-z]*|\\[)"
)


def _check_depth(text: str) -> None:
    """TooDeep at the first '[' nested more than MAX_DEPTH deep (checked
    before parsing: the parser would otherwise build the whole tower)."""
    depth = 0
    for m in _BRACKETS.finditer(text):
        tok = m.group()
        if tok == "[":
            depth += 1
            if depth > MAX_DEPTH:
                raise too_deep(*_position(text, m.start()))
        elif tok == "]" and depth:
            depth -= 1


def _unclosed_bracket(text: str) -> int | None:
    """Offset of the last '[' left open at the end of ``text``, if any."""
    stack: list[int] = []
    for m in _BRACKETS.finditer(text):
        tok = m.group()
        if tok == "[":
            stack.append(m.start())
        elif tok == "]" and stack:
            stack.pop()
    return stack[-1] if stack else None


# -- the fast path ------------------------------------------------------------
# Most files are nothing but simple lines and trivia.  For those, the tokens
# the LALR parser would see are known in advance (SIMPLE_LINE, and trivia it
# skips or accepts as empty statements), so the same grammar terminals,
# matched in a loop, give the same nodes without a token stream.  Anything
# else goes to the parser.  tests/test_xl_fast.py checks both agree.


@lru_cache(maxsize=1)
def _scanners() -> tuple[re.Pattern, re.Pattern]:
    stored = terminals(_grammar())  # without building the parser
    if stored is not None:
        rx = stored[0].__getitem__
    else:
        lark = _parser()

        def rx(name: str) -> str:
            return lark.get_terminal(name).pattern.to_regexp()

    trivia = "|".join(rx(n) for n in ("WS", "COMMENT", "NL", "SEMI"))
    star = "*+" if POSSESSIVE else "*"
    return re.compile(f"(?:{trivia}){star}"), re.compile(rx("SIMPLE_LINE"))


def _scan(text: str) -> tuple[list | None, int]:
    """(nodes, end) for a file of simple lines and trivia, else (None, the
    offset of the first statement that is not a simple line)."""
    trivia, simple = _scanners()
    skip, line = trivia.match, simple.match
    body = []
    pos, n = 0, len(text)
    while True:
        pos = skip(text, pos).end()
        if pos >= n:
            return body, pos
        m = line(text, pos)
        if m is None:
            return None, pos
        body.append(_simple_setting(m.group(), pos))
        pos = m.end()


# A statement start no xl rule accepts: a name not followed by '=' or '+='
# (`import os`, `disk.append(...)`, `if x:`), or a character that cannot
# start a name.  (Whitespace, comments, newlines and ';' are trivia, already
# skipped where this is tried.)
# (The lookahead and backreference make the name and spaces atomic: no
# backtracking into a shorter name.)
_FOREIGN = re.compile(r"(?=([A-Za-z_][._0-9A-Za-z]*[ \t\f\r\v]*))\1(?![=+])|[^A-Za-z_]")
# Or a setting whose value xl never reads: xl's values are strings, numbers
# and lists, and a string or number ends its statement (`x = 'sd%s' % y`,
# `memory = 512 * 2`, `disk = swapdisk`: Python).  (A number is matched
# whole, as the lookahead and backreference make it atomic.)
_FOREIGN_VALUE = re.compile(
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
