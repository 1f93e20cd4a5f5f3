"""S-expression readers that run Lark itself on ``grammars/sxp.lark``:
benchmarks (``bench/parse_sxp.py``) and the tests' cross-check of the fast
reader :func:`xencfg.formats.sxp.parse` (they must build the same tree).
Not part of the package: nothing in xencfg uses them.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, UnexpectedInput

from xencfg.document import Document, List, Str
from xencfg.formats.sxp import (
    FMT,
    GRAMMAR,
    _Build,
    _lark,
    _stray_close,
    _unclosed,
    _unescape,
    grammar_text,
    parse,
    quote,
)


@lru_cache(maxsize=None)
def _lark_lexer() -> Lark:
    """The same grammar with a basic lexer, for ``Lark.lex`` (benchmarks)."""
    return Lark(grammar_text(GRAMMAR), parser="lalr", lexer="basic")


def parse_lark(text: str, path: str = "-") -> Document:
    """Same as ``parse``, using Lark's LALR parser (slower; for checking)."""
    lark = _lark()
    _Build.text = text
    try:
        body = lark.parse(text)
    except UnexpectedInput:
        parse(text, path)  # raises the located, worded error
        raise AssertionError("Lark rejected input the scanner accepts")
    finally:
        _Build.text = ""
    return Document(text=text, fmt=FMT, body=body, quoter=quote, path=path)


def parse_lark_lexer(text: str, path: str = "-") -> Document:
    """Same as ``parse``, using Lark's own lexer and the stack builder."""
    body: list = []
    items = body
    stack: list[List] = []
    try:
        for tok in _lark_lexer().lex(text):
            t = tok.type
            s, e = tok.start_pos, tok.end_pos
            if t == "ATOM":
                items.append(Str(s, e, str(tok), ""))
            elif t == "LPAR":
                node = List(s, s + 1, [])
                items.append(node)
                stack.append(node)
                items = node.items
            elif t == "RPAR":
                if not stack:
                    raise _stray_close(text, s)
                node = stack.pop()
                node.end = e
                items = stack[-1].items if stack else body
            else:
                raw = tok[1:-1]
                if "\\" in raw:
                    raw = _unescape(raw, s + 1, text)
                items.append(Str(s, e, raw, tok[0]))
    except UnexpectedInput:
        parse(text, path)
        raise AssertionError("Lark rejected input the scanner accepts")
    if stack:
        raise _unclosed(text, [n.start for n in stack])
    return Document(text=text, fmt=FMT, body=body, quoter=quote, path=path)
