"""The data ``xencfg plan`` builds: domains, their disks and autostart links."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

DEFAULT_AUTO = "/etc/xen/auto"  # the autostart folder, when it exists

# Finding kinds that stop a domain from being migrated.
BLOCKING = (
    "unmapped",
    "computed",
    "symbolic",
    "unsupported",
    "policy",
    "unresolved",
    "driver-domain",
    "same-lu",
    "other-key",
)


@dataclass
class Disk:
    old: str
    new: str | None
    where: str  # PATH:LINE:COL


@dataclass
class Link:
    path: str  # the autostart entry, absolute
    target: str  # its readlink text, kept exactly
    parked: str  # where it waits while suspended


@dataclass
class Domain:
    name: str | None
    config: str | None  # absolute path of the file to patch and create
    shown: str  # as named on the command line (or "xend" for managed)
    fmt: str = "xl"
    managed: bool = False
    running: bool | None = None  # None: the script checks at run time
    on_xend_start: str | None = None
    disks: list[Disk] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    old: bytes | None = None
    new: bytes | None = None
    diff: str = ""
    devices: list[str] = field(default_factory=list)  # as migrated, sorted
    restart: bool = False  # config already migrated; runs on SCSI devices

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)

    @property
    def todo(self) -> bool:
        return bool(self.reasons) or any(d.new for d in self.disks)

    @property
    def label(self) -> str:
        return self.name or os.path.basename(self.shown)


@dataclass
class Plan:
    map_path: str
    map_source: str
    toolstack: str
    running_path: str | None
    auto_dir: str | None
    domains: list[Domain] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)
    # Links found parked by an earlier run (in DIR.xencfg-suspended/): each
    # is an autostart that is off until someone puts it back.
    parked: list[Link] = field(default_factory=list)

    @property
    def ready(self) -> list[Domain]:
        return [d for d in self.domains if d.todo and not d.blocked]

    @property
    def blocked(self) -> list[Domain]:
        return [d for d in self.domains if d.blocked]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
