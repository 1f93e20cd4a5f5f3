"""The migration: rewrite exactly the host-side disk targets a map translates.

A small class over :mod:`xencfg.transforms.base` with one entry point,
``run(doc) -> (edits, findings)``.  It never reads files or the host and
never guesses: a target it cannot translate for sure is left as it is, with
a finding at its place.
"""

from __future__ import annotations

from ..diskspec import DiskSpecError
from ..document import Document, Edit, Str
from ..maps import DeviceMap
from .base import Disk, DiskTransform, Resolve


class Migrate(DiskTransform):
    """Rewrite ``/dev/sdX[N]`` disk targets to the multipath device of ``devmap``.

    ``resolve`` (path -> real path or None) reads ``/dev/disk/by-*`` names on
    the host; without it they are reported.  Without a map, see
    :class:`~xencfg.transforms.policy.Policy`.
    """

    def __init__(self, devmap: DeviceMap, resolve: Resolve | None = None):
        super().__init__(resolve)
        self.devmap = devmap

    def scsi(self, disk: Disk, dev: str, via: str | None = None) -> None:
        new_dev = self.devmap.lookup(dev)
        if new_dev is None:
            why = self.devmap.why_not(dev)
            if via:
                message = f"{disk.target} resolves to {dev}: {why}; left unchanged"
            else:
                message = f"{disk.target}: {why}; cannot be migrated, left unchanged"
            disk.find("unmapped", "warning", message)
            return
        self._rewrite(disk, new_dev, f" (via {via})" if via else "")

    def multipath(self, disk: Disk) -> None:
        if disk.site.form in ("uname", "path"):
            disk.find("ok", "info", f"{disk.target} already uses a multipath device")

    def nothing_to_do(self, disk: Disk) -> None:
        # Step 2 of the procedure on an `xm list -l` dump: every vbd gets a word.
        if disk.site.form in ("uname", "path") and disk.target:
            disk.find(
                "ok", "info", f"{disk.target} is not a SCSI disk; nothing to migrate"
            )

    def _rewrite(self, disk: Disk, new_dev: str, via: str) -> None:
        spec, node = disk.spec, disk.site.node
        old_path = spec.path.text
        # Keep the spelling: `phy:sdc` becomes `phy:sddlmac`.
        new_path = new_dev if old_path.startswith("/") else new_dev[len("/dev/") :]
        try:
            new_value = spec.replace_path(new_path)
        except DiskSpecError as err:
            disk.find("unsupported", "warning", f"cannot rewrite {disk.target}: {err}")
            return
        new_target = spec.prefix + new_path
        disk.device = new_dev
        doc = disk.doc
        disk.edits.append(
            _splice(doc, node, spec, new_path) or doc.replace_string(node, new_value)
        )
        disk.find(
            "migrate",
            "change",
            f"{disk.target} -> {new_target}{via}",
            disk.target,
            new_target,
        )


def _splice(doc: Document, node: Str, spec, new_path: str) -> Edit | None:
    """An edit of the path span alone, inside the string token as written.

    Only when the token reads as its value up to the path's end (no escape
    or line continuation before it): then every other byte of the string,
    other fields and later escapes included, stays exactly as it was.
    Otherwise None, and the caller re-quotes the whole value.
    """
    raw = doc.text[node.start : node.end]
    opening = node.quote
    closing = opening.lstrip("rRuUbBfF")
    if len(raw) < len(opening) + len(closing):
        return None
    if not (raw.startswith(opening) and raw.endswith(closing)):
        return None
    content = raw[len(opening) : len(raw) - len(closing)]
    end = spec.path.end
    # Up to the path's end the token must read as its value: no escape (or
    # line continuation) before it, so offsets in the value are offsets here.
    if "\\" in content[:end] or content[:end] != node.value[:end]:
        return None
    base = node.start + len(opening)
    return Edit(base + spec.path.start, base + spec.path.end, new_path)
