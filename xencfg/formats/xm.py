"""xm configs: Python files that ``xm create`` executed, read here as data.

The file is parsed (never run) with libcst, which keeps every character
(or, for the files it is sure of, with ``xm_ast`` on CPython's ast), and
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

import re

from xencfg.document import Document
from xencfg.lazy import Pattern
from .limits import MAX_XM_VALUES, PY_VALUES, check_values, python_offset, too_deep
from xencfg.formats.pypos import Patched, error_at
from xencfg.formats.pystrings import quote

# The libcst reader's parts: xm_cst (libcst, node spans, what xm computes)
# and xm_build (libcst's tree to Document nodes); both loaded only when a
# file is read with libcst.

__all__ = ["parse", "parse_cst", "quote"]

FMT = "xm"

# (for libcst's copy of the text only: compiled when a file gets there)
_SURROGATES = Pattern("[\ud800-\udfff]")
_LONE_CR = Pattern(r"\r(?!\n)")
_CRLF = Pattern(r"\r\n")
_BARE_LF = Pattern(r"(?<!\r)\n")


# --- entry point -------------------------------------------------------------------


def parse(text: str, path: str = "-") -> Document:
    """Read an xm config; raises ParseError for input Python cannot read.

    A file of plain lines is read without a parser (``xm_lines``); the
    fast reader on CPython's ast serves the other files it is sure of (the
    tests prove both agree with libcst); libcst reads every other one."""
    from xencfg.formats import xm_lines

    check_values(text, PY_VALUES, limit=MAX_XM_VALUES)
    doc = xm_lines.parse(text, path)
    if doc is None:
        from xencfg.formats import xm_ast, xm_mixed  # (and CPython's ast)

        doc = xm_mixed.parse(text, path) or xm_ast.parse(text, path)
    return doc if doc is not None else parse_cst(text, path)


def parse_cst(text: str, path: str = "-") -> Document:
    """Read an xm config with libcst, the reference reader."""
    from xencfg.formats.py2 import ast_check, python2

    # A private copy for the parsers; offsets are characters, so every
    # substitution keeps the length: lone surrogates (undecodable bytes) become
    # "?", and a lone "\r" line break (which libcst cannot read but Python
    # does) becomes "\n".
    base = text if text.isascii() else _SURROGATES.sub("?", text)
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

    from xencfg.formats import xm_cst
    from xencfg.formats.xm_build import _Builder

    xm_cst._load()
    cst = xm_cst._cst
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
        spans = xm_cst._Spans(module)
        module._codegen(spans)
        code = "".join(spans.tokens)
        align = None if code == patched.text else xm_cst._Align(code, patched.text)
        builder = _Builder(text, patched, spans, align)
        builder.block(module.body, False)
    except RecursionError:
        raise error_at(text, 0, "expression too deeply nested to read") from None
    doc = Document(text, FMT, builder.body, quote, path)
    doc.notes.extend(notes)
    return doc
