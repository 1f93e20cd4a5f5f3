"""``dlmcfgmgr -v`` (HDLM for Linux).

::

    # /sbin/dlmcfgmgr -v
    HDevName      Management  Device    Host  Channel Target  Lun
    /dev/sddlmaa  configured  /dev/sdd  3     0       0       0
                              /dev/sdk  3     0       1       0
                              -         4     0       1       0
    KAPL10302-I /sbin/dlmcfgmgr completed normally.

Only a device's first row carries HDevName and Management; further paths
start at the Device column.  Column spacing is not trusted (manual copies
collapse it): a row whose first field is not ``/dev/sddlm...`` is another
path of the device above.
"""

from __future__ import annotations

import re

from . import (
    DeviceMap,
    MapError,
    _aix_error,
    _Builder,
    is_blank,
    is_ellipsis,
    is_prompt,
    kapl,
)
from . import names

COLUMNS = ("HDevName", "Management", "Device", "Host", "Channel", "Target", "Lun")
HEADER_RE = re.compile(r"^\s*" + r"\s+".join(COLUMNS) + r"\s*$", re.IGNORECASE)
_HEADERISH_RE = re.compile(r"^\s*HDevName\s+Management\b", re.IGNORECASE)


def looks_like(text: str) -> bool:
    return any(HEADER_RE.match(line) for line in text.splitlines())


def _hctl(fields: list[str], no: int) -> tuple[int, int, int, int]:
    out = []
    for name, value in zip(COLUMNS[3:], fields):
        if not re.fullmatch(r"\d+", value):
            raise MapError(f"{name} {value!r} is not a number", no)
        out.append(int(value))
    return tuple(out)  # type: ignore[return-value]


def _device(value: str, no: int) -> str | None:
    if value == "-":
        return None
    dev = names.normalize(value)
    if names.is_aix(value):
        raise _aix_error(no)
    if dev.startswith("/dev/sddlm"):
        raise MapError(f"Device {value!r} is an HDLM device, not a SCSI disk", no)
    if not names.is_scsi_disk(dev):
        raise MapError(f"Device {value!r} is not a SCSI disk (/dev/sdX)", no)
    if not names.is_scsi_whole_disk(dev):
        raise MapError(f"Device {value!r} is a partition, not a whole disk", no)
    return dev


def parse(lines: list[str]) -> DeviceMap:
    b = _Builder("dlmcfgmgr")
    header_seen = False
    current = None  # device the next continuation row belongs to
    elided = False
    for no, line in enumerate(lines, 1):
        if is_blank(line):
            continue
        if is_ellipsis(line):
            if header_seen and not elided:
                b.warn(
                    no,
                    "':' rows: the capture elides rows, so the map may be "
                    "incomplete",
                )
                elided = True
            current = None
            continue
        msg = kapl(line)
        if msg is not None:
            sev, text = msg
            if sev == "I":
                b.note(no, text)
            else:
                b.warn(no, text)
            current = None
            continue
        if HEADER_RE.match(line):
            header_seen = True
            current = None
            continue
        if _HEADERISH_RE.match(line):
            raise MapError(
                "unknown dlmcfgmgr layout: expected the header "
                f"'{' '.join(COLUMNS)}'",
                no,
            )
        if is_prompt(line):
            current = None
            continue
        fields = line.split()
        first = fields[0]
        if not header_seen:
            if first.startswith("/dev/sd") or first == "-":
                raise MapError(
                    "device row before the 'HDevName Management Device ...' header",
                    no,
                )
            b.note(no, "text before the dlmcfgmgr header ignored")
            continue
        if names.is_aix(first):
            raise _aix_error(no)
        if first.startswith("/dev/sddlm") or first.startswith("sddlm"):
            name = names.normalize(first)
            if not names.HDLM_RE.match(name) or names.split_partition(name)[1]:
                raise MapError(f"{first!r} is not an HDLM device name", no)
            if len(fields) != 7:
                raise MapError(
                    f"expected 7 fields ({' '.join(COLUMNS)}), found {len(fields)}",
                    no,
                )
            status = fields[1]
            device = _device(fields[2], no)
            hctl = _hctl(fields[3:], no)
            usable = status.lower() == "configured"
            current = b.device(name, status, no, usable=usable)
            if not usable:
                b.warn(
                    no,
                    f"{name} is {status}, not configured; excluded from the map",
                )
            b.path(current, device, hctl, "", no)
            continue
        if first == "-" or first.startswith("/dev/") or re.match(r"sd[a-z]", first):
            if current is None:
                why = (
                    "after elided or message lines"
                    if header_seen and b.map.devices + b.map.excluded
                    else "before any device"
                )
                raise MapError(
                    f"path row {why}: cannot tell which HDLM device it belongs to",
                    no,
                )
            if len(fields) != 5:
                raise MapError(
                    "expected 5 fields on a path row (Device Host Channel "
                    f"Target Lun), found {len(fields)}",
                    no,
                )
            b.path(current, _device(fields[0], no), _hctl(fields[1:], no), "", no)
            continue
        raise MapError(f"unrecognized dlmcfgmgr row: {line.strip()!r}", no)
    if not header_seen:
        raise MapError(
            "no 'HDevName Management Device Host Channel Target Lun' header found "
            "(not dlmcfgmgr -v output)",
            0,
        )
    return b.finish()
