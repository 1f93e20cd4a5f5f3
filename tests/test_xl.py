"""xl reader: corpus round trips, unit cases, errors, properties and fuzzing."""

from __future__ import annotations

import random
import re
import signal
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CORPUS, corpus_files, need_corpus
from xencfg.document import (
    List,
    ParseError,
    Scalar,
    Setting,
    Str,
    decode,
    encode,
)
from xencfg.formats import xl

XL_FILES = corpus_files("xl")


def _ids(files):
    return [str(p.relative_to(CORPUS)) for p in files]


def strs(doc) -> list[Str]:
    return [n for n, _ in doc.walk() if isinstance(n, Str)]


def roundtrip(data: bytes):
    doc = xl.parse(decode(data))
    assert doc.to_bytes() == data
    return doc


# Words that only Lark or the grammar know; a user must never see them.
INTERNALS = [
    "Token(",
    "Expected one of",
    "expected one of",
    "RSQB",
    "LSQB",
    "SIMPLE_LINE",
    "NUMBER",
    "STRING",
    "COMMA",
    "SEMI",
    "KEY",
    "OP",
    "NL",
    "WS",
    "COMMENT",
    "$END",
    "__ANON",
    "_GAP",
    "Previous tokens",
    "UnexpectedToken",
    "UnexpectedCharacters",
]


def leaked(message: str, text: str = "") -> list[str]:
    """Internal names in ``message`` that did not come from the input."""
    return [
        w
        for w in INTERNALS
        if re.search(r"(?<![A-Za-z_])" + re.escape(w) + r"(?![A-Za-z_])", message)
        and w not in text
    ]


@contextmanager
def deadline(seconds: int, what: str):
    """Fail (instead of hanging) when parsing takes pathologically long."""

    def _alarm(signum, frame):
        raise AssertionError(f"parsing took more than {seconds}s: {what}")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- corpus ------------------------------------------------------------------


def test_corpus_present():
    need_corpus()
    assert XL_FILES, f"no xl files under {CORPUS / 'xl'}"
    assert any("history" in p.parts for p in XL_FILES)


@pytest.mark.parametrize("path", XL_FILES, ids=_ids(XL_FILES))
def test_corpus_roundtrip(path):
    need_corpus()
    data = path.read_bytes()
    try:
        doc = xl.parse(decode(data), str(path))
    except ParseError as e:  # pragma: no cover - reported as a failure
        pytest.fail(f"rejected: {e.format(str(path))}")
    assert doc.to_bytes() == data
    assert doc.fmt == "xl"
    for s in strs(doc):
        assert doc.raw(s)[0] == doc.raw(s)[-1] == s.quote
        assert xl.unquote(doc.raw(s)) == s.value


# --- unit cases --------------------------------------------------------------


def test_crlf_line_ends():
    data = b"name = 'vm1'\r\nmemory = 512\r\ndisk = [\r\n 'a',\r\n 'b' ,\r\n]\r\n"
    doc = roundtrip(data)
    assert [s.key for s in doc.settings()] == ["name", "memory", "disk"]
    assert [s.value for s in strs(doc)] == ["vm1", "a", "b"]
    assert doc.body[1].value.value == "512"


def test_comment_on_last_line_without_newline():
    doc = roundtrip(b"name = 'vm1'\n# the end")
    assert [s.key for s in doc.settings()] == ["name"]
    doc = roundtrip(b"name = 'vm1' # the end")
    assert strs(doc)[0].value == "vm1"


def test_last_setting_without_newline():
    doc = roundtrip(b'a = 1\nname = "vm1"')
    assert [s.key for s in doc.settings()] == ["a", "name"]
    assert strs(doc)[0].value == "vm1"
    doc = roundtrip(b"disk = [ 'x',\n 'y' ]")
    assert [s.value for s in strs(doc)] == ["x", "y"]


def test_non_utf8_byte_in_comment():
    data = b"# caf\xe9 \xff\xfe\nname = 'vm1' # \xe9t\xe9\n"
    doc = roundtrip(data)
    assert strs(doc)[0].value == "vm1"
    new = doc.apply([doc.replace_string(strs(doc)[0], "vm2")])
    assert new == data.replace(b"vm1", b"vm2")


def test_semicolon_separated_statements():
    doc = roundtrip(b"a = 1; b = 'x' ;c=[2];;\n; d = \"y\"")
    assert [(s.key, s.op) for s in doc.settings()] == [
        ("a", "="),
        ("b", "="),
        ("c", "="),
        ("d", "="),
    ]


def test_plus_equals():
    doc = roundtrip(b"extra = 'a'\nextra += ' b'\ndisk+=['x']\n")
    assert [(s.key, s.op) for s in doc.settings()] == [
        ("extra", "="),
        ("extra", "+="),
        ("disk", "+="),
    ]


def test_nested_lists_with_newlines_comments_trailing_commas():
    text = (
        "x = [ # open\n"
        "  [ 'a' , # one\n"
        "    'b' ,\n"
        "  ] ,\n"
        "\n"
        "  # between\n"
        "  [ ] , [\n"
        "  ] , [[1,],\n"
        "   [2 ,\n"
        "    3],],\n"
        '  "c"\n'
        "  ,\n"
        "]\n"
    )
    doc = roundtrip(encode(text))
    (setting,) = doc.body
    outer = setting.value
    assert isinstance(outer, List)
    assert outer.start == text.index("[") and outer.end == text.rindex("]") + 1
    kinds = [type(n).__name__ for n in outer.items]
    assert kinds == ["List", "List", "List", "List", "Str"]
    assert [s.value for s in outer.items[0].items] == ["a", "b"]
    assert outer.items[1].items == [] and outer.items[2].items == []
    deep = outer.items[3]
    assert [[n.value for n in lst.items] for lst in deep.items] == [["1"], ["2", "3"]]
    assert outer.items[4].value == "c"


def test_comment_hides_closing_bracket():
    # The ']' is inside the comment: the list closes on the next line.
    doc = roundtrip(b"x = [ 1, # 2 ]\n]\n")
    assert [n.value for n in doc.body[0].value.items] == ["1"]
    assert doc.body[0].value.end == len("x = [ 1, # 2 ]\n]")
    for text in ["x = [ 1, # 2 ]\n", "x = [ # 'a' ]\n", "x = [ # 'a' ]\ny = 1\n"]:
        with pytest.raises(ParseError):
            xl.parse(text)


def test_commented_out_items_do_not_blow_up():
    # Commented-out list items (common in real files) once made the one-line
    # fast path backtrack exponentially whenever it failed to match.
    items = "".join(f'#    "e{i},1",\n    "f{i},1",\n' for i in range(40))
    for text in [
        "iomem = [\n" + items + "]",  # no final newline
        "iomem = [\n" + items + "]; a = 1\n",
        "iomem = [\n" + items + "[ 'nested' ],\n]\n",
        "iomem = [\n" + items + "[\n",  # broken
    ]:
        # A hang guard, not a speed test (speed is measured in bench/).
        with deadline(5, repr(text[-40:])):
            try:
                doc = xl.parse(text)
            except ParseError:
                pass
            else:
                assert doc.to_text() == text
                assert len(strs(doc)) >= 40


def test_upper_case_keys():
    doc = roundtrip(b"NAME = 'vm1'\nMemory=512\nVIF_2.x = ['a']\n_k = 1\n")
    assert [s.key for s in doc.settings()] == ["NAME", "Memory", "VIF_2.x", "_k"]


@pytest.mark.parametrize(
    "raw, value",
    [
        ('"a\\"b"', 'a"b'),
        ("'it\\'s'", "it's"),
        ('"\\x41\\n"', "A\n"),
        ("'\\\\'", "\\"),
        ('"\\t\\r\\a\\b\\f\\v"', "\t\r\a\b\f\v"),
        ('"\\101\\0"', "A\0"),
        ('"\\x4a2"', "J2"),
        ("'say \"hi\"'", 'say "hi"'),
        ('"# not a comment"', "# not a comment"),
        ("''", ""),
        ('"caf\u00e9 \u2603"', "caf\u00e9 \u2603"),
    ],
)
def test_escapes(raw, value):
    for text in [f"k = {raw}\n", f"k = [ {raw} ]\n", f"k = [[{raw}]]; j = 1"]:
        doc = xl.parse(text)
        assert doc.to_text() == text
        (s,) = strs(doc)
        assert s.value == value
        assert s.quote == raw[0]
        assert doc.raw(s) == raw
    assert xl.unquote(raw) == value
    assert xl.unquote(xl.quote(value, raw[0])) == value


def test_disk_list_shape():
    doc = xl.parse("disk = [ 'phy:/dev/sda,sda,w' ]\n")
    (setting,) = doc.body
    assert isinstance(setting, Setting)
    assert setting.key == "disk" and setting.op == "=" and setting.key_start == 0
    assert isinstance(setting.value, List)
    (item,) = setting.value.items
    assert isinstance(item, Str)
    assert item.value == "phy:/dev/sda,sda,w"
    assert item.quote == "'"
    assert doc.raw(item) == "'phy:/dev/sda,sda,w'"
    assert doc.raw(setting.value) == "[ 'phy:/dev/sda,sda,w' ]"


def test_scalars():
    doc = xl.parse("memory = 512\nmask = 0xff\nv=1.5\n")
    vals = [n for n, _ in doc.walk() if isinstance(n, Scalar)]
    assert [v.value for v in vals] == ["512", "0xff", "1.5"]
    assert [doc.raw(v) for v in vals] == ["512", "0xff", "1.5"]


def test_positions():
    text = "# head\r\na = 1\r\ndisk = [\n  'x',\n\t\"y\" ]; name = 'n'\n"
    doc = xl.parse(text)
    got = [(s.value, doc.line_col(s.start)) for s in strs(doc)]
    assert got == [("x", (4, 3)), ("y", (5, 2)), ("n", (5, 16))]
    keys = [(s.key, doc.line_col(s.key_start)) for s in doc.settings()]
    assert keys == [("a", (2, 1)), ("disk", (3, 1)), ("name", (5, 9))]
    assert doc.line_col(len(text)) == (6, 1)


def test_replace_string_keeps_everything_else():
    text = "disk = [ 'phy:/dev/sda,sda,w', # root\n  \"file:/x,xvdb,r\" ]\n"
    doc = xl.parse(text)
    a, b = strs(doc)
    out = doc.apply([doc.replace_string(b, 'a"b\n'), doc.replace_string(a, "it's")])
    assert out == encode("disk = [ 'it\\'s', # root\n  \"a\\\"b\\n\" ]\n")
    assert [s.value for s in strs(xl.parse(decode(out)))] == ["it's", 'a"b\n']


def test_empty_and_blank_files():
    for data in [b"", b"\n", b"  \t\n\r\n", b"# only a comment", b";", b"\n;\n"]:
        doc = roundtrip(data)
        assert list(doc.settings()) == []


# --- errors ------------------------------------------------------------------


def check_error(text, line, col, *words):
    with pytest.raises(ParseError) as info:
        xl.parse(text)
    err = info.value
    assert (err.line, err.col) == (line, col), err.message
    assert not leaked(err.message), err.message
    assert "\n" not in err.message
    for w in words:
        assert w in err.message, err.message
    return err


@pytest.mark.parametrize(
    "text, line, col, words",
    [
        ('name = "abc\n', 1, 8, ["unterminated string"]),
        ("a = 1\nb = 'x\nc = 2\n", 2, 5, ["unterminated string"]),
        ("a = 1\r\nb = [ 'x', 'y]\r\n", 2, 12, ["unterminated string"]),
        ('name = "abc', 1, 8, ["unterminated string"]),
    ],
)
def test_error_unterminated_string(text, line, col, words):
    check_error(text, line, col, *words)


@pytest.mark.parametrize(
    "text, line, col, words",
    [
        # At the end of the file: the '[' that is never closed is named.
        ("disk = [ 'a',\n  'b'\n", 1, 8, ["never closed", "']'"]),
        ("x = [1,\n2", 1, 5, ["never closed"]),
        ("a = 1\nx = [ [1, 2 ]\n", 2, 5, ["never closed"]),
        ("x = [ 1, # 2 ]\n", 1, 5, ["never closed"]),
        # A new setting before the ']': the error is where it starts.
        ("disk = [ 'a'\nname = \"x\"\n", 2, 1, ["']'"]),
        ("disk = [ 'a'\nname = [\"x\"]; a = 1\n", 2, 1, ["']'"]),
    ],
)
def test_error_missing_bracket(text, line, col, words):
    check_error(text, line, col, *words)


@pytest.mark.parametrize(
    "text, line, col",
    [
        ("key value\n", 1, 5),
        ("a = 1\n  key 'value'\n", 2, 7),
        ("key\n", 1, 4),
        ("key", 1, 4),
    ],
)
def test_error_missing_equals(text, line, col):
    err = check_error(text, line, col, "'='")
    assert "unexpected" in err.message


@pytest.mark.parametrize(
    "text, line, col",
    [
        ("= 1\n", 1, 1),
        ("a = 1\r\n= 1\r\n", 2, 1),
        ("a = 1;  = 2\n", 1, 9),
        ("# c\n\n   += [1]\n", 3, 4),
    ],
)
def test_error_missing_key(text, line, col):
    err = check_error(text, line, col, "unexpected", "setting name")
    assert "'='" in err.message or "'+='" in err.message


@pytest.mark.parametrize(
    "text, line, col",
    [
        ("x = ]\n", 1, 5),
        ("x = \n", 1, 5),
        ("x = @\n", 1, 5),
        ("x = [1,, 2]\n", 1, 8),
        ('x = "a" "b"\n', 1, 9),
        ("x = [1] [2]\n", 1, 9),
        ("x == 1\n", 1, 4),
    ],
)
def test_other_errors_are_located(text, line, col):
    check_error(text, line, col, "unexpected")


def test_error_format():
    with pytest.raises(ParseError) as info:
        xl.parse("key value\n", "dom.cfg")
    assert info.value.format("dom.cfg").startswith("dom.cfg:1:5: error: ")


# --- property tests ------------------------------------------------------------

# Surrogate escapes of bytes that can never be part of valid UTF-8 when they
# follow a complete character, so decode(encode(x)) == x for any mix.
BAD_BYTES = [chr(0xDC00 + b) for b in list(range(0x80, 0xC0)) + [0xF8, 0xFE, 0xFF]]

any_char = st.one_of(
    st.characters(blacklist_categories=("Cs",)),
    st.characters(min_codepoint=32, max_codepoint=126),
    st.sampled_from(BAD_BYTES),
)
line_char = any_char.filter(lambda c: c != "\n")

SPACE = st.text(st.sampled_from(" \t\f\v\r"), max_size=3)
NEWLINE = st.sampled_from(["\n", "\r\n", "\n", " \r\n"])
# Comments often hold what looks like code: commented-out items and brackets.
comment_char = st.one_of(line_char, st.sampled_from(list(" ,[]'\"1#;=\\")))
COMMENT = st.text(comment_char, max_size=20).map(lambda t: "#" + t)
KEY = st.from_regex(r"[A-Za-z_][._0-9A-Za-z]{0,8}", fullmatch=True)
NUMBER = st.from_regex(r"[0-9][0-9a-fA-FxX.]{0,6}", fullmatch=True)

SIMPLE_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}


@st.composite
def string_piece(draw, q):
    """(raw text, value) for one character of a string in quote ``q``."""
    kind = draw(st.integers(0, 9))
    if kind <= 4:
        c = draw(line_char.filter(lambda c: c not in (q, "\\")))
        return c, c
    if kind == 5:
        e = draw(st.sampled_from(sorted(SIMPLE_ESCAPES)))
        return "\\" + e, SIMPLE_ESCAPES[e]
    if kind == 6:
        n = draw(st.integers(0, 255))
        digits = draw(st.sampled_from(["%02x", "%02X"])) % n
        return "\\x" + digits, chr(n)
    if kind == 7:
        n = draw(st.integers(0, 255))
        return "\\%03o" % n, chr(n)
    if kind == 8:
        # An unknown escape stands for the character itself.
        c = draw(st.sampled_from("cdeghijklmopqsuwyz%-:/,ACGZ ?"))
        return "\\" + c, c
    c = draw(st.sampled_from(BAD_BYTES + ["\u00e9", "\u2603", "\U0001f600", "\0"]))
    return c, c


@st.composite
def string_token(draw):
    q = draw(st.sampled_from(["'", '"']))
    pieces = draw(st.lists(string_piece(q), max_size=12))
    raw = q + "".join(r for r, _ in pieces) + q
    return raw, "".join(v for _, v in pieces)


class Gen:
    """Accumulates the text of a config and what the parser must find."""

    def __init__(self, draw):
        self.draw = draw
        self.out: list[str] = []
        self.strs: list[tuple[str, str]] = []  # (raw, value)
        self.scalars: list[str] = []
        self.settings: list[tuple[str, str]] = []

    def emit(self, s: str) -> None:
        self.out.append(s)

    def gap(self) -> None:
        """Inside a list: nothing, spaces, newlines, comments (each ends a line)."""
        for _ in range(self.draw(st.integers(0, 3))):
            kind = self.draw(st.integers(0, 3))
            if kind <= 1:
                self.emit(self.draw(SPACE))
            elif kind == 2:
                self.emit(self.draw(NEWLINE))
            else:
                self.emit(self.draw(SPACE) + self.draw(COMMENT) + self.draw(NEWLINE))

    def value(self, depth: int) -> None:
        kind = self.draw(st.integers(0, 5 if depth < 3 else 3))
        if kind <= 2:
            raw, value = self.draw(string_token())
            self.emit(raw)
            self.strs.append((raw, value))
        elif kind == 3:
            n = self.draw(NUMBER)
            self.emit(n)
            self.scalars.append(n)
        else:
            self.list(depth + 1)

    def list(self, depth: int) -> None:
        self.emit("[")
        self.gap()
        n = self.draw(st.integers(0, 4))
        for i in range(n):
            if i:
                self.gap()
                self.emit(",")
                self.gap()
            self.value(depth)
        if n and self.draw(st.booleans()):
            self.gap()
            self.emit(",")
        self.gap()
        self.emit("]")

    def setting(self) -> None:
        key = self.draw(KEY)
        op = self.draw(st.sampled_from(["=", "+="]))
        self.settings.append((key, op))
        self.emit(self.draw(SPACE) + key + self.draw(SPACE) + op + self.draw(SPACE))
        self.value(0)

    def filler(self) -> None:
        """Blank lines, comment lines and stray ';' between statements."""
        for _ in range(self.draw(st.integers(0, 2))):
            kind = self.draw(st.integers(0, 2))
            if kind == 0:
                self.emit(self.draw(SPACE) + self.draw(NEWLINE))
            elif kind == 1:
                self.emit(self.draw(SPACE) + self.draw(COMMENT) + self.draw(NEWLINE))
            else:
                self.emit(self.draw(SPACE) + ";")

    def config(self) -> str:
        n = self.draw(st.integers(0, 6))
        self.filler()
        for i in range(n):
            self.setting()
            last = i == n - 1
            end = self.draw(st.integers(0, 3 if last else 2))
            if end == 0:
                self.emit(self.draw(SPACE) + self.draw(NEWLINE))
            elif end == 1:
                comment = self.draw(COMMENT)
                self.emit(self.draw(SPACE) + comment + self.draw(NEWLINE))
            elif end == 2:
                self.emit(self.draw(SPACE) + ";")
            else:
                # Missing final newline, maybe with a comment.
                tail = self.draw(st.sampled_from(["", " ", "\t# end", "# end"]))
                self.emit(tail)
                return "".join(self.out)
            self.filler()
        return "".join(self.out)


@st.composite
def xl_configs(draw):
    g = Gen(draw)
    text = g.config()
    return text, g


PROPERTY = settings(max_examples=150)


@PROPERTY
@given(xl_configs())
def test_property_roundtrip(case):
    text, g = case
    with deadline(5, repr(text)):
        doc = xl.parse(text)
    assert doc.to_bytes() == encode(text)
    assert doc.to_text() == text
    found = strs(doc)
    assert [(doc.raw(s), s.value) for s in found] == g.strs
    assert [s.quote for s in found] == [raw[0] for raw, _ in g.strs]
    scalars = [n.value for n, _ in doc.walk() if isinstance(n, Scalar)]
    assert scalars == g.scalars
    assert [(s.key, s.op) for s in doc.settings()] == g.settings
    # The bytes survive the trip through encode/decode too.
    assert xl.parse(decode(encode(text))).to_bytes() == encode(text)


new_values = st.text(any_char, max_size=15)


@PROPERTY
@given(xl_configs().filter(lambda c: c[1].strs), st.data())
def test_property_replace_string(case, data):
    text, g = case
    doc = xl.parse(text)
    found = strs(doc)
    i = data.draw(st.integers(0, len(found) - 1), label="index")
    value = data.draw(new_values, label="value")
    s = found[i]
    out = doc.apply([doc.replace_string(s, value)])
    prefix, suffix = encode(text[: s.start]), encode(text[s.end :])
    assert out.startswith(prefix)
    assert out.endswith(suffix)
    middle = out[len(prefix) : len(out) - len(suffix)]
    assert middle == encode(xl.quote(value, s.quote))
    again = xl.parse(decode(out))
    assert again.to_bytes() == out
    after = strs(again)
    assert len(after) == len(found)
    assert after[i].start == s.start
    assert after[i].quote == s.quote
    assert after[i].value == value
    assert [x.value for j, x in enumerate(after) if j != i] == [
        x.value for j, x in enumerate(found) if j != i
    ]


@settings(max_examples=150)
@given(new_values, st.sampled_from(["'", '"']))
def test_property_quote_unquote(value, q):
    raw = xl.quote(value, q)
    assert raw[0] == raw[-1] == q
    assert "\n" not in raw
    assert xl.unquote(raw) == value
    doc = xl.parse(f"k = {raw}\n")
    assert strs(doc)[0].value == value


# --- fuzzing -----------------------------------------------------------------

INSERTS = [b'"', b"'", b"[", b"]", b"\n", b"\r\n", b"#", b";", b",", b"\\", b"="]
FUZZ_CASES = 400
FUZZ_CHUNKS = 8


def mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 3)):
        n = len(b)
        kind = rnd.randrange(4)
        a = rnd.randrange(n + 1)
        e = min(n, a + rnd.randint(0, 40))
        if kind == 0 and n:
            b[min(a, n - 1)] = rnd.randrange(256)
        elif kind == 1:
            del b[a:e]
        elif kind == 2:
            b[a:a] = b[a:e] * rnd.randint(1, 3)
        else:
            b[a:a] = rnd.choice(INSERTS)
    return bytes(b)


@pytest.mark.parametrize("chunk", range(FUZZ_CHUNKS))
def test_fuzz_corpus_mutations(chunk):
    need_corpus()
    if not XL_FILES:
        pytest.skip("no xl corpus files")
    per = FUZZ_CASES // FUZZ_CHUNKS
    for seed in range(chunk * per, (chunk + 1) * per):
        rnd = random.Random(seed)
        path = rnd.choice(XL_FILES)
        data = mutate(path.read_bytes(), rnd)
        text = decode(data)
        where = f"seed {seed}, mutated {path.name}:\n{data!r}"
        try:
            with deadline(5, where):
                doc = xl.parse(text, str(path))
        except ParseError as e:
            lines = text.split("\n")
            assert 1 <= e.line <= len(lines), f"line {e.line} out of range; {where}"
            assert (
                1 <= e.col <= len(lines[e.line - 1]) + 1
            ), f"col {e.col} out of range at line {e.line}; {where}"
            assert e.message and "\n" not in e.message, where
            assert not leaked(e.message, text), f"{e.message!r}; {where}"
        except AssertionError:
            raise
        except Exception as e:  # noqa: BLE001 - any other exception is a bug
            pytest.fail(f"{type(e).__name__}: {e}; {where}")
        else:
            assert doc.to_bytes() == data, f"round trip differs; {where}"


def test_error_names_the_setting_not_its_whole_line():
    with pytest.raises(ParseError) as e:
        xl.parse('disk = [ "a"\nname = "x"\n')
    assert (e.value.line, e.value.col) == (2, 1)
    assert e.value.message.startswith("unexpected setting 'name';")
    assert "\n" not in e.value.message
