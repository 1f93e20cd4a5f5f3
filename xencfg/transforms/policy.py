"""The policy, without a map: a domU must not reach a SCSI disk directly.

Any disk whose host device is (or, with a resolver, resolves to) a
``/dev/sd*`` node is an error finding; ``tap:aio:/dev/sda`` reaches the SCSI
device just as ``phy:`` does.  Nothing is rewritten.
"""

from __future__ import annotations

from .base import SD_LIKE, Disk, DiskTransform, normalise


class Policy(DiskTransform):
    def scsi(self, disk: Disk, dev: str, via: str | None = None) -> None:
        how = "resolves to" if via else "uses"
        direct = "" if via else " directly"
        disk.find(
            "policy",
            "error",
            f"{disk.target} {how} the SCSI device {dev}{direct}; "
            "a domU must use its multipath device",
        )

    def not_block(self, disk: Disk, path: str) -> None:
        if SD_LIKE.match(normalise(path)):
            self.scsi(disk, normalise(path))
        else:
            super().not_block(disk, path)
