"""Python string literals: decoded to their value, and written back."""

from __future__ import annotations


from xencfg.formats.pypos import NEWLINES
from . import escapes

_SIMPLE_ESCAPES = escapes.PYTHON
_HEX = frozenset("0123456789abcdefABCDEF")


def split_literal(raw: str) -> tuple[str, str, str]:
    """(prefix, quote, body) of a Python string token."""
    i = 0
    while i < len(raw) and raw[i] not in "'\"":
        i += 1
    prefix = raw[:i]
    q = raw[i : i + 3]
    if len(q) != 3 or q[0] * 3 != q or len(raw) < i + 6:
        q = raw[i : i + 1]
    return prefix, q, raw[i + len(q) : len(raw) - len(q)]


def _unescape(body: str) -> str:
    """Decode the backslash escapes of a non-raw literal body."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    n = len(body)
    while True:
        j = body.find("\\", i)
        if j < 0:
            out.append(body[i:])
            break
        out.append(body[i:j])
        c = body[j + 1 : j + 2]
        if c == "":
            raise ValueError("a string cannot end with a backslash")
        if c == "\n":
            i = j + 2
        elif c in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[c])
            i = j + 2
        elif "0" <= c <= "7":
            k = j + 1
            while k < n and k < j + 4 and "0" <= body[k] <= "7":
                k += 1
            out.append(chr(int(body[j + 1 : k], 8)))
            i = k
        elif c in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[c]
            digits = body[j + 2 : j + 2 + width]
            if len(digits) != width or not all(d in _HEX for d in digits):
                raise ValueError(f"truncated \\{c} escape")
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise ValueError(f"\\{c}{digits} is not a character")
            out.append(chr(code))
            i = j + 2 + width
        elif c == "N":
            end = body.find("}", j + 3) if body[j + 2 : j + 3] == "{" else -1
            if end < 0:
                raise ValueError("malformed \\N{...} escape")
            try:
                import unicodedata  # (a C extension: loaded for \N{...} only)

                out.append(unicodedata.lookup(body[j + 3 : end]))
            except KeyError:
                raise ValueError(f"unknown character name {body[j + 3 : end]!r}")
            i = end + 1
        else:  # unknown escapes keep their backslash
            out.append("\\" + c)
            i = j + 2
    return "".join(out)


def decode(raw: str) -> str:
    prefix, _, body = split_literal(raw)
    if "\r" in body:  # Python reads every line ending as "\n"
        body = NEWLINES.sub("\n", body)
    if "r" in prefix or "R" in prefix:
        return body
    return _unescape(body)


def _raw_ok(value: str, q: str) -> bool:
    """Whether ``value`` can be written as a raw literal between ``q`` quotes."""
    if "\r" in value or "\0" in value or (len(q) == 1 and "\n" in value):
        return False
    s = value + q
    n = len(value)
    i = 0
    while i < n:
        if s[i] == "\\":
            i += 2
            continue
        if s.startswith(q, i):
            return False
        i += 1
    return i == n


def _escape(value: str, qc: str, triple: bool) -> str:
    out: list[str] = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == qc:
            out.append("\\" + qc)
        elif ch == "\n":
            out.append("\n" if triple else "\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append(ch)
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def quote(value: str, quote: str) -> str:
    """``value`` as a Python string literal in the style ``quote``.

    ``quote`` is the opening of the original literal: ``'``, ``"``, ``'''``,
    ``\"\"\"``, possibly after a prefix (``r'``, ``u"``).  A raw style that
    cannot hold the value (a trailing backslash, the quote itself, a newline
    in a one-line literal) falls back to the escaped form of the same quote.
    """
    q = quote or '"'
    prefix = q.rstrip("'\"")
    qs = q[len(prefix) :]
    if qs not in ("'", '"', "'''", '"""'):
        qs = qs[:1] if qs[:1] in ("'", '"') else '"'
    prefix = "".join(c for c in prefix if c in "rRuU")
    if "r" in prefix or "R" in prefix:
        if _raw_ok(value, qs):
            return prefix + qs + value + qs
        prefix = prefix.replace("r", "").replace("R", "")
    return prefix + qs + _escape(value, qs[0], len(qs) == 3) + qs
