"""The command line, mostly in-process via xencfg.cli.main, a few subprocesses."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import CORPUS, SAMPLES, corpus_files, need_corpus
from xencfg.cli import main

GOLDEN = SAMPLES / "golden"
MAP_TEXT = (GOLDEN / "dlmcfgmgr-v.txt").read_text()
HV_MAP = CORPUS / "mapping" / "hitachivantara__dlmcfgmgr-v-xen-guide-example.txt"
HV_DUMP = CORPUS / "mapping" / "hitachivantara__xm-list-l-domU-vbd-phy-sda.txt"
GANETI = CORPUS / "sxp" / "ganeti__test__data__xen-xm-list-long-4.0.1.txt"
MALFORMED_SXP = {
    "libvirt__tests__sexpr2xmldata__sexpr2xml-bridge-ipaddr.sexpr",
    "libvirt__tests__sexpr2xmldata__sexpr2xml-net-routed.sexpr",
    "libvirt__tests__sexpr2xmldata__sexpr2xml-pv-vfb-new-vncdisplay.sexpr",
    "libvirt__tests__sexpr2xmldata__sexpr2xml-pv-vfb-new.sexpr",
}

GOOD = "name = 'good'\ndisk = [ 'phy:/dev/sda,xvda,w', 'phy:/dev/sdg,xvdb,w' ]\n"
GOOD_NEW = GOOD.replace("phy:/dev/sda,", "phy:/dev/sddlmaa,")
DONE = "name = 'done'\ndisk = [ 'phy:/dev/sddlmab,xvda,w' ]\n"
BAD = "name = 'bad'\ndisk = [ 'phy:/dev/sdb,xvda,w'\nroot = '/dev/sda1\n"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Never read or write the user's ~/.cache/xencfg from a test."""
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A folder with the map and three configs, as the current directory."""
    (tmp_path / "map.txt").write_text(MAP_TEXT)
    (tmp_path / "good.cfg").write_text(GOOD)
    (tmp_path / "done.cfg").write_text(DONE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- exit codes ------------------------------------------------------------------
def test_check_exit_1_when_something_would_change(tree, capsys):
    code, out, err = cli(capsys, "check", "--map", "map.txt", "good.cfg", "done.cfg")
    assert code == 1
    assert out == (
        "good.cfg:2:10: would migrate phy:/dev/sda -> phy:/dev/sddlmaa (domain good)\n"
    )
    assert "good.cfg:2:33: warning: phy:/dev/sdg: /dev/sdg is not in the map" in err
    assert "1 file would be migrated, 1 file left unchanged." in err
    assert (tree / "good.cfg").read_text() == GOOD


def test_check_exit_0_when_nothing_would_change(tree, capsys):
    code, out, err = cli(capsys, "check", "--map", "map.txt", "done.cfg")
    assert (code, out) == (0, "")
    # a warning alone does not fail, except with --strict
    (tree / "warn.cfg").write_text("disk = [ 'phy:/dev/sdg,xvda,w' ]\n")
    assert cli(capsys, "check", "--map", "map.txt", "warn.cfg")[0] == 0
    assert cli(capsys, "check", "--strict", "--map", "map.txt", "warn.cfg")[0] == 1


def test_policy_mode_without_map(tree, capsys):
    code, out, err = cli(capsys, "check", "good.cfg", "done.cfg")
    assert code == 1
    assert out.splitlines() == [
        "good.cfg:2:10: error: phy:/dev/sda uses the SCSI device /dev/sda directly; "
        "a domU must use its multipath device (domain good)",
        "good.cfg:2:33: error: phy:/dev/sdg uses the SCSI device /dev/sdg directly; "
        "a domU must use its multipath device (domain good)",
    ]
    assert "1 file uses /dev/sd* devices directly, 1 file passed the policy." in err
    assert cli(capsys, "check", "done.cfg")[0] == 0


def test_bad_map_exit_2(tree, capsys):
    (tree / "bad-map.txt").write_text(MAP_TEXT.replace("/dev/sdd   ", "/dev/sda   "))
    code, out, err = cli(capsys, "apply", "--map", "bad-map.txt", "good.cfg")
    assert code == 2
    assert err.startswith("bad-map.txt:8: error: /dev/sda is listed under two")
    assert (tree / "good.cfg").read_text() == GOOD  # nothing written
    (tree / "not-a-map.txt").write_text("hello world\n")
    code, out, err = cli(capsys, "check", "--map", "not-a-map.txt", "good.cfg")
    assert code == 2 and err.startswith("not-a-map.txt:1: error: not a device map")
    code, out, err = cli(capsys, "check", "--map", "missing.txt", "good.cfg")
    assert code == 2 and err.startswith("missing.txt: error: cannot read device map")


def test_bad_config_exit_2_others_still_converted(tree, capsys):
    (tree / "bad.cfg").write_text(BAD)
    code, out, err = cli(
        capsys, "apply", "--map", "map.txt", "good.cfg", "bad.cfg", "done.cfg"
    )
    assert code == 2
    assert "bad.cfg:3:8: error: unterminated string" in err
    assert (tree / "bad.cfg").read_text() == BAD
    assert (tree / "good.cfg").read_text() == GOOD_NEW
    assert (tree / "done.cfg").read_text() == DONE
    assert "1 file migrated, 1 file left unchanged, 1 file failed." in err


def test_bad_config_in_a_folder_is_reported_and_never_written(tree, capsys):
    (tree / "bad.cfg").write_bytes(b"\xff\xfe disk = [ 'phy:/dev/sda,xvda,w' ( \n")
    before = (tree / "bad.cfg").read_bytes()
    for command in ("check", "diff", "apply"):
        code, out, err = cli(capsys, command, "--map", "map.txt", ".")
        assert code == 2, command
        assert "bad.cfg:1:" in err and ": error:" in err
        assert (tree / "bad.cfg").read_bytes() == before
    assert (tree / "good.cfg").read_text() == GOOD_NEW


def test_usage_errors_exit_2(tree, capsys):
    for command in ("apply", "diff"):
        with pytest.raises(SystemExit) as exc:
            main([command, "good.cfg"])
        assert exc.value.code == 2
        assert "required: --map" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["check", "--report", "yaml", "good.cfg"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    capsys.readouterr()
    code, out, err = cli(capsys, "check", "--map", "map.txt", "nope.cfg")
    assert code == 2 and "nope.cfg: error: no such file or directory" in err


def test_exit_codes_subprocess(tree):
    def run(*argv):
        return subprocess.run(
            [sys.executable, "-m", "xencfg", *argv], capture_output=True, text=True
        )

    assert run("check", "--map", "map.txt", "done.cfg").returncode == 0
    r = run("check", "--map", "map.txt", "good.cfg")
    assert r.returncode == 1 and "would migrate phy:/dev/sda" in r.stdout
    r = run("frobnicate")
    assert r.returncode == 2 and "usage:" in r.stderr
    assert run("apply", "good.cfg").returncode == 2
    assert (tree / "good.cfg").read_text() == GOOD


# -- reports -------------------------------------------------------------------
@pytest.mark.parametrize("command", ["check", "diff", "apply"])
def test_report_json(tree, capsys, command):
    code, out, err = cli(
        capsys, command, "--report", "json", "--map", "map.txt", "good.cfg"
    )
    assert code == (1 if command == "check" else 0)
    report = json.loads(out)
    findings = [r for r in report["findings"] if "kind" in r]
    assert [
        {k: r[k] for k in ("path", "line", "col", "old", "new", "kind")}
        for r in findings
    ] == [
        {
            "path": "good.cfg",
            "line": 2,
            "col": 10,
            "old": "phy:/dev/sda",
            "new": "phy:/dev/sddlmaa",
            "kind": "migrate",
        },
        {
            "path": "good.cfg",
            "line": 2,
            "col": 33,
            "old": None,
            "new": None,
            "kind": "unmapped",
        },
    ]
    assert [r["column"] for r in findings] == [10, 33]
    assert report["summary"] == {"changed": 1, "unchanged": 0, "failed": 0}
    if command == "diff":
        (diff,) = [r["diff"] for r in report["findings"] if "diff" in r]
        assert diff.startswith("diff --git a/good.cfg b/good.cfg\n")
    expected = GOOD_NEW if command == "apply" else GOOD
    assert (tree / "good.cfg").read_text() == expected


def test_report_json_error_record(tree, capsys):
    (tree / "bad.cfg").write_text(BAD)
    code, out, err = cli(
        capsys, "check", "--report", "json", "--map", "map.txt", "bad.cfg"
    )
    assert code == 2
    report = json.loads(out)
    assert report["findings"] == [
        {
            "path": "bad.cfg",
            "line": 3,
            "column": 8,
            "kind": "parse",
            "severity": "error",
            "message": "unterminated string",
            "error": "bad.cfg:3:8: error: unterminated string",
        }
    ]
    assert report["summary"]["failed"] == 1


def test_report_json_counts_missing_paths_and_broken_links(tree, capsys):
    os.mkdir("auto")
    os.symlink("../gone.cfg", "auto/gone.cfg")  # dangling
    os.symlink("loop2.cfg", "auto/loop1.cfg")
    os.symlink("loop1.cfg", "auto/loop2.cfg")
    code, out, err = cli(
        capsys, "check", "--report", "json", "--map", "map.txt", "nothere.cfg", "auto"
    )
    assert code == 2
    report = json.loads(out)
    got = {(r["path"], r["kind"], r["line"]) for r in report["findings"]}
    assert got == {
        ("nothere.cfg", "missing", None),
        ("auto/gone.cfg", "missing", None),
        ("auto/loop1.cfg", "missing", None),
        ("auto/loop2.cfg", "missing", None),
    }
    assert report["summary"]["failed"] == 4
    assert "auto/gone.cfg: error: dangling symbolic link (to ../gone.cfg)" in err
    assert "auto/loop1.cfg: error: symbolic link loop" in err
    # The text output counts them the same way.
    code, out, err = cli(capsys, "check", "--map", "map.txt", "nothere.cfg", "auto")
    assert code == 2 and err.rstrip().endswith("4 files failed.")


def test_apply_stdin_is_a_filter(tree, capsys, monkeypatch):
    import io

    for text, wanted in ((DONE, DONE), (GOOD, GOOD_NEW)):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
        code, out, err = cli(capsys, "apply", "--map", "map.txt", "-")
        assert (code, out) == (0, wanted)


def test_apply_strict_and_more_usage_errors(tree, capsys):
    (tree / "warn.cfg").write_text("disk = [ 'phy:/dev/sdz,xvda,w' ]\n")
    assert cli(capsys, "apply", "--map", "map.txt", "warn.cfg")[0] == 0
    assert cli(capsys, "apply", "--strict", "--map", "map.txt", "warn.cfg")[0] == 1
    code, out, err = cli(capsys, "apply", "--map", "-", "-")
    assert code == 2 and "both the map and a config" in err
    for bad in (["-j", "0"], ["-j", "-3"], ["--backup", ""], ["--backup", "a/b"]):
        with pytest.raises(SystemExit) as exc:
            main(["apply", *bad, "--map", "map.txt", "good.cfg"])
        assert exc.value.code == 2, bad
    assert (tree / "good.cfg").read_text() == GOOD


# -- diff ------------------------------------------------------------------------
def test_diff_and_diff_check(tree, capsys):
    code, out, err = cli(capsys, "diff", "--map", "map.txt", "good.cfg", "done.cfg")
    assert code == 0
    assert out == (
        "diff --git a/good.cfg b/good.cfg\n"
        "--- a/good.cfg\n"
        "+++ b/good.cfg\n"
        "@@ -1,2 +1,2 @@\n"
        " name = 'good'\n"
        "-disk = [ 'phy:/dev/sda,xvda,w', 'phy:/dev/sdg,xvdb,w' ]\n"
        "+disk = [ 'phy:/dev/sddlmaa,xvda,w', 'phy:/dev/sdg,xvdb,w' ]\n"
    )
    assert cli(capsys, "diff", "--check", "--map", "map.txt", "good.cfg")[0] == 1
    code, out, err = cli(capsys, "diff", "--check", "--map", "map.txt", "done.cfg")
    assert (code, out) == (0, "")
    assert (tree / "good.cfg").read_text() == GOOD


def test_diff_paths_relative_to_cwd(tree, capsys, monkeypatch):
    sub = tree / "etc" / "xen"
    sub.mkdir(parents=True)
    (sub / "vm.cfg").write_text(GOOD)
    code, out, err = cli(capsys, "diff", "--map", "map.txt", str(sub / "vm.cfg"))
    assert out.startswith("diff --git a/etc/xen/vm.cfg b/etc/xen/vm.cfg\n")
    (tree / "p.patch").write_text(out)
    subprocess.run(["patch", "-p1", "-s", "-i", "p.patch"], check=True, cwd=tree)
    assert (sub / "vm.cfg").read_text() == GOOD_NEW


# -- apply -----------------------------------------------------------------------
def test_apply_is_idempotent(tree, capsys):
    code, out, err = cli(capsys, "apply", "--map", "map.txt", ".")
    assert code == 0
    assert "good.cfg:2:10: migrated phy:/dev/sda -> phy:/dev/sddlmaa" in err
    assert (tree / "good.cfg").read_text() == GOOD_NEW
    mtime = os.stat(tree / "good.cfg").st_mtime_ns
    code, out, err = cli(capsys, "apply", "--map", "map.txt", ".")
    assert code == 0
    assert "0 files migrated" in err
    assert (tree / "good.cfg").read_text() == GOOD_NEW
    assert os.stat(tree / "good.cfg").st_mtime_ns == mtime  # not rewritten
    assert cli(capsys, "check", "--map", "map.txt", ".")[0] == 0


def test_apply_keeps_mode_and_backup(tree, capsys):
    os.chmod(tree / "good.cfg", 0o640)
    code, _, _ = cli(
        capsys, "apply", "--backup", ".orig", "--map", "map.txt", "good.cfg"
    )
    assert code == 0
    assert (tree / "good.cfg.orig").read_text() == GOOD
    assert (tree / "good.cfg").read_text() == GOOD_NEW
    assert os.stat(tree / "good.cfg").st_mode & 0o777 == 0o640
    assert not [p for p in os.listdir(tree) if p.startswith(".xencfg-")]


def test_apply_failed_parse_leaves_file_byte_identical(tree, capsys):
    data = b"# latin-1 \xe9\r\ndisk = [ 'phy:/dev/sda,xvda,w',\r\n"  # unclosed [
    (tree / "broken.cfg").write_bytes(data)
    code, out, err = cli(capsys, "apply", "--map", "map.txt", "broken.cfg")
    assert code == 2
    assert "broken.cfg:" in err and ": error:" in err
    assert (tree / "broken.cfg").read_bytes() == data


# -- parse, roundtrip, map ------------------------------------------------------------
def test_parse_json(capsys):
    code, out, err = cli(capsys, "parse", "--json", str(GOLDEN / "same-name.cfg"))
    assert code == 0
    tree = json.loads(out)
    assert tree["format"] == "xl"
    disk = [n for n in tree["body"] if n.get("key") == "disk"]
    assert len(disk) == 1 and disk[0]["line"] == 8
    code, out, err = cli(capsys, "parse", "--json", str(GOLDEN / "xm-list-l.sxp"))
    assert code == 0 and json.loads(out)["format"] == "sxp"


def test_parse_error(tmp_path, capsys):
    bad = tmp_path / "bad.cfg"
    bad.write_text(BAD)
    code, out, err = cli(capsys, "parse", str(bad))
    assert code == 2 and err == f"{bad}:3:8: error: unterminated string\n"


def test_roundtrip_samples(capsys):
    code, out, err = cli(capsys, "roundtrip", str(SAMPLES))
    assert code == 0, out + err
    assert out == ""
    assert " 0 not identical, 0 failed to parse" in err


def test_roundtrip_corpus(capsys):
    need_corpus()
    folders = [str(CORPUS / f) for f in ("xl", "xm", "sxp")]
    code, out, err = cli(capsys, "roundtrip", "--include", "*", *folders)
    assert code == 2
    assert out == ""  # every file that parses prints back byte for byte
    failed = {
        line.split(":", 1)[0].rsplit("/", 1)[-1]
        for line in err.splitlines()
        if ": error: " in line
    }
    assert failed == MALFORMED_SXP
    assert "0 not identical, 4 failed to parse" in err


def test_map_json_corpus(capsys):
    need_corpus()
    code, out, err = cli(capsys, "map", "--json", str(HV_MAP))
    assert code == 0
    m = json.loads(out)
    assert m["source"] == "dlmcfgmgr"
    assert m["map"] == {"/dev/sda": "/dev/sddlmaa", "/dev/sdb": "/dev/sddlmab"}
    assert "elides rows" in m["warnings"][0]["message"]
    assert "warning:" in err


def test_map_json_multipath_lu(capsys):
    code, out, err = cli(capsys, "map", "--json", str(GOLDEN / "dlmcfgmgr-v.txt"))
    assert code == 0
    m = json.loads(out)["map"]
    assert m["/dev/sda"] == m["/dev/sde"] == "/dev/sddlmaa"
    assert m["/dev/sdb"] == m["/dev/sdf"] == "/dev/sddlmab"
    assert "/dev/sdh" not in m


# -- the procedure on real captures ------------------------------------------------
def test_check_hitachivantara_xm_list_fragment(capsys):
    """Step 2: the vbd of the vendor's xm list -l fragment can be migrated."""
    need_corpus()
    code, out, err = cli(
        capsys, "check", "--format", "sxp", "--map", str(HV_MAP), str(HV_DUMP)
    )
    assert code == 1
    assert out == f"{HV_DUMP}:10:20: would migrate phy:/dev/sda -> phy:/dev/sddlmaa\n"


def test_check_hitachivantara_fragment_autodetected(capsys):
    need_corpus()
    code, out, err = cli(capsys, "check", "--map", str(HV_MAP), str(HV_DUMP))
    assert code == 1
    assert out == f"{HV_DUMP}:10:20: would migrate phy:/dev/sda -> phy:/dev/sddlmaa\n"


def test_check_ganeti_xm_list_long(capsys):
    need_corpus()
    code, out, err = cli(capsys, "check", "--map", str(HV_MAP), str(GANETI))
    assert (code, out) == (0, "")  # ganeti instance-disk paths: no SCSI disk
    code, out, err = cli(capsys, "check", str(GANETI))
    assert (code, out) == (0, "")


def test_check_dump_says_per_vbd_with_domain(capsys):
    dump = GOLDEN / "xm-list-l.sxp"
    code, out, err = cli(
        capsys,
        "check",
        "--report",
        "json",
        "--map",
        str(GOLDEN / "dlmcfgmgr-v.txt"),
        str(dump),
    )
    assert code == 1
    recs = json.loads(out)["findings"]
    assert [(r["kind"], r["domain"]) for r in recs] == [
        ("migrate", "web01"),
        ("unmapped", "web01"),
        ("ok", "web01"),
        ("ok", "db01"),
        ("migrate", "db01"),
        ("migrate", "db01"),
    ]


# -- the corpus ------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory):
    need_corpus()
    dest = tmp_path_factory.mktemp("corpus")
    for folder in ("xl", "xm", "sxp"):
        shutil.copytree(CORPUS / folder, dest / folder)
    return dest


def _snapshot(root):
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "map_text, map_format",
    [
        ("# no LUs on this host\n", "plain"),
        (
            "# /sbin/dlmcfgmgr -v\n"
            "HDevName      Management  Device    Host  Channel  Target  Lun\n"
            "KAPL10302-I /sbin/dlmcfgmgr completed normally.\n",
            "auto",
        ),
    ],
)
def test_empty_map_is_refused_and_changes_nothing_in_corpus(
    corpus_copy, tmp_path, capsys, map_text, map_format
):
    before = _snapshot(corpus_copy)
    assert len(before) == len(corpus_files("xl", "xm", "sxp"))
    empty = tmp_path / "empty.txt"
    empty.write_text(map_text)
    code, out, err = cli(
        capsys,
        "apply",
        "-j",
        "1",
        "--map-format",
        map_format,
        "--map",
        str(empty),
        "--include",
        "*",
        str(corpus_copy),
    )
    # an empty map is refused, whatever --map-format says: nothing is read
    assert code == 2
    assert f"{empty}:1: error: the device map is empty: no multipath devices" in err
    assert "migrated phy:" not in err
    assert _snapshot(corpus_copy) == before


def test_empty_plain_map_file_is_an_error_in_auto_mode(tmp_path, capsys):
    # An empty map cannot be told apart from a failed capture: refused.
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    (tmp_path / "a.cfg").write_text(GOOD)
    code, out, err = cli(capsys, "check", "--map", str(empty), str(tmp_path / "a.cfg"))
    assert code == 2 and "the device map is empty" in err


def test_corpus_check_with_vendor_map(corpus_copy, capsys):
    code, out, err = cli(
        capsys, "check", "-j", "1", "--map", str(HV_MAP), str(corpus_copy)
    )
    assert code == 1
    lines = out.splitlines()
    assert lines and all(" would migrate " in line for line in lines)
    assert all("/dev/sddlma" in line for line in lines)


@pytest.mark.parametrize(
    "name", ["my vm.cfg", "café.cfg", 'a"b\\c.cfg', "caf é.cfg", "tab\there.cfg"]
)
def test_diff_odd_file_names_apply_with_git_and_patch(tree, capsysbinary, name):
    """Headers as git writes them: quoted names, a tab after names with spaces."""
    sub = tree / "sub"
    sub.mkdir()
    data = b"x = 1\ndisk = [ 'phy:/dev/sda,xvda,w' ]"  # no final newline
    (sub / name).write_bytes(data)
    assert main(["diff", "--map", "map.txt", f"sub/{name}"]) == 0
    patch = capsysbinary.readouterr().out
    (tree / "p.patch").write_bytes(patch)
    expected = data.replace(b"/dev/sda,", b"/dev/sddlmaa,")
    subprocess.run(["git", "apply", "p.patch"], cwd=tree, check=True)
    assert (sub / name).read_bytes() == expected
    (sub / name).write_bytes(data)
    subprocess.run(["patch", "-s", "-p1", "-i", "p.patch"], cwd=tree, check=True)
    assert (sub / name).read_bytes() == expected
