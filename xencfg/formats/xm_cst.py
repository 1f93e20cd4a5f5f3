"""libcst for xm files: loaded on first use, with the recorder of node spans
(code generation that only counts characters), and the words for what xm
would compute.  Used by ``xm.parse_cst``, the reference reader."""

from __future__ import annotations

import bisect
import warnings
from typing import Any

from .xm_shapes import binop_reason

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
        return binop_reason(_BINOPS.get(type(e.operator).__name__, "?"))
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
