"""Device-name helpers: SCSI disks, HDLM devices, PowerPath and dm-multipath.

``/dev/sddlmaa`` starts with ``sd`` but is an HDLM device, never a SCSI disk:
every SCSI test here rejects names that begin with ``sddlm``.
"""

from __future__ import annotations

import re

from ..lazy import Pattern
from .. import rxstore

#: partition numbers 1..15 (a SCSI disk has 16 minors: the disk and 15 parts)
PART = r"(?:[1-9]|1[0-5])"

#: ``/dev/sd`` + 1-4 letters (never ``sddlm...``), optional partition 1-15
SCSI_RE = rxstore.compile(rf"^/dev/sd(?!dlm)(?P<disk>[a-z]{{1,4}})(?P<part>{PART})?$")
#: ``/dev/sddlm`` + 2 or 3 letters a-p, optional partition 1-15
HDLM_RE = rxstore.compile(rf"^/dev/sddlm(?P<disk>[a-p]{{2,3}})(?P<part>{PART})?$")
#: ``/dev/emcpower`` + letters, optional partition 1-15
POWERPATH_RE = Pattern(rf"^/dev/emcpower(?P<disk>[a-z]+)(?P<part>{PART})?$")
#: ``/dev/mapper/NAME`` (partition forms are distribution dependent)
MAPPER_RE = Pattern(r"^/dev/mapper/(?P<name>[^/\s]+)$")
#: AIX disk names (not Linux devices at all)
AIX_RE = Pattern(r"^(?:/dev/)?r?hdisk(?:power)?\d+$")

_BARE = Pattern(r"^(?:sd[a-z]{1,4}|sddlm[a-p]{2,3}|emcpower[a-z]+)\d*$")
_TRAILING_DIGITS = Pattern(r"^(?P<base>.*?[^\d])(?P<part>\d+)$")


def normalize(name: str) -> str:
    """``sda`` -> ``/dev/sda``; ``sddlmaa1`` -> ``/dev/sddlmaa1``.

    Only bare SCSI, HDLM and PowerPath names get ``/dev/`` prepended;
    anything else (already absolute, or unknown) is returned stripped.
    """
    name = name.strip()
    if name.startswith(("sd", "emcpower")) and _BARE.match(name):
        return "/dev/" + name
    return name


def is_scsi_disk(path: str) -> bool:
    """True for ``/dev/sda``, ``/dev/sdaa``, ``/dev/sdb15``; False for ``/dev/sddlmaa``."""
    return SCSI_RE.match(path) is not None


def is_scsi_whole_disk(path: str) -> bool:
    m = SCSI_RE.match(path)
    return m is not None and m.group("part") is None


def is_hdlm(path: str) -> bool:
    """True for ``/dev/sddlmaa``, ``/dev/sddlmaaa``, ``/dev/sddlmab2``."""
    return HDLM_RE.match(path) is not None


def is_powerpath(path: str) -> bool:
    return POWERPATH_RE.match(path) is not None


def is_aix(name: str) -> bool:
    return "hdisk" in name and AIX_RE.match(name) is not None


def split_partition(path: str) -> tuple[str, str]:
    """Split a trailing partition number: ``/dev/sdb2`` -> (``/dev/sdb``, ``"2"``).

    Only SCSI, HDLM and PowerPath names are split (their disk names never end
    in a digit).  Everything else, including ``/dev/mapper/...`` names (where
    ``mpath1`` is a whole device), is returned as ``(path, "")``.  The number
    is not range checked here; see :func:`valid_partition`.
    """
    for prefix in ("/dev/sd", "/dev/emcpower"):
        if path.startswith(prefix):
            m = _TRAILING_DIGITS.match(path)
            if m and m.group("base") != prefix[:-1]:
                return m.group("base"), m.group("part")
    return path, ""


def valid_partition(part: str) -> bool:
    """``""`` (whole disk) or 1..15 without leading zeros."""
    return part == "" or re.fullmatch(PART, part) is not None


def kind(path: str) -> str:
    """Kind of a multipath device name: ``hdlm``, ``powerpath``, ``dm`` or ``""``."""
    if is_hdlm(path):
        return "hdlm"
    if is_powerpath(path):
        return "powerpath"
    if MAPPER_RE.match(path):
        return "dm"
    return ""


def hdlm_name(index: int) -> str:
    """HDLM device name by index: 0 -> ``/dev/sddlmaa`` ... 255 -> ``sddlmpp``,
    256 -> ``/dev/sddlmaaa`` ... (the order HDLM hands names out)."""
    letters = "abcdefghijklmnop"
    if index < 0:
        raise ValueError(index)
    if index < 16 * 16:
        width = 2
    else:
        index -= 16 * 16
        width = 3
        if index >= 16**3:
            raise ValueError("HDLM supports at most 4352 device names")
    out = ""
    for _ in range(width):
        out = letters[index % 16] + out
        index //= 16
    return "/dev/sddlm" + out


def scsi_name(index: int) -> str:
    """SCSI disk name by index: 0 -> ``/dev/sda``, 25 -> ``sdz``, 26 -> ``sdaa``."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = ""
    index += 1
    while index > 0:
        index -= 1
        out = letters[index % 26] + out
        index //= 26
    return "/dev/sd" + out
