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

_HEADER_RE = re.compile(r"^\s*iLU\s.*\bHDevName\b")
_KEYVAL_RE = re.compile(r"^\s*(?P<key>[A-Za-z][\w -]*?)\s*:\s*(?P<value>.*?)\s*$")
DEVICE_COLUMNS = ("Device", "OSPathName", "DskName")


def looks_like(text: str) -> bool:
    return any(_HEADER_RE.match(line) for line in text.splitlines())


def _check_lu_count(b: _Builder, block: dict | None) -> None:
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
    return f"hitachi:{block['serial']}:{fields[cols.index('iLU')]}"


def parse(lines: list[str]) -> DeviceMap:
    b = _Builder("dlnkmgr")
    cols: list[str] | None = None
    dev_col = hdev_col = status_col = -1
    current = None
    block: dict | None = None
    header_seen = False
    for no, line in enumerate(lines, 1):
        if is_blank(line):
            continue
        if is_ellipsis(line):
            b.warn(
                no, "':' rows: the capture elides rows, so the map may be incomplete"
            )
            current = None
            continue
        msg = kapl(line)
        if msg is not None:
            sev, text = msg
            (b.note if sev == "I" else b.warn)(no, text)
            current = None
            continue
        if _HEADER_RE.match(line):
            cols = line.split()
            header_seen = True
            current = None
            hdev_col = cols.index("HDevName")
            dev_col = next((cols.index(c) for c in DEVICE_COLUMNS if c in cols), -1)
            status_col = cols.index("Status") if "Status" in cols else -1
            if dev_col >= 0 and dev_col <= hdev_col:
                raise MapError("unknown dlnkmgr layout: Device before HDevName", no)
            continue
        if is_prompt(line):
            current = None
            continue
        kv = _KEYVAL_RE.match(line)
        if kv and not line.strip().startswith("/"):
            key, value = kv.group("key"), kv.group("value")
            current = None
            if key == "Product":
                _check_lu_count(b, block)
                block = {"product": value, "lus": None, "seen": 0, "line": no}
                block["serial"] = None
                cols = None
            elif key == "SerialNumber" and block is not None and value:
                block["serial"] = value
            elif key == "LUs" and block is not None:
                if re.fullmatch(r"\d+", value):
                    block["lus"] = int(value)
            continue
        fields = line.split()
        if cols is None:
            if names.is_aix(fields[0]) or any(names.is_aix(f) for f in fields):
                raise _aix_error(no)
            raise MapError(
                (
                    "row before an 'iLU HDevName ...' header"
                    if header_seen
                    else "row before the 'iLU HDevName ...' header (not dlnkmgr "
                    "view -lu output?)"
                ),
                no,
            )
        n = len(cols)
        if len(fields) == n:
            hdev = fields[hdev_col]
            if names.is_aix(hdev):
                raise _aix_error(no)
            if dev_col < 0:
                raise MapError(
                    "no Device column in the 'iLU HDevName ...' header; "
                    "cannot tell the SCSI device of each path",
                    no,
                )
            name = names.normalize(hdev)
            if not names.HDLM_RE.match(name) or names.split_partition(name)[1]:
                raise MapError(f"HDevName {hdev!r} is not an HDLM device name", no)
            current = b.device(name, "", no, lu=_lu(block, fields, cols))
            if block is not None:
                block["seen"] += 1
            offset = 0
        elif len(fields) < n:
            offset = n - len(fields)
            if current is None:
                raise MapError(
                    "path row before any LU: cannot tell which HDLM device "
                    "it belongs to",
                    no,
                )
            if offset <= hdev_col or offset > dev_col:
                raise MapError(
                    f"expected {n} fields (a LU row) or {n - dev_col} fields "
                    f"(a path row), found {len(fields)}",
                    no,
                )
        else:
            raise MapError(f"expected at most {n} fields, found {len(fields)}", no)
        raw = fields[dev_col - offset]
        if names.is_aix(raw):
            raise _aix_error(no)
        if raw == "-":
            device = None
        else:
            device = names.normalize(raw)
            if device.startswith("/dev/sddlm") or not names.is_scsi_whole_disk(device):
                raise MapError(
                    f"{cols[dev_col]} {raw!r} is not a SCSI disk (/dev/sdX)", no
                )
        status = fields[status_col - offset] if status_col >= offset else ""
        b.path(current, device, None, status, no)
    if not header_seen:
        raise MapError(
            "no 'iLU HDevName ...' header found (not dlnkmgr view -lu output)", 0
        )
    _check_lu_count(b, block)
    return b.finish()
