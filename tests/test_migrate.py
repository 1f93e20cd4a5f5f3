"""The migration transform on its own: Migrate(devmap).run(doc)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SAMPLES
from xencfg.formats.detect import parse_bytes
from xencfg.maps import DeviceMap, MapError, parse_map
from xencfg.pipeline import transform_for
from xencfg.transforms.migrate import Migrate

MAP = parse_map((SAMPLES / "golden" / "dlmcfgmgr-v.txt").read_text())


def run(text: str, devmap=MAP, fmt="auto", resolve_links=False):
    doc = parse_bytes(text.encode(), "t.cfg", fmt)
    edits, findings = transform_for(devmap, resolve_links).run(doc)
    new = doc.apply(edits).decode() if edits else text
    return new, findings


def one(spec: str, quote="'") -> tuple[str, list]:
    new, findings = run(f"disk = [ {quote}{spec}{quote} ]\n")
    prefix, suffix = f"disk = [ {quote}", f"{quote} ]\n"
    assert new.startswith(prefix) and new.endswith(suffix)
    return new[len(prefix) : -len(suffix)], findings


@pytest.mark.parametrize(
    "old, new",
    [
        ("phy:/dev/sda,sda,w", "phy:/dev/sddlmaa,sda,w"),
        ("phy:/dev/sda1,sda1,w", "phy:/dev/sddlmaa1,sda1,w"),
        ("phy:/dev/sdaa,xvda,w", "phy:/dev/sddlmba,xvda,w"),
        ("phy:/dev/sdaa15,xvda,w", "phy:/dev/sddlmba15,xvda,w"),
        ("phy:sdc,xvdc,w", "phy:sddlmac,xvdc,w"),
        ("phy:sdc2,hda:cdrom,r", "phy:sddlmac2,hda:cdrom,r"),
        ("phy:/dev/sdb,xvda,w!", "phy:/dev/sddlmab,xvda,w!"),
        ("phy:/dev/sdb,xvda,w,0,x86_64-abi", "phy:/dev/sddlmab,xvda,w,0,x86_64-abi"),
        ("phy:/dev/sde,xvda,w", "phy:/dev/sddlmaa,xvda,w"),  # second path
        ("phy:/dev/sdf4,xvda,w", "phy:/dev/sddlmab4,xvda,w"),
        ("/dev/sdd,raw,xvdd,rw", "/dev/sddlmad,raw,xvdd,rw"),
        ("/dev/sdd,,xvdd,rw", "/dev/sddlmad,,xvdd,rw"),
        ("/dev/sdd,xvdd,w", "/dev/sddlmad,xvdd,w"),
        ("sdd,xvdd,w", "sddlmad,xvdd,w"),
        (
            "format=raw, vdev=xvda, access=rw, target=/dev/sda",
            "format=raw, vdev=xvda, access=rw, target=/dev/sddlmaa",
        ),
        (
            "backendtype=phy,vdev=xvda,target=phy:/dev/sdb",
            "backendtype=phy,vdev=xvda,target=phy:/dev/sddlmab",
        ),
        ("  phy:/dev/sda ,  sda , w ", "  phy:/dev/sddlmaa ,  sda , w "),
        # Every spelling of a path is the device it names: the whole span.
        ("phy:/dev//sda,xvda,w", "phy:/dev/sddlmaa,xvda,w"),
        ("phy:/dev/./sdb,xvda,w", "phy:/dev/sddlmab,xvda,w"),
        ("/dev/../dev/sdc,xvda,w", "/dev/sddlmac,xvda,w"),
        ("phy:/dev/sda/,xvda,w", "phy:/dev/sddlmaa,xvda,w"),
        ("phy:/tmp/../dev/sdb1,xvda,w", "phy:/dev/sddlmab1,xvda,w"),
        ("phy:sdc/,xvda,w", "phy:sddlmac,xvda,w"),
        # One rule for the format and backend spellings of one disk.
        ("qcow2:/dev/sdb,xvda,w", "qcow2:/dev/sddlmab,xvda,w"),
        ("/dev/sdb,qcow2,xvda,w", "/dev/sddlmab,qcow2,xvda,w"),
        (
            "format=qcow2,vdev=xvda,target=/dev/sdb",
            "format=qcow2,vdev=xvda,target=/dev/sddlmab",
        ),
        ("raw:/dev/sdc,xvda,w", "raw:/dev/sddlmac,xvda,w"),
        ("vhd:/dev/sdc,xvda,w", "vhd:/dev/sddlmac,xvda,w"),
        ("aio:/dev/sdc,xvda,w", "aio:/dev/sddlmac,xvda,w"),
        ("tap:aio:/dev/sdb,xvda,w", "tap:aio:/dev/sddlmab,xvda,w"),
        ("file:/dev/sda,xvda,w", "file:/dev/sddlmaa,xvda,w"),
        (
            "backendtype=qdisk,vdev=xvda,target=/dev/sdb",
            "backendtype=qdisk,vdev=xvda,target=/dev/sddlmab",
        ),
        # Dom0 said in so many words is dom0.
        ("phy:/dev/sda,xvda,w,0", "phy:/dev/sddlmaa,xvda,w,0"),
        ("phy:/dev/sda,xvda,w,Domain-0", "phy:/dev/sddlmaa,xvda,w,Domain-0"),
        (
            "backend=dom0,vdev=xvda,target=/dev/sda",
            "backend=dom0,vdev=xvda,target=/dev/sddlmaa",
        ),
    ],
)
def test_rewrites_only_the_target(old, new):
    got, findings = one(old)
    assert got == new
    migrate = [f for f in findings if f.kind == "migrate"]
    assert len(migrate) == 1
    f = migrate[0]
    assert (f.line, f.col, f.severity) == (1, 10, "change")
    assert f.old in old and f.new in new
    # running again changes nothing
    again, findings2 = one(new)
    assert again == new
    assert not [f for f in findings2 if f.kind == "migrate"]


@pytest.mark.parametrize(
    "spec, kind",
    [
        ("phy:/dev/sddlmaa,xvda,w", None),
        ("phy:sddlmab1,xvda,w", None),
        ("phy:/dev/mapper/mpatha,xvda,w", None),
        ("phy:/dev/vg0/lv1,xvda,w", None),
        ("file:/srv/xen/sda.img,xvda,w", None),
        ("iscsi:iqn.2001-05.com.example:sda,xvda,w", None),
        ("nbd:/dev/sdb,xvda,w", "unsupported"),  # a block script's argument
        ("script=block-x,vdev=xvda,target=/dev/sdb", "unsupported"),
        ("/dev/block/8:0,xvda,w", "unresolved"),
        ("phy:8:16,xvda,w", "unresolved"),
        ("8:16,xvda,w", "unresolved"),
        ("phy:/proc/self/root/dev/sda,xvda,w", "unresolved"),
        ("/sys/dev/block/8:0,xvda,w", "unresolved"),
        ("phy:/dev/sd*,xvda,w", "unsupported"),
        ("phy:/dev/x$y,xvda,w", "unresolved"),
        ("phy:/dev/sda,xvda,w,stordom", "driver-domain"),
        ("phy:/dev/sda,xvda,w,2", "driver-domain"),
        ("backend=stordom,vdev=xvda,target=/dev/sda", "driver-domain"),
        ("/dev/sda,raw,xvda,w,backend=stordom", "driver-domain"),
        ("target=/dev/sdb,vdev=xvda", "unsupported"),  # target= eats the rest
        ("phy:/dev/sdg,xvda,w", "unmapped"),
        ("phy:/dev/sdh,xvda,w", "unmapped"),  # unconfigured in the map
        ("phy:/dev/sda16,xvda,w", "unmapped"),
        ("phy:/dev/disk/by-id/scsi-3600,xvda,w", "symbolic"),
        ("phy:/dev/disk/by-path/pci-0000:00:1f.2-scsi-0:0:0:0,xvda,w", "symbolic"),
        ("phy:/dev/sda,xvda,w,a,b,c", "unsupported"),  # too many fields
        (",,hdc:cdrom,r", None),
        ("", None),
    ],
)
def test_left_unchanged(spec, kind):
    got, findings = one(spec)
    assert got == spec
    assert [f.kind for f in findings] == ([kind] if kind else [])
    for f in findings:
        assert (f.line, f.col) == (1, 10)
        assert f.severity == "warning"


def test_never_other_keys_or_comments():
    text = (
        "# disk = [ 'phy:/dev/sda,xvda,w' ]\n"
        "root = '/dev/sda1 ro'\n"
        "extra = 'root=/dev/sda1'\n"
        "cmdline = 'root=/dev/sda1'\n"
        "bootargs = '/dev/sda'\n"
        "disks = [ 'phy:/dev/sda,xvda,w' ]\n"
        "vtpm = [ 'backend=0' ]\n"
        "disk = [ 'phy:/dev/sdb,xvdb,w' ] # phy:/dev/sdc\n"
    )
    new, findings = run(text)
    assert new == text.replace("phy:/dev/sdb,", "phy:/dev/sddlmab,")
    # Guest-side keys are silent; an unknown key naming a host disk is not.
    assert [(f.kind, f.line) for f in findings] == [("migrate", 8), ("other-key", 6)]


def test_xm_python_sites():
    text = (
        "import os\n"
        "name = 'vm%d' % vmid\n"
        "disk = []\n"
        "if os.path.exists('/x'):\n"
        "    disk = ['phy:/dev/sda,xvda,w']\n"
        "else:\n"
        "    disk.append('phy:/dev/sdb,xvda,w')\n"
        "disk.extend(['phy:/dev/sdc,xvdb,w'])\n"
        "disk += ['phy:/dev/sdd,xvdc,w']\n"
        "disk.append('phy:/dev/%s,xvdd,w' % dev)\n"
        "disk.append('phy:/dev/sd' + x)\n"
        "disk.append(spec)\n"
        "other = ['phy:/dev/sda,xvda,w']\n"
    )
    new, findings = run(text, fmt="xm")
    for old, dlm in (("sda", "sddlmaa"), ("sdb", "sddlmab"), ("sdc", "sddlmac")):
        text = text.replace(f"'phy:/dev/{old},", f"'phy:/dev/{dlm},", 1)
    text = text.replace("'phy:/dev/sdd,", "'phy:/dev/sddlmad,")
    assert new == text
    assert "other = ['phy:/dev/sda,xvda,w']" in new
    kinds = [(f.line, f.kind) for f in findings]
    assert kinds == [
        (5, "migrate"),
        (7, "migrate"),
        (8, "migrate"),
        (9, "migrate"),
        (10, "computed"),
        (11, "computed"),
        (12, "computed"),
    ]


def test_sxp_vbd_and_tap():
    text = (
        "(domain (name vm1)\n"
        "  (image (linux (root '/dev/sda1 ro') (args 'root=/dev/sda1')))\n"
        "  (device (vbd (dev sda:disk) (uname phy:/dev/sda) (mode w)))\n"
        "  (device (tap (dev xvdb:disk) (uname tap:aio:/dev/sdb) (mode w)))\n"
        "  (device (vbd (dev sdc:disk) (uname phy:/dev/sdg) (mode w)))\n"
        "  (device (vbd (dev sdd:disk) (uname phy:/dev/sddlmac) (mode w)))\n"
        "  (device (vif (mac 00:16:3e:00:00:01) (uname phy:/dev/sda)))\n"
        ")\n"
    )
    new, findings = run(text)
    assert new == text.replace(
        "(uname phy:/dev/sda) (mode", "(uname phy:/dev/sddlmaa) (mode"
    ).replace("tap:aio:/dev/sdb", "tap:aio:/dev/sddlmab")
    assert [(f.line, f.kind, f.domain) for f in findings] == [
        (3, "migrate", "vm1"),
        (4, "migrate", "vm1"),
        (5, "unmapped", "vm1"),
        (6, "ok", "vm1"),
        (7, "other-key", "vm1"),  # never rewritten outside a disk, but said
    ]


def test_policy_mode_without_map():
    text = (
        "name = 'p'\n"
        "disk = [ 'phy:/dev/sda,sda,w', 'phy:sdb1,xvdb,w', '/dev/sdc,raw,xvdc,rw',\n"
        "         'phy:/dev/sddlmaa,xvdd,w', 'file:/img,xvde,w',\n"
        "         'phy:/dev/mapper/mpatha,xvdf,w' ]\n"
    )
    new, findings = run(text, devmap=None)
    assert new == text
    policy = [f for f in findings if f.kind == "policy"]
    assert [(f.line, f.col) for f in policy] == [(2, 10), (2, 32), (2, 51)]
    assert all(f.severity == "error" for f in policy)
    assert (
        "error: phy:/dev/sda uses the SCSI device /dev/sda directly" in policy[0].text()
    )


def test_policy_also_catches_sd_devices_behind_tap_and_file():
    text = "disk = [ 'tap:aio:/dev/sdb,xvda,w', 'file:/dev/sdc1,xvdb,w' ]\n"
    _, findings = run(text, devmap=None)
    assert [(f.col, f.kind) for f in findings] == [(10, "policy"), (37, "policy")]
    # With a map they are the disks they name: the path is rewritten, the
    # backend and format spelling kept (one rule for every spelling).
    new, findings = run(text)
    assert new == text.replace("/dev/sdb", "/dev/sddlmab").replace(
        "/dev/sdc1", "/dev/sddlmac1"
    )
    assert [f.kind for f in findings] == ["migrate", "migrate"]


def test_finding_text_and_record():
    _, findings = run("disk = [ 'phy:/dev/sda,sda,w' ]\n")
    f = findings[0]
    f.path = "x.cfg"
    assert f.text() == "x.cfg:1:10: would migrate phy:/dev/sda -> phy:/dev/sddlmaa"
    rec = f.record()
    assert {k: rec[k] for k in ("path", "line", "col", "old", "new", "kind")} == {
        "path": "x.cfg",
        "line": 1,
        "col": 10,
        "old": "phy:/dev/sda",
        "new": "phy:/dev/sddlmaa",
        "kind": "migrate",
    }


def test_resolve_links(monkeypatch):
    links = {
        "/dev/disk/by-id/scsi-lu0": "/dev/sda",
        "/dev/disk/by-id/scsi-lu0-part2": "/dev/sda2",
        "/dev/disk/by-id/dm-name-x": "/dev/dm-0",
        "/dev/disk/by-id/scsi-gone": None,
        "/dev/disk/by-id/scsi-lu9": "/dev/sdg",
    }
    monkeypatch.setattr(os.path, "realpath", lambda p: links.get(p) or p, raising=True)
    monkeypatch.setattr(os.path, "exists", lambda p: links.get(p) is not None)
    got, findings = run(
        "disk = [ 'phy:/dev/disk/by-id/scsi-lu0,xvda,w',\n"
        "         'phy:/dev/disk/by-id/scsi-lu0-part2,xvdb,w',\n"
        "         'phy:/dev/disk/by-id/dm-name-x,xvdc,w',\n"
        "         'phy:/dev/disk/by-id/scsi-gone,xvdd,w',\n"
        "         'phy:/dev/disk/by-id/scsi-lu9,xvde,w' ]\n",
        resolve_links=True,
    )
    assert got.splitlines()[:3] == [
        "disk = [ 'phy:/dev/sddlmaa,xvda,w',",
        "         'phy:/dev/sddlmaa2,xvdb,w',",
        "         'phy:/dev/disk/by-id/dm-name-x,xvdc,w',",
    ]
    assert [f.kind for f in findings] == [
        "migrate",
        "migrate",
        "symbolic",
        "unmapped",
    ]
    assert "(via /dev/sda)" in findings[0].message


def test_empty_map_changes_nothing():
    # an empty map file is refused (test_map_lu.py); an empty map object
    # still migrates nothing
    with pytest.raises(MapError):
        parse_map("", fmt="plain")
    empty = DeviceMap(source="plain")
    text = "disk = [ 'phy:/dev/sda,xvda,w' ]\n"
    new, findings = run(text, devmap=empty)
    assert new == text
    assert [f.kind for f in findings] == ["unmapped"]


# -- properties ----------------------------------------------------------------
letters = st.text("abcdefgh", min_size=1, max_size=2)
parts = st.sampled_from(["", "1", "2", "9", "15"])


@settings(max_examples=150)
@given(
    disk=letters,
    part=parts,
    bare=st.booleans(),
    vdev=st.sampled_from(["sda", "xvda", "hda:cdrom", "sda1", "sdaa"]),
    mode=st.sampled_from(["r", "w", "w!", "rw", ""]),
    quote=st.sampled_from(["'", '"']),
)
def test_property_target_only_and_idempotent(disk, part, bare, vdev, mode, quote):
    path = f"sd{disk}{part}" if bare else f"/dev/sd{disk}{part}"
    spec = f"phy:{path},{vdev},{mode}"
    got, findings = one(spec, quote)
    rest = f",{vdev},{mode}"
    assert got.startswith("phy:") and got.endswith(rest)
    new_path = got[len("phy:") : -len(rest)]
    target = MAP.lookup(f"/dev/sd{disk}{part}")
    if target is None:
        assert got == spec
        assert [f.kind for f in findings] == ["unmapped"]
    else:
        assert new_path == (target if not bare else target[len("/dev/") :])
        assert new_path.endswith(part)
        again, more = one(got, quote)
        assert again == got and not [f for f in more if f.kind == "migrate"]


def test_os_untouched():
    # the module patches above must not leak
    assert os.path.realpath("/") == "/"


def test_only_the_path_span_changes_inside_the_token():
    text = (
        "import os\n"
        "disk = [ 'phy:/dev/sda,xvd\\x61,w', r'phy:sdb,xvd\\b,w',\n"
        "         'phy:/dev/sd\\x63,xvdc,w', '''phy:/dev/sdd1,xvdd,w''' ]\n"
    )
    new, findings = run(text, fmt="xm")
    assert new == (
        "import os\n"
        "disk = [ 'phy:/dev/sddlmaa,xvd\\x61,w', r'phy:sddlmab,xvd\\b,w',\n"
        # an escape inside the path: the value is written out again
        "         'phy:/dev/sddlmac,xvdc,w', '''phy:/dev/sddlmad1,xvdd,w''' ]\n"
    )
    assert [f.kind for f in findings] == ["migrate"] * 4


def test_sxp_quoted_and_escaped_unames():
    text = (
        "(domain (name 'vm 2')\n"
        " (device (vbd (uname 'phy:/dev/sda') (dev 'xvda')))\n"
        ' (device (vbd (uname "phy:/dev/sdb1") (dev xvdb))))\n'
    )
    new, findings = run(text)
    assert new == text.replace("/dev/sda'", "/dev/sddlmaa'").replace(
        "/dev/sdb1", "/dev/sddlmab1"
    )
    assert [(f.kind, f.domain) for f in findings] == [("migrate", "vm 2")] * 2
