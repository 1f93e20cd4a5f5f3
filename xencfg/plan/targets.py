"""The migration of the plan, recording each domain's disks as migrated, so
the running disks can be compared with the configs (see running.py)."""

from __future__ import annotations

from ..transforms.paths import block_device
from ..transforms.migrate import Migrate


class Targets(Migrate):
    """Migrate, also recording each disk's block device as it is once
    migrated (a mapped SCSI device as its multipath device), per domain."""

    def __init__(self, devmap):
        super().__init__(devmap)
        self.devices: dict[str | None, list[str]] = {}

    def visit(self, disk) -> None:
        super().visit(disk)
        spec = disk.spec
        if spec is None or spec.path is None or spec.target is None:
            return
        dev = block_device(spec)
        if dev is not None:
            dev = self.devmap.lookup(dev) or dev
            self.devices.setdefault(disk.site.domain, []).append(dev)

    def take(self) -> list[str]:
        """The devices recorded since the last take, all domains."""
        found = sorted(d for devs in self.devices.values() for d in devs)
        self.devices.clear()
        return found
