"""When a file that starts with ``(`` may be read as S-expressions.

``(a, b) = ("x", "y")`` is a Python assignment that the S-expression reader
also accepts (as the lists ``(a, b)`` and ``("x" "y")`` around the atom
``=``); read that way, the ``disk = [...]`` after it is never seen.  So the
S-expression reading is taken only when it has the shape Xen's own files
have -- ``xm list --long`` output, xend's ``config.sxp`` and
``xend-config.sxp``, libvirt's ``*.sexpr`` -- a sequence of lists, each
headed by a bare name (``domain``, ``vm``, ``xend-http-server``...).
Otherwise the file is read as xl or Python, as any other config.

Where two readings both succeed and could disagree about the disks (a file
Xen's S-expression reader and Python both accept), or where none succeeds,
the result is a located error: never a guess.
"""

from __future__ import annotations

import ast
import keyword
import warnings
from typing import Callable

from ..document import Document, List, Node, ParseError, Setting, Str
from .limits import TooDeep
from .. import rxstore

# A head as Xen writes them: domain, vm, device, vbd, xend-relocation-port.
_HEAD = rxstore.compile(r"[A-Za-z_][-A-Za-z0-9_.]*")
# Top-level atoms Xen's files have outside lists: the backslash that ends
# libvirt's fixture lines, the ':' rows of pasted (elided) captures.
_FILLER = rxstore.compile(r"\\|:+")


def odd_node(doc: Document) -> tuple[Node, str] | None:
    """The first top-level node that a Xen S-expression file would not
    have, and what it is in words; None when the reading has Xen's shape."""
    for node in doc.body:
        if isinstance(node, Str) and node.quote == "" and _FILLER.fullmatch(node.value):
            continue
        if not isinstance(node, List):
            kind = "the atom" if node.quote == "" else "the string"
            return node, f"{kind} {doc.raw(node)[:40]!r} outside any list"
        head = node.items[0] if node.items else None
        if not (
            isinstance(head, Str) and head.quote == "" and _HEAD.fullmatch(head.value)
        ):
            return node, "a list that does not start with a name"
    return None


# A name and a number side by side (``domid 5``), which no Python statement
# has unless the name is a keyword (``return 5``, ``match 5:``): found by
# the name's last character (a pattern that starts with a character class
# is searched fast), then the name, of at most 64 characters.
_PAIR = rxstore.compile(r"[A-Za-z0-9_][ \t]+[0-9]")
_NAME_ENDING = rxstore.compile(r"(?<!\w)[A-Za-z_][A-Za-z0-9_]*\Z")
# What may open a string, or join lines, before that.
_OPENERS = rxstore.compile(r"['\"\\]")
_KEYWORDS = frozenset(keyword.kwlist + keyword.softkwlist)
_TRIES = 64


def not_python(text: str) -> bool:
    """True when ``text`` certainly is no Python (ast.parse would raise):
    a name and a number side by side, outside a comment and before any
    quote or backslash, as every Xen S-expression file has (``(domid
    5)``).  False says nothing."""
    opener = _OPENERS.search(text)
    end = opener.start() if opener else len(text)
    line_end = comment = -1  # the line of the last pair, and its first '#'
    for tried, m in enumerate(_PAIR.finditer(text, 0, end)):
        if tried == _TRIES:
            return False  # (bounded work for any text)
        at = m.start()
        if at > line_end:  # each line is searched once
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at)
            if line_end < 0:
                line_end = len(text)
            comment = text.find("#", line_start, line_end)
            if comment < 0:
                comment = line_end
        if at >= comment:
            continue
        name = _NAME_ENDING.search(text, max(0, at - 63), at + 1)
        if name is not None and name.group() not in _KEYWORDS:
            return True
    return False


def python_settings(text: str, path: str, parse_conf: Callable) -> bool:
    """True when ``text`` is also valid Python whose xm reading sets
    variables (and so might list disks the S-expression reading misses)."""
    if "=" not in text and "." not in text:
        return False  # no assignment and no method call: no xm setting
    if not_python(text):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text.lstrip("\ufeff"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    try:
        doc = parse_conf(text, path, "xm")
    except ParseError:
        return False
    return any(isinstance(n, Setting) for n in doc.body)


def parse_paren(
    text: str, path: str, parse_conf: Callable[[str, str, str], Document]
) -> Document:
    """Read ``text``, whose first significant character is ``(``."""
    from .xlsxp import parse_sxp

    doc = None
    try:
        doc = parse_sxp(text, path)
    except TooDeep:
        raise
    except ParseError as err:
        sxp_error = err.with_traceback(None)  # (no frames kept: see detect)
    else:
        odd = odd_node(doc)
        if odd is None:
            if python_settings(text, path, parse_conf):
                raise ParseError(
                    "this file reads both as S-expressions and as Python that"
                    " sets variables; say which with --format sxp or --format xm"
                )
            return doc
    try:
        return parse_conf(text, path, "auto")
    except TooDeep:
        raise
    except ParseError as conf_error:
        if doc is None:
            raise sxp_error from None
        node, what = odd
        line, col = doc.line_col(node.start)
        raise ParseError(
            f"not a Xen S-expression file ({what}), and not xl or Python"
            f" either (at {conf_error.line}:{conf_error.col}:"
            f" {conf_error.message})",
            line,
            col,
        ) from None
