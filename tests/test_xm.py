"""xm configs read as Python (never executed): xencfg.formats.pyconf."""

from __future__ import annotations

import ast
import random
import subprocess
import sys

import pytest
from conftest import CORPUS, ROOT, corpus_files, need_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from xencfg.document import (
    List,
    Opaque,
    ParseError,
    Scalar,
    Setting,
    Str,
    decode,
    encode,
)
from xencfg.formats import xm as pyconf

XM = CORPUS / "xm"

# Files of corpus/xm that are rightly rejected, with the reason.  None so far.
EXPECTED_REJECTS: dict[str, str] = {}


def parse_file(name: str):
    need_corpus()
    return pyconf.parse(decode((XM / name).read_bytes()), str(XM / name))


def settings_of(doc, key):
    return [s for s in doc.body if isinstance(s, Setting) and s.key == key]


def values(node):
    assert isinstance(node, List), node
    return [i.value for i in node.items]


# --- the corpus ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", corpus_files("xm"), ids=lambda p: str(p.relative_to(XM))
)
def test_corpus_round_trip(path):
    data = path.read_bytes()
    try:
        doc = pyconf.parse(decode(data), str(path))
    except ParseError as e:
        assert path.name in EXPECTED_REJECTS, e.format(str(path))
        return
    assert path.name not in EXPECTED_REJECTS, "now parses: drop it from the list"
    assert doc.fmt == "xm"
    assert doc.to_bytes() == data
    last = -1
    for node in doc.body:  # settings in source order, spans well nested
        assert isinstance(node, Setting)
        assert node.start >= last
        assert node.start <= node.key_start < node.value.start
        assert node.value.end <= node.end
        assert doc.text[node.key_start :].startswith(node.key)
        last = node.end
    for node, _ in doc.walk():
        if isinstance(node, Str):
            assert pyconf.quote(node.value, node.quote) is not None
            if "\\" not in doc.raw(node) and "\r" not in doc.raw(node):
                assert node.value in doc.raw(node)


def test_corpus_is_there():
    need_corpus()
    assert len(corpus_files("xm")) > 50


def test_xmexample1_disk():
    doc = parse_file("xen__tools__examples__xmexample1")
    (disk,) = settings_of(doc, "disk")
    assert disk.op == "=" and not disk.conditional
    assert values(disk.value) == ["phy:hda1,hda1,w"]
    assert all(isinstance(i, Str) and i.quote == "'" for i in disk.value.items)
    assert doc.raw(disk) == "disk = [ 'phy:hda1,hda1,w' ]"
    assert doc.text[disk.key_start : disk.key_start + 4] == "disk"
    (memory,) = settings_of(doc, "memory")
    assert isinstance(memory.value, Scalar) and memory.value.value == "64"
    (kernel,) = settings_of(doc, "kernel")
    assert kernel.value.value == "/boot/vmlinuz-2.6.10-xenU"
    assert kernel.value.quote == '"'


def test_xmexample2_percent_in_list():
    doc = parse_file("xen__tools__examples__xmexample2")
    (disk,) = settings_of(doc, "disk")
    first, second = disk.value.items
    assert isinstance(first, Opaque) and "%" in first.reason
    assert [s.value for s in first.items] == ["phy:sda%d,sda1,w"]
    assert isinstance(second, Str) and second.value == "phy:sda6,sda6,r"
    (name,) = settings_of(doc, "name")
    assert isinstance(name.value, Opaque) and "%" in name.value.reason


def test_if_else_branches_are_conditional():
    doc = parse_file("xen__tools__examples__xmexample.vmx")
    libdirs = settings_of(doc, "arch_libdir")
    assert [s.value.value for s in libdirs] == ["lib64", "lib"]
    assert all(s.conditional for s in libdirs)
    (arch,) = settings_of(doc, "arch")
    assert not arch.conditional and isinstance(arch.value, Opaque)


def test_triple_quoted_in_corpus():
    doc = parse_file("libvirt__tests__xmconfigdata__test-escape-paths.cfg")
    (disk,) = settings_of(doc, "disk")
    item = disk.value.items[1]
    assert item.quote == '"""'
    assert item.value == "phy:/dev/HostVG/XenGuest'\",hdb,w"


def test_democd_python2_fallback():
    doc = parse_file("xen__tools__examples__democd")
    assert len(doc.notes) == 1
    line, note = doc.notes[0]
    assert note.startswith("parsed as Python 2 with the tokenizer:")
    assert "'print' statement" in note and line == 21
    assert doc.to_bytes() == (XM / "xen__tools__examples__democd").read_bytes()
    (image,) = settings_of(doc, "image")
    assert image.value.value == "/boot/xenolinux.gz" and not image.conditional
    # settings inside tab-indented if/for blocks are found and conditional
    localip = settings_of(doc, "localip")
    assert [s.conditional for s in localip] == [False, True]
    extra = settings_of(doc, "cmdline_extra")
    assert [s.conditional for s in extra] == [True, True]
    assert "%" in extra[0].value.reason and extra[1].value.value == "4"


def test_python2_raise_in_history():
    need_corpus()
    path = XM / "history" / "xen__tools__examples__xmdefaults@0b0e2f53e9c5"
    doc = pyconf.parse(decode(path.read_bytes()))
    assert "'raise E, msg'" in doc.notes[0][1]
    assert doc.notes[0][0] == 11


# --- statements and values --------------------------------------------------------


def test_statement_kinds():
    src = (
        "disk = ['phy:/dev/sda1,xvda1,w']\n"
        "disk += ['phy:/dev/sdc,xvdc,r']\n"
        "disk.append('phy:/dev/sdb,xvdb,w')\n"
        "disk.extend(['a', 'b'])\n"
        "if os.path.exists('/dev/sdd'):\n"
        "    disk.append('phy:/dev/sdd,xvdd,w')\n"
        "elif x: vif = ['bridge=xenbr1']; memory = 256\n"
        "else:\n"
        "    for i in range(2):\n"
        "        name = 'vm%d' % i\n"
        "def f():\n"
        "    extra = 'single'\n"
        "try:\n"
        "    root = '/dev/xvda1 ro'\n"
        "except Exception:\n"
        "    root = r'/dev/sda1'\n"
    )
    doc = pyconf.parse(src)
    assert doc.to_text() == src
    got = [(s.key, s.op, s.conditional) for s in doc.body]
    assert got == [
        ("disk", "=", False),
        ("disk", "+=", False),
        ("disk", "append", False),
        ("disk", "extend", False),
        ("disk", "append", True),
        ("vif", "=", True),
        ("memory", "=", True),
        ("name", "=", True),
        ("extra", "=", True),
        ("root", "=", True),
        ("root", "=", True),
    ]
    append = doc.body[2]
    assert isinstance(append.value, Str) and append.value.value == "phy:/dev/sdb,xvdb,w"
    assert doc.raw(append) == "disk.append('phy:/dev/sdb,xvdb,w')"
    assert values(doc.body[1].value) == ["phy:/dev/sdc,xvdc,r"]
    assert values(doc.body[3].value) == ["a", "b"]
    raw = doc.body[-1].value
    assert raw.quote == "r'" and raw.value == "/dev/sda1"


def test_percent_formatting_is_opaque():
    doc = pyconf.parse("disk = ['phy:/dev/%s,sda1,w' % x]\n")
    (disk,) = doc.body
    (item,) = disk.value.items
    assert isinstance(item, Opaque)
    assert "%" in item.reason
    (lit,) = item.items
    assert isinstance(lit, Str) and lit.value == "phy:/dev/%s,sda1,w"
    assert doc.raw(lit) == "'phy:/dev/%s,sda1,w'"
    assert doc.raw(item) == "'phy:/dev/%s,sda1,w' % x"


@pytest.mark.parametrize(
    "expr, words",
    [
        ("'a' + b", "'+' concatenation"),
        ("'a' 'b'", "concatenation"),
        ("kernel", "a variable 'kernel'"),
        ("os.environ", "os.environ"),
        ("int('3')", "a function call"),
        ("f'{x}'", "f-string"),
        ("d['x']", "subscript"),
        ("'a' if x else 'b'", "conditional"),
        ("b'x'", "bytes"),
        ("{'a': 1}", "dict"),
        ("[x for x in y]", "comprehension"),
        ("2 * 64", "'*'"),
    ],
)
def test_opaque_reasons(expr, words):
    doc = pyconf.parse(f"v = {expr}\n")
    (v,) = doc.body
    assert isinstance(v.value, Opaque)
    assert words in v.value.reason
    assert doc.raw(v.value) == expr


def test_literals():
    src = (
        "a = 1\nb = -2\nc = 1.5\nd = True\ne = None\n"
        "f = ('x', \"y\", [3, 'z'],)\ng = 'p', 'q'\nh = ( 'paren' )\n"
        "i = '''tri\nple'''\nj = u'\\u00e9\\n\\t\\\\'\nk = R\"C:\\x\"\n"
    )
    doc = pyconf.parse(src)
    v = {s.key: s.value for s in doc.body}
    assert [v[k].value for k in "abcde"] == ["1", "-2", "1.5", "True", "None"]
    assert all(isinstance(v[k], Scalar) for k in "abcde")
    f = v["f"]
    assert isinstance(f, List) and doc.raw(f) == "('x', \"y\", [3, 'z'],)"
    assert [i.value for i in f.items[:2]] == ["x", "y"]
    assert values(f.items[2]) == ["3", "z"]
    assert values(v["g"]) == ["p", "q"]
    assert doc.raw(v["h"]) == "'paren'" and v["h"].value == "paren"
    assert v["i"].value == "tri\nple" and v["i"].quote == "'''"
    assert v["j"].value == "\u00e9\n\t\\" and v["j"].quote == "u'"
    assert v["k"].value == "C:\\x" and v["k"].quote == 'R"'


def test_replace_string_keeps_quotes():
    src = "kernel = r'/boot/vmlinuz'  # k\ndisk = [ \"phy:a,xvda,w\",\n  '''b''' ]\n"
    doc = pyconf.parse(src)
    kernel = doc.body[0].value
    out = doc.apply([doc.replace_string(kernel, "/boot/new")]).decode()
    assert out == src.replace("r'/boot/vmlinuz'", "r'/boot/new'")
    item = doc.body[1].value.items[0]
    out = doc.apply([doc.replace_string(item, 'say "hi"')]).decode()
    assert out == src.replace('"phy:a,xvda,w"', '"say \\"hi\\""')
    assert pyconf.parse(out).body[1].value.items[0].value == 'say "hi"'
    tri = doc.body[1].value.items[1]
    out = doc.apply([doc.replace_string(tri, "two\nlines")]).decode()
    assert "'''two\nlines'''" in out


@pytest.mark.parametrize(
    "value, q, expected",
    [
        ("abc", "'", "'abc'"),
        ("it's", "'", "'it\\'s'"),
        ('a"b', '"', '"a\\"b"'),
        ("a\nb", "'", "'a\\nb'"),
        ("a\nb", '"""', '"""a\nb"""'),
        ("back\\slash", '"', '"back\\\\slash"'),
        ("C:\\dir", "r'", "r'C:\\dir'"),
        ("ends\\", "r'", "'ends\\\\'"),
        ("it's", "r'", "'it\\'s'"),
        ("x", 'u"', 'u"x"'),
        ("q'", "'''", "'''q\\''''"),
        ("", "", '""'),
    ],
)
def test_quote(value, q, expected):
    assert pyconf.quote(value, q) == expected
    assert ast.literal_eval(expected) == value


# --- errors and odd input -------------------------------------------------------------


@pytest.mark.parametrize(
    "src, line, col, words",
    [
        ("x = 1\ndisk = [\n", 2, 8, "'[' was never closed"),
        ("x = 'abc\n", 1, 5, "unterminated string"),
        ("x = '''abc\n", 1, 5, "unterminated triple-quoted string"),
        ("x = 1\n  y = 2\n", 2, 2, "unexpected indent"),
        ("x = = 1\n", 1, 5, "invalid Python syntax"),
        ("print 'a'\nx = = 1\n", 2, 5, "invalid Python syntax"),
        ("print 'a' b\n", 1, 1, "invalid Python syntax"),
        ("x = 1\0\n", 1, 6, "null byte"),
    ],
)
def test_errors(src, line, col, words):
    with pytest.raises(ParseError) as info:
        pyconf.parse(src)
    e = info.value
    assert (e.line, e.col) == (line, col), e.message
    assert words in e.message
    assert "libcst" not in e.message and "Traceback" not in e.message


@pytest.mark.parametrize(
    "src",
    [
        "",
        "# only a comment",
        "x = 1",
        "\ufeffkernel = 'a'\n",
        "kernel = 'caf\udce9'  # \udcff\r\nname = 'n'\rvif = ['']\n",
        "a = 1\r\nb = 'x'\nc = 2\r\n",
        "try:\n  pass\nexcept E :\n  name = 'x'\n",
        "def f():\n    pass\n # trailing\n",
        "if x:\n    kernel = 'k'\n  # odd\n",
        "\x0cmemory = 64\n",
        "x = 1 \\\n  + 2\nname = 'n'\n",
    ],
)
def test_odd_layouts_round_trip(src):
    doc = pyconf.parse(src)
    assert doc.to_text() == src
    for s in doc.settings():
        assert doc.text[s.key_start :].startswith(s.key)
        if isinstance(s.value, Str):
            assert doc.raw(s.value)[-1] in "'\""


def test_surrogates_kept_in_values():
    src = "kernel = 'caf\udce9'\n"
    doc = pyconf.parse(src)
    assert doc.body[0].value.value == "caf\udce9"
    assert doc.to_bytes() == encode(src)


def test_python2_constructs():
    src = (
        "name = 'vm' + `vmid`\n"
        "if a <> b: mem = 0777\n"
        "m = 10L\n"
        "x = ur'a\\b'\n"
        "try:\n  import foo\nexcept ImportError, e:\n  print >>sys.stderr, 'no', e\n"
        "exec 'x = 1' in {}\n"
        "raise SystemExit, 'bye'\n"
    )
    doc = pyconf.parse(src)
    assert doc.to_text() == src
    note = doc.notes[0][1]
    for words in ("backquotes", "'<>'", "octal", "long", "'ur'", "except", "exec"):
        assert words in note
    v = {s.key: s.value for s in doc.body}
    assert isinstance(v["name"], Opaque) and v["name"].items[0].value == "vm"
    assert v["mem"].value == "0777" and v["m"].value == "10L"
    assert v["x"].value == "a\\b" and doc.raw(v["x"]) == "ur'a\\b'"


def test_import_is_lazy():
    code = (
        "import sys, xencfg.formats.xm as p\n"
        "assert 'libcst' not in sys.modules\n"
        "p.parse('x = 1\\n')\n"
        "assert 'libcst' not in sys.modules\n"  # the fast reader took it
        "p.parse('print \"python 2\"\\n')\n"
        "assert 'libcst' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- properties ----------------------------------------------------------------------

_chars = st.text(st.sampled_from(list("abc XYZ/:,=%\\'\"\t\n#é\u4e2d")), max_size=12)
_quotes = st.sampled_from(["'", '"', "'''", '"""', "r'", 'r"', "u'", 'R"""'])
_names = st.sampled_from(["kernel", "name", "disk", "vif", "extra", "root"])
_ws = st.sampled_from(["", " ", "  ", "\t"])
_comment = st.sampled_from(["", "  # c", " # 'x' = [1]", "#"])


@st.composite
def _literal(draw):
    value = draw(_chars)
    return pyconf.quote(value, draw(_quotes)), value


@st.composite
def _statement(draw, indent=""):
    name = draw(_names)
    if draw(st.booleans()):
        lit, value = draw(_literal())
        line = f"{indent}{name}{draw(_ws)}={draw(_ws)}{lit}{draw(_comment)}\n"
        return line, [value]
    items = draw(st.lists(_literal(), max_size=3))
    parts = []
    for lit, _ in items:
        sep = draw(st.sampled_from([", ", ",", " ,\n    ", ",  # c\n  "]))
        parts.append(lit + sep)
    opener = draw(st.sampled_from(["[", "[ ", "[\n  "]))
    line = f"{indent}{name} = {opener}{''.join(parts)}]{draw(_comment)}\n"
    return line, [v for _, v in items]


@st.composite
def _config(draw):
    lines, expected = [], []
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.integers(0, 3)) == 0:
            a, va = draw(_statement("    "))
            b, vb = draw(_statement("\t"))
            lines.append(f"if x{draw(_ws)}:{draw(_comment)}\n{a}else:\n{b}")
            expected += [(va, True), (vb, True)]
        else:
            text, v = draw(_statement())
            lines.append(text + draw(st.sampled_from(["", "\n", "# note\n"])))
            expected.append((v, False))
    return "".join(lines), expected


@settings(max_examples=150)
@given(_config(), st.data())
def test_generated_configs(config, data):
    src, expected = config
    doc = pyconf.parse(src)
    assert doc.to_text() == src
    got = []
    for s in doc.body:
        vals = values(s.value) if isinstance(s.value, List) else [s.value.value]
        got.append((vals, s.conditional))
    assert got == expected
    strs = [n for n, _ in doc.walk() if isinstance(n, Str)]
    if not strs:
        return
    index = data.draw(st.integers(0, len(strs) - 1))
    target = strs[index]
    new = data.draw(_chars)
    out = doc.apply([doc.replace_string(target, new)]).decode()
    lit = pyconf.quote(new, target.quote)
    assert out == src[: target.start] + lit + src[target.end :]
    again = pyconf.parse(out)
    assert [n for n, _ in again.walk() if isinstance(n, Str)][index].value == new


@settings(max_examples=300)
@given(_chars.filter(lambda s: "\r" not in s), _quotes)
def test_quote_round_trips(value, q):
    lit = pyconf.quote(value, q)
    assert ast.literal_eval(lit) == value
    (s,) = pyconf.parse(f"v = {lit}\n").body
    assert s.value.value == value


def test_fuzzed_corpus():
    files = corpus_files("xm")
    if not files:
        pytest.skip("no corpus")
    rng = random.Random(20240607)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(200):
        data = bytearray(rng.choice(files).read_bytes())
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(data))
            n = rng.randint(1, 8)
            how = rng.choice(["flip", "cut", "repeat", "byte"])
            if how == "flip":
                data[i] ^= 1 << rng.randrange(8)
            elif how == "cut":
                del data[i : i + n]
            elif how == "repeat":
                data[i:i] = data[i : i + n]
            else:
                data[i] = rng.choice(b"\"'()[]:\\\t\n\r#=%,`\x00\xe9 ")
            if not data:
                data = bytearray(b"x")
        data = bytes(data)
        try:
            doc = pyconf.parse(decode(data), "fuzz")
        except ParseError as e:
            assert e.line >= 1 and e.col >= 1
            assert e.message and "\n" not in e.message
            outcomes["error"] += 1
        else:
            assert doc.to_bytes() == data
            outcomes["ok"] += 1
    assert outcomes["ok"] and outcomes["error"]


def test_insert_item_and_other_changes_to_disk_are_found():
    from xencfg.transforms.policy import Policy

    text = (
        "disk = []\n"
        'disk.insert(0, "phy:/dev/sda,xvda,w")\n'
        'disk[1] = "phy:/dev/sdb,xvdb,w"\n'
        'disk.remove("x")\n'
        "disk *= 2\n"
    )
    doc = pyconf.parse(text)
    ops = [(s.key, s.op) for s in doc.settings()]
    assert ops == [
        ("disk", "="),
        ("disk", "insert"),
        ("disk", "item"),
        ("disk", "call"),
        ("disk", "augmented"),
    ]
    _, findings = Policy().run(doc)
    kinds = [(f.line, f.kind) for f in findings]
    assert kinds == [(2, "policy"), (3, "policy"), (4, "computed"), (5, "computed")]
