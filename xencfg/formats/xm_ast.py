"""A fast reader for xm configs on CPython's own ``ast`` module.

libcst is the reference reader (``xm``); building its tree costs about
ten times what ``ast.parse`` does.  This module builds the same Document from
``ast`` node positions for the common case and *declines* (returns None, and
the caller uses libcst) whenever it is not sure the two would agree: Python 2
files, unusual characters (carriage returns, form feeds, byte-order marks,
undecodable bytes), f-strings, implicit string concatenation, newer
statements, parentheses it cannot pair without a tokenizer, nesting past
MAX_DEPTH (counted as it reads)...  The tests compare both readers on the
corpus, on mutated files and on generated ones.

``ast`` gives 1-based lines and columns in UTF-8 bytes; they are turned into
character offsets line by line (a pure-ASCII line needs no conversion).
"""

from __future__ import annotations

import ast
import re
import warnings

from xencfg.document import Document, List, Node, Opaque, Scalar, Setting, Str
from xencfg.formats.limits import MAX_DEPTH, python_deeper
from xencfg.formats.pystrings import decode, quote, split_literal
from xencfg.formats.xm_shapes import (
    COMPOUND,
    NUMBER,
    SMALL,
    TRIVIA,
    UNSURE,
    declined_text,
    reason,
)
from .. import rxstore

__all__ = ["parse"]

FMT = "xm"

# One whole string literal (not an implicit concatenation); unrolled, so a
# long string is matched in constant memory.
_ONE_STRING = rxstore.compile(
    r"[A-Za-z]{0,2}(?:'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")\Z',
    re.S,
)
# The fields of compound statements that hold statements.
_BLOCKS = frozenset(("body", "handlers", "orelse", "finalbody"))


class Decline(Exception):
    """The fast reader is not sure; libcst decides."""


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
        self.line0 = 0  # the lines before the piece of text ast was given

    # -- positions ----------------------------------------------------------
    def off(self, line: int, col: int) -> int:
        """Character offset of an ast (1-based line, UTF-8 byte column)."""
        line += self.line0
        text = self.lines[line - 1]
        if not text.isascii():
            col = len(text.encode("utf-8")[:col].decode("utf-8", "strict"))
        return self.starts[line - 1] + col

    def span(self, n: ast.AST) -> tuple[int, int]:
        if n.end_lineno is None or n.end_col_offset is None:
            raise Decline("no position")
        if self.ascii:
            starts, line0 = self.starts, self.line0 - 1
            return (
                starts[line0 + n.lineno] + n.col_offset,
                starts[line0 + n.end_lineno] + n.end_col_offset,
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
    # ``depth`` is a node's nesting in the tree (the module at 0), as
    # limits.python_too_deep counts it: a file with any node deeper than
    # MAX_DEPTH is declined (libcst's path gives the located error).  The
    # parts the reader reads are counted as it goes; the parts it skips
    # are walked by limits.python_deeper.
    def deep(self, value, depth: int, skip: ast.AST | None = None) -> None:
        """Decline when ``value`` (a node at ``depth``, a list of them, or
        a plain field) holds a node deeper than MAX_DEPTH."""
        if isinstance(value, list):
            for item in value:
                self.deep(item, depth)
        elif isinstance(value, ast.AST):
            if python_deeper(value, depth, skip) is not None:
                raise Decline("nested too deep")

    def block(self, stmts: list[ast.stmt], cond: bool, depth: int) -> None:
        if stmts and depth > MAX_DEPTH:
            raise Decline("nested too deep")
        for st in stmts:
            if isinstance(st, SMALL):
                self.small(st, cond, depth)
            elif isinstance(st, COMPOUND):
                for name in st._fields:
                    if name not in _BLOCKS:
                        self.deep(getattr(st, name, None), depth + 1)
                self.block(st.body, True, depth + 1)
                for h in getattr(st, "handlers", ()):
                    self.deep(h, depth + 1, h.body)  # the handler and its type
                    self.block(h.body, True, depth + 2)
                self.block(getattr(st, "orelse", []), True, depth + 1)
                self.block(getattr(st, "finalbody", []), True, depth + 1)
            elif isinstance(st, ast.ClassDef):
                for name in st._fields:
                    if name != "body":
                        self.deep(getattr(st, name, None), depth + 1)
                self.check_only(st.body, depth + 1)
            elif isinstance(st, TRIVIA):
                self.deep(st, depth)
            else:
                raise Decline(type(st).__name__)

    def check_only(self, stmts: list[ast.stmt], depth: int) -> None:
        """A class body is trivia, but must hold nothing libcst may not read."""
        saved = self.body
        self.body = []
        self.block(stmts, True, depth)
        self.body = saved

    def small(self, st: ast.stmt, cond: bool, depth: int) -> None:
        key = value = None
        op = "="
        call_paren = -1
        at = depth + 1  # the value's depth
        walked = False  # whether all but the value is known to be shallow
        if isinstance(st, ast.Assign):
            if len(st.targets) == 1:
                t = st.targets[0]
                if isinstance(t, ast.Name):
                    key, value = t, st.value
                    walked = True  # the name lies as deep as the value
                elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    key, value, op = t.value, st.value, "item"
        elif isinstance(st, ast.AnnAssign):
            if st.value is not None and isinstance(st.target, ast.Name):
                key, value = st.target, st.value
        elif isinstance(st, ast.AugAssign):
            if isinstance(st.target, ast.Name):
                key, value = st.target, st.value
                op = "+=" if isinstance(st.op, ast.Add) else "augmented"
                walked = True
        elif isinstance(st, ast.Expr):
            key, value, op = self.method_call(st.value)
            if key is not None:
                call_paren = self._ahead(self.span(st.value.func)[1])
                if op != "call":
                    at = depth + 2  # an argument of the call
                # call, attribute, name: the name lies 3 below the statement
                walked = op in ("append", "extend") and depth + 3 <= MAX_DEPTH
        if not walked:  # all but the value (a statement setting nothing: all)
            self.deep(st, depth, value)
        if key is None:
            return
        if op == "call":
            node = self.opaque(value, at)
            node.start = self.attr_start(value.func)
            node.reason = f"changed by .{value.func.attr}(...)"
        elif op == "augmented":
            node = self.opaque(value, at)
            node.reason = "an augmented assignment"
        else:
            node = self.value(value, at, call_paren)
        start, end = self.span(st)
        key_start, key_end = self.span(key)
        key = self.text[key_start:key_end]
        self.body.append(Setting(start, end, key, op, node, key_start, cond))

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
        q = raw[:1]
        body = raw[1:-1]
        if (
            (q == "'" or q == '"')
            and raw[-1] == q
            and len(raw) > 1
            and q not in body
            and "\\" not in body
            and "\n" not in body
        ):
            # One plain literal: no prefix, no escapes, one quote each side.
            value = body
        else:
            if not _ONE_STRING.match(raw):
                raise Decline("implicit string concatenation")
            prefix, q, _ = split_literal(raw)
            q = prefix + q
            try:
                value = decode(raw)
            except ValueError:
                raise Decline("libcst words the error") from None
        if value != e.value:
            raise Decline("a string read otherwise")
        return Str(start, end, value=value, quote=q)

    def value(self, e: ast.expr, depth: int, call_paren: int = -1) -> Node:
        if depth > MAX_DEPTH:
            raise Decline("nested too deep")
        if isinstance(e, ast.Constant):
            v = e.value
            if isinstance(v, str):
                return self.string(e)
            if v is None or isinstance(v, bool) or isinstance(v, NUMBER):
                start, end = self.span(e)
                return Scalar(start, end, value=self.text[start:end])
        elif (
            isinstance(e, ast.UnaryOp)
            and isinstance(e.op, (ast.USub, ast.UAdd))
            and isinstance(e.operand, ast.Constant)
            and type(e.operand.value) in NUMBER
            and depth < MAX_DEPTH
        ):
            start, end = self.span(e)
            raw = self.text[start:end]
            num_start, num_end = self.span(e.operand)
            if raw[1:] == self.text[num_start:num_end]:
                return Scalar(start, end, value=raw)
        elif isinstance(e, (ast.List, ast.Tuple)):
            start, end = self.outer(e, call_paren)
            depth += 1
            items = [
                (
                    self.opaque(el, depth)
                    if isinstance(el, ast.Starred)
                    else self.value(el, depth)
                )
                for el in e.elts
            ]
            return List(start, end, items=items)
        return self.opaque(e, depth)

    def opaque(self, e: ast.expr, depth: int) -> Opaque:
        if isinstance(e, UNSURE):
            raise Decline(type(e).__name__)
        start, end = self.span(e)
        if isinstance(e, ast.Constant) and isinstance(e.value, bytes):
            if not _ONE_STRING.match(self.text, start, end):
                raise Decline("implicit bytes concatenation")
        items: list[Str] = []
        stack = [(e, depth)]
        pop, push, AST, Constant = stack.pop, stack.append, ast.AST, ast.Constant
        while stack:
            n, d = pop()
            if isinstance(n, UNSURE) or (d > MAX_DEPTH and hasattr(n, "lineno")):
                raise Decline(type(n).__name__)
            if isinstance(n, Constant) and isinstance(n.value, str):
                items.append(self.string(n))
            d += 1
            for name in n._fields:
                v = getattr(n, name, None)
                if isinstance(v, list):
                    for x in v:
                        if isinstance(x, AST):
                            push((x, d))
                elif isinstance(v, AST):
                    push((v, d))
        items.sort(key=lambda s: s.start)
        return Opaque(start, end, reason=reason(e), items=items)


def parse(text: str, path: str = "-") -> Document | None:
    """The Document libcst would give for ``text``, or None when not sure."""
    if declined_text(text):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
        reader = _Reader(text)
        if not reader.ascii:
            reader.check_names(tree)
        reader.block(tree.body, False, 1)
    except (Decline, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    doc = Document(text, FMT, reader.body, quote, path)
    doc._lines = reader.starts[:-1]  # the line starts line_col() needs
    return doc
