"""Load the Lark grammars from the project's grammars/ folder, once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

GRAMMARS = Path(__file__).resolve().parent.parent / "grammars"


@lru_cache(maxsize=None)
def grammar_text(name: str) -> str:
    return (GRAMMARS / name).read_text(encoding="utf-8")
