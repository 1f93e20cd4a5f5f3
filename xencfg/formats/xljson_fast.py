"""The fast JSON reader: the grammar's terminals as one regular expression
and a state machine over an explicit stack (see ``xljson``)."""

from __future__ import annotations

import json
import re

from ..document import Document, List, ParseError, Scalar, Str
from .. import rxstore

# The terminals of grammars/json.lark, in one pattern; "bad" catches the rest.
# (Strings unrolled, as in the grammar: constant memory for a long string.)
_TOKEN = rxstore.compile(
    r"""(?P<ws>[ \t\r\n]+)
    |(?P<str>"[^"\\\x00-\x1f]*(?:(?:\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*")
    |(?P<num>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    |(?P<lit>true|false|null)
    |(?P<open>[{\[])
    |(?P<close>[}\]])
    |(?P<colon>:)
    |(?P<comma>,)
    |(?P<bad>[\s\S])""",
    re.X,
)

# What may come next.
VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, COMMA_OR_CLOSE, END = range(7)


class _Frame:
    __slots__ = ("node", "is_object", "key", "keys")

    def __init__(self, node, is_object: bool):
        self.node = node
        self.is_object = is_object
        self.key: Str | None = None
        self.keys: set[str] = set()


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _err(text: str, offset: int, message: str) -> ParseError:
    line, col = _line_col(text, offset)
    return ParseError(message, line, col)


def _unexpected(text: str, offset: int) -> ParseError:
    ch = text[offset : offset + 1]
    if ch and ch < " " and ch not in " \t\r\n":
        return _err(text, offset, "malformed JSON: unexpected a control character")
    shown = text[offset : offset + 20].split("\n")[0]
    return _err(text, offset, f"malformed JSON: unexpected {shown!r}")


def parse(text: str, path: str, quote, object_cls, member_cls) -> Document:
    start = 1 if text.startswith("\ufeff") else 0
    stack: list[_Frame] = []
    body: list = []
    expect = VALUE

    def add(node) -> int:
        if not stack:
            body.append(node)
            return END
        frame = stack[-1]
        if frame.is_object:
            key = frame.key
            member = member_cls(key.start, node.end, [key, node])
            frame.node.items.append(member)
        else:
            frame.node.items.append(node)
        return COMMA_OR_CLOSE

    for m in _TOKEN.finditer(text, start):
        kind = m.lastgroup
        if kind == "ws":
            continue
        at = m.start()
        if kind == "str":
            raw = m.group()
            inner = raw[1:-1]
            node = Str(at, m.end(), json.loads(raw) if "\\" in inner else inner, '"')
            if expect in (KEY, KEY_OR_CLOSE):
                frame = stack[-1]
                if node.value in frame.keys:
                    line, col = _line_col(text, at)
                    raise ParseError(
                        f"key {node.value!r} given twice in one object", line, col
                    )
                frame.keys.add(node.value)
                frame.key = node
                expect = COLON
                continue
            if expect not in (VALUE, VALUE_OR_CLOSE):
                raise _unexpected(text, at)
            expect = add(node)
        elif kind in ("num", "lit"):
            if expect not in (VALUE, VALUE_OR_CLOSE):
                raise _unexpected(text, at)
            expect = add(Scalar(at, m.end(), m.group()))
        elif kind == "open":
            if expect not in (VALUE, VALUE_OR_CLOSE):
                raise _unexpected(text, at)
            is_object = m.group() == "{"
            node = object_cls(at, at, []) if is_object else List(at, at, [])
            stack.append(_Frame(node, is_object))
            expect = KEY_OR_CLOSE if is_object else VALUE_OR_CLOSE
        elif kind == "close":
            if not stack or (m.group() == "}") != stack[-1].is_object:
                raise _unexpected(text, at)
            if expect not in (COMMA_OR_CLOSE, VALUE_OR_CLOSE, KEY_OR_CLOSE):
                raise _unexpected(text, at)
            node = stack.pop().node
            node.end = m.end()
            expect = add(node)
        elif kind == "colon":
            if expect != COLON:
                raise _unexpected(text, at)
            expect = VALUE
        elif kind == "comma":
            if expect != COMMA_OR_CLOSE:
                raise _unexpected(text, at)
            expect = KEY if stack[-1].is_object else VALUE
        else:
            raise _unexpected(text, at)
    if expect != END:
        offset = max(len(text.rstrip()), start)
        raise _err(text, offset, "malformed JSON: the text ends too early")
    return Document(text=text, fmt="json", body=body, quoter=quote, path=path)
