"""The disk rules of the transforms: spellings of one device, driver domains,
two disks on one LU, Xen 2.0's vbd_list, host disks under other keys, the
format/backend prefixes and computed disks.  Each rule is checked on inputs
written here, for the policy (no map) and the migration alike, and on the
corpus where it has examples."""

from __future__ import annotations

import json

import pytest

from conftest import CORPUS, SAMPLES
from xencfg.cli import main
from xencfg.formats.detect import parse_bytes
from xencfg.maps import parse_map
from xencfg.pipeline import transform_for
from xencfg.transforms.base import classify

MAP_PATH = SAMPLES / "golden" / "dlmcfgmgr-v.txt"
MAP = parse_map(MAP_PATH.read_text())


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def run(text: str, devmap=MAP, fmt="auto", name="t.cfg"):
    doc = parse_bytes(text.encode(), name, fmt)
    edits, findings = transform_for(devmap, False).run(doc)
    new = doc.apply(edits).decode() if edits else text
    return new, findings


def kinds(findings):
    return [(f.line, f.col, f.kind) for f in findings]


# -- item 2: spellings of one device ---------------------------------------


@pytest.mark.parametrize(
    "dev, kind",
    [
        ("/dev//sda", "scsi"),
        ("/dev/./sdb", "scsi"),
        ("/dev/../dev/sdc", "scsi"),
        ("/dev/sda/", "scsi"),
        ("//dev///sda1", "scsi"),
        ("/../../dev/sdb", "scsi"),
        ("/dev/./sddlmaa", "multipath"),
        ("/dev/block/8:0", "unresolved"),
        ("/dev/8:16", "unresolved"),
        ("/proc/self/root/dev/sda", "unresolved"),
        ("/sys/dev/block/8:0", "unresolved"),
        ("/dev/x y", "unresolved"),
        ("/dev/root", "unresolved"),
        ("/dev/fd/3", "unresolved"),
        ("/dev/vg0/../lv", "other"),
        ("/dev/mapper/vg-lv_1", "other"),
        ("/dev/disk/../disk/by-id/x", "symbolic"),
    ],
)
def test_classify_folds_spellings(dev, kind):
    assert classify(dev, MAP) == kind


def test_policy_flags_every_spelling_of_a_scsi_disk():
    text = (
        "name = 'p'\n"
        "disk = [ 'phy:/dev//sda,xvda,w', 'phy:/dev/./sdb,xvdb,w',\n"
        "         '/dev/../dev/sdc,xvdc,w', 'phy:/dev/sdd/,xvdd,w',\n"
        "         'tap:aio:/dev//sdb1,xvde,w', 'qcow2:/dev/sdc1,xvdf,w' ]\n"
    )
    new, findings = run(text, devmap=None)
    assert new == text
    assert [f.kind for f in findings] == ["policy"] * 6
    assert all(f.severity == "error" for f in findings)


def test_forms_only_the_host_can_read_are_warned_never_silent():
    specs = [
        "/dev/block/8:0,xvda,w",
        "8:16,xvdb,w",
        "phy:8:32,xvdc,w",
        "phy:/proc/self/root/dev/sda,xvdd,w",
        "phy:/dev/disk/by-id/scsi-3600,xvde,w",
    ]
    text = "disk = [ " + ", ".join(f"'{s}'" for s in specs) + " ]\n"
    for devmap in (MAP, None):
        new, findings = run(text, devmap=devmap)
        assert new == text
        assert len(findings) == len(specs)
        assert all(f.severity == "warning" for f in findings)
        assert [f.kind for f in findings] == ["unresolved"] * 4 + ["symbolic"]


# -- item 3: driver domains ------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "phy:/dev/sda,xvda,w,stordom",
        "phy:/dev/sda,xvda,w,3",
        "backend=stordom,target=/dev/sda",
        "backend=stordom, vdev=xvda, target=/dev/sda",
        "/dev/sda,raw,xvda,rw,backend=2",
        "backend=DomD,phy:/dev/sda,xvda",
    ],
)
def test_driver_domain_disks_are_left_with_a_located_warning(spec):
    text = f"name = 'd'\ndisk = [ 'phy:/dev/sdb,xvdb,w', '{spec}' ]\n"
    for devmap in (MAP, None):
        new, findings = run(text, devmap=devmap)
        dd = [f for f in findings if f.kind == "driver-domain"]
        assert len(dd) == 1 and dd[0].severity == "warning"
        assert (dd[0].line, dd[0].col) == (2, 33)
        assert "not dom0" in dd[0].message
    new, _ = run(text)
    assert new == text.replace("phy:/dev/sdb,", "phy:/dev/sddlmab,")


@pytest.mark.parametrize("dom0", ["0", "Domain-0", "dom0", ""])
def test_dom0_named_as_backend_is_dom0(dom0):
    new, findings = run(f"disk = [ 'phy:/dev/sda,xvda,w,{dom0}' ]\n")
    assert "sddlmaa" in new and [f.kind for f in findings] == ["migrate"]
    new, findings = run(f"disk = [ 'backend={dom0},target=/dev/sda' ]\n")
    assert "sddlmaa" in new or dom0 == ""


def test_driver_domain_in_s_expressions_and_dumps_is_one_rule(tmp_path, capsys):
    sxp = (
        "(domain (domid 4) (name d)\n"
        "  (device (vbd (uname phy:/dev/sda) (dev xvda) (mode w) (backend 0)))\n"
        "  (device (vbd (uname phy:/dev/sdb) (dev xvdb) (mode w) (backend 2)))\n"
        ")\n"
    )
    new, findings = run(sxp)
    assert new == sxp.replace("phy:/dev/sda)", "phy:/dev/sddlmaa)")
    assert [(f.line, f.kind) for f in findings] == [
        (2, "migrate"),
        (3, "driver-domain"),
    ]
    dump = tmp_path / "running.json"
    dump.write_text(
        '[{"domid": 7, "config": {"c_info": {"name": "x1"}, "disks": ['
        '{"pdev_path": "/dev/sda", "vdev": "xvda", "backend_domname": "stordom"},'
        '{"pdev_path": "/dev/sdb", "vdev": "xvdb", "backend_domid": 0}]}}]'
    )
    assert main(["check", "--report", "json", "--map", str(MAP_PATH), str(dump)]) == 1
    recs = json.loads(capsys.readouterr().out)["findings"]
    assert [r["kind"] for r in recs] == ["driver-domain", "migrate"]


def test_golden_driver_domain_case_is_not_rewritten():
    golden = SAMPLES / "golden"
    expected = (golden / "shared-wbang.cfg.expected").read_text()
    assert "'phy:/dev/sdc,xvdc,w!,1'" in expected
    assert "backend domain 1" in (golden / "shared-wbang.cfg.warnings").read_text()


# -- item 4: two disks, one LU ----------------------------------------------

TWO = "name = 'two'\ndisk = [ 'phy:/dev/sda,xvda,w', 'phy:/dev/sde,xvdb,w' ]\n"


def test_two_paths_of_one_lu_warn_at_both_places():
    new, findings = run(TWO)
    warned = [(f.line, f.col) for f in findings if f.kind == "same-lu"]
    assert warned == [(2, 10), (2, 33)]
    assert all("one LU twice" in f.message for f in findings if f.kind == "same-lu")
    # Already one device: warned too.
    text = "disk = [ 'phy:/dev/sddlmaa,xvda,w', 'phy:/dev/./sddlmaa,xvdb,w' ]\n"
    _, findings = run(text)
    assert [f.kind for f in findings] == ["same-lu", "same-lu"]
    # Partitions of one LU and other domains are different devices.
    _, findings = run("disk = [ 'phy:/dev/sda,xvda,w', 'phy:/dev/sde1,xvdb,w' ]\n")
    assert "same-lu" not in [f.kind for f in findings]


def test_two_disks_in_different_branches_are_not_twice():
    text = (
        "if vmid > 1:\n"
        "    disk = ['phy:/dev/sda,xvda,w']\n"
        "else:\n"
        "    disk = ['phy:/dev/sde,xvda,w']\n"
    )
    _, findings = run(text, fmt="xm")
    assert [f.kind for f in findings] == ["migrate", "migrate"]


def test_two_disks_one_lu_in_check_diff_and_plan(tmp_path, capsys):
    cfg = tmp_path / "two.cfg"
    cfg.write_text(TWO)
    for cmd in ("check", "diff"):
        main([cmd, "--map", str(MAP_PATH), str(cfg)])
        err = capsys.readouterr().err
        assert f"{cfg}:2:10: warning: phy:/dev/sda would use /dev/sddlmaa" in err
        assert f"{cfg}:2:33: warning: phy:/dev/sde would use /dev/sddlmaa" in err
    main(["plan", "--map", str(MAP_PATH), "--format", "json", str(tmp_path)])
    plan = json.loads(capsys.readouterr().out)
    assert [b["name"] for b in plan["blocked"]] == ["two"]
    assert len(plan["blocked"][0]["reasons"]) == 2


# -- also: vbd_list, other keys, prefixes, computed disks --------------------


def test_vbd_list_disks_are_found():
    text = (
        "name = 'old'\n"
        "vbd_list = [ ('phy:sda6','sda6','r'), ('phy:/dev/sdb','sdb','w'),\n"
        "             ('phy:sda%d' % vmid, 'sda1', 'w'), ['phy:sdc', 'sdc'] ]\n"
    )
    new, findings = run(text, fmt="xm")
    assert new == text.replace("phy:sda6'", "phy:sddlmaa6'").replace(
        "phy:/dev/sdb'", "phy:/dev/sddlmab'"
    )
    assert kinds(findings) == [
        (2, 15, "migrate"),
        (2, 40, "migrate"),
        (3, 15, "computed"),
        (3, 49, "unsupported"),
    ]
    _, findings = run(text, devmap=None, fmt="xm")
    assert [f.kind for f in findings][:2] == ["policy", "policy"]


@pytest.mark.parametrize(
    "line, warned",
    [
        ("vscsi = [ '/dev/sdb, 0:0:0:0' ]", True),
        ("vscsi = [ '/dev//sdb, 0:0:0:0' ]", True),
        ("device_model_args = [ '-drive', 'file=/dev/sdc,if=ide' ]", True),
        ("usbdevice = 'disk:/dev/sdd'", True),
        ("cdrom = '/dev/sdb'", True),
        ("Disk = [ 'phy:/dev/sdc,xvda,w' ]", True),
        ("DISK = [ 'phy:sdc,xvda,w' ]", True),
        ("root = '/dev/sda1 ro'", False),
        ("extra = 'root=/dev/sda1 console=hvc0'", False),
        ("bootargs = '--args=root=/dev/sda1'", False),
        ("vscsi = [ '/dev/sddlmaa, 0:0:0:0' ]", False),
    ],
)
def test_other_keys_naming_a_host_scsi_disk(line, warned):
    for fmt in ("xl", "xm"):
        for devmap in (MAP, None):
            text = f"name = 'k'\n{line}\n"
            new, findings = run(text, devmap=devmap, fmt=fmt)
            assert new == text
            got = [(f.line, f.kind, f.severity) for f in findings]
            assert got == ([(2, "other-key", "warning")] if warned else [])


def test_s_expression_strings_outside_disks():
    sxp = (
        "(domain (name v) (image (linux (root '/dev/sda1 ro') (args 'root=/dev/sda1')))\n"
        "  (device (vscsi (dev (p-devname /dev/sdb) (p-dev 2:0:0:0) (v-dev 0:0:0:0))))\n"
        "  (device (vbd (uname phy:/dev/sda) (dev xvda) (mode w))))\n"
    )
    for devmap in (MAP, None):
        new, findings = run(sxp, devmap=devmap)
        assert (2, "other-key") in [(f.line, f.kind) for f in findings]
        assert 1 not in [f.line for f in findings]  # guest-side: silent
    new, _ = run(sxp)
    assert new == sxp.replace("phy:/dev/sda)", "phy:/dev/sddlmaa)")


def test_xm_helper_variables_are_reported_where_used():
    text = "data = 'phy:/dev/sdc,xvda,w'\ndisk = [ data ]\n"
    _, findings = run(text, fmt="xm")
    assert [(f.line, f.kind) for f in findings] == [(2, "computed")]


def test_format_and_backend_spellings_are_one_disk():
    specs = [
        "qcow2:/dev/sdb,xvda,w",
        "/dev/sdb,qcow2,xvda,w",
        "format=qcow2,vdev=xvda,target=/dev/sdb",
        "tap:qcow2:/dev/sdb,xvda,w",
        "aio:/dev/sdb,xvda,w",
        "raw:/dev/sdb,xvda,w",
        "vhd:/dev/sdb,xvda,w",
        "tap:aio:/dev/sdb,xvda,w",
        "backendtype=qdisk,vdev=xvda,target=/dev/sdb",
    ]
    for spec in specs:
        new, findings = run(f"disk = [ '{spec}' ]\n")
        assert new == f"disk = [ '{spec.replace('/dev/sdb', '/dev/sddlmab')}' ]\n"
        assert [f.kind for f in findings] == ["migrate"]
        _, findings = run(f"disk = [ '{spec}' ]\n", devmap=None)
        assert [f.kind for f in findings] == ["policy"]


def test_computed_disks_that_cannot_be_scsi_are_notes(tmp_path, capsys):
    text = (
        "name = 'c'\n"
        "disk = [ 'phy:hda%d,hda1,w' % vmid, 'file:/img/%03d.img,xvdb,w' % vmid,\n"
        "         'phy:sd%d,xvdc,w' % vmid, 'file:/images/%s.img,xvdd,w' % name,\n"
        "         'phy:/dev/block/8:%d,xvde,w' % n, 'phy:%s,xvdf,w' % dev ]\n"
    )
    _, findings = run(text, fmt="xm")
    assert [(f.kind, f.severity) for f in findings] == [
        ("computed-other", "info"),
        ("computed-other", "info"),
    ] + [("computed", "warning")] * 4
    cfg = tmp_path / "c.cfg"
    cfg.write_text("name = 'c'\ndisk = [ 'phy:hda%d,hda1,w' % vmid ]\n")
    main(["plan", "--map", str(MAP_PATH), "--format", "json", str(tmp_path)])
    plan = json.loads(capsys.readouterr().out)
    assert plan["blocked"] == []


# -- the corpus --------------------------------------------------------------


def _corpus(name: str):
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} absent ({CORPUS})")
    return path


def test_corpus_vbd_list_and_driver_domain():
    old = _corpus("xm/history/xen__tools__examples__defaults@784905204897")
    _, findings = run(old.read_text(), name=str(old))
    got = [(f.line, f.kind) for f in findings]
    assert (56, "computed") in got and (57, "migrate") in got
    _, findings = run(old.read_text(), devmap=None, name=str(old))
    assert (57, "policy") in [(f.line, f.kind) for f in findings]
    xl = _corpus(
        "xl/xt-prod-devel-rcar__layers__meta-xt-dom0-gen3__recipes-guests__"
        "domu__files__domu-vdevices.cfg"
    )
    _, findings = run(xl.read_text(), name=str(xl))
    assert "driver-domain" in [f.kind for f in findings]


def test_corpus_configs_pass_no_scsi_disk_in_silence():
    """Over every xl/xm config of the corpus, the policy and the migration
    agree: a disk the policy flags is migrated or warned, never silent."""
    files = [p for p in (CORPUS / "xl").rglob("*") if p.is_file()]
    files += [p for p in (CORPUS / "xm").rglob("*") if p.is_file()]
    if not files:
        pytest.skip(f"corpus absent ({CORPUS})")
    checked = 0
    for path in files:
        try:
            doc = parse_bytes(path.read_bytes(), str(path), "auto")
        except Exception:
            continue  # unreadable configs are the parsers' tests
        _, policy = transform_for(None, False).run(doc)
        _, migrate = transform_for(MAP, False).run(doc)
        flagged = {(f.line, f.col) for f in policy if f.kind == "policy"}
        seen = {(f.line, f.col) for f in migrate if f.severity != "info"}
        assert flagged <= seen, path
        checked += 1
    assert checked > 50
