"""Load the Lark grammars, once.

In a checkout (and an editable install) they are read from the project's
``grammars/`` folder; an installed copy (pre-commit's environment) carries
them as ``xencfg/grammars/``.
"""

from __future__ import annotations

import os
from functools import lru_cache

# (os.path, not pathlib: a one-file run need not import pathlib)
_HERE = os.path.dirname(os.path.realpath(__file__))
PLACES = (
    os.path.join(os.path.dirname(_HERE), "grammars"),
    os.path.join(_HERE, "grammars"),
)


@lru_cache(maxsize=None)
def grammar_text(name: str) -> str:
    for folder in PLACES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                return fh.read()
    raise FileNotFoundError(
        f"grammar {name} not found in {', '.join(map(str, PLACES))}"
    )


def lalr_parser(name: str, build: type):
    """Lark's LALR parser for grammar ``name`` with ``build`` (a plain class
    of callbacks) as its inline transformer: no parse tree is kept.  lark is
    imported here, when a parser is first needed."""
    from lark import Lark, Transformer

    return Lark(
        grammar_text(name),
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        maybe_placeholders=False,
        transformer=type("Build", (build, Transformer), {})(),
    )
