"""The fast xm reader (CPython's ast) against libcst, the reference reader.

Wherever the fast reader accepts a file, both must give the same tree (every
node, span, value, quote, reason and flag) and so the same findings and
edits; where it is not sure it declines and libcst reads the file.
"""

from __future__ import annotations

import random

import pytest
from conftest import SAMPLES, corpus_files, need_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_xl import mutate
from xencfg.document import ParseError, decode
from xencfg.formats import xm, xm_ast, xm_mixed
from xencfg.maps import parse_map
from xencfg.show import tree_json
from xencfg.transforms.migrate import Migrate
from xencfg.transforms.policy import Policy

# The generated expressions make a long strategy repr; it is never shown.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

FILES = corpus_files("xm", "xl")
SAMPLE_FILES = sorted(SAMPLES.rglob("*.cfg"))
MAP = parse_map("".join(f"/dev/sd{c} /dev/sddlma{c}\n" for c in "abcdefghij"))


def outcome(doc) -> tuple:
    """What a user sees from a document: tree, findings, edits, new bytes."""
    results = []
    for transform in (Migrate(MAP), Policy()):
        edits, findings = transform.run(doc)
        results.append(
            (
                [f.record() for f in findings],
                sorted((e.start, e.end, e.text) for e in edits),
                doc.apply(edits),
            )
        )
    return tree_json(doc), results


def check_agree(text: str) -> str:
    """Compare the two readers on ``text``; return which one decided.  The
    mixed reader (plain lines, and the ast reader between them) must give
    the whole-file reader's document wherever it gives one."""
    fast = xm_ast.parse(text, "f.cfg")
    mixed = xm_mixed.parse(text, "f.cfg")
    if mixed is not None:
        assert fast is not None, text
        assert outcome(mixed) == outcome(fast), text
        assert mixed.to_text() == text
    if fast is None:
        return "declined"
    try:
        ref = xm.parse_cst(text, "f.cfg")
    except ParseError as e:  # pragma: no cover - a failure shows the text
        raise AssertionError(f"libcst rejects what the fast reader took: {e}")
    assert outcome(fast) == outcome(ref), text
    assert fast.to_text() == text
    return "fast"


def test_plain_config_takes_the_fast_path():
    text = (
        "# web01\nname = 'web01'\nmemory = 1024\n"
        "disk = [ 'phy:/dev/sda,xvda,w',\n  # 'phy:/dev/sdb,xvdb,w',\n"
        '  "phy:/dev/sdc,xvdc,w", ]\n'
        "if os.path.exists('/x'):\n    disk.append('phy:/dev/sdd,xvdd,w')\n"
    )
    assert check_agree(text) == "fast"
    doc = xm.parse(text)
    assert [(s.key, s.op, s.conditional) for s in doc.settings()] == [
        ("name", "=", False),
        ("memory", "=", False),
        ("disk", "=", False),
        ("disk", "append", True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "x = ((1, 2))\n",
        "x = 1, 2,\n",
        "x = ([1])\n",
        "x = ( [1] )  # c\n",
        "x = (  # c\n  [1])\n",
        "x = [\n  ( [1] ),\n  ([2],),\n]\n",
        "disk.append(([1]))\n",
        "disk.append(([1]),)\n",
        "disk.extend( [ 'phy:/dev/sda,a,w' ] )\n",
        "disk.insert(0, ('phy:/dev/sda,a,w'))\n",
        "disk.insert(0, ([ 'phy:/dev/sda,a,w' ]))\n",
        "disk.remove('phy:/dev/sda,a,w')\n",
        "disk . append ( 'phy:/dev/sda,a,w' )\n",
        "disk[0] = 'phy:/dev/sda,a,w'\n",
        "disk *= 2\n",
        "disk += ['phy:/dev/sda,a,w']\n",
        "disk: list = ['phy:/dev/sda,a,w']\n",
        "(disk) = ['phy:/dev/sda,a,w']\n",
        "a = b = 1\n",
        "a, b = 1, 2\n",
        "x = -1; y = - 2; z = +3.5j; w = -True\n",
        "x = [*a, 'b']\n",
        "x = 'phy:/dev/%s,a,w' % d\n",
        "x = 'a' 'b'\n",
        "x = ('a'\n     'b')\n",
        "x = f'{a}'\n",
        "x = b'phy:/dev/sda'\n",
        "x = b'a' b'b'\n",
        "x = f(b'a' b'c', 'd')\n",
        "x = (i for i in y)\n",
        "x = [i for i in 'ab']\n",
        "x = {'a': 'phy:/dev/sda'}\n",
        "x = a if 'b' else 'c'\n",
        "x = lambda: 'a'\n",
        "x = os.environ['A']\n",
        "x = a.b.c\n",
        "x = f(x)[0].y\n",
        "x = ...\n",
        "x = 'caf\u00e9'; y = ['\u4e2d', 'phy:/dev/sda,a,w']  # \u00e9\n",
        "x = \uff44\uff49\uff53\uff4b\n",  # full-width letters: NFKC in ast
        "\uff44\uff49\uff53\uff4b.\uff41\uff50\uff50\uff45\uff4e\uff44('phy:/dev/sda')\n",
        "\uff44\uff49\uff53\uff4b = ['phy:/dev/sda,a,w']\n",
        "x = a.\uff42 + caf\u00e9\n",
        "x = [\uff26\uff41\uff4c\uff53\uff45]\n",  # ast reads False
        "x = '\\d'\n",
        "x = u'a' ; y = R'\\n'\n",
        "x = '''a\nb''' ; y = \"\"\"c\"\"\"\n",
        "x = \\\n  [1]\n",
        "x = [ \\\n  [1]]\n",
        "try:\n  x = 1\nexcept E :\n  x = 2\nelse:\n  x = 3\nfinally:\n  x = 4\n",
        "for i in r:\n  x = 1\nelse:\n  x = 2\nwhile 0:\n  x = 3\n",
        "with a as b:\n  x = 1\ndef f():\n  x = 2\nclass C:\n  x = 3\n",
        "if a:\n  x = 1\nelif b:\n  x = 2\nelse:\n  if c:\n    x = 3\n",
        "async def f():\n  async with a:\n    x = 1\n  async for i in a:\n    x = 2\n",
        "match x:\n  case 1:\n    y = 2\n",
        "try:\n  x = 1\nexcept* E:\n  x = 2\n",
        "import os, sys\nfrom a import b\ndel x\nglobal y\nassert 1\npass\n",
        "x = 1\r\ny = 2\r\n",
        "\ufeffx = 1\n",
        "x = 1\f\n",
        "print 'python 2'\nx = 1\n",
        "x = (yield)\n",
        "x = [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]\n",
        "",
        "# only a comment",
        "x = 1",
    ],
)
def test_shapes_agree(text):
    check_agree(text)


def test_unsure_files_are_declined():
    for text in ("x = 'a' 'b'\n", "x = f'{a}'\n", "x = 1\r\n", "print 'x'\n"):
        assert xm_ast.parse(text) is None, text


def test_corpus_and_samples_agree():
    need_corpus()
    seen = {"fast": 0, "declined": 0}
    for path in FILES + SAMPLE_FILES:
        seen[check_agree(decode(path.read_bytes()))] += 1
    # Nearly every file is read fast; the Python 2 ones go to libcst.
    assert seen["fast"] > 10 * seen["declined"], seen


@pytest.mark.parametrize("chunk", range(4))
def test_mutated_corpus_agrees(chunk):
    need_corpus()
    files = [p for p in corpus_files("xm") if p.stat().st_size < 20000]
    for seed in range(chunk * 150, (chunk + 1) * 150):
        rnd = random.Random(seed)
        check_agree(decode(mutate(rnd.choice(files).read_bytes(), rnd)))


# --- generated files ---------------------------------------------------------------

_strs = st.sampled_from(
    [
        "'phy:/dev/sda,xvda,w'",
        '"phy:/dev/sdb1,xvdb,w"',
        "'''phy:/dev/sdc,xvdc,r'''",
        "r'file:/x\\y'",
        "u'tap:aio:/dev/sdd,hda,w'",
        "'caf\u00e9 \u4e2d'",
        "'a\\tb\\x41'",
        "b'phy:/dev/sda'",
        "'a' 'b'",
        "b'a' b'b'",
        "f'phy:{d}'",
    ]
)
_atoms = st.one_of(
    _strs,
    st.sampled_from(["1", "-2", "- 3", "+4.5", "0x1f", "True", "None", "...", "d"]),
)
_gaps = st.sampled_from(["", " ", "  ", "\n  ", " # c\n  ", " \\\n  ", "\t"])


def _exprs():
    def extend(inner):
        def seq(draw_items, gaps, open_, close, trail):
            body = "".join(f"{g}{x}," for x, g in zip(draw_items, gaps))
            return f"{open_}{body}{trail}{close}"

        return st.one_of(
            st.builds(
                seq,
                st.lists(inner, max_size=3),
                st.lists(_gaps, min_size=3, max_size=3),
                st.sampled_from(["[", "(", "( ["]),
                st.sampled_from(["]", ")", "] )"]),
                _gaps,
            ).filter(lambda s: s.count("(") == s.count(")")),
            st.builds(lambda e, g: f"({g}{e}{g})", inner, _gaps),
            st.builds(
                lambda a, op, b: f"{a} {op} {b}", inner, st.sampled_from("%+*"), inner
            ),
            st.builds(lambda e: f"f({e})", inner),
            st.builds(lambda e: f"*{e}", inner),
            st.builds(lambda e: f"{{'k': {e}}}", inner),
            st.builds(lambda e: f"{e} if c else 'x'", inner),
            st.builds(lambda e: f"(x for x in {e})", inner),
        )

    return st.recursive(_atoms, extend, max_leaves=8)


_statements = st.one_of(
    st.builds(lambda e: f"disk = {e}", _exprs()),
    st.builds(lambda e: f"disk += {e}", _exprs()),
    st.builds(
        lambda m, e: f"disk.{m}({e})",
        st.sampled_from(["append", "extend", "remove"]),
        _exprs(),
    ),
    st.builds(lambda e: f"disk.insert(0, {e})", _exprs()),
    st.builds(lambda e: f"disk[1] = {e}", _exprs()),
    st.builds(lambda e: f"name: str = {e}", _exprs()),
    st.builds(lambda e: f"x = {e}; y = 1", _exprs()),
)


_plain = st.sampled_from(
    ["name = 'vm1'", "memory = 512", "vif = ['bridge=xenbr0']", "import os", "x = 1"]
)


@st.composite
def _files(draw):
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        stmt = draw(st.one_of(_statements, _plain))
        comment = draw(st.sampled_from(["", "  # note", "  # 'phy:/dev/sda'"]))
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"if x:\n    {stmt}{comment}\nelse:\n    pass\n")
        else:
            lines.append(f"{stmt}{comment}\n")
    return "".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_files())
def test_generated_files_agree(text):
    check_agree(text)


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 120 + "]" * 120 + "\n",
        "x = " + "-" * 150 + "1\n",
        "x = " + "a." * 150 + "b\n",
    ],
)
def test_too_deep_is_the_same_located_error(text):
    assert xm_ast.parse(text, "f.cfg") is None  # left to libcst's path
    with pytest.raises(ParseError) as fast:
        xm.parse(text, "f.cfg")
    with pytest.raises(ParseError) as ref:
        xm.parse_cst(text, "f.cfg")
    assert str(fast.value) == str(ref.value)
    assert "nested more than" in str(fast.value)


# --- the nesting limit, counted by the reader as it reads ---------------------------

_U = "-"  # one level per '-'
DEEP_SHAPES = [
    lambda n: "x = " + "[" * n + "1" + "]" * n + "\n",
    lambda n: "x = " + _U * n + "1\n",
    lambda n: "x = " + "a." * n + "b\n",
    lambda n: "x = 1" + "+1" * n + "\n",
    lambda n: "x = " + "f(" * n + ")" * n + "\n",
    lambda n: "x = [*" + _U * n + "1]\n",
    lambda n: "x = (" + "(1, " * n + "2" + ")" * n + ")\n",
    lambda n: "disk.append(" + "[" * n + "'a'" + "]" * n + ")\n",
    lambda n: "disk.insert(" + _U * n + "1, 'a')\n",
    lambda n: "disk.remove(k=" + _U * n + "1)\n",
    lambda n: "disk[" + _U * n + "1] = 'a'\n",
    lambda n: "x: " + "a." * n + "b = 1\n",
    lambda n: "x *= " + _U * n + "1\n",
    lambda n: "disk += [" + _U * n + "1]\n",
    lambda n: "a, b = " + _U * n + "1\n",
    lambda n: "print(" + _U * n + "1)\n",
    lambda n: "import os\nassert " + _U * n + "1\n",
    lambda n: "if a:\n x = 1\nelif a:\n x = " + _U * n + "1\n",
    lambda n: "if a:\n x = 1\n" + "elif a:\n x = 1\n" * n,
    lambda n: "if " + _U * n + "1:\n x = 1\n",
    lambda n: "for i in " + _U * n + "1:\n x = 1\n",
    lambda n: "while " + "a." * n + "b:\n x = 1\n",
    lambda n: "with " + "a." * n + "b:\n x = 1\n",
    lambda n: "try:\n x = 1\nexcept " + "a." * n + "E:\n x = " + _U * n + "1\n",
    lambda n: "try:\n pass\nexcept E:\n x = " + _U * n + "1\nfinally:\n y = 2\n",
    lambda n: "@" + "a." * n + "b\ndef f():\n x = 1\n",
    lambda n: "def f(a=" + _U * n + "1):\n x = 1\n",
    lambda n: "def f():\n x = " + _U * n + "1\n",
    lambda n: "class C(" + "a." * n + "b):\n x = 1\n",
    lambda n: "class C:\n x = " + _U * n + "1\n",
    lambda n: "x = lambda a=" + _U * n + "1: a\n",
    lambda n: "x = [i for i in " + _U * n + "1]\n",
    lambda n: "x = {'a': " + "[" * n + "1" + "]" * n + "}\n",
]


@pytest.mark.parametrize("shape", range(len(DEEP_SHAPES)))
def test_declined_exactly_when_nested_too_deep(shape):
    """The reader counts nesting as it reads (and walks what it skips): it
    declines exactly the files the generic walk finds too deep, so every
    such file still gets libcst's located error, and no other."""
    import ast

    from xencfg.formats.limits import MAX_DEPTH, python_too_deep

    make = DEEP_SHAPES[shape]
    assert check_agree(make(1)) == "fast"
    seen = set()
    for n in range(MAX_DEPTH - 8, MAX_DEPTH + 4):
        text = make(n)
        deep = python_too_deep(ast.parse(text)) is not None
        seen.add(deep)
        fast = xm_ast.parse(text, "f.cfg")
        assert (fast is None) == deep, (n, text[:60])
        if fast is not None:
            check_agree(text)
    assert seen == {True, False}  # the range crosses the limit


# The text test as one regular expression (what declined_text replaces).
import re  # noqa: E402

_DECLINE_RX = re.compile(
    "[\r\f\v\0\ufeff\ud800-\udfff]|(?<![A-Za-z0-9_])[rRbB]?[fF][rRbB]?['\"]"
)


def test_declined_text_is_the_regular_expression():
    need_corpus()
    texts = [decode(p.read_bytes()) for p in FILES + SAMPLE_FILES]
    rnd = random.Random(5)
    pieces = ["f'", 'F"', "rf'", "bF'", "Rb'", "conf'", "xf'", "_f'", "1f'", "é f'"]
    pieces += ["fr", "f", "r", "b", " ", "\n", "'", '"', "a", "\r", "\ufeff", "\udc80"]
    for _ in range(3000):
        texts.append("".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6))))
    for text in texts:
        assert xm_ast.declined_text(text) == bool(_DECLINE_RX.search(text)), text
