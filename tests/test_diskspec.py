"""Tests for xencfg.diskspec: the Xen disk-spec mini-language with spans."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CORPUS, corpus_files
from xencfg.transforms.paths import block_device, is_block_target
from xencfg.diskspec import (
    PREFIXES,
    DiskSpecError,
    Field,
    parse_disk,
    parse_uname,
    prefix_length,
    _legacy,
    _parse_disk,
)

# text, form, prefix, path, vdev, access, devtype, is_block_target
CASES = [
    ("phy:/dev/sda,sda,w", "xm", "phy:", "/dev/sda", "sda", "w", None, True),
    ("phy:/dev/sdaa,xvda,w", "xm", "phy:", "/dev/sdaa", "xvda", "w", None, True),
    ("phy:/dev/sda1,sda1,w", "xm", "phy:", "/dev/sda1", "sda1", "w", None, True),
    ("phy:sdc,xvdc,w", "xm", "phy:", "sdc", "xvdc", "w", None, True),
    (
        "phy:/dev/sddlmaa,xvda,w!",
        "xm",
        "phy:",
        "/dev/sddlmaa",
        "xvda",
        "w!",
        None,
        True,
    ),
    (
        "phy:/dev/vg/lv,hda:cdrom,r",
        "xm",
        "phy:",
        "/dev/vg/lv",
        "hda",
        "r",
        "cdrom",
        True,
    ),
    ("phy:/dev/sdb, xvda1", "xm", "phy:", "/dev/sdb", "xvda1", None, None, True),
    ("phy:/dev/sda , sda1 , ro", "xm", "phy:", "/dev/sda", "sda1", "ro", None, True),
    ("tap:aio:/var/img,xvda,w", "xm", "tap:aio:", "/var/img", "xvda", "w", None, False),
    (
        "tap:qcow2:/i.qcow2,xvda,w",
        "xm",
        "tap:qcow2:",
        "/i.qcow2",
        "xvda",
        "w",
        None,
        False,
    ),
    (
        "tap:tapdisk:aio:/i,xvda,w",
        "xm",
        "tap:tapdisk:aio:",
        "/i",
        "xvda",
        "w",
        None,
        False,
    ),
    (
        "tap2:tapdisk:aio:/i,xvda,w",
        "xm",
        "tap2:tapdisk:aio:",
        "/i",
        "xvda",
        "w",
        None,
        False,
    ),
    ("file:/img,hda,w", "xm", "file:", "/img", "hda", "w", None, False),
    ("file:/dev/sda,hda,w", "xm", "file:", "/dev/sda", "hda", "w", None, False),
    (
        "iscsi:iqn.2001-04.com.x:t,xvda,w",
        "xm",
        "iscsi:",
        "iqn.2001-04.com.x:t",
        "xvda",
        "w",
        None,
        False,
    ),
    ("drbd:res0,xvda,w", "xm", "drbd:", "res0", "xvda", "w", None, False),
    ("raw:/dev/vg/lv,hda,w", "xm", "raw:", "/dev/vg/lv", "hda", "w", None, True),
    (
        "phy:/dev/sda,ioemu:hda,w",
        "xm",
        "phy:",
        "/dev/sda",
        "ioemu:hda",
        "w",
        None,
        True,
    ),
    (",hdc:cdrom,r", "xm", "", "", "hdc", "r", "cdrom", False),
    (",,hdc:cdrom,r", "positional", "", "", "hdc", "r", "cdrom", False),
    # xl's format `empty` (an empty cdrom) fills the format slot.
    (",empty,hdc:cdrom,r", "positional", "", "", "hdc", "r", "cdrom", False),
    ("/dev/sda,sda1,w", "xm", "", "/dev/sda", "sda1", "w", None, True),
    (
        "/dev/vg/lv,raw,xvda,rw",
        "positional",
        "",
        "/dev/vg/lv",
        "xvda",
        "rw",
        None,
        True,
    ),
    ("/dev/sda,,xvda,w", "positional", "", "/dev/sda", "xvda", "w", None, True),
    (
        "/dev/vg/guest-volume,,hda",
        "positional",
        "",
        "/dev/vg/guest-volume",
        "hda",
        None,
        None,
        True,
    ),
    (
        "/root/image.iso,,hdc,cdrom",
        "positional",
        "",
        "/root/image.iso",
        "hdc",
        None,
        "cdrom",
        False,
    ),
    (
        "/root/image.iso,,hdc,,cdrom",
        "positional",
        "",
        "/root/image.iso",
        "hdc",
        "",
        "cdrom",
        False,
    ),
    (
        "/i.qcow2,qcow2,xvda,w,backendtype=qdisk",
        "positional",
        "",
        "/i.qcow2",
        "xvda",
        "w",
        None,
        False,
    ),
    (
        "/dev/sdb,raw,hda,w,backendtype=phy",
        "positional",
        "",
        "/dev/sdb",
        "hda",
        "w",
        None,
        True,
    ),
    (
        "/dev/sdb,raw,hda,w,backendtype=qdisk",
        "positional",
        "",
        "/dev/sdb",
        "hda",
        "w",
        None,
        False,
    ),
    (
        "phy:/dev/sda,raw,xvda,w",
        "positional",
        "phy:",
        "/dev/sda",
        "xvda",
        "w",
        None,
        True,
    ),
    ("sdc,raw,xvda,w", "positional", "", "sdc", "xvda", "w", None, True),
    (
        "format=raw, vdev=xvdb, access=w, target=/dev/sda",
        "keyvalue",
        "",
        "/dev/sda",
        "xvdb",
        "w",
        None,
        True,
    ),
    (
        "vdev=xvda, target=/dev/disk/by-id/x,y=z",
        "keyvalue",
        "",
        "/dev/disk/by-id/x,y=z",
        "xvda",
        None,
        None,
        True,
    ),
    (
        "devtype=cdrom,vdev=hdc,access=r,target=/x.iso",
        "keyvalue",
        "",
        "/x.iso",
        "hdc",
        "r",
        "cdrom",
        False,
    ),
    (
        "backend=DomD, vdev=xvda, target=/dev/SP3",
        "keyvalue",
        "",
        "/dev/SP3",
        "xvda",
        None,
        None,
        True,
    ),
    (
        "vdev=xvda, target=phy:/dev/sda",
        "keyvalue",
        "phy:",
        "/dev/sda",
        "xvda",
        None,
        None,
        True,
    ),
    (
        "vdev=xvda, script=block-iscsi, target=iqn.x:y",
        "keyvalue",
        "",
        "iqn.x:y",
        "xvda",
        None,
        None,
        False,
    ),
    ("vdev=hdc, access=r, cdrom", "keyvalue", "", None, "hdc", "r", "cdrom", False),
    (
        ",raw,xvda,w,target=/dev/sdb",
        "keyvalue",
        "",
        "/dev/sdb",
        "xvda",
        "w",
        None,
        True,
    ),
    (
        "backend=DomD, phy:/dev/SP3, xvda1",
        "xm",
        "phy:",
        "/dev/SP3",
        "xvda1",
        None,
        None,
        True,
    ),
    (
        "backend=DomD,phy:/var/run/d/doma,xvda",
        "xm",
        "phy:",
        "/var/run/d/doma",
        "xvda",
        None,
        None,
        True,
    ),
]


@pytest.mark.parametrize(
    "text,form,prefix,path,vdev,access,devtype,block", CASES, ids=[c[0] for c in CASES]
)
def test_parse_disk(text, form, prefix, path, vdev, access, devtype, block):
    spec = parse_disk(text)
    assert spec.text == text
    assert spec.form == form
    assert spec.prefix == prefix
    assert (spec.path.text if spec.path else None) == path
    assert spec.vdev == vdev
    assert spec.access == access
    assert spec.devtype == devtype
    assert is_block_target(spec) is block
    assert is_block_target(text) is block
    for f in spec.fields:
        assert text[f.start : f.end] == f.text, f
    if spec.target is not None:
        t = spec.target
        assert text[t.start : t.end] == t.text == prefix + path
        assert spec.path.start == t.start + len(prefix)
        assert spec.path.end == t.end
    starts = [f.start for f in spec.fields]
    assert starts == sorted(starts)


def test_path_span_is_the_target_not_the_vdev():
    spec = parse_disk("phy:/dev/sda,sda,w")
    assert spec.path == Field("path", "/dev/sda", 4, 12)
    assert spec.target == Field("target", "phy:/dev/sda", 0, 12)
    assert spec.replace_path("/dev/sddlmaa") == "phy:/dev/sddlmaa,sda,w"


def test_field_names():
    names = lambda t: [f.name for f in parse_disk(t).fields]  # noqa: E731
    assert names("phy:/dev/sda,sda1,w") == ["target", "vdev", "mode"]
    assert names("phy:/dev/sda,sda1,w,dom1,x86_64-abi") == [
        "target",
        "vdev",
        "mode",
        "backend",
        "protocol",
    ]
    assert names("/dev/vg/lv,raw,xvda,rw") == ["target", "format", "vdev", "access"]
    assert names("format=raw, vdev=xvdb, access=w, target=/dev/sda") == [
        "format",
        "vdev",
        "access",
        "target",
    ]
    assert names("/i,,hdc,cdrom,discard,foo-bar=1") == [
        "target",
        "format",
        "vdev",
        "cdrom",
        "discard",
        "foo-bar",
    ]
    # a named access= in an xm-shaped spec keeps its name
    assert names("phy:/dev/sda,xvda,access=r") == ["target", "vdev", "access"]


def test_attributes():
    spec = parse_disk("/i.qcow2,qcow2,xvda,w,backendtype=qdisk")
    assert (spec.format, spec.backendtype) == ("qcow2", "qdisk")
    assert spec.get("backendtype") == "qdisk"
    assert spec.get("nope") is None
    assert parse_disk("tap:qcow:/i,xvda,w").format == "qcow"
    assert parse_disk("iscsi:iqn.x,xvda,w").script == "block-iscsi"
    assert parse_disk("devtype=cdrom,vdev=hdc,target=/x.iso").devtype == "cdrom"
    empty = parse_disk(",empty,hdc:cdrom,r")
    assert (empty.format, empty.vdev, empty.access) == ("empty", "hdc", "r")
    assert [f.name for f in empty.fields] == ["target", "format", "vdev", "access"]


def test_key_value_spans():
    text = "format=raw, vdev=xvdb, access=w, target=/dev/sda"
    spec = parse_disk(text)
    assert [(f.name, f.text, f.start) for f in spec.fields] == [
        ("format", "raw", 7),
        ("vdev", "xvdb", 17),
        ("access", "w", 30),
        ("target", "/dev/sda", 40),
    ]


def test_trailing_comma_and_empty():
    assert [f.name for f in parse_disk("phy:/dev/sda,xvda,w,").fields] == [
        "target",
        "vdev",
        "mode",
    ]
    empty = parse_disk("")
    assert empty.target is None and empty.path is None and empty.fields == []
    with pytest.raises(DiskSpecError):
        empty.replace_path("/dev/sda")


def test_whitespace_kept_on_replace():
    assert (
        parse_disk("  phy:/dev/sda ,  sda1, w! ").replace_path("/dev/sddlmaa")
        == "  phy:/dev/sddlmaa ,  sda1, w! "
    )
    assert (
        parse_disk("vdev=xvda, target= /dev/sda  ").replace_path("/dev/x")
        == "vdev=xvda, target= /dev/x  "
    )


@pytest.mark.parametrize(
    "text,new,expected",
    [
        ("phy:/dev/sda,sda1,w", "/dev/sddlmaa", "phy:/dev/sddlmaa,sda1,w"),
        ("phy:sdc,xvdc,w", "/dev/sddlmac", "phy:/dev/sddlmac,xvdc,w"),
        ("tap:aio:/var/img,xvda,w", "/srv/img", "tap:aio:/srv/img,xvda,w"),
        (",,hdc:cdrom,r", "/x.iso", "/x.iso,,hdc:cdrom,r"),
        (",hdc:cdrom,r", "/x.iso", "/x.iso,hdc:cdrom,r"),
        ("/dev/sda,,xvda,w", "/dev/sddlmaa", "/dev/sddlmaa,,xvda,w"),
        (
            "format=raw, vdev=xvdb, access=w, target=/dev/sda",
            "/dev/a,b=c",
            "format=raw, vdev=xvdb, access=w, target=/dev/a,b=c",
        ),
        (
            "backend=DomD, phy:/dev/SP3, xvda1",
            "/dev/sddlmab",
            "backend=DomD, phy:/dev/sddlmab, xvda1",
        ),
    ],
)
def test_replace_path(text, new, expected):
    assert parse_disk(text).replace_path(new) == expected


@pytest.mark.parametrize(
    "text,new",
    [
        ("phy:/dev/sda,sda1,w", "/dev/a,b"),  # comma would add a field
        ("/dev/sda,raw,xvda,w", "phy:/dev/b"),  # would change the prefix
        ("/dev/sda,raw,xvda,w", "cdrom"),  # would become a flag
        ("/dev/sda,raw,xvda,w", "target=/x"),  # would become key=value
    ],
)
def test_replace_path_refuses_changing_meaning(text, new):
    with pytest.raises(DiskSpecError):
        parse_disk(text).replace_path(new)


@pytest.mark.parametrize(
    "text,offset",
    [
        ("/dev/sda,raw,xvda,w,extra", 20),  # too many positionals (xl shape)
        ("phy:/dev/sda,xvda,w,dom,abi,more", 28),  # too many (xm shape)
        ("/dev/sda,raw,xvda,target=/dev/sdb", 18),  # target respecified
    ],
)
def test_errors(text, offset):
    with pytest.raises(DiskSpecError) as info:
        parse_disk(text)
    assert info.value.offset == offset
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "uname,prefix,path,block",
    [
        ("phy:/dev/sda", "phy:", "/dev/sda", True),
        ("phy:/dev/sda8", "phy:", "/dev/sda8", True),
        ("phy:/iscsi/winxp", "phy:", "/iscsi/winxp", True),
        ("tap:aio:/xen/rhel5.img", "tap:aio:", "/xen/rhel5.img", False),
        ("tap2:aio:/root/some.img", "tap2:aio:", "/root/some.img", False),
        ("tap:qcow:/root/some.img", "tap:qcow:", "/root/some.img", False),
        ("file:/root/boot.iso", "file:", "/root/boot.iso", False),
        ("file:/a,b,c", "file:", "/a,b,c", False),
        ("/dev/sdb", "", "/dev/sdb", True),
    ],
)
def test_parse_uname(uname, prefix, path, block):
    spec = parse_uname(uname)
    assert spec.form == "uname"
    assert spec.prefix == prefix
    assert spec.path.text == path
    assert spec.target.text == uname
    assert is_block_target(spec) is block
    assert spec.replace_path("/dev/sddlmaa") == prefix + "/dev/sddlmaa"


def test_block_device():
    assert block_device("phy:sdc,xvdc,w") == "/dev/sdc"
    assert block_device("phy:/dev/sda,sda,w") == "/dev/sda"
    assert block_device("file:/img,hda,w") is None
    assert block_device(parse_uname("phy:/dev/sda8")) == "/dev/sda8"


def test_prefixes():
    for p in ("phy:", "file:", "tap:", "tap2:", "tapdisk:", "aio:", "iscsi:", "drbd:"):
        assert p in PREFIXES
    assert all(p.endswith(":") for p in PREFIXES)


# --- real-world corpus ------------------------------------------------------

_DISK_RE = re.compile(r"^\s*disk\s*=\s*\[(.*?)\]", re.S | re.M)
_STR_RE = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
_UNAME_RE = re.compile(r"\(uname\s+'?([^')\s]+)")


def test_corpus_specs_parse(corpus):
    n = 0
    for path in corpus_files("xl", "xm"):
        for block in _DISK_RE.finditer(path.read_text(errors="replace")):
            for q in _STR_RE.findall(block.group(1)):
                spec = parse_disk(q[0] or q[1])
                if spec.path is not None:
                    spec.replace_path("/dev/sddlmaa")
                n += 1
    for path in corpus_files("sxp"):
        for uname in _UNAME_RE.findall(path.read_text(errors="replace")):
            parse_uname(uname).replace_path("/dev/sddlmaa")
            n += 1
    assert n > 0 or not CORPUS.is_dir()


# --- property: replace_path touches exactly the path span -------------------

_seg = st.text("abcdefgABCXYZ0123456789._-+", min_size=1, max_size=8)
abs_paths = st.lists(_seg, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
dev_names = st.from_regex(r"\A(sd[a-z]{1,2}[0-9]{0,2}|hda%d|dm-[0-9])\Z")
plain_paths = st.one_of(abs_paths, st.just(""))
# target= values may contain commas, '=' and inner spaces
kv_paths = st.one_of(
    plain_paths,
    st.tuples(abs_paths, st.sampled_from([",", "=", ", ", ":"]), _seg).map("".join),
)
ws = st.sampled_from(["", " ", "  "])
vdevs = st.sampled_from(["xvda", "sda", "sda1", "hda:cdrom", "hdc:disk", "xvdb2"])
modes = st.sampled_from(["r", "w", "w!", "rw", "ro", ""])
xm_prefixes = st.sampled_from(
    ["phy:", "file:", "tap:aio:", "tap:qcow2:", "tap2:tapdisk:aio:", "raw:"]
)


@st.composite
def specs(draw):
    """(form, spec text builder taking a path, path strategy)."""
    form = draw(st.sampled_from(["xm", "positional", "keyvalue", "uname"]))
    sep = draw(ws)
    if form == "xm":
        prefix = draw(xm_prefixes)
        tail = [draw(vdevs), draw(modes)]
        if draw(st.booleans()):
            tail.append("0")
        return (
            form,
            prefix,
            (lambda p: prefix + p + "," + sep + ("," + sep).join(tail)),
            st.one_of(plain_paths, dev_names),
        )
    if form == "positional":
        fmt = draw(st.sampled_from(["raw", "qcow2", "", "vhd"]))
        fields = [fmt, draw(vdevs), draw(modes)]
        extra = draw(st.sampled_from(["", ",backendtype=phy", ", discard"]))
        return (
            form,
            "",
            (lambda p: p + "," + ("," + sep).join(fields) + extra),
            plain_paths,
        )
    if form == "keyvalue":
        keys = draw(
            st.lists(
                st.sampled_from(
                    ["format=raw", "vdev=xvda", "access=w", "backend=DomD", "cdrom"]
                ),
                unique=True,
                max_size=4,
            )
        )
        lead = "".join(k + "," + sep for k in keys)
        return form, "", (lambda p: lead + "target=" + p), kv_paths
    prefix = draw(st.sampled_from(["phy:", "file:", "tap:aio:", "tap:qcow:", ""]))
    return form, prefix, (lambda p: prefix + p), plain_paths


@given(st.data())
def test_replace_path_property(data):
    form, prefix, build, paths = data.draw(specs())
    old = data.draw(paths)
    new = data.draw(paths)
    text = build(old)
    spec = parse_uname(text) if form == "uname" else parse_disk(text)
    assert spec.form == form
    assert spec.prefix == prefix
    assert spec.path.text == old
    out = spec.replace_path(new)
    assert out == build(new)
    p = spec.path
    assert out[: p.start] == text[: p.start]
    assert out[p.start + len(new) :] == text[p.end :]
    again = parse_uname(out) if form == "uname" else parse_disk(out)
    assert again.path.text == new
    assert again.prefix == prefix
    assert [(f.name, f.text) for f in again.fields if f.name != "target"] == [
        (f.name, f.text) for f in spec.fields if f.name != "target"
    ]


# --- the plain swap (no re-parse) agrees with parsing the new text again -----

_NEW_PATHS = ["/dev/sddlmaa", "sddlmab", "/dev/sddlmaa12", "/dev/mapper/mpatha"]
_NEW_PATHS += ["/dev/emcpowerb", "/dev/vg0/lv-1.img", "x", "cdrom", "a+b@c"]


def _agrees(spec, new_path):
    if spec.path is None:
        return
    if spec.plain_swap(new_path):
        # Parsing the new text again must accept it and give the same bytes.
        assert spec.checked_swap(new_path) == spec.replace_path(new_path)
    else:
        try:
            expected = spec.checked_swap(new_path)
        except DiskSpecError:
            with pytest.raises(DiskSpecError):
                spec.replace_path(new_path)
        else:
            assert spec.replace_path(new_path) == expected


def test_plain_swap_agrees_on_corpus_specs(corpus):
    n = 0
    for path in corpus_files("xl", "xm"):
        for block in _DISK_RE.finditer(path.read_text(errors="replace")):
            for q in _STR_RE.findall(block.group(1)):
                try:
                    spec = parse_disk(q[0] or q[1])
                except DiskSpecError:
                    continue
                for new in _NEW_PATHS:
                    _agrees(spec, new)
                n += 1
    for path in corpus_files("sxp"):
        for uname in _UNAME_RE.findall(path.read_text(errors="replace")):
            for new in _NEW_PATHS:
                _agrees(parse_uname(uname), new)
            n += 1
    assert n > 0 or not CORPUS.is_dir()


@given(st.data())
def test_plain_swap_agrees_with_parsing_again(data):
    form, prefix, build, paths = data.draw(specs())
    text = build(data.draw(paths))
    spec = parse_uname(text) if form == "uname" else parse_disk(text)
    new = data.draw(st.one_of(st.sampled_from(_NEW_PATHS), plain_paths, dev_names))
    _agrees(spec, new)


_WORDS = ["phy:", "target=", "vdev=", "raw", "cdrom", "/dev/sda", "tap:aio:", ","]
_WORDS += [" ", "=", "w", "xvda", "format=", "qcow2:", "backendtype=", "script="]


@given(
    st.one_of(
        st.text(",= :abcdefghijklmnopqrstuvwxyz/.0123456789-!", max_size=40),
        st.lists(st.sampled_from(_WORDS), max_size=8).map("".join),
    )
)
def test_plain_swap_agrees_on_any_text(text):
    for parse in (parse_disk, parse_uname):
        try:
            spec = parse(text)
        except DiskSpecError:
            continue
        for new in _NEW_PATHS:
            _agrees(spec, new)


@given(
    st.lists(
        st.sampled_from(PREFIXES + ("tap2", "x:", ":", "/dev/sda", "ph")), max_size=5
    )
)
def test_prefix_length_is_the_prefix_pattern(words):
    text = "".join(words)
    pattern = re.compile("(?:%s)+" % "|".join(re.escape(p) for p in PREFIXES))
    m = pattern.match(text)
    assert prefix_length(text) == (m.end() if m else 0)


# --- the legacy shortcut reads as the general loop -------------------------


def _as_tuple(spec):
    names = ("text", "form", "prefix", "vdev", "access", "backendtype", "devtype")
    names += ("format", "script")
    fields = [(f.name, f.text, f.start, f.end) for f in spec.fields]
    path = spec.path and (
        spec.path.name,
        spec.path.text,
        spec.path.start,
        spec.path.end,
    )
    target = spec.target and (spec.target.text, spec.target.start, spec.target.end)
    return tuple(getattr(spec, n) for n in names) + (tuple(fields), path, target)


def _legacy_agrees(text):
    quick = _legacy(text)
    if quick is None:
        return False
    assert _as_tuple(quick) == _as_tuple(_parse_disk(text)), text
    return True


def test_legacy_shortcut_agrees_on_corpus_specs(corpus):
    taken = 0
    for path in corpus_files("xl", "xm"):
        for block in _DISK_RE.finditer(path.read_text(errors="replace")):
            for q in _STR_RE.findall(block.group(1)):
                taken += _legacy_agrees(q[0] or q[1])
    assert taken > 0 or not CORPUS.is_dir()


@given(
    st.one_of(
        st.text(",= :abcdefghijklmnopqrstuvwxyz/.0123456789-!\t", max_size=40),
        st.lists(
            st.sampled_from(_WORDS + ["cdrom", "raw", "qcow2", "empty"]), max_size=8
        ).map("".join),
        st.tuples(xm_prefixes, abs_paths, vdevs, modes).map(
            lambda t: f"{t[0]}{t[1]},{t[2]},{t[3]}"
        ),
    )
)
def test_legacy_shortcut_agrees_with_the_loop(text):
    _legacy_agrees(text)


def test_legacy_shortcut_takes_the_common_spec():
    assert _legacy_agrees("phy:/dev/sda,xvda,w")
    assert _legacy_agrees("file:/var/xen/a.img,hda,w!")
    assert not _legacy_agrees("phy:/dev/sda,raw,xvda,w")  # a format: the loop
    assert not _legacy_agrees("phy:/dev/sda, xvda, w")  # blanks: the loop
