"""Errors in xl files: where the LALR parser stopped, in words, and the
nesting limit checked before it runs (``xl`` raises them)."""

from __future__ import annotations


from ..document import ParseError
from ..lazy import Pattern
from .limits import MAX_DEPTH, POSSESSIVE, too_deep

# One xl string token (also the fast path's; see xl.lark's STRING).
STRING = "\"[^\"\\\\\n]*(?:\\\\[^\n][^\"\\\\\n]*){0}\"|'[^'\\\\\n]*(?:\\\\[^\n][^'\\\\\n]*){0}'".format(
    "*+" if POSSESSIVE else "*"
)

# The setting name a SIMPLE_LINE token starts with.
_KEY = Pattern(r"[A-Za-z_][._0-9A-Za-z]*")


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


def located(text: str, err) -> ParseError:
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
            opened = unclosed_bracket(text)
            if opened is not None:
                line, col = position(text, opened)
                return ParseError(
                    "this '[' is never closed: missing ']' before the end of the file",
                    line,
                    col,
                )
            what = "end of file"
            line, col = position(text, len(text))
        elif tok.type == "NL":
            what = "end of line"
        elif tok.type == "SIMPLE_LINE":
            # A whole `key = value` line: name just the key.
            what = f"setting {_KEY.match(tok.value).group()!r}"
        else:
            what = repr(tok.value)
        return ParseError(
            f"unexpected {what}; expected {_expected(err.expected)}", line, col
        )
    return ParseError(str(err).splitlines()[0], line or 1, col or 1)


def position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


_BRACKETS = Pattern(f"#[^\\n]*|{STRING}|[\\[\\]]")


def check_depth(text: str) -> None:
    """TooDeep at the first '[' nested more than MAX_DEPTH deep (checked
    before parsing: the parser would otherwise build the whole tower)."""
    depth = 0
    for m in _BRACKETS.finditer(text):
        tok = m.group()
        if tok == "[":
            depth += 1
            if depth > MAX_DEPTH:
                raise too_deep(*position(text, m.start()))
        elif tok == "]" and depth:
            depth -= 1


def unclosed_bracket(text: str) -> int | None:
    """Offset of the last '[' left open at the end of ``text``, if any."""
    stack: list[int] = []
    for m in _BRACKETS.finditer(text):
        tok = m.group()
        if tok == "[":
            stack.append(m.start())
        elif tok == "]" and stack:
            stack.pop()
    return stack[-1] if stack else None
