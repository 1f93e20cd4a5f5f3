"""Which format a config is in, and parsing it as that format.

JSON (``xl list -l``) if the text starts with ``{`` or ``[`` and a value;
S-expression if the first significant character is ``(`` and the reading
makes sense for Xen (see ``sxpguard``); xl if the xl grammar accepts the
text; otherwise Python as old ``xm create`` read it.
"""

from __future__ import annotations


from ..document import Document, ParseError, decode
from . import xl
from ..lazy import Pattern
from .limits import TooDeep

# (xl is tried on every file; the other readers are imported where a file
# needs them.)

FORMATS = ("auto", "xl", "xm", "sxp", "json")

# Comments, blank lines and the ':' elision rows of pasted captures do not
# decide the format.
_INSIGNIFICANT = Pattern(r"(?:[ \t\r\n\f\v]+|#[^\n]*|:[ \t:]*(?=\r?\n|\Z))*")


# A JSON text starts with '{', or with '[' followed by a value or ']'.  A
# Python config never starts so (``[a, b] = ...`` has a name after '[').
_JSON_START = Pattern(r'\A\ufeff?[ \t\r\n]*(?:\{|\[[ \t\r\n]*[\[{"\]\-0-9tfn])')


def looks_like_json(text: str) -> bool:
    # (most texts are told by their first character: no pattern compiled)
    head = text[1:] if text.startswith("\ufeff") else text
    if head.lstrip(" \t\r\n")[:1] not in ("{", "["):
        return False
    return _JSON_START.match(text) is not None


def looks_like_sxp(text: str) -> bool:
    if "(" not in text:  # (most configs: no pattern compiled)
        return False
    pos = _INSIGNIFICANT.match(text, 1 if text.startswith("\ufeff") else 0).end()
    return text[pos : pos + 1] == "("


def parse_text(text: str, path: str = "-", fmt: str = "auto") -> Document:
    """Parse ``text`` as ``fmt`` (or the detected format).  Raises ParseError."""
    if fmt in ("json", "auto"):
        if fmt == "json" or looks_like_json(text):
            from . import xljson

            return xljson.parse(text, path)
    if fmt == "sxp":
        from .xlsxp import parse_sxp

        return parse_sxp(text, path)
    if fmt == "auto" and looks_like_sxp(text):
        from .sxpguard import parse_paren

        return parse_paren(text, path, _parse_conf)
    return _parse_conf(text, path, fmt)


def _parse_conf(text: str, path: str, fmt: str) -> Document:
    """xl or xm (Python): ``fmt`` is "xl", "xm" or "auto"."""
    if fmt == "xm":
        from . import xm

        return xm.parse(text, path)
    try:
        # A statement xl never accepts (`import os`, `disk.append(...)`) sends
        # the text straight to Python; the xl error is then worked out only
        # if Python cannot read it either.
        return xl.parse(text, path, foreign_ok=fmt == "auto")
    # (Each error is kept without its traceback: the frames in it would
    # hold this file's text and nodes in a cycle, for the collector.)
    except xl.Foreign as err:
        foreign, xl_error = err.with_traceback(None), None
    except ParseError as err:
        if fmt == "xl" or isinstance(err, TooDeep):
            raise
        foreign, xl_error = None, err.with_traceback(None)
    from . import xm

    try:
        return xm.parse(text, path)
    except ParseError as py_error:
        if xl_error is None:
            xl_error = foreign.error()
        # The parser that read further is the likelier intended format.
        if (py_error.line, py_error.col) >= (xl_error.line, xl_error.col):
            raise py_error from None
        raise xl_error from None


def parse_bytes(data: bytes, path: str = "-", fmt: str = "auto") -> Document:
    doc = parse_text(decode(data), path, fmt)
    doc.path = path
    return doc
