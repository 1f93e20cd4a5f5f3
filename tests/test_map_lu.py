"""LU identity in device maps (dlnkmgr view -lu, multipath -ll, powermt),
multipath headers of every form (WWIDs with spaces), and the one rule for
empty maps."""

from __future__ import annotations

import json

import pytest

from xencfg.cli import main
from xencfg.maps import FORMATS, MapError, parse_map
from xencfg.maps.render import table, to_json

from conftest import corpus_files

DLNKMGR = """\
Product       : VSP_Gx00
SerialNumber  : 412905
LUs           : 2
iLU    HDevName Device   PathID Status
000800 sddlmaa  /dev/sdc 000002 Online
                /dev/sdr 000003 Online
000801 sddlmab  /dev/sdd 000006 Online
KAPL01001-I The HDLM command completed normally. Operation name = view
"""

IET = """\
mpatha (1IET     00010001) dm-0 IET,VIRTUAL-DISK
size=1.0G features='0' hwhandler='0' wp=rw
|-+- policy='round-robin 0' prio=1 status=active
| `- 3:0:0:1 sdb 8:16 active ready running
`-+- policy='round-robin 0' prio=1 status=enabled
  `- 4:0:0:1 sdc 8:32 active ready running
mpathb (1IET     00010002) dm-1 IET,VIRTUAL-DISK
size=1.0G features='0' hwhandler='0' wp=rw
`-+- policy='round-robin 0' prio=1 status=active
  |- 3:0:0:2 sdd 8:48 active ready running
  `- 4:0:0:2 sde 8:64 active ready running
"""

POWERMT = """\
Pseudo name=emcpowerh
Symmetrix ID=000290101523
Logical device ID=17C6
state=alive; policy=SymmOpt; priority=0; queued-IOs=0
==============================================================================
---------------- Host ---------------   - Stor -   -- I/O Path -  -- Stats ---
###  HW Path                I/O Paths    Interf.   Mode    State  Q-IOs Errors
==============================================================================
   0 qla2xxx                   sdi       FA  9dB   active  alive      0      0
   1 qla2xxx                   sds       FA  8dB   active  alive      0      0

Pseudo name=emcpowera
CLARiiON ID=APM00070202835 [SG_xen1]
Logical device ID=6006016058B02400E6E6CC2C4E2BE111 [LUN 11]
state=alive; policy=CLAROpt; priority=0; queued-IOs=0
==============================================================================
---------------- Host ---------------   - Stor -   -- I/O Path -  -- Stats ---
###  HW Path                I/O Paths    Interf.   Mode    State  Q-IOs Errors
==============================================================================
   2 lpfc                      sdb       SP A0     active  alive      0      0
   3 lpfc                      sdf       SP B1     active  alive      0      0
"""

DLMCFGMGR = """\
HDevName      Management  Device    Host  Channel  Target  Lun
/dev/sddlmaa  configured  /dev/sda     1        0       0    0
"""


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_dlnkmgr_serial_and_ilu_name_the_lu():
    dm = parse_map(DLNKMGR)
    assert dm.has_lu_ids
    lu = "hitachi:412905:000800"
    for dev in ("/dev/sdc", "/dev/sdr", "sdr", "/dev/sdc2", "/dev/sddlmaa"):
        assert dm.lu_of(dev) == lu, dev
    assert dm.lu_of("/dev/sdd") == "hitachi:412905:000801"
    assert dm.lu_of("/dev/sdz") is None
    assert dm.multipath_of_lu(lu) == "/dev/sddlmaa"


def test_dlnkmgr_without_serial_number_has_no_lu_ids():
    dm = parse_map(DLNKMGR.replace("SerialNumber  : 412905\n", ""))
    assert not dm.has_lu_ids and dm.lu_of("/dev/sdc") is None
    assert dm.lookup("/dev/sdc") == "/dev/sddlmaa"  # the map itself still works


def test_powermt_array_and_logical_device_ids():
    dm = parse_map(POWERMT)
    assert dm.has_lu_ids
    assert dm.lu_of("/dev/sds") == "emc:000290101523:17C6"
    assert (
        dm.lu_of("/dev/emcpowera")
        == "emc:APM00070202835:6006016058B02400E6E6CC2C4E2BE111"
    )
    assert dm.lookup("/dev/sdf") == "/dev/emcpowera"


def test_dlmcfgmgr_records_that_it_has_no_lu_ids(tmp_path, capsys):
    dm = parse_map(DLMCFGMGR)
    assert not dm.has_lu_ids and dm.lu_of("/dev/sda") is None
    f = tmp_path / "m.txt"
    f.write_text(DLMCFGMGR)
    code, out, err = run(capsys, "map", "--json", f)
    data = json.loads(out)
    assert code == 0 and data["lu_ids"] is False and data["lu_scheme"] is None
    assert data["devices"][0]["lu"] is None
    code, out, err = run(capsys, "map", f)
    assert "LU identity: none" in out and "only device names" in out


@pytest.mark.parametrize(
    "text, scheme", [(DLNKMGR, "hitachi"), (IET, "wwid"), (POWERMT, "emc")]
)
def test_map_json_and_table_show_the_lu(text, scheme, tmp_path, capsys):
    f = tmp_path / "m.txt"
    f.write_text(text)
    code, out, err = run(capsys, "map", "--json", f)
    data = json.loads(out)
    assert code == 0 and data["lu_ids"] is True and data["lu_scheme"] == scheme
    lus = [d["lu"] for d in data["devices"]]
    assert all(lu.startswith(scheme + ":") for lu in lus) and len(set(lus)) == len(lus)
    code, out, err = run(capsys, "map", f)
    assert "LU identity: yes" in out and " LU" in out.splitlines()[2]
    for lu in lus:
        assert lu in out


def test_one_lu_under_two_devices_is_an_error():
    text = IET.replace("(1IET     00010002)", "(1IET     00010001)")
    with pytest.raises(MapError) as info:
        parse_map(text)
    assert info.value.line == 7 and "listed under two multipath devices" in str(
        info.value
    )


HEADERS = [
    # (header line, device name, LU)
    ("mpatha (1IET     00010001) dm-0 IET,VIRTUAL-DISK", "mpatha", "1IET     00010001"),
    (
        "mpathc (SATA     WDC_WD5000AAKX-_WD-WCAYUFF12345) dm-3 ATA,WDC WD5000AAKX-0",
        "mpathc",
        "SATA     WDC_WD5000AAKX-_WD-WCAYUFF12345",
    ),
    ("mpath1 (3600d0230003228bc000339414edb8101) dm-1 WINSYS,SF2372", "mpath1", None),
    ("360060e80101d3fc0058d3fc000000021 dm-2 HITACHI ,OPEN-V", None, None),
    ("mydevice (16046017086137300787192b56e2fde11) dm-4 DGC,RAID 5", "mydevice", None),
    (
        'mpath1 (3600d0230003228bc000339414edb8101) [size=10 GB][features="0"]',
        "mpath1",
        None,
    ),
    ("mpath2 (3600d0230003228bc000339414edb8102)", "mpath2", None),
    (
        "create: mpathd (36005076303ffc48e0000000000000101) undef IBM,2107900",
        "mpathd",
        None,
    ),
    (
        "mpath0 (3600508b400105e210000900000490000) dm-0 IBM     ,2810XIV",
        "mpath0",
        None,
    ),
]


@pytest.mark.parametrize("header, name, wwid", HEADERS)
def test_every_header_form_is_read(header, name, wwid):
    if header.endswith('[features="0"]') or header.endswith(")"):
        body = "\\_ round-robin 0 [prio=1][active]\n \\_ 2:0:0:6 sdb 8:16 [active][ready]\n"
    else:
        body = (
            "size=1.0G features='0' hwhandler='0' wp=rw\n"
            "`-+- policy='round-robin 0' prio=1 status=active\n"
            "  `- 2:0:0:6 sdb 8:16 active ready running\n"
        )
    for fmt in ("auto", "multipath"):
        dm = parse_map(header + "\n" + body, fmt=fmt)
        (dev,) = dm.devices
        start = header.split(": ", 1)[-1]
        want_name = name or start.split()[0]
        want_wwid = wwid or (
            start.split("(")[1].split(")")[0] if "(" in start else want_name
        )
        assert dev.name == "/dev/mapper/" + want_name
        assert dev.lu == "wwid:" + want_wwid
        assert dm.lookup("/dev/sdb") == dev.name


def test_unreadable_header_is_blamed_not_the_path_rows():
    text = IET.replace("dm-0 IET", "dm0 IET", 1).replace(
        "mpatha (1IET     00010001)", "mpatha (1IET) (x)"
    )
    for fmt in ("auto", "multipath"):
        with pytest.raises(MapError) as info:
            parse_map(text, fmt=fmt)
        assert info.value.line == 1 and "multipath device header" in info.value.message


def test_iet_map_through_the_cli(tmp_path, capsys):
    f = tmp_path / "mp.txt"
    f.write_text(IET)
    cfg = tmp_path / "a.cfg"
    cfg.write_text('name = "a"\ndisk = [ "phy:/dev/sdd,xvda,w" ]\n')
    code, out, err = run(capsys, "check", "--map", f, cfg)
    assert code == 1 and "phy:/dev/sdd -> phy:/dev/mapper/mpathb" in out


EMPTY = {
    "dlmcfgmgr": "# /sbin/dlmcfgmgr -v\n"
    "HDevName      Management  Device    Host  Channel  Target  Lun\n"
    "KAPL10302-I /sbin/dlmcfgmgr completed normally.\n",
    "dlnkmgr": "Product       : VSP_Gx00\nSerialNumber  : 412905\nLUs           : 0\n"
    "iLU    HDevName Device   PathID Status\n",
    "multipath": "Oct 13 10:24:01 | sdb: couldn't get asymmetric access state\n",
    "powermt": "==============================================================================\n",
    "plain": "# no LUs on this host\n",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", sorted(EMPTY) + ["blank"])
def test_empty_map_is_one_error_whatever_the_format(fmt, source, tmp_path, capsys):
    f = tmp_path / "map.txt"
    f.write_text(EMPTY.get(source, "\n  \n"))
    cfg = tmp_path / "a.cfg"
    cfg.write_text('name = "a"\ndisk = [ "phy:/dev/sda,xvda,w" ]\n')
    for argv in (
        ["map", "--map-format", fmt, f],
        ["check", "--map-format", fmt, "--map", f, cfg],
    ):
        code, out, err = run(capsys, *argv)
        assert code == 2, (argv, err)
        assert err.startswith(f"{f}:") and "error: " in err
        detected = fmt == "auto" and source not in ("multipath", "powermt")
        if fmt == source or detected or source == "blank":
            # what the format reads holds no device: the one empty-map error
            # (auto-detection cannot tell bare log or ruler lines from noise)
            assert f"{f}:1: error: the device map is empty: no multipath devices" in err


def test_corpus_multipath_maps_name_their_lus(corpus):
    files = [
        p
        for p in corpus_files("mapping")
        if "multipath" in p.name and "dlmcfgmgr" not in p.name
    ]
    assert files
    read = 0
    for path in files:
        text = path.read_text(errors="replace")
        try:
            dm = parse_map(text, path=str(path))
        except MapError:
            continue  # a capture the map rules refuse (tested elsewhere)
        read += 1
        assert dm.has_lu_ids, path
        assert all(d.lu.startswith("wwid:") for d in dm.devices)
    assert read


def test_corpus_lu_sources(corpus):
    for path in corpus_files("mapping"):
        text = path.read_text(errors="replace")
        try:
            dm = parse_map(text)
        except MapError:
            continue
        if dm.source == "dlmcfgmgr":
            assert not dm.has_lu_ids and "LU identity: none" in table(dm)
        if (
            dm.source in ("powermt", "dlnkmgr")
            and "SerialNumber" in text
            or "Symmetrix ID" in text
        ):
            assert to_json(dm)["lu_ids"], path
