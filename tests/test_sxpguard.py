"""The guard for files that read as S-expressions: when the text is also
Python that sets variables the reading is refused, and the quick test that
spares most S-expression files the Python parser never calls Python what
Python itself accepts."""

from __future__ import annotations

import ast
import random
import warnings

import pytest
from conftest import SAMPLES, corpus_files, need_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from test_xl import mutate
from xencfg.document import ParseError, decode
from xencfg.formats.detect import parse_text
from xencfg.formats.sxpguard import not_python


def python_reads(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text.lstrip("\ufeff"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check(text: str) -> None:
    if not_python(text):
        assert not python_reads(text), text


def test_a_file_that_is_both_is_refused():
    text = "(disk.append ('phy:/dev/sda,xvda,w'))\n"
    assert not not_python(text)
    with pytest.raises(ParseError, match="both as S-expressions and as Python"):
        parse_text(text)


def test_xen_files_skip_the_python_parser_and_read_the_same():
    text = (
        "(domain\n  (domid 5)\n  (name vm1)\n  (device (vbd (uname phy:/dev/sda)))\n)\n"
    )
    assert not_python(text)
    assert parse_text(text).fmt == "sxp"


@pytest.mark.parametrize(
    "text",
    [
        "return 5\n",
        "x = lambda y: 1\n",
        "match 1:\n    case 1:\n        pass\n",
        "x = 1if y else 2\n",
        "x = 0x1f\ny = 1e5\nz = 1_000\n",
        "x = a.b\n1\n",
        "x = 'domid 5'\n",
        "# domid 5\nx = 1\n",
        "x = \\\n 5\n",
        "print(not 5, -5, x in 5, x is 5)\n",
        "(domain (domid 5))\n",
        "(a 1)\n",
        "x = [1, 2]\n(y 3)\n",
    ],
)
def test_never_says_no_to_python(text):
    check(text)


def test_corpus_samples_and_mutations():
    need_corpus()
    paths = corpus_files("sxp", "xm", "xl") + sorted(SAMPLES.rglob("*.*"))
    texts = [decode(p.read_bytes()) for p in paths if p.is_file()]
    rnd = random.Random(14)
    small = [p for p in paths if p.is_file() and p.stat().st_size < 20000]
    for _ in range(600):
        texts.append(decode(mutate(rnd.choice(small).read_bytes(), rnd)))
    said = 0
    for text in texts:
        check(text)
        said += not_python(text)
    assert said > 50  # it does spare the S-expression files


_TOKENS = st.sampled_from(
    "domid x _ return match case if else lambda not in is print await type "
    "1 0x1f 1e5 1.5 .5 1_0 1j ( ) [ ] { } : , . = + - * @ ; ' \" # \\ \n".split(" ")
    + [" ", "\t", "\n", "    ", "\\\n", "'a 1'", "f'{x} 1'"]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_TOKENS, max_size=12))
def test_generated_token_soup(tokens):
    text = " ".join(tokens)
    check(text)
    check("".join(tokens))


@pytest.mark.parametrize(
    "text",
    [
        "x = 1  # a 5\n",
        "# -*- sh -*-\n(xend-relocation-port 8002)\n",
        "(a " + "x" * 100 + " 5)\n",
        "(a" + " if 1" * 100 + " b 2)\n",
    ],
)
def test_comments_long_names_and_many_keywords(text):
    check(text)


def test_comment_lines_before_the_first_pair():
    assert not_python("# -*- sh -*-\n(xend-relocation-port 8002)\n")
    assert not not_python("# a 5\n")
    assert not not_python("(a " + "x" * 100 + " 5)\n")  # too long a name
    assert not not_python("(a" + " if 1" * 100 + " b 2)\n")  # gave up
