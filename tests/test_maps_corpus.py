"""Device maps read from real captures in corpus/mapping.

The expected pairs below were written by hand from reading each file.
"""

from __future__ import annotations

import pytest

from conftest import CORPUS, need_corpus
from xencfg.maps import MapError, load_map
from xencfg.maps.render import to_json

MAPPING = CORPUS / "mapping"


def _load(name: str, fmt: str = "auto"):
    need_corpus()
    path = MAPPING / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found")
    return load_map(str(path), fmt=fmt)


def _mapper(name: str) -> str:
    return "/dev/mapper/" + name


EXPECTED: dict[str, tuple[str, dict[str, str]]] = {
    "hitachivantara__dlmcfgmgr-v-xen-guide-example.txt": (
        "dlmcfgmgr",
        {"/dev/sda": "/dev/sddlmaa", "/dev/sdb": "/dev/sddlmab"},
    ),
    # collapsed spacing, 4 paths, one of them '-'
    "manualsdir-hp-hdlm-xp7__dlmcfgmgr-v-multipath-hyphen-path.txt": (
        "dlmcfgmgr",
        {
            "/dev/sdd": "/dev/sddlmaa",
            "/dev/sdk": "/dev/sddlmaa",
            "/dev/sdr": "/dev/sddlmaa",
        },
    ),
    "neatlogic-autoexec__dlnkmgr-view-lu-linux-abridged.txt": (
        "dlnkmgr",
        {
            "/dev/sdb": "/dev/sddlmca",
            "/dev/sdq": "/dev/sddlmca",
            "/dev/sdc": "/dev/sddlmaa",
            "/dev/sdr": "/dev/sddlmaa",
            "/dev/sdd": "/dev/sddlmab",
        },
    ),
    "ddn-multipath-guide__multipath-ll-rhel5-sles10-format.txt": (
        "multipath",
        {"/dev/sdg": _mapper("mpath19"), "/dev/sdf": _mapper("mpath19")},
    ),
    # -v4 noise and a "paths list" of every path on the host: only L004 counts
    "insights-core__multipath-v4-ll-rhel5-old-format.txt": (
        "multipath",
        {
            "/dev/sdk": _mapper("L004"),
            "/dev/sdp": _mapper("L004"),
            "/dev/sdf": _mapper("L004"),
            "/dev/sdu": _mapper("L004"),
        },
    ),
    "neatlogic-autoexec__multipath-l-ibm-xiv-comment.txt": (
        "multipath",
        {"/dev/sdc": _mapper("mpath0"), "/dev/sdd": _mapper("mpath0")},
    ),
    "opensvc__powermt-display-dev-all-symmetrix-linux.txt": (
        "powermt",
        {"/dev/sdi": "/dev/emcpowerh", "/dev/sds": "/dev/emcpowerh"},
    ),
    "os-brick__multipath-ll-3par-user-friendly-name.txt": (
        "multipath",
        {"/dev/sde": _mapper("mpath6"), "/dev/sdf": _mapper("mpath6")},
    ),
    "os-brick__multipath-ll-ibm-ds8000-wwid-name.txt": (
        "multipath",
        {
            "/dev/sdd": _mapper("36005076303ffc48e0000000000000101"),
            "/dev/sdc": _mapper("36005076303ffc48e0000000000000101"),
        },
    ),
    "os-brick__multipath-ll-ibm-svc-wwid-name.txt": (
        "multipath",
        {
            "/dev/sde": _mapper("36005076da00638089c000000000004d5"),
            "/dev/sdg": _mapper("36005076da00638089c000000000004d5"),
            "/dev/sdf": _mapper("36005076da00638089c000000000004d5"),
            "/dev/sdh": _mapper("36005076da00638089c000000000004d5"),
        },
    ),
    "os-brick__multipath-ll-with-scsi-id-error-line.txt": (
        "multipath",
        {
            "/dev/sdd": _mapper("36005076303ffc48e0000000000000101"),
            "/dev/sdc": _mapper("36005076303ffc48e0000000000000101"),
        },
    ),
    "redhat-docs-rhel5__multipath-output-mpath1-old-format.txt": (
        "multipath",
        {"/dev/sdb": _mapper("mpath1"), "/dev/sdc": _mapper("mpath1")},
    ),
    "redhat-docs-rhel6__multipath-output-winsys-wwid-name.txt": (
        "multipath",
        {
            "/dev/sdb": _mapper("3600d0230000000000e13955cc3757800"),
            "/dev/sdf": _mapper("3600d0230000000000e13955cc3757800"),
        },
    ),
    "redhat-kb18746__multipath-ll-dgc-rhel5-old-format.txt": (
        "multipath",
        {
            "/dev/sdc": _mapper("mydevice"),
            "/dev/sde": _mapper("mydevice"),
            "/dev/sdb": _mapper("mydevice"),
            "/dev/sdd": _mapper("mydevice"),
        },
    ),
}

#: files that must be rejected, with the line the error points at
REJECTED: dict[str, tuple[int, str]] = {
    # S-expression from 'xm list -l', not a map; line 4 is '(device'
    "hitachivantara__xm-list-l-domU-vbd-phy-sda.txt": (4, "xm list"),
    # AIX: first hdisk row
    "aix4admins__dlnkmgr-view-lu-item-all-aix-truncated.txt": (6, "AIX hdisk"),
    # sdc appears under mpathg (line 15) and under the WWID-named map
    # (line 39): a map that names one SCSI disk twice cannot be trusted
    "insights-core__multipath-v4-ll-doc.txt": (39, "/dev/sdc"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_map(name):
    source, expected = EXPECTED[name]
    dm = _load(name)
    assert dm.source == source
    assert dm.as_dict() == expected
    assert to_json(dm)["map"] == expected
    # the detected format gives the same map when named explicitly
    assert _load(name, fmt=source).as_dict() == expected


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_corpus_rejected(name):
    line, words = REJECTED[name]
    need_corpus()
    path = MAPPING / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} not found")
    with pytest.raises(MapError) as info:
        load_map(str(path))
    assert info.value.line == line
    assert words in info.value.message
    assert info.value.format(str(path)).startswith(f"{path}:{line}: error: ")


def test_every_corpus_file_is_covered():
    need_corpus()
    files = {p.name for p in MAPPING.iterdir() if p.name != "SOURCES.tsv"}
    assert files <= set(EXPECTED) | set(REJECTED), files - set(EXPECTED) - set(REJECTED)


def test_collapsed_spacing_details():
    dm = _load("manualsdir-hp-hdlm-xp7__dlmcfgmgr-v-multipath-hyphen-path.txt")
    (dev,) = dm.devices
    assert dev.name == "/dev/sddlmaa" and dev.status == "configured"
    assert [p.device for p in dev.paths] == ["/dev/sdd", "/dev/sdk", "/dev/sdr", None]
    assert [p.hctl for p in dev.paths] == [
        (3, 0, 0, 0),
        (3, 0, 1, 0),
        (4, 0, 0, 0),
        (4, 0, 1, 0),
    ]
    assert any(line == 6 and "'-'" in msg for line, msg in dm.notes)
    assert not dm.warnings
    assert dm.lookup("/dev/sdk3") == "/dev/sddlmaa3"


def test_xen_guide_example_details():
    dm = _load("hitachivantara__dlmcfgmgr-v-xen-guide-example.txt")
    assert dm.lookup("/dev/sda") == "/dev/sddlmaa"
    assert dm.lookup("/dev/sdb2") == "/dev/sddlmab2"
    # KAPL-I is a note; the ':' rows mean the capture is incomplete
    assert any("KAPL10302-I" in m for _, m in dm.notes)
    assert any(line == 5 and "elide" in m for line, m in dm.warnings)


def test_abridged_dlnkmgr_warns():
    dm = _load("neatlogic-autoexec__dlnkmgr-view-lu-linux-abridged.txt")
    assert any("7 LUs" in m for _, m in dm.warnings)
    assert dm.devices[0].paths[0].status == "Online"


def test_multipath_partition_declined():
    dm = _load("os-brick__multipath-ll-3par-user-friendly-name.txt")
    assert dm.lookup("/dev/sde") == "/dev/mapper/mpath6"
    assert dm.lookup("/dev/sde1") is None
    assert "partition of a dm-multipath device" in dm.why_not("/dev/sde1")
    assert dm.is_multipath("/dev/mapper/mpath6")
