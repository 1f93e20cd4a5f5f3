"""Shared test helpers: where the real-world corpus lives, the readers the
tests cross-check against (in bench/), and the one hypothesis profile."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds the Lark-only readers the fast paths are checked against.
sys.path.insert(0, str(ROOT / "bench"))
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLES = ROOT / "samples"

# One hypothesis profile for every property test: no per-example deadline
# (this machine's cores are shared), and big or slow generated inputs are
# what these tests are for.  Tests set only their number of examples.
settings.register_profile(
    "xencfg",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("XENCFG_HYPOTHESIS_PROFILE", "xencfg"))


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
