"""EMC PowerPath ``powermt display dev=all`` (Linux).

::

    Pseudo name=emcpowerh
    Symmetrix ID=000290101523
    Logical device ID=17C6
    state=alive; policy=SymmOpt; priority=0; queued-IOs=0
    ==============================================================================
    ---------------- Host ---------------   - Stor -   -- I/O Path -  -- Stats ---
    ###  HW Path                I/O Paths    Interf.   Mode    State  Q-IOs Errors
    ==============================================================================
       0 qla2xxx                   sdi       FA  9dB   active  alive      0      0

The array id line and ``Logical device ID`` name the LU
(``emc:000290101523:17C6``).  Each ``Pseudo name=`` block is one device
``/dev/emcpowerX``; its path rows
give the SCSI devices.  The storage interface column may hold two words
(``FA  9dB``, ``SP A0``), so a row is read from both ends.
"""

from __future__ import annotations

import re

from .base import (
    Builder,
    DeviceMap,
    MapError,
    aix_error,
    is_blank,
    is_ellipsis,
    is_prompt,
    lu_id,
    scsi_disk,
)
from .names import is_aix, is_powerpath, normalize, split_partition
from .. import rxstore

PSEUDO_RE = rxstore.compile(r"^\s*Pseudo name\s*=\s*(?P<name>\S+)\s*$", re.IGNORECASE)
ROW_RE = rxstore.compile(
    r"^\s*(?P<num>\d+)\s+(?P<hw>\S+)\s+(?P<dev>\S+)\s+(?P<rest>.*\S)\s*$"
)
_STATE_RE = rxstore.compile(r"\bstate=(?P<state>\w+)")
# "Symmetrix ID=000290101523", "CLARiiON ID=APM00070202835 [SG_x]", "VNX ID=",
# "Unity ID=", "XtremIO ID=", "VPLEX ID=", "Invista ID=", ...
_ARRAY_RE = rxstore.compile(r"^\s*(?P<kind>[A-Za-z][\w-]*)\s+ID\s*=\s*(?P<id>\S+)")
_LDEV_RE = rxstore.compile(r"^\s*Logical device ID\s*=\s*(?P<id>[^\s\[]+)", re.I)
MODES = ("active", "standby", "unlic", "failover")
STATES = ("alive", "dead")


def looks_like(text: str) -> bool:
    return any(PSEUDO_RE.match(line) for line in text.splitlines())


def _identity(ids: dict[str, str], line: str) -> bool:
    """Read an array id or logical device id line of a pseudo device into
    *ids*; False when *line* is neither."""
    lm = _LDEV_RE.match(line)
    if lm:
        ids["ldev"] = lm.group("id")
        return True
    am = _ARRAY_RE.match(line)
    if am and am.group("kind").lower() not in ("pseudo", "logical"):
        ids["array"] = am.group("id")
        return True
    return False


def parse(lines: list[str]) -> DeviceMap:
    b = Builder("powermt")
    current = None
    for no, line in enumerate(lines, 1):
        if is_blank(line) or is_ellipsis(line):
            continue
        pm = PSEUDO_RE.match(line)
        if pm:
            raw = pm.group("name")
            if is_aix(raw):
                raise aix_error(no)
            name = normalize(raw)
            if not is_powerpath(name) or split_partition(name)[1]:
                raise MapError(
                    f"pseudo device {raw!r} is not a Linux PowerPath device "
                    "(emcpowerX)",
                    no,
                )
            current = b.device(name, "", no)
            ids: dict[str, str] = {}
            continue
        rm = ROW_RE.match(line)
        if rm:
            if current is None:
                raise MapError(
                    "path row before any 'Pseudo name=' line: cannot tell which "
                    "device it belongs to",
                    no,
                )
            rest = rm.group("rest").split()
            if (
                len(rest) < 4
                or not rest[-1].isdigit()
                or not rest[-2].isdigit()
                or rest[-3] not in STATES
                or rest[-4] not in MODES
            ):
                raise MapError(
                    "unrecognized powermt path row (expected '### HW-Path "
                    "I/O-Path Interf. Mode State Q-IOs Errors')",
                    no,
                )
            device = scsi_disk(rm.group("dev"), "I/O path", no)
            b.path(current, device, None, f"{rest[-4]} {rest[-3]}", no)
            continue
        sm = _STATE_RE.search(line)
        if sm and current is not None and not current.paths:
            current.status = sm.group("state")
            continue
        if current is not None and not current.paths and _identity(ids, line):
            if "array" in ids and "ldev" in ids:
                b.set_lu(current, lu_id("powermt", ids["array"], ids["ldev"]), no)
            continue
        if is_prompt(line) or "=" in line or re.match(r"^[\s=#-]", line):
            continue
        b.note(no, f"line ignored: {line.strip()}")
    return b.finish()
