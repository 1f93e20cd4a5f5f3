"""``dlnkmgr view -lu`` (HDLM for Linux), with or without ``-item ...``.

::

    Product       : VSP_Gx00
    SerialNumber  : 412905
    LUs           : 2
    iLU    HDevName Device   PathID Status
    000800 sddlmaa  /dev/sdc 000002 Online
                    /dev/sdr 000003 Online
    000801 sddlmab  /dev/sdd 000006 Online
    KAPL01001-I The HDLM command completed normally. ...

The LU behind each HDLM device is named by the storage's SerialNumber and the
iLU (``hitachi:412905:000800``).  Columns are found by the header of each
storage block.  A LU's first row
carries iLU and HDevName; further paths of the LU are continuation rows that
start at the Device column (the row's fields line up with the header's last
columns).  HDevName is printed without ``/dev``.
"""

from __future__ import annotations

import re

from .base import (
    Builder,
    DeviceMap,
    MapError,
    RowReader,
    aix_error,
    hdlm_device,
    is_ellipsis,
    is_prompt,
    lu_id,
    scsi_disk,
)
from .names import is_aix
from .. import rxstore

_HEADER_RE = rxstore.compile(r"^\s*iLU\s.*\bHDevName\b")
_KEYVAL_RE = rxstore.compile(r"^\s*(?P<key>[A-Za-z][\w -]*?)\s*:\s*(?P<value>.*?)\s*$")
DEVICE_COLUMNS = ("Device", "OSPathName", "DskName")


def looks_like(text: str) -> bool:
    return any(_HEADER_RE.match(line) for line in text.splitlines())


def _check_lu_count(b: Builder, block: dict | None) -> None:
    if not block or block.get("lus") is None:
        return
    stated, seen = block["lus"], block["seen"]
    if seen < stated:
        b.warn(
            block["line"],
            f"{block['product'] or 'storage'} reports {stated} LUs but "
            f"{seen} are listed; the capture looks abridged, so the map may be "
            "incomplete",
        )


def _lu(block: dict | None, fields: list[str], cols: list[str]) -> str | None:
    """``hitachi:SERIAL:ILU``: the storage's serial number and the LU number
    inside it name the LU on every host.  None without a serial number."""
    if not block or not block.get("serial") or "iLU" not in cols:
        return None
    return lu_id("dlnkmgr", block["serial"], fields[cols.index("iLU")])


class _Reader(RowReader):
    """Reads the rows of one capture: storage blocks (``Product :`` ...),
    their header and the LU and path rows under it."""

    source = "dlnkmgr"

    def __init__(self) -> None:
        super().__init__()
        self.cols: list[str] | None = None  # the current header's columns
        self.dev_col = self.hdev_col = self.status_col = -1
        self.block: dict | None = None  # the current storage block
        self.header_seen = False

    def skip(self, no: int, line: str) -> bool:
        """True for a line that is no row: an elision, a tool message, a
        header, a prompt or a ``Key : value`` line of a storage block."""
        if is_ellipsis(line):
            self.b.warn_elided(no)
            return True
        if self.b.tool_message(no, line):
            return True
        if _HEADER_RE.match(line):
            self._header(no, line.split())
            return True
        if is_prompt(line):
            return True
        kv = _KEYVAL_RE.match(line)
        if kv and not line.strip().startswith("/"):
            self._block_line(no, kv.group("key"), kv.group("value"))
            return True
        return False

    def row(self, no: int, line: str) -> None:
        fields = line.split()
        offset = self._row_offset(no, fields)
        raw = fields[self.dev_col - offset]
        device = None if raw == "-" else scsi_disk(raw, self.cols[self.dev_col], no)
        status_col = self.status_col
        status = fields[status_col - offset] if status_col >= offset else ""
        self.b.path(self.current, device, None, status, no)

    def _header(self, no: int, cols: list[str]) -> None:
        self.cols = cols
        self.header_seen = True
        self.hdev_col = cols.index("HDevName")
        self.dev_col = next((cols.index(c) for c in DEVICE_COLUMNS if c in cols), -1)
        self.status_col = cols.index("Status") if "Status" in cols else -1
        if 0 <= self.dev_col <= self.hdev_col:
            raise MapError("unknown dlnkmgr layout: Device before HDevName", no)

    def _block_line(self, no: int, key: str, value: str) -> None:
        block = self.block
        if key == "Product":
            _check_lu_count(self.b, block)
            self.block = {"product": value, "lus": None, "seen": 0, "line": no}
            self.block["serial"] = None
            self.cols = None
        elif key == "SerialNumber" and block is not None and value:
            block["serial"] = value
        elif key == "LUs" and block is not None:
            if re.fullmatch(r"\d+", value):
                block["lus"] = int(value)

    def _row_offset(self, no: int, fields: list[str]) -> int:
        """How many leading columns *fields* leaves out: 0 on a LU row (which
        opens a device), more on a path row of the LU above."""
        cols = self.cols
        if cols is None:
            if any(is_aix(f) for f in fields):
                raise aix_error(no)
            raise MapError(
                (
                    "row before an 'iLU HDevName ...' header"
                    if self.header_seen
                    else "row before the 'iLU HDevName ...' header (not dlnkmgr "
                    "view -lu output?)"
                ),
                no,
            )
        n = len(cols)
        if len(fields) == n:
            self._lu_row(no, fields)
            return 0
        if len(fields) > n:
            raise MapError(f"expected at most {n} fields, found {len(fields)}", no)
        offset = n - len(fields)
        if self.current is None:
            raise MapError(
                "path row before any LU: cannot tell which HDLM device it belongs to",
                no,
            )
        if offset <= self.hdev_col or offset > self.dev_col:
            raise MapError(
                f"expected {n} fields (a LU row) or {n - self.dev_col} fields "
                f"(a path row), found {len(fields)}",
                no,
            )
        return offset

    def _lu_row(self, no: int, fields: list[str]) -> None:
        hdev = fields[self.hdev_col]
        if is_aix(hdev):
            raise aix_error(no)
        if self.dev_col < 0:
            raise MapError(
                "no Device column in the 'iLU HDevName ...' header; "
                "cannot tell the SCSI device of each path",
                no,
            )
        name = hdlm_device(hdev, f"HDevName {hdev!r}", no)
        lu = _lu(self.block, fields, self.cols)
        self.current = self.b.device(name, "", no, lu=lu)
        if self.block is not None:
            self.block["seen"] += 1


def parse(lines: list[str]) -> DeviceMap:
    reader = _Reader()
    reader.read(lines)
    if not reader.header_seen:
        raise MapError(
            "no 'iLU HDevName ...' header found (not dlnkmgr view -lu output)", 0
        )
    _check_lu_count(reader.b, reader.block)
    return reader.b.finish()
