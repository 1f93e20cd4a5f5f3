"""The line reader for plain xm configs against the ast reader and libcst.

Wherever ``xm_lines`` reads a file, its Document must be exactly the ast
reader's (which the tests of ``test_xm_fast`` hold to libcst's), and libcst
must agree too; anything else it must leave alone (None).
"""

from __future__ import annotations

import random

import pytest
from conftest import SAMPLES, corpus_files, need_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from test_xl import mutate
from test_xm_fast import check_agree
from xencfg.document import ParseError, decode
from xencfg.formats import xm, xm_ast, xm_lines, xm_mixed
from xencfg.show import tree_json

FILES = corpus_files("xm", "xl")
SAMPLE_FILES = sorted(SAMPLES.rglob("*.cfg"))


def check(text: str) -> bool:
    """Whether the line reader took ``text``; if so, it agrees."""
    doc = xm_lines.parse(text, "f.cfg")
    if doc is None:
        return False
    ref = xm_ast.parse(text, "f.cfg")
    assert ref is not None, text
    assert tree_json(doc) == tree_json(ref), text
    assert check_agree(text) == "fast"
    assert doc.to_text() == text
    return True


def test_plain_file_is_read_by_lines():
    text = (
        "# -*- mode: python; -*-\nname = 'vm1'\nmemory = 512\n\n"
        "vif = [ 'bridge=xenbr0', \"mac=00:16:3e:00:00:01\" ]  # nics\n"
        "disk = ['phy:/dev/sda,xvda,w']\ndisk.append('phy:/dev/sdb,xvdb,w')\n"
        "   # an indented comment\nvcpus=2"
    )
    assert check(text)
    doc = xm.parse(text)
    assert [(s.key, s.op) for s in doc.settings()] == [
        ("name", "="),
        ("memory", "="),
        ("vif", "="),
        ("disk", "="),
        ("disk", "append"),
        ("vcpus", "="),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "if = 1\n",
        "None = 1\n",
        "True.append('x')\n",
        "x = 01\n",
        "x = 00\n",
        "x = 1.5\n",
        "x = 1e5\n",
        "x = 1j\n",
        "x = 0x1f\n",
        "x = 1_000\n",
        "x = -1\n",
        "x = 1if\n",
        "x = 'a' 'b'\n",
        "x = 'a''b'\n",
        "x = 'a'\"b\"\n",
        "x = u'a'\n",
        "x = f'a'\n",
        "x = 'a\\n'\n",
        "x = [,]\n",
        "x = [1,,2]\n",
        "x = [[1]]\n",
        "x = ['a'\n  ,'b']\n",
        " x = 1\n",
        "\tx = 1\n",
        "x = 1; y = 2\n",
        "x = 1\r\ny = 2\r\n",
        "\ufeffx = 1\n",
        "x = 1\f\n",
        "x = 'caf\u00e9'\n",
        "caf\u00e9 = 1\n",
        "x\u00e9 = 1\n",
        "disk.append( 'x' )\n",
        "disk.append('x', )\n",
        "disk . append('x')\n",
        "disk.extend(['x'])\n",
        "x = 1 = 2\n",
        "x == 1\n",
        "x += 1\n",
        "x = 1 # c \\\ny = 2\n",
        "x = []\n",
        "x = [ ]\n",
        "x = ['a',]\n",
        "x = [1, 'a' , 2 ,]\n",
        "type = 'hvm'\nmatch = 1\ncase = [2]\n_ = 'x'\n",
        "print = 'x'\n",
        "",
        "\n\n",
        "# only\n  # comments\n",
        "x = '#'  # '\n",
        'x = "it\'s"\n',
    ],
)
def test_shapes(text):
    check(text)


def test_what_it_takes():
    for text in (
        "x = []\n",
        "x = ['a',]\n",
        "x = [1, 'a' , 2 ,]\n",
        "type = 'hvm'\nmatch = 1\ncase = [2]\n_ = 'x'\n",
        "",
        "x = '#'  # '\n",
    ):
        assert check(text), text


def test_what_it_leaves_to_the_other_readers():
    for text in ("if = 1\n", "x = 01\n", " x = 1\n", "x = 'a' 'b'\n", "x = -1\n"):
        assert xm_lines.parse(text) is None, text


def test_corpus_and_samples_agree():
    need_corpus()
    taken = sum(check(decode(p.read_bytes())) for p in FILES + SAMPLE_FILES)
    assert taken > 0


@pytest.mark.parametrize("chunk", range(4))
def test_mutated_corpus_agrees(chunk):
    need_corpus()
    files = [p for p in FILES + SAMPLE_FILES if p.stat().st_size < 20000]
    for seed in range(chunk * 200, (chunk + 1) * 200):
        rnd = random.Random(seed)
        check(decode(mutate(rnd.choice(files).read_bytes(), rnd)))


_pieces = st.sampled_from(
    [
        "disk",
        "name",
        "if",
        "_x1",
        " ",
        "\t",
        "=",
        "==",
        "'phy:/dev/sda,xvda,w'",
        '"a#b"',
        "'",
        '"',
        "'a''b'",
        "0",
        "01",
        "12",
        "1.5",
        "[",
        "]",
        ",",
        ".append(",
        ")",
        "# c",
        "\n",
        "\\",
        "u",
        "f",
        "-",
        ";",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_pieces, max_size=16))
def test_generated_lines_agree(pieces):
    check("".join(pieces))


MIXED = [
    "name = 'a'\nimport os\nif os.path.exists('/x'):\n    disk.append('phy:/dev/sda,xvda,w')\n"
    "root = 'b'\n",
    "import os\nname = 'a'",
    "x = '''\nname = 'a'\n'''\ny = 1\n",
    'x = """a\nname = \'b\'\n"""\n',
    "d = dict(\nname = 'x')\nz = 1\n",
    "x = 1 + \\\n2\nname = 'a'\n",
    "@deco\nname = 'a'\n",
    "if x:\n    a = 1\nelif y:\n    a = 2\nelse:\n    a = 3\nname = 'q'\n",
    "if x:\nname = 'q'\n",
    "try:\n    a = 1\nexcept E:\n    pass\nfinally:\n    b = 2\nname = 'q'\n",
    "match x:\n    case 1:\n        disk = ['a']\nname = 'q'\n",
    "from __future__ import annotations\nname = 'a'\nimport os\n",
    "name = 'a'\nfrom __future__ import annotations\n",
    "global g\nname = 'a'\n",
    "class C:\n    disk = ['phy:/dev/sda,xvda,w']\nname = 'a'\n",
    "name = 'a'\nif = 1\nroot = 'b'\n",
    "# c\n\n# d\nimport os\n  # e\nname = 'a'\n",
    "swap = 'sd%s' % x\ndisk = ['phy:/dev/%s,xvdb,w' % swap]\nname = 'vm'\n",
    "name = 'caf\u00e9'\nimport os\n",
    "name = 'a'\r\nimport os\r\n",
    "print 'x'\nname = 'a'\n",
    "disk = [\n'phy:/dev/sda,xvda,w',\n]\nname = 'a'\n",
    "def f():\n    return 1\nname = f()\nroot = 'x'\n",
    "x = [1,\n# name = 'a'\n2]\nname = 'b'\n",
]


@pytest.mark.parametrize("text", MIXED)
def test_mixed_reading_is_the_whole_files(text):
    """Plain lines read without a parser and the statements between them by
    CPython's (each piece from a statement to the next plain line): the same
    document as the ast reader's on the whole file, or none (that reader
    then reads it)."""
    check(text)  # (check_agree compares the mixed reader too)
    try:
        doc = xm.parse(text)
    except ParseError:  # not Python: the same error as before
        assert xm_mixed.parse(text) is None
        return
    assert doc.to_text() == text


def test_the_common_mixed_file_skips_most_of_the_parser():
    text = MIXED[0]
    doc = xm_mixed.parse(text, "f.cfg")
    assert doc is not None
    assert [(s.key, s.op, s.conditional) for s in doc.settings()] == [
        ("name", "=", False),
        ("disk", "append", True),
        ("root", "=", False),
    ]
    for text in (MIXED[2], MIXED[11], MIXED[18]):  # a string open, __future__, é
        assert xm_mixed.parse(text) is None, text
