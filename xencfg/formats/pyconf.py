"""xm configs: Python files that ``xm create`` executed, read here as data.

The file is parsed (never run) with libcst, which keeps every character, and
the statements that set a variable become Settings::

    name = 'vm1'                      -> Setting(op="=")
    disk += ['phy:/dev/sdb,xvdb,w']   -> Setting(op="+=")
    disk.append('phy:...')            -> Setting(op="append") (or "extend")

Statements nested in ``if``/``for``/``while``/``try``/``with``/``def`` are
Settings too, marked ``conditional``.  A value that is a plain literal becomes
a Str, Scalar or List; anything xm would have to compute (``%`` formatting,
``+``, a variable, a call...) becomes an Opaque that says why and lists the
string literals inside it.  Every other statement is trivia.

Old configs are sometimes Python 2 only (``print "x"``, ``raise E, "msg"``,
tabs that Python 3 finds ambiguous).  Those are found with the standard
``tokenize`` module (which reads both), neutralised in a private copy of the
text (the statement becomes ``pass``, a tab indentation becomes spaces...),
and the copy is parsed; an offset map brings every position back to the
original text, which is never altered.
"""

from __future__ import annotations

import ast
import bisect
import re
import token
import unicodedata
import warnings
from typing import Any

from xencfg.document import (
    Document,
    List,
    Node,
    Opaque,
    ParseError,
    Scalar,
    Setting,
    Str,
)

__all__ = ["parse", "quote"]

FMT = "xm"

_SURROGATES = re.compile("[\ud800-\udfff]")
_NEWLINES = re.compile(r"\r\n?|\n")
_LONE_CR = re.compile(r"\r(?!\n)")
_CRLF = re.compile(r"\r\n")
_BARE_LF = re.compile(r"(?<!\r)\n")


# --- string literals ---------------------------------------------------------

_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_HEX = frozenset("0123456789abcdefABCDEF")


def _split_literal(raw: str) -> tuple[str, str, str]:
    """(prefix, quote, body) of a Python string token."""
    i = 0
    while i < len(raw) and raw[i] not in "'\"":
        i += 1
    prefix = raw[:i]
    q = raw[i : i + 3]
    if len(q) != 3 or q[0] * 3 != q or len(raw) < i + 6:
        q = raw[i : i + 1]
    return prefix, q, raw[i + len(q) : len(raw) - len(q)]


def _unescape(body: str) -> str:
    """Decode the backslash escapes of a non-raw literal body."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    n = len(body)
    while True:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            break
        out.append(body[i:j])
        c = body[j + 1 : j + 2]
        if c == "":
            raise ValueError("a string cannot end with a backslash")
        if c == "\n":
            i = j + 2
        elif c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
            i = j + 2
        elif "0" <= c <= "7":
            k = j + 1
            while k < n and k < j + 4 and "0" <= body[k] <= "7":
                k += 1
            out.append(chr(int(body[j + 1 : k], 8)))
            i = k
        elif c in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[c]
            digits = body[j + 2 : j + 2 + width]
            if len(digits) != width or not all(d in _HEX for d in digits):
                raise ValueError(f"truncated \\{c} escape")
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise ValueError(f"\\{c}{digits} is not a character")
            out.append(chr(code))
            i = j + 2 + width
        elif c == "N":
            end = body.find("}", j + 3) if body[j + 2 : j + 3] == "{" else -1
            if end < 0:
                raise ValueError("malformed \\N{...} escape")
            try:
                out.append(unicodedata.lookup(body[j + 3 : end]))
            except KeyError:
                raise ValueError(f"unknown character name {body[j + 3 : end]!r}")
            i = end + 1
        else:  # unknown escapes keep their backslash
            out.append("\\" + c)
            i = j + 2
    return "".join(out)


def _decode(raw: str) -> str:
    prefix, _, body = _split_literal(raw)
    if "\r" in body:  # Python reads every line ending as "\n"
        body = _NEWLINES.sub("\n", body)
    if "r" in prefix or "R" in prefix:
        return body
    return _unescape(body)


def _raw_ok(value: str, q: str) -> bool:
    """Whether ``value`` can be written as a raw literal between ``q`` quotes."""
    if "\r" in value or "\0" in value or (len(q) == 1 and "\n" in value):
        return False
    s = value + q
    n = len(value)
    i = 0
    while i < n:
        if s[i] == "\\":
            i += 2
            continue
        if s.startswith(q, i):
            return False
        i += 1
    return i == n


def _escape(value: str, qc: str, triple: bool) -> str:
    out: list[str] = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == qc:
            out.append("\\" + qc)
        elif ch == "\n":
            out.append("\n" if triple else "\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append(ch)
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def quote(value: str, quote: str) -> str:
    """``value`` as a Python string literal in the style ``quote``.

    ``quote`` is the opening of the original literal: ``'``, ``"``, ``'''``,
    ``\"\"\"``, possibly after a prefix (``r'``, ``u"``).  A raw style that
    cannot hold the value (a trailing backslash, the quote itself, a newline
    in a one-line literal) falls back to the escaped form of the same quote.
    """
    q = quote or '"'
    prefix = q.rstrip("'\"")
    qs = q[len(prefix) :]
    if qs not in ("'", '"', "'''", '"""'):
        qs = qs[:1] if qs[:1] in ("'", '"') else '"'
    prefix = "".join(c for c in prefix if c in "rRuU")
    if "r" in prefix or "R" in prefix:
        if _raw_ok(value, qs):
            return prefix + qs + value + qs
        prefix = prefix.replace("r", "").replace("R", "")
    return prefix + qs + _escape(value, qs[0], len(qs) == 3) + qs


# --- positions -----------------------------------------------------------------


def _line_starts(text: str, universal: bool) -> list[int]:
    if universal:
        return [0] + [m.end() for m in _NEWLINES.finditer(text)]
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _offset(starts: list[int], text: str, line: int, col0: int) -> int:
    """Offset of a 1-based line and 0-based column, clamped into the text."""
    line = min(max(line, 1), len(starts))
    begin = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    return min(begin + max(col0, 0), end, len(text))


def _error_at(text: str, offset: int, message: str) -> ParseError:
    starts = _line_starts(text, universal=False)
    line = bisect.bisect_right(starts, offset) - 1
    return ParseError(message, line + 1, offset - starts[line] + 1)


class _Patched:
    """A private copy of the text with some spans replaced, and the way back.

    ``patches`` are (start, end, replacement) in offsets of ``base``, and
    disjoint.  ``orig(p)`` maps an offset in the copy back to ``base``, and
    on through ``outer`` when ``base`` is itself a copy.
    """

    def __init__(
        self,
        base: str,
        patches: list[tuple[int, int, str]],
        outer: "_Patched | None" = None,
    ):
        self.outer = outer
        self.patches = sorted(patches)
        parts: list[str] = []
        self._pstarts: list[int] = []
        pos = 0
        plen = 0
        for start, end, repl in self.patches:
            parts.append(base[pos:start])
            plen += start - pos
            self._pstarts.append(plen)
            parts.append(repl)
            plen += len(repl)
            pos = end
        parts.append(base[pos:])
        self.text = "".join(parts)
        self._starts: list[int] | None = None

    def orig(self, p: int) -> int:
        p = self._back(p)
        return self.outer.orig(p) if self.outer is not None else p

    def _back(self, p: int) -> int:
        if not self.patches:
            return p
        i = bisect.bisect_right(self._pstarts, p) - 1
        if i < 0:
            return p
        start, end, repl = self.patches[i]
        pstart = self._pstarts[i]
        pend = pstart + len(repl)
        if p >= pend:
            return end + (p - pend)
        return start + min(p - pstart, end - start)

    def orig_line_col(self, line: int, col0: int) -> int:
        """Original offset of a (1-based line, 0-based col) in the copy."""
        if self._starts is None:
            self._starts = _line_starts(self.text, universal=True)
        return self.orig(_offset(self._starts, self.text, line, col0))


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


def _ast_check(text: str) -> SyntaxError | None:
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


def _raise_syntax(original: str, patched: _Patched, e: SyntaxError) -> None:
    col0 = (e.offset or 1) - 1
    off = patched.orig_line_col(e.lineno or 1, col0)
    raise _error_at(original, off, _syntax_words(e)) from None


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

    starts = _line_starts(text, universal=True)

    def off(pos: tuple[int, int]) -> int:
        return _offset(starts, text, pos[0], pos[1])

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


def _statements(line: list[_Tok]) -> tuple[list[_Tok], list[list[_Tok]]]:
    """(compound header, simple statements) of a logical line."""
    header: list[_Tok] = []
    rest = line
    if line[0].type == token.NAME and line[0].string in _COMPOUND:
        depth = 0
        lambdas = 0
        for k, t in enumerate(line):
            s = t.string
            if s in _OPEN:
                depth += 1
            elif s in (")", "]", "}"):
                depth -= 1
            elif depth == 0 and s == "lambda":
                lambdas += 1
            elif depth == 0 and s == ":":
                if lambdas:
                    lambdas -= 1
                else:
                    header, rest = line[: k + 1], line[k + 1 :]
                    break
    stmts: list[list[_Tok]] = []
    cur: list[_Tok] = []
    depth = 0
    for t in rest:
        s = t.string
        if s in _OPEN:
            depth += 1
        elif s in (")", "]", "}"):
            depth -= 1
        if depth == 0 and s == ";":
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


_PY2_LONG = re.compile(r"(?<=[0-9a-fA-F])[lL]\b")
_PY2_OCTAL = re.compile(r"\b0(?=[0-9])")


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
    return _ast_check(f"(\n{src}\n,)") is None


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


def _python2(
    original: str, norm: _Patched, first: SyntaxError
) -> tuple[_Patched, tuple[int, str]]:
    """Read ``norm.text`` as Python 2: a patched copy and a note, or ParseError."""
    base = norm.text

    def line_of(off: int) -> int:
        return _error_at(original, norm.orig(off), "").line

    try:
        lines = _tokenize(base)
    except _At as e:
        raise _error_at(original, norm.orig(e.offset), e.message) from None
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
    patched = _Patched(base, patches, norm)
    err: SyntaxError | None = first if not tabs else _ast_check(patched.text)
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
        patched = _Patched(base, patches, norm)
        err = _ast_check(patched.text)
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


# --- libcst ------------------------------------------------------------------------

_cst: Any = None
_Spans: Any = None


def _load() -> None:
    """Import libcst (slow) on first use and define the offset recorder."""
    global _cst, _Spans
    if _cst is not None:
        return
    from contextlib import contextmanager

    with warnings.catch_warnings():  # libcst 1.0 warns about its own imports
        warnings.simplefilter("ignore", DeprecationWarning)
        import libcst
        from libcst._nodes.internal import CodegenState

    class Spans(CodegenState):  # type: ignore[misc]
        """Code generation that only counts characters, recording node spans.

        ``syn`` holds the syntactic span (as libcst's PositionProvider, i.e.
        without enclosing parentheses); ``inc`` the span including them.
        """

        def __init__(self, module: Any):
            super().__init__(
                default_indent=module.default_indent,
                default_newline=module.default_newline,
            )
            self.pos = 0
            self.stack: list[int] = []
            self.syn: dict[int, tuple[int, int]] = {}
            self.inc: dict[int, tuple[int, int]] = {}

        def add_indent_tokens(self) -> None:
            for t in self.indent_tokens:
                self.add_token(t)

        def add_token(self, value: str) -> None:
            self.tokens.append(value)
            self.pos += len(value)

        def pop_trailing_newline(self) -> None:
            if self.tokens:
                self.pos -= len(self.tokens.pop())

        def before_codegen(self, node: Any) -> None:
            self.stack.append(self.pos)

        def after_codegen(self, node: Any) -> None:
            self.inc[id(node)] = (self.stack.pop(), self.pos)

        @contextmanager
        def record_syntactic_position(
            self, node: Any, *, start_node: Any = None, end_node: Any = None
        ) -> Any:
            start = self.pos
            try:
                yield
            finally:
                end = self.pos
                if start_node is not None:
                    start = self.span(start_node)[0]
                if end_node is not None:
                    end = self.span(end_node)[1]
                self.syn[id(node)] = (start, end)

        def span(self, node: Any) -> tuple[int, int]:
            got = self.syn.get(id(node))
            return got if got is not None else self.inc[id(node)]

    _Spans = Spans
    _cst = libcst


_BINOPS = {
    "Add": "+",
    "Subtract": "-",
    "Multiply": "*",
    "Divide": "/",
    "FloorDivide": "//",
    "Modulo": "%",
    "Power": "**",
    "MatrixMultiply": "@",
    "BitOr": "|",
    "BitAnd": "&",
    "BitXor": "^",
    "LeftShift": "<<",
    "RightShift": ">>",
}


def _dotted(e: Any) -> str | None:
    cst = _cst
    if isinstance(e, cst.Name):
        return e.value
    if isinstance(e, cst.Attribute):
        left = _dotted(e.value)
        return f"{left}.{e.attr.value}" if left else None
    return None


def _reason(e: Any) -> str:
    cst = _cst
    if isinstance(e, cst.BinaryOperation):
        op = _BINOPS.get(type(e.operator).__name__, "?")
        if op == "%":
            return "'%' formatting"
        if op == "+":
            return "'+' concatenation"
        return f"'{op}' arithmetic"
    if isinstance(e, cst.Name):
        return f"a variable '{e.value}'"
    if isinstance(e, cst.Attribute):
        name = _dotted(e)
        return f"an attribute '{name}'" if name else "an attribute"
    if isinstance(e, cst.Call):
        return "a function call"
    if isinstance(e, cst.ConcatenatedString):
        return "implicit string concatenation"
    if isinstance(e, cst.FormattedString):
        return "an f-string"
    if isinstance(e, cst.SimpleString):
        return "a bytes literal"
    if isinstance(e, cst.Subscript):
        return "a subscript"
    if isinstance(e, cst.IfExp):
        return "a conditional expression"
    if isinstance(e, (cst.Dict, cst.DictComp)):
        return "a dict"
    if isinstance(e, cst.Set):
        return "a set"
    if isinstance(e, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        return "a comprehension"
    if isinstance(e, cst.Lambda):
        return "a lambda"
    if isinstance(e, cst.Comparison):
        return "a comparison"
    if isinstance(e, cst.BooleanOperation):
        return "an 'and'/'or' expression"
    if isinstance(e, cst.UnaryOperation):
        return "an operator expression"
    if isinstance(e, cst.StarredElement):
        return "'*' unpacking"
    return "a computed value"


class _Align:
    """Offsets in libcst's regenerated code mapped to the text it parsed.

    libcst 1.0.1 drops a little whitespace in a few places (``except E :``,
    comment lines after the last indented block, a leading form feed).  When
    its code differs from the text, the two are aligned (lines first, then
    characters inside changed lines) and node spans are carried across.
    """

    def __init__(self, code: str, text: str):
        from difflib import SequenceMatcher

        self.code = code
        self.text = text
        a = code.splitlines(keepends=True)
        b = text.splitlines(keepends=True)
        ao = [0]
        for line in a:
            ao.append(ao[-1] + len(line))
        bo = [0]
        for line in b:
            bo.append(bo[-1] + len(line))
        segs: list[tuple[int, int, int]] = []
        lines = SequenceMatcher(None, a, b, autojunk=False)
        for tag, i1, i2, j1, j2 in lines.get_opcodes():
            if tag == "equal":
                segs.append((ao[i1], bo[j1], ao[i2] - ao[i1]))
            elif i2 > i1 and j2 > j1:
                ca, cb = code[ao[i1] : ao[i2]], text[bo[j1] : bo[j2]]
                chars = SequenceMatcher(None, ca, cb, autojunk=False)
                for i, j, n in chars.get_matching_blocks():
                    if n:
                        segs.append((ao[i1] + i, bo[j1] + j, n))
        self.segs = segs
        self.starts = [sg[0] for sg in segs]

    def __call__(self, c: int) -> int:
        k = bisect.bisect_right(self.starts, c) - 1
        if k < 0:
            return 0
        cs, ts, n = self.segs[k]
        return ts + min(c - cs, n)

    def check(self, cs: int, ce: int) -> None:
        if self.code[cs:ce] != self.text[self(cs) : self(ce)]:
            raise AssertionError(f"cannot align libcst output at offset {cs}")


class _Builder:
    def __init__(
        self, original: str, patched: _Patched, spans: Any, align: _Align | None
    ):
        self.text = original
        self.patched = patched
        self.spans = spans
        self.align = align
        self.body: list[Node] = []

    # -- positions ----------------------------------------------------------
    def _map(self, s: int, e: int) -> tuple[int, int]:
        if self.align is not None:
            self.align.check(s, e)
            s, e = self.align(s), self.align(e)
        return self.patched.orig(s), self.patched.orig(e)

    def syn(self, node: Any) -> tuple[int, int]:
        return self._map(*self.spans.span(node))

    def inc(self, node: Any) -> tuple[int, int]:
        return self._map(*self.spans.inc[id(node)])

    # -- statements -----------------------------------------------------------
    def block(self, stmts: Any, cond: bool) -> None:
        cst = _cst
        for st in stmts:
            if isinstance(st, cst.SimpleStatementLine):
                for small in st.body:
                    self.small(small, cond)
            elif isinstance(st, cst.BaseSmallStatement):
                self.small(st, cond)
            elif isinstance(st, cst.If):
                self.suite(st.body)
                if isinstance(st.orelse, cst.If):
                    self.block([st.orelse], True)
                elif st.orelse is not None:
                    self.suite(st.orelse.body)
            elif isinstance(st, (cst.For, cst.While)):
                self.suite(st.body)
                if st.orelse is not None:
                    self.suite(st.orelse.body)
            elif isinstance(st, (cst.Try, getattr(cst, "TryStar", cst.Try))):
                self.suite(st.body)
                for h in st.handlers:
                    self.suite(h.body)
                if st.orelse is not None:
                    self.suite(st.orelse.body)
                if st.finalbody is not None:
                    self.suite(st.finalbody.body)
            elif isinstance(st, (cst.With, cst.FunctionDef)):
                self.suite(st.body)
            elif hasattr(cst, "Match") and isinstance(st, cst.Match):
                for case in st.cases:
                    self.suite(case.body)
            # class bodies and anything else: trivia

    def suite(self, suite: Any) -> None:
        self.block(suite.body, True)

    def small(self, st: Any, cond: bool) -> None:
        cst = _cst
        key = value = None
        op = "="
        if isinstance(st, cst.Assign):
            if len(st.targets) == 1 and isinstance(st.targets[0].target, cst.Name):
                key, value = st.targets[0].target, st.value
        elif isinstance(st, cst.AnnAssign):
            if st.value is not None and isinstance(st.target, cst.Name):
                key, value = st.target, st.value
        elif isinstance(st, cst.AugAssign):
            if isinstance(st.operator, cst.AddAssign) and isinstance(
                st.target, cst.Name
            ):
                key, value, op = st.target, st.value, "+="
        elif isinstance(st, cst.Expr):
            call = st.value
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and isinstance(call.func.value, cst.Name)
                and call.func.attr.value in ("append", "extend")
                and len(call.args) == 1
                and not call.args[0].star
                and call.args[0].keyword is None
            ):
                key, value, op = (
                    call.func.value,
                    call.args[0].value,
                    call.func.attr.value,
                )
        if key is None:
            return
        start, end = self.syn(st)
        self.body.append(
            Setting(
                start,
                end,
                key=key.value,
                op=op,
                value=self.value(value),
                key_start=self.syn(key)[0],
                conditional=cond,
            )
        )

    # -- values ----------------------------------------------------------------
    def string(self, e: Any) -> Str | None:
        start, end = self.syn(e)
        raw = self.text[start:end]
        prefix, q, _ = _split_literal(raw)
        if "b" in prefix or "B" in prefix:
            return None
        try:
            value = _decode(raw)
        except ValueError as err:
            raise _error_at(self.text, start, f"invalid escape in string: {err}")
        return Str(start, end, value=value, quote=prefix + q)

    def value(self, e: Any) -> Node:
        cst = _cst
        if isinstance(e, cst.SimpleString):
            s = self.string(e)
            if s is not None:
                return s
        elif isinstance(e, (cst.Integer, cst.Float, cst.Imaginary)):
            start, end = self.syn(e)
            return Scalar(start, end, value=self.text[start:end])
        elif isinstance(e, cst.Name) and e.value in ("True", "False", "None"):
            start, end = self.syn(e)
            return Scalar(start, end, value=e.value)
        elif (
            isinstance(e, cst.UnaryOperation)
            and isinstance(e.operator, (cst.Minus, cst.Plus))
            and isinstance(e.expression, (cst.Integer, cst.Float, cst.Imaginary))
        ):
            start, end = self.syn(e)
            raw = self.text[start:end]
            num_start, num_end = self.syn(e.expression)
            if raw[1:] == self.text[num_start:num_end]:
                return Scalar(start, end, value=raw)
        elif isinstance(e, (cst.List, cst.Tuple)):
            start, end = self.inc(e) if e.lpar else self.syn(e)
            items = [
                self.value(el.value) if isinstance(el, cst.Element) else self.opaque(el)
                for el in e.elements
            ]
            return List(start, end, items=items)
        return self.opaque(e)

    def opaque(self, e: Any) -> Opaque:
        cst = _cst
        start, end = self.syn(e)
        items: list[Node] = []
        stack = [e]
        while stack:
            n = stack.pop()
            if isinstance(n, cst.SimpleString):
                s = self.string(n)
                if s is not None:
                    items.append(s)
            else:
                stack.extend(reversed(n.children))
        return Opaque(start, end, reason=_reason(e), items=items)


# --- entry point -------------------------------------------------------------------


def parse(text: str, path: str = "-") -> Document:
    """Read an xm config; raises ParseError for input Python cannot read."""
    # A private copy for the parsers; offsets are characters, so every
    # substitution keeps the length: lone surrogates (undecodable bytes) become
    # "?", and a lone "\r" line break (which libcst cannot read but Python
    # does) becomes "\n".
    base = _SURROGATES.sub("?", text)
    if "\r" in base:
        base = _LONE_CR.sub("\n", base)
    nul = base.find("\0")
    if nul >= 0:
        raise _error_at(text, nul, "null byte in file")
    # Length-changing normalisations, mapped back by offset: a byte-order
    # mark goes, and mixed line endings (which libcst cannot read) become "\n".
    pre: list[tuple[int, int, str]] = []
    if base.startswith("\ufeff"):
        pre.append((0, 1, ""))
    if "\r\n" in base and _BARE_LF.search(base):
        pre.extend((m.start(), m.start() + 1, "") for m in _CRLF.finditer(base))
    norm = _Patched(base, pre)
    patched = _Patched(norm.text, [], norm)
    notes: list[tuple[int, str]] = []
    err = _ast_check(patched.text)
    if err is not None:
        patched, note = _python2(text, norm, err)
        notes.append(note)

    _load()
    cst = _cst
    try:
        module = cst.parse_module(patched.text)
    except cst.ParserSyntaxError as e:
        off = patched.orig_line_col(e.raw_line, e.raw_column)
        detail = str(e.message).split("\n")[0]
        detail = re.sub(r"^parser error: |^tokenizer error: ", "", detail)
        detail = re.sub(r"error at \d+:\d+: ", "", detail)
        raise _error_at(text, off, f"invalid Python syntax: {detail}") from None
    except RecursionError:
        raise _error_at(text, 0, "invalid Python syntax: too deeply nested") from None
    except Exception:  # the native parser can fail in other ways
        raise _error_at(text, 0, "the Python parser could not read this file") from None

    try:
        spans = _Spans(module)
        module._codegen(spans)
        code = "".join(spans.tokens)
        align = None if code == patched.text else _Align(code, patched.text)
        builder = _Builder(text, patched, spans, align)
        builder.block(module.body, False)
    except RecursionError:
        raise _error_at(text, 0, "expression too deeply nested to read") from None
    doc = Document(text, FMT, builder.body, quote, path)
    doc.notes.extend(notes)
    return doc
