"""What the policy and the migration share: one ``classify`` of a disk's
host device, and a walk over a document's disks that hands each disk to
the transform by its class.

A transform never reads the host: resolving a ``/dev/disk/by-*`` name is a
function passed in (``resolve``: path -> real path, or None when it does not
exist), and without one such a name is reported, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ..diskspec import DiskSpec, DiskSpecError, block_device, parse_disk, parse_uname
from ..document import Document, Edit, Opaque, Str
from ..maps import DeviceMap, names
from .disks import DiskSite, find_disks
from .findings import Finding

# Anything that looks like a SCSI disk node: the map decides whether it is
# one (``/dev/sda16`` looks like one; the map then says why it is not).
SCSI_PREFIX, HDLM_PREFIX = "/dev/sd", "/dev/sddlm"
SD_LIKE = re.compile(r"^/dev/sd(?!dlm)[a-z]+\d*$")
_SYMBOLIC = re.compile(r"^/dev/disk/by-[a-z-]+/")

SCSI, MULTIPATH, SYMBOLIC, SD_ODD, OTHER = (
    "scsi",
    "multipath",
    "symbolic",
    "sd-odd",
    "other",
)

Resolve = Callable[[str], "str | None"]


def classify(dev: str, devmap: DeviceMap | None = None) -> str:
    """What the host device ``dev`` (a /dev path) is:

    ``symbolic``  a ``/dev/disk/by-*`` name (which device: only the host knows)
    ``multipath`` an HDLM device, or a multipath device of ``devmap``
    ``scsi``      looks like a SCSI disk node ``/dev/sdX[N]``
    ``sd-odd``    starts with ``/dev/sd`` but is no device name xencfg reads
    ``other``     anything else (``/dev/xvda``, ``/dev/vg/lv``, ...)
    """
    if _SYMBOLIC.match(dev):
        return SYMBOLIC
    if dev.startswith(HDLM_PREFIX) or (devmap is not None and devmap.is_multipath(dev)):
        return MULTIPATH
    if SD_LIKE.match(dev):
        return SCSI
    if dev.startswith(SCSI_PREFIX) and not names.is_hdlm(dev):
        return SD_ODD
    return OTHER


def looks_scsi(text: str) -> bool:
    """``/dev/sd`` in ``text``, not as an HDLM device."""
    return SCSI_PREFIX in text and not names.is_hdlm(text)


@dataclass
class Disk:
    """One disk being looked at: where it is, and what was found there."""

    doc: Document
    site: DiskSite
    findings: list[Finding]
    edits: list[Edit] = field(default_factory=list)
    spec: DiskSpec | None = None

    def find(self, kind, severity, message, old=None, new=None) -> None:
        line, col = self.doc.line_col(self.site.node.start)
        self.findings.append(
            Finding(line, col, kind, severity, message, old, new, self.site.domain)
        )

    @property
    def target(self) -> str:
        return self.spec.target.text


class DiskTransform:
    """Visit every disk of a document; subclasses say what each class means.

    ``run(doc) -> (edits, findings)``, the interface of every transform.
    """

    devmap: DeviceMap | None = None

    def __init__(self, resolve: Resolve | None = None):
        self.resolve = resolve

    def run(self, doc: Document) -> tuple[list[Edit], list[Finding]]:
        edits: list[Edit] = []
        findings: list[Finding] = []
        for site in find_disks(doc):
            disk = Disk(doc, site, findings, edits)
            self.visit(disk)
        for f in findings:
            f.path = doc.path
        return edits, findings

    def visit(self, disk: Disk) -> None:
        node = disk.site.node
        if disk.site.note:
            disk.find("unsupported", "warning", disk.site.note)
            return
        if isinstance(node, Opaque):
            disk.find(
                "computed",
                "warning",
                f"disk computed at start-up ({node.reason}); left unchanged: "
                f"check {disk.doc.raw(node)[:60]!r} by hand",
            )
            return
        assert isinstance(node, Str)
        read = parse_uname if disk.site.form == "uname" else parse_disk
        try:
            disk.spec = read(node.value)
        except DiskSpecError as err:
            if SCSI_PREFIX in node.value:
                disk.find("unsupported", "warning", f"cannot read disk spec: {err}")
            return
        if disk.spec.path is None or disk.spec.target is None:
            return
        dev = block_device(disk.spec)
        if dev is None:
            self.not_block(disk, disk.spec.path.text)
            return
        kind = classify(dev, self.devmap)
        if kind == SYMBOLIC:
            self.symbolic(disk, dev)
        elif kind == MULTIPATH:
            self.multipath(disk)
        elif kind == SCSI:
            self.scsi(disk, dev)
        elif kind == SD_ODD:
            # e.g. 'target=/dev/sdb,vdev=xvda': target= eats the rest.
            disk.find(
                "unsupported",
                "warning",
                f"{disk.target} is not a device name xencfg can read; "
                "left unchanged",
            )
        else:
            self.nothing_to_do(disk)

    def symbolic(self, disk: Disk, dev: str) -> None:
        if self.resolve is None:
            disk.find(
                "symbolic",
                "warning",
                f"{disk.target} is a symbolic name; cannot tell offline which "
                "device it is (run on the host with --resolve-links); left unchanged",
            )
            return
        real = self.resolve(dev)
        if real is None:
            disk.find("symbolic", "warning", f"{dev} does not exist on this host")
            return
        if SD_LIKE.match(real):
            self.scsi(disk, real, via=real)

    def not_block(self, disk: Disk, path: str) -> None:
        """A target that is not a phy: block device (tap:, file:, ...)."""
        if looks_scsi(path):
            disk.find(
                "unsupported",
                "warning",
                f"{disk.target} is not a phy: block device target; left unchanged",
            )
        else:
            self.nothing_to_do(disk)

    def multipath(self, disk: Disk) -> None:
        """Already on a multipath device."""

    def nothing_to_do(self, disk: Disk) -> None:
        """Not a SCSI disk."""

    def scsi(self, disk: Disk, dev: str, via: str | None = None) -> None:
        """A SCSI disk ``dev`` (reached through the link ``via``)."""
        raise NotImplementedError
