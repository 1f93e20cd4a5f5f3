"""Property: a generated ``dlmcfgmgr -v`` table parses back to exactly the
mapping it was generated from (hundreds of LUs, three-letter HDLM names,
several paths each, random column spacing)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from xencfg.maps import MapError, parse_map
from xencfg.maps import names
from xencfg.maps.render import to_json

HEADER = ("HDevName", "Management", "Device", "Host", "Channel", "Target", "Lun")


def _join(rnd, fields: list[str]) -> str:
    seps = [" ", "  ", "   ", "      ", "\t", " \t "]
    out = fields[0]
    for f in fields[1:]:
        out += rnd.choice(seps) + f
    return out


@st.composite
def tables(draw):
    # one drawn seed drives the details: hundreds of LUs drawn one by one
    # would exceed Hypothesis' entropy budget
    rnd = random.Random(draw(st.integers(min_value=0, max_value=2**32)))
    n_lus = draw(st.one_of(st.integers(1, 20), st.integers(100, 400)))
    # start high enough now and then to get three-letter HDLM names
    first = draw(st.sampled_from([0, 0, 100, 250]))
    max_paths = draw(st.integers(min_value=1, max_value=4))
    counts = [rnd.randint(1, max_paths) for _ in range(n_lus)]
    # unique SCSI names (never sddlm...), in a random order
    pool = [
        n
        for n in (names.scsi_name(i) for i in range(sum(counts) + 200))
        if not n.startswith("/dev/sddlm")
    ]
    rnd.shuffle(pool)
    lines = []
    if rnd.random() < 0.5:
        lines.append("# /sbin/dlmcfgmgr -v")
    lines.append(_join(rnd, list(HEADER)))
    expected: dict[str, str] = {}
    hctls = set()
    used = 0
    for lu in range(n_lus):
        hdlm = names.hdlm_name(first + lu)
        configured = rnd.random() > 0.05
        for k in range(counts[lu]):
            hctl = (rnd.randint(0, 40), rnd.randint(0, 3), rnd.randint(0, 60), lu)
            while hctl in hctls:
                hctl = (hctl[0] + 41, *hctl[1:])
            hctls.add(hctl)
            gone = k > 0 and rnd.random() < 0.05
            dev = "-" if gone else pool[used]
            used += 0 if gone else 1
            tail = [dev, *map(str, hctl)]
            if k == 0:
                fields = [hdlm, "configured" if configured else "unconfigured", *tail]
                indent = " " * rnd.choice([0, 0, 0, 1, 2])
            else:
                fields = tail
                indent = " " * rnd.choice([0, 1, 13, 26, 27, 40])
            lines.append(indent + _join(rnd, fields) + " " * rnd.choice([0, 0, 1, 3]))
            if configured and not gone:
                expected[dev] = hdlm
        if rnd.random() < 0.02:
            lines.append("")
    lines.append("KAPL10302-I /sbin/dlmcfgmgr completed normally.")
    if rnd.random() < 0.5:
        lines.append("#")
    return "\n".join(lines) + "\n", expected


@settings(max_examples=30)
@given(tables())
def test_generated_dlmcfgmgr_table_round_trips(case):
    text, expected = case
    dm = parse_map(text)
    assert dm.source == "dlmcfgmgr"
    assert to_json(dm)["map"] == expected
    # and every mapped disk's partitions follow by number
    for scsi, hdlm in list(expected.items())[:20]:
        assert dm.lookup(scsi) == hdlm
        assert dm.lookup(scsi + "7") == hdlm + "7"
        assert names.is_hdlm(hdlm)


@settings(max_examples=30)
@given(tables(), st.integers(min_value=0), st.integers(min_value=0, max_value=3))
def test_a_scsi_disk_under_a_second_device_is_located(case, pick, where):
    text, expected = case
    if not expected:
        return
    scsi = sorted(expected)[pick % len(expected)]
    lines = text.splitlines()
    owner = next(
        i for i, l in enumerate(lines) if scsi in l.split() and not l.startswith("#")
    )  # 0-based index of the owner's row
    row = f"/dev/sddlmppp configured {scsi} 99 0 0 {pick % 1000}"
    # insert somewhere after the header (before or after the owner's row)
    header = next(i for i, l in enumerate(lines) if l.startswith("HDevName"))
    at = [header + 1, len(lines) - 1, len(lines), (header + len(lines)) // 2][where]
    # A device row placed above continuation rows would adopt them: move past.
    while (
        at < len(lines)
        and lines[at].split()
        and not lines[at].split()[0].startswith(("/dev/sddlm", "KAPL", "#"))
    ):
        at += 1
    lines.insert(at, row)
    if at <= owner:
        owner += 1
    try:
        parse_map("\n".join(lines) + "\n")
    except MapError as err:
        assert "two multipath devices" in err.message
        # the error points at whichever of the two rows comes second
        assert err.line == max(owner, at) + 1
    else:
        raise AssertionError("duplicate SCSI disk not rejected")
