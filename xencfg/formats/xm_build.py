"""The libcst tree of an xm file to Document nodes (``xm.parse_cst``)."""

from __future__ import annotations

from typing import Any

from xencfg.document import List, Node, Opaque, Scalar, Setting, Str
from xencfg.formats import xm_cst
from xencfg.formats.pypos import Patched, error_at
from xencfg.formats.pystrings import decode, quote, split_literal
from xencfg.formats.xm_cst import _Align, _reason


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
        cst = xm_cst._cst
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
        cst = xm_cst._cst
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
        cst = xm_cst._cst
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
        cst = xm_cst._cst
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
        cst = xm_cst._cst
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
