"""Direct unit tests of the middle floors: document, diffs, cache, the disk
finder and its one domain_name(), and the Report."""

from __future__ import annotations

import os
import subprocess

import pytest

from xencfg.cache import Cache, digest, findings_from, findings_text, key
from xencfg.diffs import unified
from xencfg.document import Edit, ParseError, decode, encode
from xencfg.errors import BAD, CHANGED, INTERNAL, OK
from xencfg.formats.detect import parse_bytes
from xencfg.maps import parse_map
from xencfg.pipeline import FileResult
from xencfg.report import Report
from xencfg.transforms.disks import domain_name, find_disks
from xencfg.transforms.findings import Finding


def doc_of(text: str, fmt: str = "auto"):
    return parse_bytes(text.encode(), "t.cfg", fmt)


# -- document -----------------------------------------------------------------
def test_line_col_is_one_based_and_counts_lf_only():
    doc = doc_of('a = 1\r\nname = "x"\n')
    start = doc.text.index('"x"')
    assert doc.line_col(0) == (1, 1)
    assert doc.line_col(start) == (2, 8)


def test_line_col_counted_or_indexed_gives_the_same():
    text = "a\n\nbb\nccc\n" * 5
    offsets = list(range(len(text) + 1))
    doc = doc_of(text)  # the first few calls count, the rest use the index
    got = [doc.line_col(o) for o in offsets]
    want = []
    for o in offsets:
        before = text[:o]
        want.append((before.count("\n") + 1, len(before) - before.rfind("\n")))
    assert got == want


def test_apply_splices_edits_and_keeps_every_other_byte():
    text = "# c\xe9\nname = 'a'  # keep\ndisk = [ 'x', 'y' ]\n"
    doc = doc_of(text)
    a, b = text.index("'x'"), text.index("'y'")
    out = doc.apply([Edit(b, b + 3, "'Y'"), Edit(a, a + 3, "'X'")])
    assert out == encode(text.replace("'x'", "'X'").replace("'y'", "'Y'"))
    assert doc.apply([]) == encode(text)
    with pytest.raises(ValueError, match="overlapping"):
        doc.apply([Edit(a, a + 3, "1"), Edit(a + 1, a + 2, "2")])


def test_replace_string_keeps_the_quote_style():
    doc = doc_of('disk = [ "phy:/dev/sda,xvda,w" ]\n')
    (site,) = find_disks(doc)
    edit = doc.replace_string(site.node, 'a"b')
    assert doc.apply([edit]) == b'disk = [ "a\\"b" ]\n'


def test_stray_bytes_survive_decode_and_encode():
    raw = b"# \xff\xfe latin-1\nname = 'a'\n"
    assert encode(decode(raw)) == raw
    assert parse_bytes(raw, "t").to_bytes() == raw


def test_pieces_tile_the_text():
    text = "name = 'a'\n# x\ndisk = [ 'phy:/dev/sda,xvda,w', ]\n"
    doc = doc_of(text)
    assert "".join(t for _, t in doc.pieces()) == text
    assert [k for k, _ in doc.pieces() if k != "trivia"]  # leaves, not one blob


def test_parse_error_is_located():
    with pytest.raises(ParseError) as e:
        doc_of("(a (b)\n", "sxp")
    assert e.value.format("f").startswith("f:1:1: error: ")


# -- diffs --------------------------------------------------------------------
def test_unified_diff_applies_with_git(tmp_path):
    old = b"a\r\nb\r\nc"  # CRLF, no final newline
    new = b"a\r\nB\r\nc"
    patch = unified(old, new, "dir/f.cfg")
    assert patch.startswith("diff --git a/dir/f.cfg b/dir/f.cfg\n")
    assert patch.endswith("\\ No newline at end of file\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir/f.cfg").write_bytes(old)
    subprocess.run(
        ["git", "apply", "-"],
        input=patch.encode(),
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    assert (tmp_path / "dir/f.cfg").read_bytes() == new


def test_unified_diff_of_equal_bytes_is_empty():
    assert unified(b"x\n", b"x\n", "f") == ""


def test_unified_diff_quotes_odd_names_as_git_does():
    patch = unified(b"a\n", b"b\n", 'we"ird\tname')
    assert '"a/we\\"ird\\tname"' in patch.splitlines()[0]
    spaced = unified(b"a\n", b"b\n", "with space")
    assert "--- a/with space\t\n" in spaced


# -- cache --------------------------------------------------------------------
def test_cache_round_trips_findings_and_writes_atomically(tmp_path):
    f = Finding(3, 5, "computed", "warning", "why", None, None, "web01", "p")
    c = Cache("k", str(tmp_path))
    c.add(digest(b"one"), [f])
    c.add(digest(b"two"))
    c.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.k.txt"]
    again = Cache("k", str(tmp_path)).load()
    assert set(again.seen) == {digest(b"one"), digest(b"two")}
    (back,) = findings_from(again.seen[digest(b"one")], "other/path")
    assert (back.line, back.col, back.kind, back.domain) == (3, 5, "computed", "web01")
    assert back.path == "other/path"
    assert findings_from(again.seen[digest(b"two")], "x") == []


def test_cache_damaged_entries_are_read_again():
    assert findings_from("[[1,2]]", "p") is None
    assert findings_from("not json", "p") is None
    assert findings_text([]) == ""


def test_cache_key_depends_on_map_and_options():
    m1 = parse_map("/dev/sda /dev/sddlmaa\n", "plain")
    m2 = parse_map("/dev/sda /dev/sddlmab\n", "plain")
    keys = {
        key(None, "auto", False),
        key(m1, "auto", False),
        key(m2, "auto", False),
        key(m1, "xl", False),
        key(m1, "auto", True),
    }
    assert len(keys) == 5
    assert key(m1, "auto", False) == key(m1, "auto", False)


def test_cache_save_never_fails_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    c = Cache("k", str(blocker / "sub"))  # a folder under a file
    c.add(digest(b"x"))
    c.save()  # no exception


# -- disks and the domain name --------------------------------------------------
def test_find_disks_only_under_disk_keys():
    doc = doc_of(
        "name = 'a'\nroot = '/dev/sda1'\nextra = 'phy:/dev/sdb'\n"
        "disk = [ 'phy:/dev/sdc,xvda,w', [ 'phy:/dev/sdd,xvdb,w' ] ]\n"
        "disk += [ 'phy:/dev/sde,xvdc,w' ]\n"
    )
    sites = find_disks(doc)
    assert [s.node.value for s in sites] == [
        "phy:/dev/sdc,xvda,w",
        "phy:/dev/sdd,xvdb,w",
        "phy:/dev/sde,xvdc,w",
    ]
    assert {s.form for s in sites} == {"spec"} and {s.domain for s in sites} == {"a"}


def test_find_disks_in_sxp_knows_each_domain():
    doc = doc_of(
        "(domain (name a) (device (vbd (uname phy:/dev/sda))))\n"
        "(domain (name b) (device (tap (uname tap:aio:/x.img)))"
        " (device (vif (uname phy:/dev/sdz))))\n"
    )
    sites = find_disks(doc)
    assert [(s.node.value, s.domain, s.form) for s in sites] == [
        ("phy:/dev/sda", "a", "uname"),
        ("tap:aio:/x.img", "b", "uname"),
    ]
    assert domain_name(doc) is None  # two domains: no one name


@pytest.mark.parametrize(
    "text, name",
    [
        ("name = 'a'\n", "a"),
        ("name = 'a'\nname = 'b'\n", "b"),
        ("memory = 1\n", None),
        ("name = 'a' + 'b'\n", None),  # computed
        ("name = 'a'\nname = x\n", None),  # the last one wins, and is computed
        # name = "a" then, maybe, "b": either domain may start; no name.
        ("name = 'a'\nif x:\n    name = 'b'\n", None),
        ("if x:\n    name = 'b'\nelse:\n    name = 'c'\n", None),
        ("(domain (name web01) (domid 3))\n", "web01"),
        ("(vm (name web02))\n", "web02"),
    ],
)
def test_domain_name_is_only_what_is_certain(text, name):
    assert domain_name(doc_of(text)) == name


def test_findings_and_plan_agree_on_the_domain():
    # The findings of a config name the same domain the plan would stop.
    doc = doc_of(
        "name = 'a'\nif x:\n    name = 'b'\ndisk = [ 'phy:/dev/sda,xvda,w' ]\n"
    )
    assert [s.domain for s in find_disks(doc)] == [domain_name(doc)] == [None]


# -- report -------------------------------------------------------------------
def _result(path="f", **kw) -> FileResult:
    return FileResult(path, path, **kw)


def test_report_counts_and_decides_the_exit_code(capsys):
    migrate = Finding(1, 1, "migrate", "change", "m", "a", "b", None, "f")
    warn = Finding(2, 1, "unmapped", "warning", "w", None, None, None, "g")
    r = Report("check", changes_fail=True)
    r.done(_result("f", changed=True, findings=[migrate]))
    r.done(_result("g", findings=[warn]))
    assert (r.changed, r.unchanged, r.warned) == (1, 1, 1)
    assert r.exit_code() == CHANGED
    assert r.summary() == "1 file would be migrated, 1 file left unchanged."
    assert capsys.readouterr().out == "f:1:1: would migrate a -> b\n"

    apply = Report("apply", strict=True)
    apply.done(_result("g", findings=[warn]))
    assert apply.exit_code() == CHANGED  # --strict fails apply too
    apply.done(_result("h", error="h:1:1: error: bad"))
    assert apply.exit_code() == BAD
    assert apply.summary().endswith("1 file failed.")
    apply.done(_result("i", crash="Traceback"))
    assert apply.exit_code() == INTERNAL


def test_report_policy_wording():
    r = Report("check", policy=True)
    policy = Finding(1, 1, "policy", "error", "uses /dev/sda", None, None, None, "f")
    r.done(_result("f", findings=[policy]))
    r.done(_result("g"))
    assert r.summary() == (
        "1 file uses /dev/sd* devices directly, 1 file passed the policy."
    )


@pytest.mark.parametrize(
    "dev, kind",
    [
        ("/dev/sda", "scsi"),
        ("/dev/sdb15", "scsi"),
        ("/dev/sda16", "scsi"),  # looks like one: the map says why it is not
        ("/dev/sddlmaa", "multipath"),
        ("/dev/mapper/mpatha", "multipath"),  # a multipath device of the map
        ("/dev/disk/by-id/scsi-3600", "symbolic"),
        ("/dev/sdb5,vdev=xvdj", "sd-odd"),
        ("/dev/xvda", "other"),
        ("/dev/vg0/lv", "other"),
    ],
)
def test_classify(dev, kind):
    from xencfg.transforms.base import classify

    devmap = parse_map("/dev/sdc /dev/mapper/mpatha\n", "plain")
    assert classify(dev, devmap) == kind


# --- the cache's look-ups by search agree with reading it whole -------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from xencfg.cache import find_seen, parse_seen  # noqa: E402

_DIGESTS = ["a" * 64, "b" * 64, "a" * 63 + "b", "0" * 64]
_LINES = st.one_of(
    st.sampled_from(_DIGESTS).map(lambda d: d),
    st.tuples(st.sampled_from(_DIGESTS), st.sampled_from(['[[1,1,"k"]]', "", "x"])).map(
        "\t".join
    ),
    st.sampled_from(["", "a" * 65, "junk", "a" * 32, "\t" + "a" * 64]),
)


@given(st.lists(_LINES, max_size=8), st.booleans())
def test_find_seen_is_parse_seen(lines, final_newline):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    whole = parse_seen(text)
    for d in _DIGESTS + ["c" * 64, "short"]:
        assert find_seen(text, d) == whole.get(d)


def test_a_few_lookups_do_not_read_the_cache_whole(tmp_path):
    c = Cache("k", str(tmp_path))
    c.add(digest(b"one"))
    c.save()
    c2 = Cache("k", str(tmp_path)).load()
    assert c2.get(digest(b"one")) == "" and c2.get(digest(b"two")) is None
    assert c2._seen is None  # searched, not read into a dict
    c2.add(digest(b"two"))
    c2.save()  # appended after what was there
    again = Cache("k", str(tmp_path)).load()
    assert set(again.seen) == {digest(b"one"), digest(b"two")}
