"""Unit tests for xencfg.maps: names, the dlmcfgmgr rules, other sources."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from xencfg.maps import FORMATS, DeviceMap, MapError, load_map, parse_map
from xencfg import maps
from xencfg.maps import names
from xencfg.maps.render import table, to_json

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "maps"

HEADER = "HDevName      Management  Device    Host  Channel Target  Lun"


def dlm(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


# -- names -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/dev/sddlmaa", "/dev/sddlmpp", "/dev/sddlmaaa", "/dev/sddlmab2", "/dev/sddlm"],
)
def test_hdlm_names_are_never_scsi(path):
    assert not names.is_scsi_disk(path)
    assert not names.SCSI_RE.match(path)


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/dev/sda", True),
        ("/dev/sdaa", True),
        ("/dev/sdzzz", True),
        ("/dev/sdabcd", True),
        ("/dev/sdabcde", False),
        ("/dev/sda1", True),
        ("/dev/sdaa15", True),
        ("/dev/sda16", False),
        ("/dev/sda0", False),
        ("/dev/sda01", False),
        ("/dev/sd", False),
        ("/dev/sdA", False),
        ("sda", False),
        ("/dev/hda", False),
        ("/dev/xvda", False),
    ],
)
def test_is_scsi_disk(path, expected):
    assert names.is_scsi_disk(path) is expected


@pytest.mark.parametrize(
    "path,expected",
    [
        ("/dev/sddlmaa", True),
        ("/dev/sddlmpp", True),
        ("/dev/sddlmaaa", True),
        ("/dev/sddlmppp", True),
        ("/dev/sddlmab2", True),
        ("/dev/sddlmaaa15", True),
        ("/dev/sddlmaa16", False),
        ("/dev/sddlma", False),
        ("/dev/sddlmaaaa", False),
        ("/dev/sddlmaq", False),
        ("/dev/sda", False),
    ],
)
def test_is_hdlm(path, expected):
    assert names.is_hdlm(path) is expected
    assert (names.HDLM_RE.match(path) is not None) is expected


def test_split_partition_and_normalize():
    assert names.split_partition("/dev/sdb2") == ("/dev/sdb", "2")
    assert names.split_partition("/dev/sdaa") == ("/dev/sdaa", "")
    assert names.split_partition("/dev/sda15") == ("/dev/sda", "15")
    assert names.split_partition("/dev/sddlmab2") == ("/dev/sddlmab", "2")
    assert names.split_partition("/dev/sddlmaaa") == ("/dev/sddlmaaa", "")
    assert names.split_partition("/dev/emcpowera2") == ("/dev/emcpowera", "2")
    assert names.split_partition("/dev/mapper/mpath1") == ("/dev/mapper/mpath1", "")
    assert names.normalize("sda") == "/dev/sda"
    assert names.normalize("sddlmaa") == "/dev/sddlmaa"
    assert names.normalize("emcpowerb") == "/dev/emcpowerb"
    assert names.normalize(" /dev/sdb ") == "/dev/sdb"
    assert names.normalize("mpatha") == "mpatha"


def test_name_generators():
    assert names.hdlm_name(0) == "/dev/sddlmaa"
    assert names.hdlm_name(1) == "/dev/sddlmab"
    assert names.hdlm_name(255) == "/dev/sddlmpp"
    assert names.hdlm_name(256) == "/dev/sddlmaaa"
    assert names.scsi_name(0) == "/dev/sda"
    assert names.scsi_name(25) == "/dev/sdz"
    assert names.scsi_name(26) == "/dev/sdaa"
    assert names.scsi_name(702) == "/dev/sdaaa"


# -- dlmcfgmgr -v --------------------------------------------------------------


def test_single_and_lookup():
    dm = parse_map(
        dlm(
            "/dev/sddlmaa  configured  /dev/sda  2  0  0  0",
            "/dev/sddlmab  configured  /dev/sdb  2  0  0  1",
        )
    )
    assert dm.source == "dlmcfgmgr"
    assert dm.as_dict() == {"/dev/sda": "/dev/sddlmaa", "/dev/sdb": "/dev/sddlmab"}
    assert dm.lookup("/dev/sdb") == "/dev/sddlmab"
    assert dm.lookup("/dev/sdb2") == "/dev/sddlmab2"
    assert dm.lookup("/dev/sda15") == "/dev/sddlmaa15"
    assert dm.lookup("sda1") == "/dev/sddlmaa1"
    assert dm.lookup("/dev/sda16") is None
    assert "out of range" in dm.why_not("/dev/sda16")
    assert dm.lookup("/dev/sdc") is None
    assert "not in the map" in dm.why_not("/dev/sdc")
    assert dm.lookup("/dev/sdaa") is None  # sdaa is not sda
    assert dm.lookup("/dev/sddlmaa") is None
    assert "already a multipath device" in dm.why_not("/dev/sddlmaa")
    assert dm.why_not("/dev/sda") == ""
    assert dm.is_multipath("/dev/sddlmaa1")
    assert dm.is_multipath("/dev/sddlmzz") is False
    assert dm.is_multipath("/dev/sddlmaaa")
    assert not dm.is_multipath("/dev/sda")
    assert not dm.is_multipath("/dev/mapper/mpatha")
    # the map itself never lists partitions
    assert all(
        not names.split_partition(p.device)[1] for d in dm.devices for p in d.paths
    )


def test_three_letter_hdlm_names():
    dm = parse_map(dlm("/dev/sddlmaaa configured /dev/sdaaa 5 0 0 300"))
    assert dm.lookup("/dev/sdaaa3") == "/dev/sddlmaaa3"


def test_multipath_continuation_rows_and_hyphen():
    dm = parse_map(
        dlm(
            "/dev/sddlmaa configured /dev/sdc 1 0 0 0",
            "                        /dev/sde 2 0 0 0",
            "/dev/sddlmab configured /dev/sdd 1 0 0 1",
            "- 2 0 0 1",
            "/dev/sdf 3 0 0 1",
        )
    )
    assert dm.as_dict() == {
        "/dev/sdc": "/dev/sddlmaa",
        "/dev/sde": "/dev/sddlmaa",
        "/dev/sdd": "/dev/sddlmab",
        "/dev/sdf": "/dev/sddlmab",
    }
    assert dm.devices[1].paths[1].device is None
    assert dm.devices[1].paths[1].hctl == (2, 0, 0, 1)
    assert [line for line, m in dm.notes if "'-'" in m] == [5]


def test_duplicate_scsi_under_two_devices_is_error():
    text = dlm(
        "/dev/sddlmaa configured /dev/sdc 1 0 0 0",
        "/dev/sddlmab configured /dev/sdd 1 0 0 1",
        "                        /dev/sdc 2 0 0 1",
    )
    with pytest.raises(MapError) as info:
        parse_map(text)
    assert info.value.line == 4
    assert "two multipath devices" in info.value.message
    assert info.value.format("map.txt").startswith("map.txt:4: error: /dev/sdc")


def test_duplicate_hdlm_device_is_error():
    with pytest.raises(MapError) as info:
        parse_map(
            dlm(
                "/dev/sddlmaa configured /dev/sdc 1 0 0 0",
                "/dev/sddlmaa configured /dev/sdd 1 0 0 1",
            )
        )
    assert info.value.line == 3


def test_same_hctl_for_two_scsi_devices_is_error():
    with pytest.raises(MapError) as info:
        parse_map(
            dlm(
                "/dev/sddlmaa configured /dev/sdc 1 0 0 0",
                "/dev/sddlmab configured /dev/sdd 1 0 0 0",
            )
        )
    assert info.value.line == 3 and "1:0:0:0" in info.value.message


@pytest.mark.parametrize(
    "row,column",
    [
        ("/dev/sddlmaa configured /dev/sda x 0 0 0", "Host"),
        ("/dev/sddlmaa configured /dev/sda 1 c 0 0", "Channel"),
        ("/dev/sddlmaa configured /dev/sda 1 0 -1 0", "Target"),
        ("/dev/sddlmaa configured /dev/sda 1 0 0 0x1", "Lun"),
    ],
)
def test_non_numeric_hctl_is_error(row, column):
    with pytest.raises(MapError) as info:
        parse_map(dlm(row))
    assert info.value.line == 2
    assert info.value.message.startswith(column)


def test_non_numeric_host_on_path_row():
    with pytest.raises(MapError) as info:
        parse_map(dlm("/dev/sddlmaa configured /dev/sda 1 0 0 0", "/dev/sdb H 0 0 0"))
    assert info.value.line == 3 and "Host" in info.value.message


def test_path_row_before_any_device_is_error():
    with pytest.raises(MapError) as info:
        parse_map(dlm("/dev/sdb 1 0 0 0"))
    assert info.value.line == 2
    assert "before any device" in info.value.message


def test_path_row_after_elision_is_error():
    # the row after ':' may belong to an elided device
    with pytest.raises(MapError) as info:
        parse_map(
            dlm("/dev/sddlmaa configured /dev/sda 1 0 0 0", "   :", "/dev/sdq 1 0 0 9")
        )
    assert info.value.line == 4


@pytest.mark.parametrize(
    "row,words",
    [
        ("/dev/sddlmaa configured /dev/sda 1 0 0", "7 fields"),
        ("/dev/sddlmaa configured /dev/sda 1 0 0 0 0", "7 fields"),
        ("/dev/sddlmaz configured /dev/sda 1 0 0 0", "not an HDLM device"),
        ("/dev/sddlmaa1 configured /dev/sda 1 0 0 0", "not an HDLM device"),
        ("/dev/sddlmaa configured /dev/sddlmab 1 0 0 0", "HDLM device"),
        ("/dev/sddlmaa configured /dev/sda1 1 0 0 0", "partition"),
        ("/dev/sddlmaa configured /dev/hda 1 0 0 0", "not a SCSI disk"),
        ("hello world", "unrecognized"),
    ],
)
def test_malformed_rows(row, words):
    with pytest.raises(MapError) as info:
        parse_map(dlm(row))
    assert info.value.line == 2
    assert words in info.value.message


def test_path_row_wrong_field_count():
    with pytest.raises(MapError) as info:
        parse_map(dlm("/dev/sddlmaa configured /dev/sda 1 0 0 0", "/dev/sdb 1 0 0"))
    assert info.value.line == 3 and "5 fields" in info.value.message


def test_unknown_layout_is_error():
    text = "HDevName Management Device Host Lun\n/dev/sddlmaa configured /dev/sda 1 0\n"
    with pytest.raises(MapError) as info:
        parse_map(text, fmt="dlmcfgmgr")
    assert info.value.line == 1 and "layout" in info.value.message
    with pytest.raises(MapError):
        parse_map(text)  # auto: not recognised at all


def test_unconfigured_is_excluded_with_warning():
    dm = parse_map(
        dlm(
            "/dev/sddlmaa configured   /dev/sda 1 0 0 0",
            "/dev/sddlmab unconfigured /dev/sdb 1 0 0 1",
            "                          /dev/sdc 2 0 0 1",
        )
    )
    assert dm.as_dict() == {"/dev/sda": "/dev/sddlmaa"}
    assert [d.name for d in dm.excluded] == ["/dev/sddlmab"]
    assert [p.device for p in dm.excluded[0].paths] == ["/dev/sdb", "/dev/sdc"]
    assert any(line == 3 and "unconfigured" in m for line, m in dm.warnings)
    assert dm.lookup("/dev/sdc1") is None
    assert "excluded (unconfigured)" in dm.why_not("/dev/sdc1")
    data = to_json(dm)
    assert data["map"] == {"/dev/sda": "/dev/sddlmaa"}
    assert data["excluded"][0]["status"] == "unconfigured"
    assert "excluded" in table(dm)


def test_excluded_scsi_still_counts_for_duplicates():
    with pytest.raises(MapError):
        parse_map(
            dlm(
                "/dev/sddlmaa unconfigured /dev/sda 1 0 0 0",
                "/dev/sddlmab configured   /dev/sda 1 0 0 1",
            )
        )


def test_kapl_messages():
    dm = parse_map(
        dlm(
            "/dev/sddlmaa configured /dev/sda 1 0 0 0",
            "KAPL10320-W The file format is invalid. File name = /etc/x",
            "KAPL10301-E An error occurred.",
            "KAPL10302-I /sbin/dlmcfgmgr completed normally.",
        )
    )
    assert [line for line, _ in dm.warnings] == [3, 4]
    assert "KAPL10320-W" in dm.warnings[0][1]
    assert [line for line, m in dm.notes if "KAPL10302-I" in m] == [5]


def test_terminal_capture_accepted():
    text = (
        "[root@dom0 ~]# /sbin/dlmcfgmgr -v\n"
        "\n" + HEADER + "\n"
        "/dev/sddlmaa configured /dev/sda 2 0 0 0\n"
        "\n"
        "      :\n"
        "   :  \n"
        "/dev/sddlmab configured /dev/sdb 2 0 0 1\n"
        "KAPL10302-I /sbin/dlmcfgmgr completed normally.\n"
        "#\n"
        "# \n"
    )
    dm = parse_map(text)
    assert dm.as_dict() == {"/dev/sda": "/dev/sddlmaa", "/dev/sdb": "/dev/sddlmab"}


def test_crlf_and_tabs():
    text = dlm("/dev/sddlmaa\tconfigured\t/dev/sda\t2\t0\t0\t0").replace("\n", "\r\n")
    assert parse_map(text).as_dict() == {"/dev/sda": "/dev/sddlmaa"}


def test_no_header_with_explicit_format():
    with pytest.raises(MapError) as info:
        parse_map("/dev/sda /dev/sddlmaa\n", fmt="dlmcfgmgr")
    assert "device row before" in info.value.message and info.value.line == 1


def test_empty_map_is_an_error():
    # one rule for every source, detected or named (see test_map_lu.py)
    with pytest.raises(MapError) as info:
        parse_map(HEADER + "\n")
    assert info.value.line == 1 and "no multipath devices" in info.value.message


def test_empty_input_is_error():
    with pytest.raises(MapError):
        parse_map("\n  \n")


def test_unknown_format_name():
    with pytest.raises(MapError):
        parse_map(dlm(), fmt="xml")


# -- dlnkmgr view -lu ---------------------------------------------------------------

DLNKMGR = """\
Product       : VSP_G1000
SerialNumber  : 412905
LUs           : 3

iLU    HDevName Device    PathID Status
000800 sddlmaa  /dev/sdc  000002 Online
                /dev/sdr  000003 Offline(E)
000801 sddlmab  /dev/sdd  000006 Online
000802 sddlmaaa /dev/sdaa 000007 Online

KAPL01001-I The HDLM command completed normally. Operation name = view, completion time = 2024/01/01 00:00:00
"""


def test_dlnkmgr():
    dm = parse_map(DLNKMGR)
    assert dm.source == "dlnkmgr"
    assert dm.as_dict() == {
        "/dev/sdc": "/dev/sddlmaa",
        "/dev/sdr": "/dev/sddlmaa",
        "/dev/sdd": "/dev/sddlmab",
        "/dev/sdaa": "/dev/sddlmaaa",
    }
    assert dm.devices[0].paths[1].status == "Offline(E)"
    assert not dm.warnings
    assert dm.lookup("/dev/sdr5") == "/dev/sddlmaa5"


def test_dlnkmgr_item_all_layout():
    text = (
        "iLU    HDevName Device   PathID PathName                        "
        "ChaPort CLPR Status     Type IO-Count IO-Errors DNum IEP\n"
        "000800 sddlmaa  /dev/sdc 000000 0000.0000.0000000000000000.0000 "
        "1A      0    Online     Own  10       0         0    -\n"
        "                /dev/sdr 000001 0001.0000.0000000000000000.0000 "
        "2A      0    Online     Own  12       0         0    -\n"
    )
    dm = parse_map(text)
    assert dm.as_dict() == {"/dev/sdc": "/dev/sddlmaa", "/dev/sdr": "/dev/sddlmaa"}


def test_dlnkmgr_errors():
    with pytest.raises(MapError) as info:
        parse_map(DLNKMGR.replace("000003 Offline(E)", "000003"))
    assert info.value.line == 7
    with pytest.raises(MapError) as info:
        parse_map(DLNKMGR.replace("/dev/sdd ", "/dev/sdc "))
    assert info.value.line == 8 and "two multipath devices" in info.value.message


def test_aix_is_rejected():
    text = (
        "iLU  SLPR HDevName VG OSPathID PathID Status\n"
        "0062    - hdisk11  -  00000    000000 Online\n"
    )
    for fmt in ("auto", "dlnkmgr"):
        with pytest.raises(MapError) as info:
            parse_map(text, fmt=fmt)
        assert info.value.line == 2
        assert "AIX hdisk devices are not Linux SCSI devices" in info.value.message


# -- multipath -ll --------------------------------------------------------------

MULTIPATH_RHEL6 = """\
Oct 13 10:24:01 | sdz: couldn't get asymmetric access state
mpatha (360060e80101234500504123400000010) dm-0 HITACHI ,OPEN-V      SUN
size=50G features='0' hwhandler='0' wp=rw
|-+- policy='round-robin 0' prio=1 status=active
| |- 1:0:0:0 sdb 8:16  active ready running
| `- 2:0:0:0 sdd 8:48  active ready running
`-+- policy='round-robin 0' prio=0 status=enabled
  `- 3:0:0:0 sde 8:64  failed faulty offline
dbdata (360060e80101234500504123400000011) dm-1 HITACHI ,OPEN-V
size=50G features='0' hwhandler='0' wp=rw
`-+- policy='round-robin 0' prio=1 status=active
  |- 1:0:0:1 sdc 8:32  active ready running
  `- 2:0:0:1 sdaa 65:160 active ready running
"""

MULTIPATH_RHEL5 = """\
mpath2 (360060e80101234500504123400000012) dm-2 HITACHI,OPEN-V
[size=50G][features=0][hwhandler=0][rw]
\\_ round-robin 0 [prio=1][active]
 \\_ 1:0:0:2 sdf 8:80  [active][ready]
\\_ round-robin 0 [prio=1][enabled]
 \\_ 2:0:0:2 sdg 8:96  [active][ready]
"""


def test_multipath_rhel6():
    dm = parse_map(MULTIPATH_RHEL6)
    assert dm.source == "multipath"
    assert dm.as_dict() == {
        "/dev/sdb": "/dev/mapper/mpatha",
        "/dev/sdd": "/dev/mapper/mpatha",
        "/dev/sde": "/dev/mapper/mpatha",
        "/dev/sdc": "/dev/mapper/dbdata",
        "/dev/sdaa": "/dev/mapper/dbdata",
    }
    assert dm.devices[0].paths[2].status == "failed faulty offline"
    assert dm.devices[0].paths[2].hctl == (3, 0, 0, 0)
    assert dm.lookup("/dev/sdaa") == "/dev/mapper/dbdata"
    assert dm.lookup("/dev/sdaa1") is None
    assert "partition of a dm-multipath device" in dm.why_not("/dev/sdaa1")
    for dev in (
        "/dev/mapper/mpatha",
        "/dev/mapper/dbdata",
        "/dev/mapper/dbdata1",
        "/dev/mapper/dbdata-part1",
        "/dev/mapper/mpathap1",
        "/dev/mapper/mpathb",
    ):
        assert dm.is_multipath(dev), dev
    assert not dm.is_multipath("/dev/mapper/vg0-root")
    assert not dm.is_multipath("/dev/sddlmaa")


def test_multipath_rhel5():
    dm = parse_map(MULTIPATH_RHEL5)
    assert dm.as_dict() == {
        "/dev/sdf": "/dev/mapper/mpath2",
        "/dev/sdg": "/dev/mapper/mpath2",
    }
    assert dm.devices[0].paths[0].status == "active ready"


def test_multipath_lost_path_and_errors():
    text = MULTIPATH_RHEL5.replace(" \\_ 2:0:0:2 sdg 8:96 ", " \\_ #:#:#:# -   #:#  ")
    dm = parse_map(text)
    assert dm.as_dict() == {"/dev/sdf": "/dev/mapper/mpath2"}
    assert dm.devices[0].paths[1].device is None
    with pytest.raises(MapError) as info:
        parse_map(
            " `- 1:0:0:2 sdf 8:80 active ready running\n" + MULTIPATH_RHEL6, "multipath"
        )
    assert info.value.line == 1
    with pytest.raises(MapError) as info:
        parse_map(MULTIPATH_RHEL6 + MULTIPATH_RHEL5.replace("sdf", "sdb"))
    assert info.value.line == 17


def test_multipath_rhel4_header_alone():
    text = (
        "mpath0 (3600508b4000156d700012000000b0000)\n"
        '[size=150 GB][features="1 queue_if_no_path"][hwhandler="0"]\n'
        "\\_ round-robin 0 [active]\n"
        " \\_ 0:0:0:1 sda 8:0   [active][ready]\n"
        " \\_ 1:0:0:1 sdb 8:16  [active][ready]\n"
    )
    dm = parse_map(MULTIPATH_RHEL5 + text)
    assert dm.lookup("/dev/sdb") == "/dev/mapper/mpath0"
    assert dm.lookup("/dev/sdf") == "/dev/mapper/mpath2"


def test_multipath_path_after_unrecognized_line_is_error():
    # an unrecognised header must not hand its paths to the map above
    text = (
        MULTIPATH_RHEL6
        + "some-odd-header {weird} vendor\n"
        + ("  `- 4:0:0:9 sdq 65:0 active ready running\n")
    )
    with pytest.raises(MapError) as info:
        parse_map(text)
    assert info.value.line == 15 and "unrecognized line (14)" in info.value.message


# -- powermt ------------------------------------------------------------------------

POWERMT = """\
Pseudo name=emcpowera
CLARiiON ID=APM00070202835 [host1]
Logical device ID=6006016012501A00D6F82E0D7A2FDC11 [LUN 5]
state=alive; policy=CLAROpt; priority=0; queued-IOs=0;
Owner: default=SP A, current=SP A       Array failover mode: 1
==============================================================================
--------------- Host ---------------   - Stor -   -- I/O Path --  -- Stats ---
###  HW Path               I/O Paths    Interf.   Mode     State   Q-IOs Errors
==============================================================================
   2 lpfc                     sdc       SP A0     active   alive       0      0
   3 lpfc                     sdk       SP B1     active   dead        0      1

Pseudo name=emcpowerb
state=alive; policy=CLAROpt; priority=0; queued-IOs=0;
==============================================================================
###  HW Path               I/O Paths    Interf.   Mode     State   Q-IOs Errors
==============================================================================
   2 lpfc                     sdd       SP A0     active   alive       0      0
"""


def test_powermt():
    dm = parse_map(POWERMT)
    assert dm.source == "powermt"
    assert dm.as_dict() == {
        "/dev/sdc": "/dev/emcpowera",
        "/dev/sdk": "/dev/emcpowera",
        "/dev/sdd": "/dev/emcpowerb",
    }
    assert dm.devices[0].status == "alive"
    assert dm.devices[0].paths[1].status == "active dead"
    assert dm.lookup("/dev/sdk2") == "/dev/emcpowera2"
    assert dm.is_multipath("/dev/emcpowerz3")
    assert not dm.is_multipath("/dev/sddlmaa")


def test_powermt_errors():
    with pytest.raises(MapError) as info:
        parse_map(
            POWERMT.replace("sdk       SP B1     active   dead", "sdk  SP B1  x  y")
        )
    assert info.value.line == 11
    with pytest.raises(MapError) as info:
        parse_map(POWERMT.replace("emcpowerb", "hdiskpower2"))
    assert "AIX" in info.value.message


# -- plain ------------------------------------------------------------------------

PLAIN = """\
# host dom0-a, captured 2024-01-01
/dev/sda   /dev/sddlmaa
/dev/sdb   /dev/sddlmab   # second LU
sdc        sddlmab

"""


def test_plain():
    dm = parse_map(PLAIN)
    assert dm.source == "plain"
    assert dm.as_dict() == {
        "/dev/sda": "/dev/sddlmaa",
        "/dev/sdb": "/dev/sddlmab",
        "/dev/sdc": "/dev/sddlmab",
    }
    assert dm.lookup("/dev/sdc1") == "/dev/sddlmab1"
    assert dm.is_multipath("/dev/sddlmaa2")


@pytest.mark.parametrize(
    "line,words",
    [
        ("/dev/sda /dev/sddlmac extra", "2 fields"),
        ("/dev/sdc /dev/sddlmaa", "two multipath devices"),
        ("/dev/sddlmac /dev/sdd", "swapped"),
        ("/dev/sdd1 /dev/sddlmac1", "partition"),
        ("/dev/sdd /dev/vdb", "not a multipath device"),
        ("/dev/hdd /dev/sddlmac", "not a SCSI disk"),
    ],
)
def test_plain_errors(line, words):
    with pytest.raises(MapError) as info:
        parse_map(PLAIN + line + "\n", fmt="plain")
    assert info.value.line == 6
    assert words in info.value.message


def test_plain_dm_and_powerpath_targets():
    dm = parse_map("/dev/sda /dev/mapper/mpatha\n/dev/sdb /dev/emcpowerb\n")
    assert dm.lookup("/dev/sda") == "/dev/mapper/mpatha"
    assert dm.lookup("/dev/sda1") is None
    assert dm.lookup("/dev/sdb1") == "/dev/emcpowerb1"
    assert dm.is_multipath("/dev/mapper/mpatha") and dm.is_multipath("/dev/emcpowerb")
    assert not dm.is_multipath("/dev/sddlmaa")


# -- detection, loading, rendering ---------------------------------------------


@pytest.mark.parametrize(
    "text,source",
    [
        (dlm("/dev/sddlmaa configured /dev/sda 1 0 0 0"), "dlmcfgmgr"),
        (DLNKMGR, "dlnkmgr"),
        (MULTIPATH_RHEL6, "multipath"),
        (MULTIPATH_RHEL5, "multipath"),
        (POWERMT, "powermt"),
        (PLAIN, "plain"),
    ],
)
def test_detection(text, source):
    assert parse_map(text).source == source
    assert parse_map(text, fmt=source).source == source


def test_formats_constant():
    assert FORMATS == ("auto", "dlmcfgmgr", "dlnkmgr", "multipath", "powermt", "plain")


def test_not_a_map():
    with pytest.raises(MapError) as info:
        parse_map("# notes\nhello there\nhow are you\n")
    assert info.value.line == 2 and "not a device map" in info.value.message
    with pytest.raises(MapError) as info:
        parse_map("(device\n  (vbd (uname phy:/dev/sda)))\n")
    assert info.value.line == 1 and "xm list" in info.value.message


def test_wrong_explicit_format_fails():
    with pytest.raises(MapError):
        parse_map(MULTIPATH_RHEL6, fmt="plain")
    with pytest.raises(MapError):
        parse_map(PLAIN, fmt="dlnkmgr")


def test_load_map_file_stdin_and_bytes(tmp_path, monkeypatch):
    p = tmp_path / "map.txt"
    p.write_bytes(b"\xef\xbb\xbf/dev/sda /dev/sddlmaa # caf\xe9\n")
    assert load_map(str(p)).as_dict() == {"/dev/sda": "/dev/sddlmaa"}
    stdin = io.TextIOWrapper(io.BytesIO(PLAIN.encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert load_map("-").source == "plain"
    with pytest.raises(MapError) as info:
        load_map(str(tmp_path / "missing.txt"))
    assert info.value.line == 0
    assert info.value.format("m").startswith("m: error: cannot read")


def test_samples():
    single = load_map(str(SAMPLES / "dlmcfgmgr-v.txt"))
    assert single.as_dict() == {
        "/dev/sda": "/dev/sddlmaa",
        "/dev/sdb": "/dev/sddlmab",
        "/dev/sdc": "/dev/sddlmac",
        "/dev/sdd": "/dev/sddlmad",
    }
    multi = load_map(str(SAMPLES / "dlmcfgmgr-v-multipath.txt"))
    assert multi.as_dict() == {
        "/dev/sdc": "/dev/sddlmaa",
        "/dev/sde": "/dev/sddlmaa",
        "/dev/sdd": "/dev/sddlmab",
        "/dev/sdf": "/dev/sddlmab",
    }
    assert not single.warnings and not multi.warnings


def test_render():
    dm = parse_map(
        dlm(
            "/dev/sddlmaa configured /dev/sda 1 0 0 0",
            "- 2 0 0 0",
            "/dev/sddlmab unconfigured /dev/sdb 1 0 0 1",
            "KAPL10320-W something odd",
        )
    )
    data = to_json(dm)
    assert set(data) == {
        "map",
        "source",
        "devices",
        "excluded",
        "warnings",
        "notes",
        "lu_ids",
        "lu_scheme",
    }
    assert data["lu_ids"] is False and data["lu_scheme"] is None
    assert data["source"] == "dlmcfgmgr"
    assert data["map"] == {"/dev/sda": "/dev/sddlmaa"}
    assert data["devices"] == [
        {
            "name": "/dev/sddlmaa",
            "status": "configured",
            "lu": None,
            "paths": [
                {"device": "/dev/sda", "hctl": [1, 0, 0, 0], "status": ""},
                {"device": None, "hctl": [2, 0, 0, 0], "status": ""},
            ],
        }
    ]
    assert data["excluded"][0]["name"] == "/dev/sddlmab"
    assert {"line": 5, "message": "KAPL10320-W something odd"} in data["warnings"]
    assert data["notes"][0]["line"] == 3
    import json

    json.dumps(data)
    text = table(dm)
    for word in (
        "/dev/sddlmaa",
        "/dev/sda",
        "1:0:0:0",
        "2:0:0:0",
        "warnings",
        "KAPL10320-W",
    ):
        assert word in text


def test_devicemap_defaults():
    dm = DeviceMap(source="plain")
    assert dm.as_dict() == {} and dm.lookup("/dev/sda") is None


def test_a_map_larger_than_any_is_refused_before_it_is_read():
    text = "/dev/sda /dev/sddlmaa\n" * (maps.MAX_MAP_LINES + 1)
    with pytest.raises(MapError) as err:
        parse_map(text)
    assert err.value.line == maps.MAX_MAP_LINES + 1
    assert "more than 200,000 lines" in err.value.message
    # Every way splitlines() breaks a line counts (old Mac maps end in \r).
    with pytest.raises(MapError):
        parse_map("a\r" * (maps.MAX_MAP_LINES + 1), "plain")


def test_a_map_at_the_line_budget_is_read(monkeypatch):
    monkeypatch.setattr(maps, "MAX_MAP_LINES", 3)
    assert len(parse_map("/dev/sda /dev/sddlmaa\n" * 3, "plain").devices) == 1
    with pytest.raises(MapError):
        parse_map("/dev/sda /dev/sddlmaa\n" * 4, "plain")
