"""The string escape tables of every dialect, in one place.

Each maps the character after a backslash to the character it stands for
(the simple escapes; hex, octal and line continuations are each reader's).
The three dialects happen to agree on this set, the C one; they differ in
what they do with the rest (see each reader), so each keeps its own name.
"""

from __future__ import annotations

_C = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}

PYTHON = dict(_C)  # xm configs: Python string literals
XL = dict(_C)  # xl: libxlu's lexer
SXP = dict(_C)  # S-expressions: xend's reader
