"""JSON: ``xl list -l`` output (libxl's domain configurations), read losslessly.

The grammar of record is ``grammars/json.lark``.  Two readers implement it
and build the same tree (as for S-expressions):

- ``parse`` (the one everybody uses) compiles the grammar's terminals into
  one regular expression and checks the token order with a small state
  machine over an explicit stack: about ten times faster than Lark on a
  host's dump, and no recursion however deep the nesting.
- ``parse_lark`` runs Lark's LALR parser on the grammar with a tree-less
  inline transformer.  Tests check that both readers accept the same texts
  and build the same trees.

The tree is the shared Document tree, so findings in a JSON dump are located
``PATH:LINE:COL`` like in any other format:

- an object is an :class:`Object` (a ``List`` of :class:`Member` nodes),
- a member is a ``List`` of two items, the key (``Str``) and its value,
- an array is a ``List``, a string a ``Str`` (``quote='"'``, value decoded),
- numbers, ``true``, ``false`` and ``null`` are ``Scalar`` nodes.

Whitespace, braces, commas and colons are trivia, so the document prints back
byte for byte.  A key given twice in one object is an error: JSON readers
disagree on which one wins, and the policy gate must not depend on it.
"""

from __future__ import annotations

from functools import lru_cache

from ..document import Document, List, ParseError, Scalar, Str
from ..grammar import lalr_parser
from ..lazy import Pattern

GRAMMAR = "json.lark"
FMT = "json"


class Object(List):
    """A JSON object: its items are :class:`Member` nodes."""

    kind = "object"

    def get(self, key: str):
        """The value of member *key*, or None."""
        for m in self.items:
            if m.items[0].value == key:
                return m.items[1]
        return None


class Member(List):
    """``"key": value`` (items: the key ``Str`` and the value node)."""

    kind = "member"


def quote(value: str, _quote: str = '"') -> str:
    import json  # (here: every file is tested by looks_like_json)

    return json.dumps(value, ensure_ascii=False)


# lark is imported only by the Lark reader: auto-detection of every file
# goes through this module, and a single-file check must not pay for it.


class _Build:
    """Inline transformer: Lark tokens straight to Document nodes (made a
    lark Transformer when the parser is built)."""

    def string(self, children):
        import json

        tok = children[0]
        return Str(tok.start_pos, tok.end_pos, json.loads(tok), '"')

    def number(self, children):
        tok = children[0]
        return Scalar(tok.start_pos, tok.end_pos, str(tok))

    literal = number

    def member(self, children):
        key, value = children
        key = self.string([key])
        return Member(key.start, value.end, [key, value])

    def object(self, children):
        members = children[1:-1]
        seen: dict[str, Member] = {}
        for m in members:
            key = m.items[0]
            if key.value in seen:
                raise _Duplicate(key)
            seen[key.value] = m
        return Object(children[0].start_pos, children[-1].end_pos, members)

    def array(self, children):
        return List(children[0].start_pos, children[-1].end_pos, children[1:-1])

    def start(self, children):
        return children


class _Duplicate(Exception):
    def __init__(self, key: Str):
        super().__init__(key.value)
        self.key = key


@lru_cache(maxsize=None)
def _lark():
    return lalr_parser(GRAMMAR, _Build)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _error(text: str, err) -> ParseError:
    from lark import UnexpectedCharacters

    offset = getattr(err, "pos_in_stream", None)
    token = getattr(err, "token", None)
    if offset is None and token is not None:
        offset = getattr(token, "start_pos", None)
    if offset is None or token is not None and token.type == "$END":
        offset = len(text.rstrip())
        line, col = _line_col(text, offset)
        return ParseError("malformed JSON: the text ends too early", line, col)
    line, col = _line_col(text, offset)
    if isinstance(err, UnexpectedCharacters):
        ch = text[offset : offset + 1]
        what = "a control character in a string" if ch < " " else repr(ch)
        return ParseError(f"malformed JSON: unexpected {what}", line, col)
    shown = text[offset : offset + 20].split("\n")[0]
    return ParseError(f"malformed JSON: unexpected {shown!r}", line, col)


def parse_lark(text: str, path: str = "-") -> Document:
    """Parse a JSON text with Lark's LALR parser on ``grammars/json.lark``
    (the reference reader).  Raises ParseError, located."""
    from lark import UnexpectedInput

    start = 1 if text.startswith("\ufeff") else 0
    try:
        body = _lark().parse(text[start:] if start else text)
    except _Duplicate as dup:
        raise _duplicate(text, dup.key.start + start, dup.key.value) from None
    except UnexpectedInput as err:
        raise _error(text[start:], err) from None
    if start:
        body = [_shift(n, start) for n in body]
    return Document(text=text, fmt=FMT, body=body, quoter=quote, path=path)


def _duplicate(text: str, offset: int, key: str) -> ParseError:
    line, col = _line_col(text, offset)
    return ParseError(f"key {key!r} given twice in one object", line, col)


def _shift(top, by: int):
    stack = [top]  # no recursion: nesting depth is the input's
    while stack:
        node = stack.pop()
        node.start += by
        node.end += by
        stack.extend(node.children)
    return top


# One JSON value each (string, number, literal, '[' or '{'): the budget.
# (Strings unrolled: a run of plain characters is one step of the regex
# engine, not one saved state per character, so a long string costs no
# memory.)
_VALUES = Pattern(
    r'("[^"\\\n]*(?:\\.[^"\\\n]*)*"|-?[0-9][0-9.eE+-]*|true|false|null|[\[{])'
)


def parse(text: str, path: str = "-") -> Document:
    """Parse a JSON text (the fast reader).  Raises ParseError, located."""
    from . import xljson_fast
    from .limits import check_values

    check_values(text, _VALUES)

    return xljson_fast.parse(text, path, quote, Object, Member)
