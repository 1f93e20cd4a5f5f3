"""The xl fast path (simple lines matched in a loop) against the LALR parser.

Both must give the same nodes wherever the fast path accepts a file, and a
file the fast path calls foreign must be one the parser rejects, with the
same error.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given

from conftest import SAMPLES, corpus_files, need_corpus
from test_xl import PROPERTY, mutate, xl_configs
from xencfg.document import Document, ParseError, decode
from xencfg.formats import xl
from xencfg.show import tree_json

FILES = corpus_files("xl", "xm")
SAMPLE_FILES = sorted(SAMPLES.rglob("*.cfg"))


def general(text: str) -> dict:
    """The tree as the LALR parser alone builds it."""
    return tree_json(Document(text, "xl", xl._parser().parse(text), xl.quote))


def check_agree(text: str) -> str:
    """Compare the two paths on ``text``; return which one decided."""
    body, _ = xl._scan(text)
    if body is not None:
        doc = Document(text, "xl", body, xl.quote)
        # A migration asks for a few settings first: the same nodes, in
        # order, as the whole body made afterwards holds.
        keys = ("disk", "name")
        named = doc.settings_named(keys)
        assert named == [n for n in doc.body if n.key in keys]
        assert all(any(n is m for m in doc.body) for n in named)
        assert tree_json(doc) == general(text)
        return "fast"
    try:
        xl.parse(text, foreign_ok=True)
    except xl.Foreign as foreign:
        with pytest.raises(ParseError) as real:
            xl.parse(text)
        mine = foreign.error()
        assert (mine.line, mine.col, mine.message) == (
            real.value.line,
            real.value.col,
            real.value.message,
        )
        return "foreign"
    except ParseError:
        return "error"
    return "general"


def test_fast_path_takes_plain_files():
    text = (
        "# web01\nname = 'web01'\nmemory = 1024\n\n"
        "disk = [ 'phy:/dev/sda,xvda,w',\n  # 'phy:/dev/sdb,xvdb,w',\n"
        "  'phy:/dev/sdc,xvdc,w', ]\n; vif = ['bridge=xenbr0']\n"
    )
    assert check_agree(text) == "fast"
    doc = xl.parse(text)
    assert [s.key for s in doc.settings()] == ["name", "memory", "disk", "vif"]
    assert doc.to_text() == text


@pytest.mark.parametrize(
    "text",
    [
        "disk = [ [ 'a' ] ]\n",  # nested list
        "name = 'x'",  # no final newline
        "name = 'x'; memory = 5\n",  # two on a line
        "disk = [\n'a'\n,\n'b'\n]\n",
    ],
)
def test_other_shapes_go_to_the_parser(text):
    assert check_agree(text) in ("general", "fast")
    assert xl.parse(text).to_text() == text


@pytest.mark.parametrize(
    "text",
    [
        "import os\nname = 'x'\n",
        "name = 'x'\ndisk.append('phy:/dev/sda,xvda,w')\n",
        "if x:\n    name = 'y'\n",
        "name = 'x'\n  (1)\n",
        "name = 'x'\nkernel 'a'\n",
    ],
)
def test_foreign_statements_skip_the_parser_with_the_same_error(text):
    assert check_agree(text) == "foreign"
    with pytest.raises(ParseError):
        xl.parse(text)


def test_corpus_and_samples_agree():
    need_corpus()
    seen = {"fast": 0, "general": 0, "foreign": 0, "error": 0}
    for path in FILES + SAMPLE_FILES:
        text = decode(path.read_bytes())
        seen[check_agree(text)] += 1
    assert seen["fast"] > 0 and seen["foreign"] > 0, seen


@pytest.mark.parametrize("chunk", range(4))
def test_mutated_corpus_agrees(chunk):
    need_corpus()
    files = [p for p in FILES if p.stat().st_size < 20000]
    for seed in range(chunk * 150, (chunk + 1) * 150):
        rnd = random.Random(seed)
        path = rnd.choice(files)
        text = decode(mutate(path.read_bytes(), rnd))
        check_agree(text)


@PROPERTY
@given(xl_configs())
def test_property_agree(case):
    text, _ = case
    check_agree(text)


@pytest.mark.parametrize("possessive", [False, True])
def test_the_grouped_line_is_the_grammars_terminal(possessive):
    """The fast path's line pattern, its groups taken out, is SIMPLE_LINE
    exactly as derived from xl.lark (in both spellings)."""
    from xencfg.grammar_terms import terminals

    terms = terminals(xl._grammar(possessive))[0]
    assert xl.simple_line(terms.get, False, possessive) == terms["SIMPLE_LINE"]
    grouped = xl.simple_line(terms.get, True, possessive)
    assert len(grouped) == len(terms["SIMPLE_LINE"]) + 8  # four groups


def test_without_possessive_repeats_the_scan_agrees(monkeypatch):
    """Before Python 3.11 the trivia before a line is made atomic another
    way: a comment must never be cut short to start a setting."""
    build = xl._scanner.__wrapped__
    monkeypatch.setattr(xl, "_scanner", lambda: build(False))
    assert xl._scanner().pattern.startswith("(?=(")
    tricky = ["# a = 1\n", "#a=1\nb = 2\n", "x = 1\n# y = [1]\n", "; a = 1 # b = 2\n"]
    texts = tricky + [decode(p.read_bytes()) for p in FILES + SAMPLE_FILES]
    for text in texts:
        check_agree(text)
    body, end = xl._scan("# a = 1\n")
    assert end == 8 and body.all() == []
