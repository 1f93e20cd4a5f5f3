"""Python 2 syntax in xm configs, rewritten in a private Python 3 copy.

Found with the standard ``tokenize`` module (which reads both); the original
text is never altered, and a Patched maps positions back to it.
"""

from __future__ import annotations

import ast
import bisect
import re
import token
import warnings

from xencfg.formats.pypos import Patched, error_at, line_starts, offset_at
from .. import rxstore

# --- Python syntax errors --------------------------------------------------------


def _syntax_words(e: SyntaxError) -> str:
    msg = (e.msg or "invalid syntax").strip()
    if msg.startswith("unterminated triple-quoted string"):
        return "unterminated triple-quoted string"
    if msg.startswith("unterminated string"):
        return "unterminated string"
    if msg.startswith("(unicode error)"):
        detail = msg.split(": ", 2)[-1]
        return f"invalid escape in string: {detail}"
    if isinstance(e, IndentationError):  # includes TabError
        return msg
    return f"invalid Python syntax: {msg}"


def ast_check(text: str) -> SyntaxError | None:
    """The first error CPython finds in ``text``, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as e:
        return e
    except (RecursionError, MemoryError):
        return SyntaxError("too deeply nested", ("", 1, 1, ""))
    return None


def _raise_syntax(original: str, patched: Patched, e: SyntaxError) -> None:
    col0 = (e.offset or 1) - 1
    off = patched.orig_line_col(e.lineno or 1, col0)
    raise error_at(original, off, _syntax_words(e)) from None


# --- Python 2 ----------------------------------------------------------------------

_COMPOUND = frozenset(
    "if elif else for while try except finally with def class".split()
)
_OPEN = {"(": ")", "[": "]", "{": "}"}


class _Tok:
    __slots__ = ("type", "string", "start", "end")

    def __init__(self, type_: int, string: str, start: int, end: int):
        self.type = type_
        self.string = string
        self.start = start
        self.end = end


class _At(Exception):
    """A tokenizer error at an offset of the text it read."""

    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


def _tokenize(text: str) -> list[list[_Tok]]:
    """Logical lines of significant tokens (offsets into ``text``), or _At."""
    import io
    import tokenize

    starts = line_starts(text, universal=True)

    def off(pos: tuple[int, int]) -> int:
        return offset_at(starts, text, pos[0], pos[1])

    skip = {
        tokenize.NL,
        tokenize.COMMENT,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    lines: list[list[_Tok]] = []
    cur: list[_Tok] = []
    brackets: list[_Tok] = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            if t.type == tokenize.NEWLINE:
                if cur:
                    lines.append(cur)
                cur = []
                continue
            if t.type in skip:
                continue
            if t.type == tokenize.ERRORTOKEN:
                if t.string.isspace():
                    continue
                if t.string in ("'", '"'):
                    raise _At(off(t.start), "unterminated string")
            tok = _Tok(t.type, t.string, off(t.start), off(t.end))
            if t.type == tokenize.OP:
                if t.string in _OPEN:
                    brackets.append(tok)
                elif t.string in (")", "]", "}"):
                    if not brackets:
                        raise _At(tok.start, f"unmatched '{t.string}'")
                    opener = brackets.pop()
                    if _OPEN[opener.string] != t.string:
                        what = f"'{t.string}' does not match '{opener.string}'"
                        raise _At(tok.start, what)
            cur.append(tok)
    except tokenize.TokenError as e:
        what = str(e.args[0]) if e.args else ""
        if "string" in what:
            pos = e.args[1] if len(e.args) > 1 else (1, 0)
            raise _At(off(pos), "unterminated triple-quoted string") from None
        if brackets:
            b = brackets[-1]
            raise _At(b.start, f"'{b.string}' was never closed") from None
        raise _At(len(text), "unexpected end of file") from None
    except IndentationError as e:
        pos = (e.lineno or 1, (e.offset or 1) - 1)
        raise _At(off(pos), e.msg or "bad indentation") from None
    if cur:
        lines.append(cur)
    return lines


def _top_level(tokens: list[_Tok]):
    """(index, token) of each token outside any brackets (not the brackets)."""
    depth = 0
    for k, t in enumerate(tokens):
        s = t.string
        if s in _OPEN:
            depth += 1
        elif s in (")", "]", "}"):
            depth -= 1
        elif depth == 0:
            yield k, t


def _statements(line: list[_Tok]) -> tuple[list[_Tok], list[list[_Tok]]]:
    """(compound header, simple statements) of a logical line."""
    header: list[_Tok] = []
    rest = line
    if line[0].type == token.NAME and line[0].string in _COMPOUND:
        lambdas = 0
        for k, t in _top_level(line):
            if t.string == "lambda":
                lambdas += 1
            elif t.string == ":":
                if lambdas:
                    lambdas -= 1
                else:
                    header, rest = line[: k + 1], line[k + 1 :]
                    break
    stmts: list[list[_Tok]] = []
    cur: list[_Tok] = []
    semicolons = {k for k, t in _top_level(rest) if t.string == ";"}
    for k, t in enumerate(rest):
        if k in semicolons:
            if cur:
                stmts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        stmts.append(cur)
    return header, stmts


def _top_comma(toks: list[_Tok]) -> _Tok | None:
    depth = 0
    for t in toks:
        if t.type != token.OP:
            continue
        if t.string in _OPEN:
            depth += 1
        elif t.string in (")", "]", "}"):
            depth -= 1
        elif depth == 0 and t.string == ",":
            return t
    return None


_PY2_LONG = rxstore.compile(r"(?<=[0-9a-fA-F])[lL]\b")
_PY2_OCTAL = rxstore.compile(r"\b0(?=[0-9])")


def _py2_operands(text: str, keyword: str, toks: list[_Tok]) -> bool:
    """Whether the operands of a Python 2 print/exec/raise read as Python.

    ``print >>f, a, b,`` / ``exec code in d`` / ``raise E, msg, tb`` are
    checked as a tuple of expressions, so garbage is not hidden.
    """
    if keyword == "print" and toks and toks[0].string == ">>":
        toks = toks[1:]
    if toks and toks[-1].string == ",":
        toks = toks[:-1]
    if not toks:
        return keyword == "print"
    src = text[toks[0].start : toks[-1].end]
    if keyword == "exec":
        src = re.sub(r"\bin\b", ",", src)
    parts = src.split("`")
    src = "".join(p + ("(" if k % 2 == 0 else ")") for k, p in enumerate(parts))
    src = src[:-1].replace("<>", "!=")
    src = _PY2_OCTAL.sub(" ", _PY2_LONG.sub(" ", src))
    return ast_check(f"(\n{src}\n,)") is None


def _blank(text: str, start: int, end: int, keep: str = "pass") -> str:
    """``keep`` followed by ``text[start:end]`` with all but line breaks blanked."""
    rest = text[start + len(keep) : end]
    return keep + "".join(c if c in "\r\n" else " " for c in rest)


def _py2_fixes(text: str, line: list[_Tok]) -> list[tuple[int, int, str, str]]:
    """Same-meaning Python 3 spellings for the Python 2 syntax of one line.

    Returns (start, end, replacement, description) patches.
    """
    NAME, NUMBER, STRING = token.NAME, token.NUMBER, token.STRING
    out: list[tuple[int, int, str, str]] = []
    header, stmts = _statements(line)
    if header and header[0].string == "except":
        comma = _top_comma(header[1:-1])
        if comma is not None:
            colon = header[-1]
            out.append((comma.start, colon.start, "", "'except E, name:'"))
    for st in stmts:
        first = st[0]
        kind = None
        if first.type == NAME and len(st) > 1:
            if first.string == "print":
                kind = "'print' statement"
            elif first.string == "exec":
                kind = "'exec' statement"
            elif first.string == "raise" and _top_comma(st[1:]) is not None:
                kind = "'raise E, msg'"
        if kind and _py2_operands(text, first.string, st[1:]):
            end = st[-1].end
            out.append((first.start, end, _blank(text, first.start, end), kind))
    covered = [(s, e) for s, e, _r, _w in out]
    ticks: list[_Tok] = []
    for k, t in enumerate(line):
        if any(s <= t.start < e for s, e in covered):
            continue
        nxt = line[k + 1] if k + 1 < len(line) else None
        adjacent = nxt is not None and nxt.start == t.end
        if t.string == "`":
            ticks.append(t)
        elif t.string == "<" and adjacent and nxt.string == ">":
            out.append((t.start, nxt.end, "!=", "'<>'"))
        elif t.type == NUMBER and t.string == "0" and adjacent and nxt.type == NUMBER:
            if nxt.string.isdigit():
                out.append((t.start, t.end, "1", "an octal literal like 0777"))
        elif t.type == NUMBER and adjacent and nxt.type == NAME and nxt.string in "lL":
            out.append((nxt.start, nxt.end, "0", "a long integer like 10L"))
        elif (
            t.type == NAME
            and t.string.lower() in ("ur", "br")
            and adjacent
            and nxt.type == STRING
            and nxt.string[:1] in "'\""
        ):
            # "ur'x'" -> "r'x'": the literal still starts at the "u"
            what = f"a '{t.string}' string prefix"
            out.append((t.start, t.end, t.string[1:], what))
    for k in range(0, len(ticks) - 1, 2):
        a, b = ticks[k], ticks[k + 1]
        out.append((a.start, a.end, "(", "backquotes"))
        out.append((b.start, b.end, ")", "backquotes"))
    return out


def _indent_fixes(text: str, lines: list[list[_Tok]]) -> list[tuple[int, int, str]]:
    """Tab indentation rewritten as the spaces Python 2 saw (tab = 8 columns)."""
    out: list[tuple[int, int, str]] = []
    for line in lines:
        first = line[0]
        bol = text.rfind("\n", 0, first.start) + 1
        ws = text[bol : first.start]
        if "\t" not in ws:
            continue
        col = 0
        for c in ws:
            if c == "\t":
                col = (col // 8 + 1) * 8
            elif c == "\f":
                col = 0
            else:
                col += 1
        out.append((bol, first.start, " " * col))
    return out


def _mixed_indent(text: str, lines: list[list[_Tok]]) -> bool:
    """Whether statement indentation mixes tabs and spaces."""
    kinds = set()
    for line in lines:
        start = line[0].start
        bol = text.rfind("\n", 0, start) + 1
        kinds.update(c for c in text[bol:start] if c in " \t")
    return len(kinds) == 2


def python2(
    original: str, norm: Patched, first: SyntaxError
) -> tuple[Patched, tuple[int, str]]:
    """Read ``norm.text`` as Python 2: a patched copy and a note, or ParseError."""
    base = norm.text

    def line_of(off: int) -> int:
        return error_at(original, norm.orig(off), "").line

    try:
        lines = _tokenize(base)
    except _At as e:
        raise error_at(original, norm.orig(e.offset), e.message) from None
    patches: list[tuple[int, int, str]] = []
    found: dict[str, list[int]] = {}
    taken: set[tuple[int, int]] = set()
    tabs = _indent_fixes(base, lines)
    for p in tabs:
        patches.append(p)
        taken.add((p[0], p[1]))
    if tabs and _mixed_indent(base, lines):
        found["tabs in indentation read as 8 columns"] = [line_of(p[1]) for p in tabs]
    line_starts = [ln[0].start for ln in lines]
    patched = Patched(base, patches, norm)
    err: SyntaxError | None = first if not tabs else ast_check(patched.text)
    for _ in range(len(lines) + 2):
        if err is None:
            break
        off = patched.orig_line_col(err.lineno or 1, (err.offset or 1) - 1)
        k = bisect.bisect_right(line_starts, off) - 1
        new = []
        if k >= 0:
            for s, e, repl, what in _py2_fixes(base, lines[k]):
                if (s, e) not in taken and not any(
                    s < te and ts < e for ts, te in taken
                ):
                    new.append((s, e, repl))
                    taken.add((s, e))
                    found.setdefault(what, []).append(line_of(s))
        if not new:
            _raise_syntax(original, patched, err)
        patches.extend(new)
        patched = Patched(base, patches, norm)
        err = ast_check(patched.text)
    if err is not None:
        _raise_syntax(original, patched, err)
    parts = []
    first_line = None
    for what, where in sorted(found.items(), key=lambda kv: min(kv[1])):
        where = sorted(set(where))
        first_line = where[0] if first_line is None else min(first_line, where[0])
        shown = ", ".join(map(str, where[:5])) + (", ..." if len(where) > 5 else "")
        parts.append(f"{what} (line{'s' if len(where) > 1 else ''} {shown})")
    note = "parsed as Python 2 with the tokenizer: " + "; ".join(parts)
    return patched, (first_line or 1, note)
