"""The lossless tree shared by every format.

A Document keeps the decoded source text and a tree of nodes with character
spans.  Every byte belongs to the tree: the root spans the whole input, and the
text between a node's children (whitespace, comments, punctuation) is owned by
that node, as trivia.  Serialising walks the tree and concatenates trivia and
leaves, so an untouched file prints exactly as read, and an edit replaces only
the span of the leaf it names.

Text is decoded as UTF-8 with ``surrogateescape`` so that stray non-UTF-8 bytes
(old Latin-1 comments) survive the trip unchanged.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator

from .records import Frozen

ENCODING = "utf-8"
ERRORS = "surrogateescape"


def decode(data: bytes) -> str:
    return data.decode(ENCODING, ERRORS)


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS)


class ParseError(Exception):
    """Bad input, located.  ``line`` and ``col`` are 1-based."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def format(self, path: str) -> str:
        return f"{path}:{self.line}:{self.col}: error: {self.message}"


class Edit(Frozen):
    """Replace text[start:end] with ``text``."""

    __slots__ = _fields = ("start", "end", "text")

    def __init__(self, start: int, end: int, text: str) -> None:
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "text", text)


# --- nodes -----------------------------------------------------------------
# Leaves own their exact source span; containers own the trivia between their
# children.  ``start``/``end`` are offsets into Document.text.


# Plain classes with __slots__ (not dataclasses: importing and building
# those costs a one-file run more than reading the file).  Nodes compare by
# identity.
class Node:
    __slots__ = ("start", "end")
    kind = "node"

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        names = [
            n for c in type(self).__mro__[::-1] for n in c.__dict__.get("__slots__", ())
        ]
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{type(self).__qualname__}({inner})"

    @property
    def children(self) -> list["Node"]:
        return []


class Str(Node):
    """A quoted string (or a bare S-expression atom: quote == "").

    ``value`` is the decoded content; the raw token is text[start:end].
    """

    __slots__ = ("value", "quote")
    kind = "str"

    def __init__(self, start: int, end: int, value: str = "", quote: str = '"'):
        self.start = start
        self.end = end
        self.value = value
        self.quote = quote


class Scalar(Node):
    """A number, identifier or bare atom whose raw text is its value."""

    __slots__ = ("value",)
    kind = "scalar"

    def __init__(self, start: int, end: int, value: str = "") -> None:
        self.start = start
        self.end = end
        self.value = value


class Opaque(Node):
    """An expression whose value is only known when xm runs the file.

    ``reason`` says why in words (``'%' formatting``, ``a variable``...).
    Strings found inside it are listed in ``items`` but are never edited.
    """

    __slots__ = ("reason", "items")
    kind = "opaque"

    def __init__(
        self,
        start: int,
        end: int,
        reason: str = "a computed value",
        items: list[Node] | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.reason = reason
        self.items = [] if items is None else items

    @property
    def children(self) -> list[Node]:
        return self.items


class List(Node):
    """``[a, b]`` in xl/xm, ``(a b)`` in S-expressions."""

    __slots__ = ("items",)
    kind = "list"

    def __init__(self, start: int, end: int, items: list[Node] | None = None):
        self.start = start
        self.end = end
        self.items = [] if items is None else items

    @property
    def children(self) -> list[Node]:
        return self.items

    @property
    def head(self) -> str | None:
        """The first atom of an S-expression list (``vbd`` in ``(vbd ...)``)."""
        if self.items and isinstance(self.items[0], (Str, Scalar)):
            return self.items[0].value
        return None


class Setting(Node):
    """``key = value``, ``key += value``, or in xm ``key.append(value)``.

    ``op`` is "=" or "+=" (every format), and in xm files also "append",
    "extend", "insert", "item" (``disk[1] = ...``), "call" (another method,
    ``disk.remove(x)``) or "augmented" (``disk *= 2``); the last two carry an
    Opaque value.  ``conditional`` is true when the statement sits inside an
    ``if``/``for``/``while``/``try``/``with``/``def`` of an xm file, so it
    may or may not run.
    """

    __slots__ = ("key", "op", "value", "key_start", "conditional")
    kind = "setting"

    def __init__(
        self,
        start: int,
        end: int,
        key: str = "",
        op: str = "=",
        value: Node | None = None,
        key_start: int = 0,
        conditional: bool = False,
    ) -> None:
        self.start = start
        self.end = end
        self.key = key
        self.op = op
        self.value = value
        self.key_start = key_start
        self.conditional = conditional

    @property
    def children(self) -> list[Node]:
        return [self.value] if self.value is not None else []


class LazyBody:
    """A body a reader makes when it is first asked for: ``all()`` the
    nodes; ``named(keys)`` the top-level Settings of those keys, in order,
    without the rest.  A node is made once, whichever asks first."""

    __slots__ = ()

    def all(self) -> list[Node]:  # pragma: no cover - the readers say
        raise NotImplementedError

    def named(self, keys: tuple[str, ...]) -> list[Setting]:  # pragma: no cover
        raise NotImplementedError


class Document:
    """A parsed file: its text, format and top-level nodes.

    ``body`` holds Settings (xl, xm) or Lists and atoms (S-expressions) in
    source order.  An Opaque node is a value xm computes when it runs the
    file (``%`` formatting, ``+``, a variable, a call...), found as a
    Setting's value or inside a List; xm statements that set nothing are
    trivia.  A reader may hand in a LazyBody: the nodes are then made when
    ``body`` is first read, and ``settings_named`` makes only those asked
    for (a migration needs the disks and the name, not every setting).
    ``quoter`` turns a new string value back into source text for a quote
    style, escaping what needs it; each format supplies its own.
    """

    def __init__(
        self,
        text: str,
        fmt: str,
        body: list[Node],
        quoter: Callable[[str, str], str],
        path: str = "-",
        notes: list[tuple[int, str]] | None = None,
        _lines: list[int] | None = None,
    ) -> None:
        self.text = text
        self.fmt = fmt
        self._body = body
        self.quoter = quoter
        self.path = path
        self.notes = [] if notes is None else notes
        self._lines = _lines
        self._asked = 0  # line_col() calls before the line index is built

    def __repr__(self) -> str:
        return (
            f"Document(text={self.text!r}, fmt={self.fmt!r}, body={self.body!r}, "
            f"quoter={self.quoter!r}, path={self.path!r}, notes={self.notes!r})"
        )

    @property
    def body(self) -> list[Node]:
        body = self._body
        if isinstance(body, LazyBody):
            body = self._body = body.all()
        return body

    @body.setter
    def body(self, value: list[Node]) -> None:
        self._body = value

    def settings_named(self, keys: tuple[str, ...]) -> list[Setting]:
        """The top-level Settings whose key is one of ``keys``, in order."""
        body = self._body
        if isinstance(body, LazyBody):
            return body.named(keys)
        return [n for n in body if isinstance(n, Setting) and n.key in keys]

    # -- positions ----------------------------------------------------------
    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        if self._lines is None:
            self._asked += 1
            if self._asked <= 4:  # a few places: counted in C, no index
                text = self.text
                return text.count("\n", 0, offset) + 1, offset - text.rfind(
                    "\n", 0, offset
                )
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._lines = starts
        line = bisect.bisect_right(self._lines, offset) - 1
        return line + 1, offset - self._lines[line] + 1

    def raw(self, node: Node) -> str:
        return self.text[node.start : node.end]

    # -- walking ------------------------------------------------------------
    def walk(self) -> Iterator[tuple[Node, tuple[Node, ...]]]:
        """Every node with its ancestors (outermost first), in source order."""
        stack: list[tuple[Node, tuple[Node, ...]]] = [
            (n, ()) for n in reversed(self.body)
        ]
        while stack:
            node, parents = stack.pop()
            yield node, parents
            kids = node.children
            if kids:
                here = parents + (node,)
                stack.extend((k, here) for k in reversed(kids))

    def settings(self, key: str | None = None) -> Iterator[Setting]:
        # Settings are top-level: every format puts them in ``body`` (xm
        # settings nested in an ``if`` too, marked conditional).
        for node in self.body:
            if isinstance(node, Setting) and (key is None or node.key == key):
                yield node

    # -- serialising --------------------------------------------------------
    def pieces(self) -> Iterator[tuple[str, str]]:
        """(kind, text) pairs that tile the input: trivia and leaves.

        Raises AssertionError if the parser produced overlapping spans, which
        ``xencfg roundtrip`` reports as an internal error.
        """
        text = self.text
        pos = 0
        for node in self._leaves():
            if node.start < pos:
                raise AssertionError(f"overlapping nodes at offset {node.start}")
            if node.start > pos:
                yield "trivia", text[pos : node.start]
            yield node.kind, text[node.start : node.end]
            pos = node.end
        if pos < len(text):
            yield "trivia", text[pos:]

    def _leaves(self) -> Iterator[Node]:
        # An Opaque node is a leaf: the strings inside it are never edited.
        stack = list(reversed(self.body))
        while stack:
            node = stack.pop()
            kids = None if isinstance(node, Opaque) else node.children
            if kids:
                stack.extend(reversed(kids))
            else:
                yield node

    def to_text(self) -> str:
        return "".join(t for _, t in self.pieces())

    def to_bytes(self) -> bytes:
        return encode(self.to_text())

    # -- editing ------------------------------------------------------------
    def replace_string(self, node: Str, value: str) -> Edit:
        """An edit giving ``node`` the new value, in its own quote style."""
        return Edit(node.start, node.end, self.quoter(value, node.quote))

    def apply(self, edits: list[Edit]) -> bytes:
        """The file with ``edits`` spliced in; everything else byte for byte."""
        out = []
        pos = 0
        for e in sorted(edits, key=lambda e: e.start):
            if e.start < pos:
                raise ValueError(f"overlapping edits at offset {e.start}")
            out.append(self.text[pos : e.start])
            out.append(e.text)
            pos = e.end
        out.append(self.text[pos:])
        return encode("".join(out))
