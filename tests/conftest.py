"""Shared test helpers: where the real-world corpus lives."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = ROOT / "samples"


def corpus_files(*folders: str) -> list[Path]:
    """Every regular file under the named corpus folders (empty if absent)."""
    out: list[Path] = []
    for folder in folders:
        base = CORPUS / folder
        if base.is_dir():
            out.extend(
                sorted(
                    p
                    for p in base.rglob("*")
                    if p.is_file() and p.name != "SOURCES.tsv"
                )
            )
    return out


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"real-world corpus not found at {CORPUS}")
    return CORPUS


def need_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"real-world corpus not found at {CORPUS}")
