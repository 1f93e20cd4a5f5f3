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

from ..lazy import Pattern
from .base import (
    DeviceMap,
    MapError,
    RowReader,
    aix_error,
    hdlm_device,
    is_blank,
    is_ellipsis,
    is_prompt,
)
from .names import SCSI_RE, is_aix, normalize
from .. import rxstore

COLUMNS = ("HDevName", "Management", "Device", "Host", "Channel", "Target", "Lun")
HEADER_RE = rxstore.compile(r"^\s*" + r"\s+".join(COLUMNS) + r"\s*$", re.IGNORECASE)
_HEADERISH_RE = Pattern(r"^\s*HDevName\s+Management\b", re.IGNORECASE)
# A device row as dlmcfgmgr prints it: an HDLM device, its status, one SCSI
# disk and four numbers.  Such a row needs none of row()'s checks one by one
# (each group is what they accept); any other row takes the long way.
_PLAIN_ROW = rxstore.compile(
    r"\s*(/dev/sddlm[a-p]{2,3})\s+(\S+)\s+(/dev/sd(?!dlm)[a-z]{1,4})"
    r"\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*"
)


def looks_like(text: str) -> bool:
    return any(HEADER_RE.match(line) for line in text.splitlines())


def _hctl(fields: list[str], no: int) -> tuple[int, int, int, int]:
    if len(fields) == 4:
        h, c, t, lun = fields
        # (isdecimal: as \d+, Unicode decimal digits, which int() reads)
        if h.isdecimal() and c.isdecimal() and t.isdecimal() and lun.isdecimal():
            return int(h), int(c), int(t), int(lun)
    out = []
    for name, value in zip(COLUMNS[3:], fields):
        if not value.isdecimal():  # (as \d+: Unicode decimal digits, int() reads them)
            raise MapError(f"{name} {value!r} is not a number", no)
        out.append(int(value))
    return tuple(out)  # type: ignore[return-value]


def _device(value: str, no: int) -> str | None:
    if value == "-":
        return None
    dev = normalize(value)
    if is_aix(value):
        raise aix_error(no)
    if dev.startswith("/dev/sddlm"):
        raise MapError(f"Device {value!r} is an HDLM device, not a SCSI disk", no)
    m = SCSI_RE.match(dev)  # (is_scsi_disk, then is_scsi_whole_disk)
    if m is None:
        raise MapError(f"Device {value!r} is not a SCSI disk (/dev/sdX)", no)
    if m.group("part") is not None:
        raise MapError(f"Device {value!r} is a partition, not a whole disk", no)
    return dev


class _Reader(RowReader):
    """Reads the rows of one capture: the header, device rows and the path
    rows under them."""

    source = "dlmcfgmgr"

    def __init__(self) -> None:
        super().__init__()
        self.header_seen = False
        self.elided = False

    def read(self, lines: list[str]) -> None:
        """RowReader.read, but a line that starts with ``/dev/sd`` after the
        header goes straight to ``row``: ``skip`` is False for it (no
        elision, message, header or prompt starts so), and such lines are
        most of a capture."""
        plain = _PLAIN_ROW.fullmatch
        for no, line in enumerate(lines, 1):
            if self.header_seen and line.lstrip().startswith("/dev/sd"):
                m = plain(line)
                if m is None:
                    self.row(no, line)
                else:
                    hctl = (int(m[4]), int(m[5]), int(m[6]), int(m[7]))
                    self._add_device(no, m[1], m[2], m[3], hctl)
            elif is_blank(line):
                continue
            elif self.skip(no, line):
                self.current = None
            else:
                self.row(no, line)

    def skip(self, no: int, line: str) -> bool:
        """True for a line that is no row: an elision, a tool message, the
        header or a prompt."""
        if is_ellipsis(line):
            if self.header_seen and not self.elided:
                self.b.warn_elided(no)
                self.elided = True
            return True
        if self.b.tool_message(no, line):
            return True
        if HEADER_RE.match(line):
            self.header_seen = True
            return True
        if _HEADERISH_RE.match(line):
            raise MapError(
                "unknown dlmcfgmgr layout: expected the header "
                f"'{' '.join(COLUMNS)}'",
                no,
            )
        return is_prompt(line)

    def row(self, no: int, line: str) -> None:
        fields = line.split()
        first = fields[0]
        if not self.header_seen:
            if first.startswith("/dev/sd") or first == "-":
                raise MapError(
                    "device row before the 'HDevName Management Device ...' header",
                    no,
                )
            self.b.note(no, "text before the dlmcfgmgr header ignored")
        elif is_aix(first):
            raise aix_error(no)
        elif first.startswith("/dev/sddlm") or first.startswith("sddlm"):
            self._device_row(no, fields)
        elif first == "-" or first.startswith("/dev/") or re.match(r"sd[a-z]", first):
            self._path_row(no, fields)
        else:
            raise MapError(f"unrecognized dlmcfgmgr row: {line.strip()!r}", no)

    def _device_row(self, no: int, fields: list[str]) -> None:
        name = hdlm_device(fields[0], None, no)
        if len(fields) != 7:
            raise MapError(
                f"expected 7 fields ({' '.join(COLUMNS)}), found {len(fields)}",
                no,
            )
        self._add_device(
            no, name, fields[1], _device(fields[2], no), _hctl(fields[3:], no)
        )

    def _add_device(self, no: int, name: str, status: str, device, hctl) -> None:
        usable = status.lower() == "configured"
        self.current = self.b.device(name, status, no, usable=usable)
        if not usable:
            self.b.warn(
                no,
                f"{name} is {status}, not configured; excluded from the map",
            )
        self.b.path(self.current, device, hctl, "", no)

    def _path_row(self, no: int, fields: list[str]) -> None:
        if self.current is None:
            why = (
                "after elided or message lines"
                if self.b.map.devices + self.b.map.excluded
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
        self.b.path(self.current, _device(fields[0], no), _hctl(fields[1:], no), "", no)


def parse(lines: list[str]) -> DeviceMap:
    reader = _Reader()
    reader.read(lines)
    if not reader.header_seen:
        raise MapError(
            "no 'HDevName Management Device Host Channel Target Lun' header found "
            "(not dlmcfgmgr -v output)",
            0,
        )
    return reader.b.finish()
