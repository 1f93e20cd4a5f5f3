"""S-expression reader: corpus round trips, xend's reading rules, edits."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, corpus_files, need_corpus
from xencfg.document import List, ParseError, Str, decode, encode
from xencfg.formats import sxp

import sxp_lark

# Corpus files that are not valid S-expressions, with why (a substring of the
# error message) and where the error is reported (line, col).
EXPECTED_REJECTS = {
    # One ')' too few: the outer (domain ...) is never closed.
    "libvirt__tests__sexpr2xmldata__sexpr2xml-bridge-ipaddr.sexpr": (
        "missing ')' to close '(' opened at 1:1",
        (1, 1),
    ),
    "libvirt__tests__sexpr2xmldata__sexpr2xml-net-routed.sexpr": (
        "missing ')' to close '(' opened at 1:1",
        (1, 1),
    ),
    # One ')' too many at the end.
    "libvirt__tests__sexpr2xmldata__sexpr2xml-pv-vfb-new-vncdisplay.sexpr": (
        "unexpected ')' with no open '('",
        (10, 19),
    ),
    "libvirt__tests__sexpr2xmldata__sexpr2xml-pv-vfb-new.sexpr": (
        "unexpected ')' with no open '('",
        (9, 52),
    ),
}

MAPPING_FRAGMENT = "mapping/hitachivantara__xm-list-l-domU-vbd-phy-sda.txt"


def _files():
    files = corpus_files("sxp")
    extra = CORPUS / MAPPING_FRAGMENT
    if extra.is_file():
        files.append(extra)
    return files


def _ids(files):
    return [str(p.relative_to(CORPUS)) for p in files]


def shape(nodes):
    """A comparable picture of a tree: kinds, spans, values, quotes."""
    out = []
    for n in nodes:
        if isinstance(n, List):
            out.append(("list", n.start, n.end, shape(n.items)))
        else:
            assert isinstance(n, Str)
            out.append(("str", n.start, n.end, n.value, n.quote))
    return out


def leaves(doc):
    return [n for n, _ in doc.walk() if isinstance(n, Str)]


# --- the corpus ----------------------------------------------------------------


@pytest.mark.parametrize("path", _files(), ids=_ids(_files()))
def test_corpus_round_trip_or_reject(path):
    need_corpus()
    data = path.read_bytes()
    text = decode(data)
    expected = EXPECTED_REJECTS.get(path.name)
    if expected is None:
        doc = sxp.parse(text, str(path))
        assert doc.fmt == "sxp"
        assert doc.to_bytes() == data
        return
    reason, (line, col) = expected
    with pytest.raises(ParseError) as info:
        sxp.parse(text, str(path))
    err = info.value
    assert reason in err.message
    assert (err.line, err.col) == (line, col)
    assert err.format(path.name).startswith(f"{path.name}:{line}:{col}: error: ")


def test_expected_rejects_exist():
    need_corpus()
    names = {p.name for p in _files()}
    assert set(EXPECTED_REJECTS) <= names


@pytest.mark.parametrize("path", _files(), ids=_ids(_files()))
def test_corpus_lark_parser_agrees(path):
    """The fast reader and Lark's LALR parser build the same tree."""
    need_corpus()
    text = decode(path.read_bytes())
    results = []
    for reader in (sxp.parse, sxp_lark.parse_lark, sxp_lark.parse_lark_lexer):
        try:
            results.append(shape(reader(text).body))
        except ParseError as e:
            results.append((e.message, e.line, e.col))
    assert results[0] == results[1] == results[2]


def test_hitachi_fragment_uname_edit():
    need_corpus()
    data = (CORPUS / MAPPING_FRAGMENT).read_bytes()
    doc = sxp.parse(decode(data))
    # the ':' rows of the paste are top-level atoms
    assert [n.value for n in doc.body if isinstance(n, Str)] == [":"] * 4
    (uname,) = [
        n
        for n, parents in doc.walk()
        if isinstance(n, Str)
        and parents
        and parents[-1].head == "uname"
        and n is not parents[-1].items[0]
    ]
    assert uname.value == "phy:/dev/sda" and uname.quote == ""
    out = doc.apply([doc.replace_string(uname, "phy:/dev/mapper/mpatha")])
    assert out == data.replace(b"phy:/dev/sda", b"phy:/dev/mapper/mpatha")


def test_escape_fixture_values():
    need_corpus()
    path = (
        CORPUS
        / "sxp/history/libvirt__tests__xml2sexprdata__xml2sexpr-escape.sexpr@98faa623b495"
    )
    if not path.is_file():
        pytest.skip("fixture not in corpus")
    doc = sxp.parse(decode(path.read_bytes()))
    values = {}
    for n, _ in doc.walk():
        if isinstance(n, List) and len(n.items) == 2 and n.head:
            values[n.head] = n.items[1]
    assert values["uname"].value == "file:/root/'\\some.img"
    assert values["uname"].quote == "'"
    # backslash-newline inside a string is a line continuation
    assert "linux/core/test" in values["args"].value
    # libvirt's line-ending backslashes are atoms
    assert any(n.value == "\\" and n.quote == "" for n in leaves(doc))


# --- xend's reading rules --------------------------------------------------------


def values(text):
    return [(n.value, n.quote) for n in leaves(sxp.parse(text))]


def test_atoms_and_strings():
    doc = sxp.parse("(vbd (uname phy:/dev/sda) (mode 'w') (dev \"xvda\"))\n")
    assert doc.to_text().endswith("\n")
    (top,) = doc.body
    assert isinstance(top, List) and top.head == "vbd"
    assert (top.start, top.end) == (0, len(doc.text) - 1)
    assert values(doc.text) == [
        ("vbd", ""),
        ("uname", ""),
        ("phy:/dev/sda", ""),
        ("mode", ""),
        ("w", "'"),
        ("dev", ""),
        ("xvda", '"'),
    ]


def test_empty_list_and_top_level_atoms():
    doc = sxp.parse(":\n  (bootloader )\n()\nfoo")
    kinds = [type(n).__name__ for n in doc.body]
    assert kinds == ["Str", "List", "List", "Str"]
    assert len(doc.body[2].items) == 0 and doc.body[2].head is None
    assert doc.body[1].head == "bootloader"


def test_comments():
    # '#' ends an atom and starts a comment, also right after an atom
    assert values("(a#b c\n d) # (x\n#y)") == [("a", ""), ("d", "")]
    # ...but not inside a string
    assert values("('a#b')") == [("a#b", "'")]
    # a quote inside a comment does not start a string
    assert values("# don't\n(x)") == [("x", "")]


def test_atom_separators_follow_xend():
    # { } < > [ ] ! ; end an atom, and may start the next one
    assert values("(a;b c[d] e!)") == [
        ("a", ""),
        (";b", ""),
        ("c", ""),
        ("[d", ""),
        ("]", ""),
        ("e", ""),
        ("!", ""),
    ]
    # a quote inside an atom is part of it
    assert values("(a\"b c'd)") == [('a"b', ""), ("c'd", "")]
    # a backslash outside a string is an atom (libvirt's line endings)
    assert values("(a 1)\\\n(b 2)\\") == [
        ("a", ""),
        ("1", ""),
        ("\\", ""),
        ("b", ""),
        ("2", ""),
        ("\\", ""),
    ]
    # a string directly followed by an atom or a list
    assert values("('x'y'z'(w))") == [("x", "'"), ("y'z'", ""), ("w", "")]


def test_whitespace_is_xends():
    assert values("(a\tb\vc\fd\re)") == [(c, "") for c in "abcde"]
    # other Unicode spaces are atom characters
    assert values("(a\xa0b)") == [("a\xa0b", "")]


@pytest.mark.parametrize(
    "source, value",
    [
        (r'"a\nb\tc\rd"', "a\nb\tc\rd"),
        (r'"\a\b\v\f"', "\a\b\v\f"),
        (r'"q\"q\'q\\q"', "q\"q'q\\q"),
        (r"'\x41\x4a\x4A\x7'", "AJJ\x07"),
        (r"'\x4g'", "\x04g"),
        (r"'\101\60\0x\1234'", "A0\x00x" + "S4"),
        (r"'\xc3\xa9'", "é"),
        (r"'\xe9'", "\udce9"),
        ("'multi\nline'", "multi\nline"),
        ("'cont\\\ninued'", "continued"),
        # xend keeps the backslash of an unknown escape and drops the character
        (r"'a\qb'", "a\\b"),
    ],
)
def test_string_escapes(source, value):
    _, s = leaves(sxp.parse(f"(k {source})"))
    assert s.value == value
    assert s.quote == source[0]


def test_non_utf8_passes_through():
    data = b"# caf\xe9\n(name caf\xe9) (x '\xe9\\x41')\n"
    doc = sxp.parse(decode(data))
    assert doc.to_bytes() == data
    assert [n.value for n in leaves(doc)] == [
        "name",
        "caf\udce9",
        "x",
        "\udce9A",
    ]


@pytest.mark.parametrize(
    "source, message, line, col",
    [
        ("(a b))", "unexpected ')' with no open '('", 1, 6),
        (")", "unexpected ')' with no open '('", 1, 1),
        ("(a\n (b c)\n", "missing ')' to close '(' opened at 1:1", 1, 1),
        ("(a (b\n", "missing ')' to close '(' opened at 1:4", 1, 4),
        ("(a\n 'b c)\n", "unterminated string starting here", 2, 2),
        ('(a "b\\"', "unterminated string starting here", 1, 4),
        ("(a '\\400')", "octal escape '\\400' in string is out of range", 1, 5),
        ("(a\n '\\xq')", "bad escape '\\x'", 2, 3),
    ],
)
def test_errors_are_located_and_worded(source, message, line, col):
    for reader in (sxp.parse, sxp_lark.parse_lark, sxp_lark.parse_lark_lexer):
        with pytest.raises(ParseError) as info:
            reader(source)
        err = info.value
        assert message in err.message
        assert (err.line, err.col) == (line, col)
        assert "Token" not in err.message


def test_empty_and_blank_documents():
    for text in ("", "\n", "# only a comment", "  \t\n# c\n"):
        doc = sxp.parse(text)
        assert doc.body == [] and doc.to_text() == text


# --- quote -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, q, out",
    [
        ("phy:/dev/sda", "", "phy:/dev/sda"),
        ("a b", "", '"a b"'),
        ("", "", '""'),
        ("(x)", "", '"(x)"'),
        ("a#b", "", '"a#b"'),
        (";b", "", '";b"'),
        ("'x", "", '"\'x"'),
        ("é", "", '"é"'),
        ("a!", "", '"a!"'),
        ('a"b', "", 'a"b'),
        ("it's", "'", "'it\\'s'"),
        ('say "hi"', '"', '"say \\"hi\\""'),
        ("a\\b\nc\td", '"', '"a\\\\b\\nc\\td"'),
        ("\x00\x7f", "'", "'\\x00\\x7f'"),
        ("caf\udce9", '"', '"caf\\xe9"'),
        ("é中", '"', '"é中"'),
    ],
)
def test_quote(value, q, out):
    assert sxp.quote(value, q) == out
    _, s = leaves(sxp.parse(f"(k {out})"))
    assert s.value == value


def test_quote_rejects_unwritable():
    with pytest.raises(ValueError):
        sxp.quote("\ud800", '"')
    with pytest.raises(ValueError):
        sxp.quote("x", "`")


# --- generated documents -------------------------------------------------------

WS = " \t\n\v\f\r"
# characters a value may hold: printable ASCII, whitespace and controls,
# non-ASCII, and undecodable bytes that can never pair into valid UTF-8.
VALUE_CHARS = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x7F),
    st.sampled_from("é中€\xa0"),
    st.sampled_from([chr(0xDC00 + b) for b in range(0xF8, 0x100)]),
)
ATOM_FIRST = st.characters(
    min_codepoint=0x21,
    max_codepoint=0x7E,
    blacklist_characters="()\"'#{}<>[]!;",
)
ATOM_REST = st.one_of(
    st.characters(
        min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="(){}<>[]!;#"
    ),
    st.sampled_from("é\udcff"),
)

_SIMPLE_ESC = {v: k for k, v in sxp._SIMPLE.items()}


@st.composite
def atoms(draw):
    value = draw(ATOM_FIRST) + "".join(draw(st.lists(ATOM_REST, max_size=12)))
    return ("atom", value, value, "")


@st.composite
def strings(draw):
    q = draw(st.sampled_from("\"'"))
    value = "".join(draw(st.lists(VALUE_CHARS, max_size=12)))
    src = []
    for c in value:
        o = ord(c)
        ways = []
        if c not in (q, "\\"):
            ways.append(c)  # raw, newlines included
        if c in _SIMPLE_ESC:
            ways.append("\\" + _SIMPLE_ESC[c])
        if o < 0x80:
            ways.append(f"\\x{o:02x}")
            ways.append(f"\\{o:03o}")
        elif 0xDC80 <= o <= 0xDCFF:
            ways.append(f"\\x{o - 0xDC00:02X}")
        src.append(draw(st.sampled_from(ways)))
        if draw(st.integers(0, 9)) == 0:
            src.append("\\\n")  # line continuation: no value
    return ("string", q + "".join(src) + q, value, q)


@st.composite
def trivia(draw, required=False):
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            parts.append("".join(draw(st.lists(st.sampled_from(WS), max_size=4))))
        else:
            body = draw(st.text(VALUE_CHARS.filter(lambda c: c != "\n"), max_size=8))
            parts.append("#" + body + "\n")
    out = "".join(parts)
    if required and not out:
        out = draw(st.sampled_from(WS))
    return out


def lists(children):
    return st.lists(children, max_size=5).map(lambda items: ("list", items))


NODES = st.recursive(st.one_of(atoms(), strings()), lists, max_leaves=25)


@st.composite
def documents(draw):
    """(source text, expected leaves [(value, quote)]) for a generated file."""
    expected = []

    def render(items):
        out = []
        prev = None
        for node in items:
            # an atom must be separated from a following atom or string
            need = prev == "atom" and node[0] in ("atom", "string")
            out.append(draw(trivia(required=need)))
            if node[0] == "list":
                out.append("(" + render(node[1]) + draw(trivia()) + ")")
            else:
                out.append(node[1])
                expected.append((node[2], node[3]))
            prev = node[0]
        return "".join(out)

    top = draw(st.lists(NODES, max_size=4))
    text = render(top) + draw(trivia())
    return text, expected


FAST = settings(max_examples=150)


@FAST
@given(documents())
def test_generated_round_trip(case):
    text, expected = case
    doc = sxp.parse(text)
    assert doc.to_text() == text
    assert doc.to_bytes() == encode(text)
    assert [(n.value, n.quote) for n in leaves(doc)] == expected
    assert shape(sxp_lark.parse_lark(text).body) == shape(doc.body)


@FAST
@given(documents(), st.data())
def test_generated_replace_one_string(case, data):
    text, expected = case
    doc = sxp.parse(text)
    found = leaves(doc)
    if not found:
        return
    i = data.draw(st.integers(0, len(found) - 1))
    node = found[i]
    new = "".join(data.draw(st.lists(VALUE_CHARS, max_size=10)))
    edit = doc.replace_string(node, new)
    out = doc.apply([edit])
    # exactly that span changed
    assert out == encode(text[: node.start] + edit.text + text[node.end :])
    again = sxp.parse(decode(out))
    got = leaves(again)
    assert len(got) == len(found)
    assert got[i].value == new
    if node.quote:
        assert got[i].quote == node.quote
    others = [(n.value, n.quote) for j, n in enumerate(got) if j != i]
    assert others == [(n.value, n.quote) for j, n in enumerate(found) if j != i]


# --- fuzzing the corpus ------------------------------------------------------


def _mutate(rnd: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 3)):
        if not b:
            b.extend(rnd.choice([b"(", b")", b'"', b"'", b"\\", b"#"]))
            continue
        i = rnd.randrange(len(b))
        op = rnd.randrange(5)
        if op == 0:  # flip a byte
            b[i] = rnd.randrange(256)
        elif op == 1:  # cut a range
            del b[i : i + rnd.randint(1, 40)]
        elif op == 2:  # repeat a range
            b[i:i] = b[i : i + rnd.randint(1, 40)]
        elif op == 3:  # insert a character that matters
            b[i:i] = rnd.choice(
                [b"(", b")", b'"', b"'", b"\\", b"#", b"\n", b";", b"\\7", b"\\x"]
            )
        else:  # truncate
            del b[i:]
    return bytes(b)


def test_fuzz_corpus_mutations():
    need_corpus()
    files = [p.read_bytes() for p in _files()]
    rnd = random.Random(20240611)
    accepted = rejected = 0
    for _ in range(300):
        data = _mutate(rnd, rnd.choice(files))
        text = decode(data)
        try:
            doc = sxp.parse(text)
        except ParseError as e:
            assert e.line >= 1 and e.col >= 1
            assert e.line <= text.count("\n") + 1
            rejected += 1
            with pytest.raises(ParseError):
                sxp_lark.parse_lark(text)
            continue
        assert doc.to_bytes() == data
        assert shape(sxp_lark.parse_lark(text).body) == shape(doc.body)
        accepted += 1
    assert accepted and rejected


def test_values_are_counted_and_lists_nested_one_by_one(monkeypatch):
    """Values are counted one by one (the first past the budget is named),
    and a list's depth is checked at its '('."""
    from xencfg.formats import limits

    monkeypatch.setattr(sxp, "MAX_VALUES", 5)
    # values: ( a b ( c d ... -- the sixth, 'd' at offset 8, is one too many
    with pytest.raises(limits.TooMany) as err:
        sxp.parse("(a b)(c d)(e)")
    assert (err.value.line, err.value.col) == (1, 9)
    with pytest.raises(limits.TooMany) as err:
        sxp.parse('(a b)(c "d")(e)')
    assert (err.value.line, err.value.col) == (1, 9)
    with pytest.raises(limits.TooMany) as err:
        sxp.parse("(a b)(c)(e)")  # the sixth is the '(' of (e)
    assert (err.value.line, err.value.col) == (1, 9)
    monkeypatch.undo()
    depth = limits.MAX_DEPTH
    with pytest.raises(limits.TooDeep) as err:
        sxp.parse("(a " * depth + "(b c)" + ")" * depth)
    assert (err.value.line, err.value.col) == (1, 3 * depth + 1)
    doc = sxp.parse("(a " * (depth - 1) + "(b c)" + ")" * (depth - 1))
    assert doc.to_text().startswith("(a (a")
