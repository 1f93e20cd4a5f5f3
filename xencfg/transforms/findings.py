"""What a transform reports: findings, located and plain."""

from __future__ import annotations

from ..records import Record


class Finding(Record):
    """One thing a transform saw at a place in a file.

    ``kind`` is one of:
      migrate    a target that is (or would be) rewritten (old -> new)
      unmapped   a SCSI target the map does not translate
      computed   a disk whose value xm computes at start-up
      computed-other (info) a computed disk that can only name non-SCSI devices
      symbolic   a /dev/disk/by-* name that cannot be checked offline
      unresolved a device number, /proc or /sys view, or odd name under /dev
      unsupported a /dev/sd* disk behind a block script, or a bad spec
      driver-domain a disk served by another backend domain than dom0
      same-lu    two disks of one domain on one (multipath) device
      other-key  a host SCSI disk named outside the disk specs (vscsi, ...)
      policy     (no map) a disk that uses a /dev/sd* device directly
      ok         (S-expression dumps) a vbd whose device is already multipath
    ``severity`` is "change", "warning" or "info".
    """

    __slots__ = ("line", "col", "kind", "severity", "message", "old", "new")
    __slots__ += ("domain", "path")
    _fields = __slots__

    def __init__(
        self,
        line: int,
        col: int,
        kind: str,
        severity: str,
        message: str,
        old: str | None = None,
        new: str | None = None,
        domain: str | None = None,
        path: str = "-",
    ) -> None:
        self.line = line
        self.col = col
        self.kind = kind
        self.severity = severity
        self.message = message
        self.old = old
        self.new = new
        self.domain = domain
        self.path = path

    def __reduce__(self):
        # (a worker's findings travel back pickled: by __init__, faster
        # than pickle's generic slot-by-slot state)
        return Finding, self._values()

    def text(self, verb: str = "would migrate") -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        dom = f" (domain {self.domain})" if self.domain else ""
        if self.kind == "migrate":
            return f"{where}: {verb} {self.old} -> {self.new}{dom}"
        label = "warning" if self.severity == "warning" else "note"
        if self.kind == "policy":
            label = "error"
        return f"{where}: {label}: {self.message}{dom}"

    def record(self) -> dict:
        rec = {n: getattr(self, n) for n in self._fields}
        rec["column"] = self.col  # the name the --report json format promises
        return rec
