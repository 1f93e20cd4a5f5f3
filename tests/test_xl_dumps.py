"""``xl list -l`` dumps (JSON and xl's S-expressions) as running state:
``check`` gives the same step-2 verdicts as on an ``xm list -l`` dump,
``plan --running`` reads all three forms, ``apply`` never rewrites them."""

from __future__ import annotations

import json

import pytest

from xencfg.cli import main
from xencfg.formats.detect import parse_text

from conftest import SAMPLES, corpus_files

MAP = SAMPLES / "host" / "dlmcfgmgr-v.txt"
JSON_DUMP = SAMPLES / "xl-list-l.json"
SXP_DUMP = SAMPLES / "xl-list-l.sxp"

# The same two domains as samples/xl-list-l.*, as xm list -l prints them.
XM_DUMP = """\
(domain (domid 3) (name app9)
    (device (vbd (uname phy:/dev/sdb) (dev xvda:disk) (mode w)))
    (device (vbd (uname phy:/dev/sddlmac) (dev xvdb:disk) (mode w))))
(domain (domid 5) (name db3)
    (device (vbd (uname phy:/dev/sdd) (dev hda:disk) (mode w))))
"""


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def verdicts(capsys, *argv):
    code, out, err = run(capsys, "check", "--report", "json", *argv)
    recs = json.loads(out)["findings"]
    got = sorted(
        (r["domain"], r["kind"], r["severity"], (r["old"] or "").split(":")[-1])
        for r in recs
    )
    return code, got, recs


@pytest.mark.parametrize("dump", [JSON_DUMP, SXP_DUMP])
def test_check_with_map_gives_the_xm_verdicts(dump, tmp_path, capsys):
    xm = tmp_path / "xm-list-l.txt"
    xm.write_text(XM_DUMP)
    want_code, want, _ = verdicts(capsys, "--map", MAP, xm)
    code, got, recs = verdicts(capsys, "--map", MAP, dump)
    assert (code, got) == (want_code, want) == (1, got)
    assert ("app9", "migrate", "change", "/dev/sdb") in got
    assert ("db3", "migrate", "change", "/dev/sdd") in got
    assert any(r["kind"] == "ok" and r["domain"] == "app9" for r in recs)
    # located at the device string in the dump
    text = dump.read_text().splitlines()
    for r in recs:
        assert text[r["line"] - 1][r["column"] - 1 :].lstrip('"').startswith("/dev/")


@pytest.mark.parametrize("dump", [JSON_DUMP, SXP_DUMP])
def test_policy_without_map_flags_each_scsi_disk(dump, tmp_path, capsys):
    code, out, err = run(capsys, "check", "--strict", dump)
    assert code == 1
    assert "/dev/sdb directly" in out + err and "(domain app9)" in out + err
    assert "/dev/sdd directly" in out + err and "(domain db3)" in out + err


def test_unmapped_disk_says_cannot_be_migrated(tmp_path, capsys):
    dump = tmp_path / "running.json"
    dump.write_text(
        '[{"domid": 7, "config": {"c_info": {"name": "x1"},'
        ' "disks": [{"pdev_path": "/dev/sdz", "vdev": "xvda"}]}}]'
    )
    code, out, err = run(capsys, "check", "--strict", "--map", MAP, dump)
    assert code == 1
    assert f"{dump}:1:" in err and "/dev/sdz is not in the map" in err
    assert "cannot be migrated" in err and "(domain x1)" in err


def test_driver_domain_disk_is_left_with_a_warning(tmp_path, capsys):
    dump = tmp_path / "running.json"
    dump.write_text(
        '[{"domid": 7, "config": {"c_info": {"name": "x1"}, "disks": ['
        '{"pdev_path": "/dev/sda", "vdev": "xvda", "backend_domid": 2}]}}]'
    )
    code, out, err = run(capsys, "check", "--map", MAP, dump)
    assert "would migrate" not in out
    assert "backend domain domain 2" in err or "backend domain" in err
    sxp = tmp_path / "running.sxp"
    sxp.write_text(
        "(domain (domid 7) (create_info) (name x1)\n"
        " (device (tap (backend_domid 2) (frontend_domid 7) (physpath /dev/sda)"
        " (phystype 1) (virtpath xvda))))\n"
    )
    code, out, err = run(capsys, "check", "--map", MAP, sxp)
    assert "would migrate" not in out and "backend domain" in err


def test_single_domain_object_and_missing_defaults(tmp_path, capsys):
    # xl prints one object for one domain in some versions; libxl leaves
    # default values (backend_domid 0) out of its JSON.
    dump = tmp_path / "one.json"
    dump.write_text(
        '{"domid": null, "config": {"c_info": {"name": "solo"},'
        ' "disks": [{"pdev_path": "/dev/sdc"}, {"vdev": "hdc", "is_cdrom": 1}]}}\n'
    )
    code, out, err = run(capsys, "check", "--map", MAP, dump)
    assert code == 1
    assert "/dev/sdc -> /dev/sddlmac (domain solo)" in out


@pytest.mark.parametrize(
    "text, where, words",
    [
        ('[{"domid": 3,\n  "config": {"c_info": {"name": "a"}}\n', "2:38", "ends"),
        ('[{"domid": 3 "config": {}}]', "1:14", "unexpected"),
        ("[{'domid': 3}]", "1:3", "unexpected"),
        ('[{"a": 1, "a": 2}]', "1:11", "given twice"),
        ('[\n {"config": {"disks": [{"pdev_path": "/dev/sda",}]}}]', "2:49", ""),
    ],
)
def test_malformed_json_is_a_located_error(text, where, words, tmp_path, capsys):
    dump = tmp_path / "bad.json"
    dump.write_text(text)
    for argv in (["check", dump], ["check", "--map", MAP, dump]):
        code, out, err = run(capsys, *argv)
        assert code == 2
        assert f"{dump}:{where}: error: " in err and words in err
    code, out, err = run(capsys, "plan", "--map", MAP, "--running", dump, tmp_path)
    assert code == 2 and f"{dump}:{where}: error: " in err


@pytest.mark.parametrize("dump", [JSON_DUMP, SXP_DUMP])
def test_roundtrip_is_exact(dump, capsys):
    code, out, err = run(capsys, "roundtrip", dump)
    assert code == 0, out + err


@pytest.mark.parametrize("dump", [JSON_DUMP, SXP_DUMP])
def test_apply_never_rewrites_a_dump(dump, tmp_path, capsys):
    copy = tmp_path / dump.name
    copy.write_bytes(dump.read_bytes())
    code, out, err = run(capsys, "apply", "--map", MAP, copy)
    assert code == 2
    assert "apply never rewrites it" in err and f"{copy}:1:1: error" in err
    assert copy.read_bytes() == dump.read_bytes()


def test_xl_sxp_pv_quirk_and_other_unbalanced_input(tmp_path):
    text = SXP_DUMP.read_text()
    doc = parse_text(text, "x")
    assert doc.to_text() == text and doc.notes  # the stray ')' is noted
    # a ')' too many in anything but xl's output stays an error
    with pytest.raises(Exception, match="no open"):
        parse_text("(domain (name a) (device (vbd (uname phy:/dev/sda)))))\n", "x")
    # xl output broken otherwise stays an error too
    with pytest.raises(Exception):
        parse_text(") " + text, "x")


def test_python_list_assignment_is_still_python():
    doc = parse_text('[a, b] = ["x", "y"]\ndisk = ["phy:/dev/sda,xvda,w"]\n', "x")
    assert doc.fmt != "json"


def write_configs(folder):
    folder.mkdir()
    (folder / "app9.cfg").write_text(
        'name = "app9"\ndisk = [ "phy:/dev/sdb,xvda,w", "phy:/dev/sddlmac,xvdb,w" ]\n'
    )
    (folder / "idle.cfg").write_text(
        'name = "idle"\ndisk = [ "phy:/dev/sde,xvda,w" ]\n'
    )


@pytest.mark.parametrize("form", ["json", "xl-sxp", "xm"])
def test_plan_running_reads_every_dump_form(form, tmp_path, capsys):
    xen = tmp_path / "xen"
    write_configs(xen)
    (tmp_path / "auto").mkdir()
    dump = {"json": JSON_DUMP, "xl-sxp": SXP_DUMP}.get(form)
    if dump is None:
        dump = tmp_path / "xm-list-l.txt"
        dump.write_text(XM_DUMP)
    argv = ["plan", "--toolstack", "xl", "--map", MAP, "--running", dump]
    argv += ["--auto-dir", tmp_path / "auto", "--format", "json", xen]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    plan = json.loads(out)
    running = {d["name"]: d["running"] for d in plan["domains"]}
    assert running["app9"] is True and running["idle"] is False
    # db3 runs (per the dump) on /dev/sdd but has no config here
    blocked = json.dumps(plan["blocked"])
    assert "db3" in blocked
    if form != "xm":
        assert "none of the configs given defines it" in blocked


def test_corpus_dumps_still_read(corpus):
    # The real xm list -l captures keep their verdicts (JSON detection
    # must not steal them).
    for path in corpus_files("sxp", "mapping"):
        text = path.read_text(errors="surrogateescape")
        if text.lstrip().startswith("(") and "(domain" in text:
            try:
                doc = parse_text(text, str(path))
            except Exception:
                continue  # the known unbalanced fixtures
            assert doc.fmt == "sxp", path


BASE = (
    '[{"domid": 3, "config": {"c_info": {"name": "a\\u00e9"}, "disks": '
    '[{"pdev_path": "/dev/sdb", "vdev": "xvda", "readwrite": 1}], '
    '"x": [true, false, null, -1.5e3, [], {}]}}]\n'
)


def _both(text):
    from xencfg.formats import xljson
    from xencfg.show import tree_json

    out = []
    for reader in (xljson.parse, xljson.parse_lark):
        try:
            out.append(tree_json(reader(text, "x")))
        except Exception as err:  # noqa: BLE001 - compared below
            assert type(err).__name__ == "ParseError", (text, err)
            out.append("error")
    return out


def test_fast_and_lark_readers_agree_on_mutations():
    fast, ref = _both(BASE)
    assert fast == ref != "error"
    fast, ref = _both(JSON_DUMP.read_text())
    assert fast == ref != "error"
    seen = set()
    for i in range(len(BASE)):
        for new in ("", "{", "}", "[", "]", ",", ":", '"', "0", "x", " "):
            text = BASE[:i] + new + BASE[i + (new != " ") :]
            if text in seen:
                continue
            seen.add(text)
            fast, ref = _both(text)
            assert fast == ref, text


def test_deep_nesting_is_no_crash(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50000 + "]" * 50000 + "\n")
    code, out, err = run(capsys, "check", "--strict", deep)
    assert code == 0, err
    code, out, err = run(capsys, "roundtrip", deep)
    assert code == 0, err
    deep.write_text("[" * 50000 + "\n")
    code, out, err = run(capsys, "check", deep)
    assert code == 2 and f"{deep}:1:50001: error: malformed JSON" in err


@pytest.mark.parametrize(
    "text, where, words",
    [
        ('[{"config": {"disks": [1]}}]', "1:24", "not a disk"),
        ('[{"config": {"disks": [{"pdev_path": 5}]}}]', "1:38", "not a string"),
        ('[{"config": {"disks": {"pdev_path": "/dev/sda"}}}]', "1:23", "not a list"),
        ('[{"domid": 1, "disks": [{"pdev_path": "/dev/sda"}]}]', "1:2", "not an 'xl"),
    ],
)
def test_odd_json_shapes_are_warned_not_passed(text, where, words, tmp_path, capsys):
    dump = tmp_path / "odd.json"
    dump.write_text(text)
    code, out, err = run(capsys, "check", "--strict", dump)
    assert code == 1 and f"{dump}:{where}: warning: " in err and words in err
