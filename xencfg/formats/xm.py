"""xm configs: Python files that ``xm create`` executed, read here as data.

The file is parsed (never run) with libcst, which keeps every character, and
the statements that set a variable become Settings::

    name = 'vm1'                      -> Setting(op="=")
    disk += ['phy:/dev/sdb,xvdb,w']   -> Setting(op="+=")
    disk.append('phy:...')            -> Setting(op="append") (or "extend")
    disk.insert(0, 'phy:...')         -> Setting(op="insert")
    disk[1] = 'phy:...'               -> Setting(op="item")
    disk.remove(x), disk *= 2         -> Setting(op="call"/"augmented"), Opaque

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

import bisect
import re
import warnings
from typing import Any

from xencfg.document import (
    Document,
    List,
    Node,
    Opaque,
    Scalar,
    Setting,
    Str,
)
from .limits import PY_VALUES, check_values, python_offset, too_deep
from xencfg.formats.py2 import ast_check, python2
from xencfg.formats.pypos import Patched, error_at
from xencfg.formats.pystrings import decode, quote, split_literal

__all__ = ["parse", "quote"]

FMT = "xm"

_SURROGATES = re.compile("[\ud800-\udfff]")
_LONE_CR = re.compile(r"\r(?!\n)")
_CRLF = re.compile(r"\r\n")
_BARE_LF = re.compile(r"(?<!\r)\n")


# --- libcst ------------------------------------------------------------------------

_cst: Any = None
_Spans: Any = None


def _load() -> None:
    """Import libcst (slow) on first use and define the offset recorder."""
    global _cst, _Spans
    if _cst is not None:
        return
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

        def record_syntactic_position(
            self, node: Any, *, start_node: Any = None, end_node: Any = None
        ) -> Any:
            return _Record(self, node, start_node, end_node)

        def span(self, node: Any) -> tuple[int, int]:
            got = self.syn.get(id(node))
            return got if got is not None else self.inc[id(node)]

    _Spans = Spans
    _cst = libcst


class _Record:
    """``with state.record_syntactic_position(node):`` as a plain class (a
    generator context manager costs several times more, once per node)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: Any, node: Any, start_node: Any, end_node: Any):
        self.state, self.node = state, node
        self.start_node, self.end_node = start_node, end_node

    def __enter__(self) -> None:
        self.start = self.state.pos

    def __exit__(self, *exc: Any) -> bool:
        state = self.state
        start, end = self.start, state.pos
        if self.start_node is not None:
            start = state.span(self.start_node)[0]
        if self.end_node is not None:
            end = state.span(self.end_node)[1]
        state.syn[id(self.node)] = (start, end)
        return False


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


# What else xm would compute, by libcst node type, in the order tried.
_REASONS = (
    (("Call",), "a function call"),
    (("ConcatenatedString",), "implicit string concatenation"),
    (("FormattedString",), "an f-string"),
    (("SimpleString",), "a bytes literal"),
    (("Subscript",), "a subscript"),
    (("IfExp",), "a conditional expression"),
    (("Dict", "DictComp"), "a dict"),
    (("Set",), "a set"),
    (("ListComp", "SetComp", "GeneratorExp"), "a comprehension"),
    (("Lambda",), "a lambda"),
    (("Comparison",), "a comparison"),
    (("BooleanOperation",), "an 'and'/'or' expression"),
    (("UnaryOperation",), "an operator expression"),
    (("StarredElement",), "'*' unpacking"),
)


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
    for names, reason in _REASONS:
        if isinstance(e, tuple(getattr(cst, n) for n in names)):
            return reason
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
        self, original: str, patched: Patched, spans: Any, align: _Align | None
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
            elif (
                len(st.targets) == 1
                and isinstance(st.targets[0].target, cst.Subscript)
                and isinstance(st.targets[0].target.value, cst.Name)
            ):
                # `disk[1] = '...'`: an item of the list is replaced.
                key, value, op = st.targets[0].target.value, st.value, "item"
        elif isinstance(st, cst.AnnAssign):
            if st.value is not None and isinstance(st.target, cst.Name):
                key, value = st.target, st.value
        elif isinstance(st, cst.AugAssign):
            if isinstance(st.target, cst.Name):
                key, value = st.target, st.value
                op = "+=" if isinstance(st.operator, cst.AddAssign) else "augmented"
        elif isinstance(st, cst.Expr):
            key, value, op = self.method_call(st.value)
        if key is None:
            return
        node = self.value(value)
        if op == "call":
            # The value is the method and its arguments, after the name.
            node.start = self.syn(value.func.attr)[0]
            node.reason = f"changed by .{value.func.attr.value}(...)"
        elif op == "augmented":
            node = self.opaque(value)
            node.reason = "an augmented assignment"
        start, end = self.syn(st)
        self.body.append(
            Setting(
                start,
                end,
                key=key.value,
                op=op,
                value=node,
                key_start=self.syn(key)[0],
                conditional=cond,
            )
        )

    def method_call(self, call: Any) -> tuple[Any, Any, str]:
        """``NAME.append(x)``, ``.extend(x)``, ``.insert(i, x)``: the value they
        add.  Any other method call on a name changes it in ways only running
        the file tells: the whole call is its (opaque) value."""
        cst = _cst
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and isinstance(call.func.value, cst.Name)
        ):
            return None, None, "="
        name, method = call.func.value, call.func.attr.value
        plain = all(not a.star and a.keyword is None for a in call.args)
        if plain and method in ("append", "extend") and len(call.args) == 1:
            return name, call.args[0].value, method
        if plain and method == "insert" and len(call.args) == 2:
            return name, call.args[1].value, method
        return name, call, "call"

    # -- values ----------------------------------------------------------------
    def string(self, e: Any) -> Str | None:
        start, end = self.syn(e)
        raw = self.text[start:end]
        prefix, q, _ = split_literal(raw)
        if "b" in prefix or "B" in prefix:
            return None
        try:
            value = decode(raw)
        except ValueError as err:
            raise error_at(self.text, start, f"invalid escape in string: {err}")
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
    check_values(text, PY_VALUES)
    # A private copy for the parsers; offsets are characters, so every
    # substitution keeps the length: lone surrogates (undecodable bytes) become
    # "?", and a lone "\r" line break (which libcst cannot read but Python
    # does) becomes "\n".
    base = _SURROGATES.sub("?", text)
    if "\r" in base:
        base = _LONE_CR.sub("\n", base)
    nul = base.find("\0")
    if nul >= 0:
        raise error_at(text, nul, "null byte in file")
    # Length-changing normalisations, mapped back by offset: a byte-order
    # mark goes, and mixed line endings (which libcst cannot read) become "\n".
    pre: list[tuple[int, int, str]] = []
    if base.startswith("\ufeff"):
        pre.append((0, 1, ""))
    if "\r\n" in base and _BARE_LF.search(base):
        pre.extend((m.start(), m.start() + 1, "") for m in _CRLF.finditer(base))
    norm = Patched(base, pre)
    patched = Patched(norm.text, [], norm)
    notes: list[tuple[int, str]] = []
    err = ast_check(patched.text)
    if err is not None:
        patched, note = python2(text, norm, err)
        notes.append(note)
    deep = python_offset(patched)
    if deep is not None:
        at = error_at(text, deep, "")
        raise too_deep(at.line, at.col, "expressions")

    _load()
    cst = _cst
    try:
        module = cst.parse_module(patched.text)
    except cst.ParserSyntaxError as e:
        off = patched.orig_line_col(e.raw_line, e.raw_column)
        detail = str(e.message).split("\n")[0]
        detail = re.sub(r"^parser error: |^tokenizer error: ", "", detail)
        detail = re.sub(r"error at \d+:\d+: ", "", detail)
        raise error_at(text, off, f"invalid Python syntax: {detail}") from None
    except RecursionError:
        raise error_at(text, 0, "invalid Python syntax: too deeply nested") from None
    except Exception:  # the native parser can fail in other ways
        raise error_at(text, 0, "the Python parser could not read this file") from None

    try:
        spans = _Spans(module)
        module._codegen(spans)
        code = "".join(spans.tokens)
        align = None if code == patched.text else _Align(code, patched.text)
        builder = _Builder(text, patched, spans, align)
        builder.block(module.body, False)
    except RecursionError:
        raise error_at(text, 0, "expression too deeply nested to read") from None
    doc = Document(text, FMT, builder.body, quote, path)
    doc.notes.extend(notes)
    return doc
