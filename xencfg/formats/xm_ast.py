"""A fast reader for xm configs on CPython's own ``ast`` module.

libcst is the reference reader (``xm``); building its tree costs about
ten times what ``ast.parse`` does.  This module builds the same Document from
``ast`` node positions for the common case and *declines* (returns None, and
the caller uses libcst) whenever it is not sure the two would agree: Python 2
files, unusual characters (carriage returns, form feeds, byte-order marks,
undecodable bytes), f-strings, implicit string concatenation, newer
statements, parentheses it cannot pair without a tokenizer...  The tests
compare both readers on the corpus, on mutated files and on generated ones.

``ast`` gives 1-based lines and columns in UTF-8 bytes; they are turned into
character offsets line by line (a pure-ASCII line needs no conversion).
"""

from __future__ import annotations

import ast
import re
import warnings

from xencfg.document import Document, List, Node, Opaque, Scalar, Setting, Str
from xencfg.formats.limits import python_too_deep
from xencfg.formats.pystrings import decode, quote, split_literal

__all__ = ["parse"]

FMT = "xm"

# Text the fast reader leaves to libcst, before parsing anything: carriage
# returns, form feeds, vertical tabs, NUL, a byte-order mark, undecodable
# bytes (surrogates), and anything that may be an f-string prefix.
_DECLINE_TEXT = re.compile(
    "[\r\f\v\0\ufeff\ud800-\udfff]|(?<![A-Za-z0-9_])[rRbB]?[fF][rRbB]?['\"]"
)
# One whole string literal (not an implicit concatenation); unrolled, so a
# long string is matched in constant memory.
_ONE_STRING = re.compile(
    r"[A-Za-z]{0,2}(?:'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")\Z',
    re.S,
)

# Statements whose shape is known: settings come from the first four, the
# bodies of the compound ones are read as conditional, the rest are trivia.
_SMALL = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)
_TRIVIA = tuple(
    getattr(ast, n)
    for n in "Pass Import ImportFrom Global Nonlocal Delete Return Break Continue "
    "Raise Assert".split()
)
_COMPOUND = tuple(
    getattr(ast, n)
    for n in "If For AsyncFor While Try With AsyncWith FunctionDef "
    "AsyncFunctionDef".split()
)

_BINOPS = {
    getattr(ast, n): op
    for n, op in zip(
        "Add Sub Mult Div FloorDiv Mod Pow MatMult BitOr BitAnd BitXor LShift "
        "RShift".split(),
        "+ - * / // % ** @ | & ^ << >>".split(),
    )
}

# What else xm would compute, in libcst's words (xm._REASONS).
_REASONS = {
    ast.Call: "a function call",
    ast.Subscript: "a subscript",
    ast.IfExp: "a conditional expression",
    ast.Dict: "a dict",
    ast.DictComp: "a dict",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
    ast.BoolOp: "an 'and'/'or' expression",
    ast.UnaryOp: "an operator expression",
    ast.Starred: "'*' unpacking",
}
# Expressions whose ast span differs from libcst's, or that libcst may read
# otherwise: left to libcst.
_UNSURE = (ast.GeneratorExp, ast.JoinedStr, ast.Await, ast.Yield, ast.YieldFrom)
_NUMBER = (int, float, complex)


class Decline(Exception):
    """The fast reader is not sure; libcst decides."""


def _dotted(e: ast.expr) -> str | None:
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        left = _dotted(e.value)
        return f"{left}.{e.attr}" if left else None
    return None


def _reason(e: ast.expr) -> str:
    if isinstance(e, ast.BinOp):
        op = _BINOPS.get(type(e.op), "?")
        if op == "%":
            return "'%' formatting"
        if op == "+":
            return "'+' concatenation"
        return f"'{op}' arithmetic"
    if isinstance(e, ast.Name):
        return f"a variable '{e.id}'"
    if isinstance(e, ast.Attribute):
        name = _dotted(e)
        return f"an attribute '{name}'" if name else "an attribute"
    if isinstance(e, ast.Constant) and isinstance(e.value, bytes):
        return "a bytes literal"
    return _REASONS.get(type(e), "a computed value")


class _Reader:
    def __init__(self, text: str):
        self.text = text
        lines = text.split("\n")
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line) + 1)
        self.lines = lines
        self.starts = starts
        self.ascii = text.isascii()  # then columns are characters already
        self.body: list[Node] = []

    # -- positions ----------------------------------------------------------
    def off(self, line: int, col: int) -> int:
        """Character offset of an ast (1-based line, UTF-8 byte column)."""
        text = self.lines[line - 1]
        if not text.isascii():
            col = len(text.encode("utf-8")[:col].decode("utf-8", "strict"))
        return self.starts[line - 1] + col

    def span(self, n: ast.AST) -> tuple[int, int]:
        if n.end_lineno is None or n.end_col_offset is None:
            raise Decline("no position")
        if self.ascii:
            starts = self.starts
            return (
                starts[n.lineno - 1] + n.col_offset,
                starts[n.end_lineno - 1] + n.end_col_offset,
            )
        return self.off(n.lineno, n.col_offset), self.off(
            n.end_lineno, n.end_col_offset
        )

    def _back(self, i: int) -> int:
        """The offset of the first significant character before ``i``; a
        line break is crossed when the line before has no ``#`` at all (so
        no comment can end it)."""
        text = self.text
        while i > 0:
            c = text[i - 1]
            if c in " \t":
                i -= 1
            elif c == "\n" and i > 1 and text[i - 2] == "\\":
                i -= 2
            elif c == "\n":
                if "#" in text[text.rfind("\n", 0, i - 1) + 1 : i]:
                    raise Decline("a comment may end the line before a bracket")
                i -= 1
            else:
                return i - 1
        return -1

    def _ahead(self, i: int) -> int:
        """The offset of the first significant character from ``i`` on
        (whitespace, continuations and comments skipped)."""
        text = self.text
        n = len(text)
        while i < n:
            c = text[i]
            if c in " \t\n\\":
                i += 1
            elif c == "#":
                j = text.find("\n", i)
                i = n if j < 0 else j
            else:
                return i
        return n

    def outer(self, e: ast.expr, call_paren: int) -> tuple[int, int]:
        """A list's or tuple's span with the parentheses around it, which
        libcst counts as its own (``call_paren``: the opening one of a call
        whose argument it is)."""
        start, end = self.span(e)
        text = self.text
        while True:
            b = self._back(start)
            if b < 0 or text[b] != "(" or b == call_paren:
                break
            a = self._ahead(end)
            if a >= len(text) or text[a] != ")":
                break
            start, end = b, a + 1
        b = self._back(start)
        if b < 0 or text[b] not in "=,[(":
            raise Decline("unexpected text before a bracket")
        return start, end

    def check_names(self, tree: ast.AST) -> None:
        """Python reads full-width letters in names as ASCII ones (NFKC);
        libcst keeps the names as written.  A name spelt otherwise than ast
        reports it is left to libcst."""
        text = self.text
        for n in ast.walk(tree):
            if isinstance(n, ast.Name):
                start, end = self.span(n)
                if text[start:end] != n.id:
                    raise Decline("a name spelt otherwise")
            elif isinstance(n, ast.Attribute):
                end = self.span(n)[1]
                if text[end - len(n.attr) : end] != n.attr:
                    raise Decline("an attribute spelt otherwise")

    # -- statements -----------------------------------------------------------
    def block(self, stmts: list[ast.stmt], cond: bool) -> None:
        for st in stmts:
            if isinstance(st, _SMALL):
                self.small(st, cond)
            elif isinstance(st, _COMPOUND):
                self.block(st.body, True)
                for h in getattr(st, "handlers", ()):
                    self.block(h.body, True)
                self.block(getattr(st, "orelse", []), True)
                self.block(getattr(st, "finalbody", []), True)
            elif isinstance(st, ast.ClassDef):
                self.check_only(st.body)
            elif not isinstance(st, _TRIVIA):
                raise Decline(type(st).__name__)

    def check_only(self, stmts: list[ast.stmt]) -> None:
        """A class body is trivia, but must hold nothing libcst may not read."""
        saved = self.body
        self.body = []
        self.block(stmts, True)
        self.body = saved

    def small(self, st: ast.stmt, cond: bool) -> None:
        key = value = None
        op = "="
        call_paren = -1
        if isinstance(st, ast.Assign):
            if len(st.targets) == 1:
                t = st.targets[0]
                if isinstance(t, ast.Name):
                    key, value = t, st.value
                elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    key, value, op = t.value, st.value, "item"
        elif isinstance(st, ast.AnnAssign):
            if st.value is not None and isinstance(st.target, ast.Name):
                key, value = st.target, st.value
        elif isinstance(st, ast.AugAssign):
            if isinstance(st.target, ast.Name):
                key, value = st.target, st.value
                op = "+=" if isinstance(st.op, ast.Add) else "augmented"
        elif isinstance(st, ast.Expr):
            key, value, op = self.method_call(st.value)
            if key is not None:
                call_paren = self._ahead(self.span(st.value.func)[1])
        if key is None:
            return
        if op == "call":
            node = self.opaque(value)
            node.start = self.attr_start(value.func)
            node.reason = f"changed by .{value.func.attr}(...)"
        elif op == "augmented":
            node = self.opaque(value)
            node.reason = "an augmented assignment"
        else:
            node = self.value(value, call_paren)
        start, end = self.span(st)
        key_start, key_end = self.span(key)
        self.body.append(
            Setting(
                start,
                end,
                key=self.text[key_start:key_end],
                op=op,
                value=node,
                key_start=key_start,
                conditional=cond,
            )
        )

    def attr_start(self, attr: ast.Attribute) -> int:
        end = self.span(attr)[1]
        start = end - len(attr.attr)
        if self.text[start:end] != attr.attr:
            raise Decline("attribute name spelt otherwise")
        return start

    @staticmethod
    def method_call(call: ast.expr) -> tuple:
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
        ):
            return None, None, "="
        name, method = call.func.value, call.func.attr
        plain = not call.keywords and not any(
            isinstance(a, ast.Starred) for a in call.args
        )
        if plain and method in ("append", "extend") and len(call.args) == 1:
            return name, call.args[0], method
        if plain and method == "insert" and len(call.args) == 2:
            return name, call.args[1], method
        return name, call, "call"

    # -- values ----------------------------------------------------------------
    def string(self, e: ast.Constant) -> Str:
        start, end = self.span(e)
        raw = self.text[start:end]
        if not _ONE_STRING.match(raw):
            raise Decline("implicit string concatenation")
        prefix, q, _ = split_literal(raw)
        try:
            value = decode(raw)
        except ValueError:
            raise Decline("libcst words the error") from None
        if value != e.value:
            raise Decline("a string read otherwise")
        return Str(start, end, value=value, quote=prefix + q)

    def value(self, e: ast.expr, call_paren: int = -1) -> Node:
        if isinstance(e, ast.Constant):
            v = e.value
            if isinstance(v, str):
                return self.string(e)
            if v is None or isinstance(v, bool):
                start, end = self.span(e)
                return Scalar(start, end, value=self.text[start:end])
            if isinstance(v, _NUMBER):
                start, end = self.span(e)
                return Scalar(start, end, value=self.text[start:end])
        elif (
            isinstance(e, ast.UnaryOp)
            and isinstance(e.op, (ast.USub, ast.UAdd))
            and isinstance(e.operand, ast.Constant)
            and type(e.operand.value) in _NUMBER
        ):
            start, end = self.span(e)
            raw = self.text[start:end]
            num_start, num_end = self.span(e.operand)
            if raw[1:] == self.text[num_start:num_end]:
                return Scalar(start, end, value=raw)
        elif isinstance(e, (ast.List, ast.Tuple)):
            start, end = self.outer(e, call_paren)
            items = [
                self.opaque(el) if isinstance(el, ast.Starred) else self.value(el)
                for el in e.elts
            ]
            return List(start, end, items=items)
        return self.opaque(e)

    def opaque(self, e: ast.expr) -> Opaque:
        if isinstance(e, _UNSURE):
            raise Decline(type(e).__name__)
        start, end = self.span(e)
        if isinstance(e, ast.Constant) and isinstance(e.value, bytes):
            if not _ONE_STRING.match(self.text, start, end):
                raise Decline("implicit bytes concatenation")
        items: list[Str] = []
        for n in ast.walk(e):
            if isinstance(n, _UNSURE):
                raise Decline(type(n).__name__)
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                items.append(self.string(n))
        items.sort(key=lambda s: s.start)
        return Opaque(start, end, reason=_reason(e), items=items)


def parse(text: str, path: str = "-") -> Document | None:
    """The Document libcst would give for ``text``, or None when not sure."""
    if _DECLINE_TEXT.search(text):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
        if python_too_deep(tree) is not None:
            return None  # libcst's path gives the located error
        reader = _Reader(text)
        if not reader.ascii:
            reader.check_names(tree)
        reader.block(tree.body, False)
    except (Decline, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    doc = Document(text, FMT, reader.body, quote, path)
    doc._lines = reader.starts[:-1]  # the line starts line_col() needs
    return doc
