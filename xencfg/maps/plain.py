"""A plain two-column map, as kept in configuration-management repositories::

    # SCSI disk   multipath device
    /dev/sda      /dev/sddlmaa
    /dev/sdb      /dev/sddlmab     # second LU
    sdc           sddlmab          # bare names get /dev/

Several lines may name the same multipath device (one per path).  Whole
disks only: partitions are mapped by number when the map is used.
"""

from __future__ import annotations


from .base import Builder, DeviceMap, MapError, aix_error
from .names import is_aix, is_scsi_disk, kind, normalize, split_partition
from .. import rxstore

_COMMENT_RE = rxstore.compile(r"(?:^|\s)#.*$")


def _strip(line: str) -> str:
    return _COMMENT_RE.sub("", line).strip()


def looks_like(text: str) -> bool:
    seen = False
    for line in text.splitlines():
        s = _strip(line)
        if not s:
            continue
        fields = s.split()
        if len(fields) != 2:
            return False
        left = normalize(fields[0])
        if not left.startswith("/dev/sd") or left.startswith("/dev/sddlm"):
            return False
        seen = True
    return seen


def parse(lines: list[str]) -> DeviceMap:
    b = Builder("plain")
    devices: dict = {}
    for no, line in enumerate(lines, 1):
        s = _strip(line)
        if not s:
            continue
        fields = s.split()
        if len(fields) != 2:
            raise MapError(
                f"expected 2 fields (SCSI-DISK MULTIPATH-DEVICE), found {len(fields)}",
                no,
            )
        left, right = (normalize(f) for f in fields)
        if is_aix(fields[0]) or is_aix(fields[1]):
            raise aix_error(no)
        if kind(left) and is_scsi_disk(right):
            raise MapError(
                f"{fields[0]} is a multipath device and {fields[1]} a SCSI disk: "
                "the columns are swapped (expected SCSI-DISK MULTIPATH-DEVICE)",
                no,
            )
        if not is_scsi_disk(left):
            raise MapError(f"{fields[0]!r} is not a SCSI disk (/dev/sdX)", no)
        if split_partition(left)[1]:
            raise MapError(
                f"{fields[0]} is a partition: list whole disks, partitions "
                "are mapped by number",
                no,
            )
        k = kind(right)
        if not k or (k != "dm" and split_partition(right)[1]):
            raise MapError(
                f"{fields[1]!r} is not a multipath device (/dev/sddlmXX, "
                "/dev/mapper/NAME or /dev/emcpowerX; whole devices only)",
                no,
            )
        dev = devices.get(right)
        if dev is None:
            dev = devices[right] = b.device(right, "", no)
        b.path(dev, left, None, "", no)
    return b.finish()
