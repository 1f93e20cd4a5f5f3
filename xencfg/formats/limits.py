"""Limits every reader enforces, so that hostile input gets a located error.

Nesting: real configs nest lists three or four levels deep (an S-expression
``(domain (device (vbd (uname ...))))``, an xm ``disk = [...]``), yet an
attacker can nest thousands.  The tree walkers (``parse`` output, the disk
finder, libcst's code generator for xm files) recurse, so a reader refuses
anything nested deeper than MAX_DEPTH, with the position of the first node
that goes too deep.  The readers themselves never recurse on input: xl's and
the S-expression parser are iterative, and CPython's own parser guards the
Python nesting it reads.
"""

from __future__ import annotations

import re
import sys

from ..document import List, Node, ParseError
from .pypos import line_starts
from ..lazy import Pattern

#: Possessive repeats (``*+``), which keep no backtracking state per
#: iteration, exist from Python 3.11 on.
POSSESSIVE = sys.version_info >= (3, 11)

#: Deepest nesting accepted: lists (xl, xm, S-expressions) or, in xm files,
#: Python expressions and statements (``-(-(-x))``, ``a.b.c``, ``f(g(h()))``).
MAX_DEPTH = 100


#: Most values (strings, numbers, atoms, names, lists) one file may hold, in
#: every format (checked before any node is built): each costs about 110 to
#: 190 bytes in memory.  A 10 MB ``xm list -l`` of some 2,000
#: domains holds about 950,000.
MAX_VALUES = 1_000_000
#: xm files are written by hand (real ones hold hundreds of values) and cost
#: far more per value: CPython's ``ast`` alone takes about 1 KB a value,
#: libcst more.  So they get a budget of their own.
MAX_XM_VALUES = 50_000
#: xl files are written by hand too; each value costs about 240 bytes there.
MAX_XL_VALUES = 500_000


class TooDeep(ParseError):
    """Input nested beyond MAX_DEPTH.  The reader understood the text, so
    format detection tries no other reader."""


class TooMany(TooDeep):
    """More than MAX_VALUES values in one file."""


def too_many(line: int, col: int, limit: int = MAX_VALUES) -> TooMany:
    return TooMany(f"more than {limit:,} values in one file", line, col)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


#: One Python value each (string, number, name, opening bracket), comments
#: skipped: an upper bound on the nodes of an xm file.
PY_VALUES = Pattern(
    r"#[^\n]*|([rRbBuU]{0,2}(?:'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")|[0-9][0-9a-zA-Z.]*|[A-Za-z_]\w*|[\[({])'
)


def check_values(
    text: str, tokens: "re.Pattern[str]", position=_line_col, limit=MAX_VALUES
) -> None:
    """TooMany at the first value past ``limit`` (MAX_VALUES).

    ``tokens`` matches one value each (string, number, name, opening
    bracket), or something that is not one (a comment: no group 1 match);
    ``position(text, offset)`` gives (line, col).  Run before any node is
    built, in constant memory; a text shorter than MAX_VALUES characters
    cannot hold that many values and is not scanned.
    """
    if len(text) <= limit:
        return
    left = limit
    for m in tokens.finditer(text):
        if m.start(1) >= 0:
            left -= 1
            if left < 0:
                raise too_many(*position(text, m.start(1)), limit)


def too_deep(line: int, col: int, what: str = "lists") -> TooDeep:
    return TooDeep(f"{what} nested more than {MAX_DEPTH} levels deep", line, col)


def deepest(body: list[Node]) -> Node | None:
    """The first list (in source order) inside more than MAX_DEPTH - 1
    others, i.e. at nesting level MAX_DEPTH + 1."""
    stack = [(n, 0) for n in reversed(body)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, List):
            depth += 1
            if depth > MAX_DEPTH:
                return node
        kids = node.children
        if kids:
            stack.extend((k, depth) for k in reversed(kids))
    return None


def python_too_deep(tree: ast.AST) -> ast.AST | None:
    """The first node of a Python AST nested deeper than MAX_DEPTH."""
    return python_deeper(tree, 0)


def python_deeper(
    node: ast.AST, depth: int, skip: ast.AST | None = None
) -> ast.AST | None:
    """The first node with a position, in ``node``'s subtree, that lies
    deeper than MAX_DEPTH, ``node`` itself lying at ``depth`` (the module
    at 0); None when there is none.  The subtree of ``skip`` (one the
    caller checks itself) is left out.  Iterative: the tree may be deep."""
    stack = [(node, depth)]
    import ast  # a tree to walk means ast is loaded already

    pop, push, AST = stack.pop, stack.append, ast.AST
    while stack:
        node, depth = pop()
        if node is skip:
            continue
        if depth > MAX_DEPTH and hasattr(node, "lineno"):
            return node
        depth += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push((item, depth))
            elif isinstance(value, AST):
                push((value, depth))
    return None


def python_offset(patched) -> int | None:
    """Offset in the original text of the first Python node nested too deep
    in ``patched.text`` (a pypos.Patched copy that CPython reads), or None."""
    import ast
    import warnings  # (rarely needed: not loaded by every run)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node = python_too_deep(ast.parse(patched.text))
    if node is None:
        return None
    starts = line_starts(patched.text, universal=True)
    line = min(max(node.lineno, 1), len(starts))
    begin = starts[line - 1]
    end = starts[line] if line < len(starts) else len(patched.text)
    # ast columns count UTF-8 bytes.
    raw = patched.text[begin:end].encode("utf-8", "surrogatepass")
    col0 = len(raw[: node.col_offset].decode("utf-8", "ignore"))
    return patched.orig_line_col(line, col0)
