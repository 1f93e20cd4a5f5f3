"""What the policy and the migration share: one ``classify`` of a disk's
host device, and a walk over a document's disks that hands each disk to
the transform by its class.

A transform never reads the host: resolving a ``/dev/disk/by-*`` name is a
function passed in (``resolve``: path -> real path, or None when it does not
exist), and without one such a name is reported, not guessed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from ..lazy import Pattern  # rare shapes: compiled when first met
from ..diskspec import DiskSpec, DiskSpecError, parse_disk, parse_uname
from ..document import Document, Edit, Opaque, Str
from ..maps import DeviceMap, names
from ..records import Record
from .disks import DiskSite, domain_name, find_disks
from .findings import Finding
from .otherkeys import other_keys
from .paths import computed_targets, host_path
from .site import driver_domain
from .twice import same_lu
from .. import rxstore

# Anything that looks like a SCSI disk node: the map decides whether it is
# one (``/dev/sda16`` looks like one; the map then says why it is not).
SCSI_PREFIX, HDLM_PREFIX = "/dev/sd", "/dev/sddlm"
SD_LIKE = rxstore.compile(r"^/dev/sd(?!dlm)[a-z]+\d*$")
_SYMBOLIC = rxstore.compile(r"^/dev/disk/by-[a-z-]+/")
# Names that reach a device by a way only the host can follow: device
# numbers (/dev/block/8:0, a bare 8:16), /proc and /sys views of /dev, and
# the host's aliases (/dev/root may well be /dev/sda1).
_BY_NUMBER = Pattern(r"^(?:/dev/(?:block|char)/.*|(?:/dev/)?\d+:\d+)$")
_HOST_VIEW = Pattern(r"^/(?:proc|sys)/|^/dev/(?:root|fd/.*|std(?:in|out|err))$")
# What every match of each begins with (or holds: ':').
_NUMBERED = ("/dev/block/", "/dev/char/")
_VIEWS = ("/proc/", "/sys/", "/dev/root", "/dev/fd/", "/dev/std")
# A plain device name under /dev: /dev/xvda, /dev/vg0/lv1, /dev/mapper/a-b.
_PLAIN_DEV = Pattern(r"^/dev(?:/[A-Za-z0-9_+@][-A-Za-z0-9_.+@]*)+$")

SCSI, MULTIPATH, SYMBOLIC, SD_ODD, UNRESOLVED, OTHER = (
    "scsi",
    "multipath",
    "symbolic",
    "sd-odd",
    "unresolved",
    "other",
)


def normalise(path: str) -> str:
    """``path`` with ``//``, ``/./``, ``..`` and a trailing ``/`` folded, on
    the string alone (never the host): ``/dev/../dev//sda/`` is ``/dev/sda``.
    A relative name (``sdc``, ``8:16``) is returned as it is."""
    if not path.startswith("/"):
        return path
    if "//" not in path and "/." not in path and not path.endswith("/"):
        return path  # nothing to fold: the common case, kept cheap
    return "/" + posixpath.normpath(path).lstrip("/")


Resolve = Callable[[str], "str | None"]


def classify(dev: str, devmap: DeviceMap | None = None) -> str:
    """What the host device ``dev`` (a /dev path) is:

    ``symbolic``  a ``/dev/disk/by-*`` name (which device: only the host knows)
    ``multipath`` an HDLM device, or a multipath device of ``devmap``
    ``scsi``      looks like a SCSI disk node ``/dev/sdX[N]``
    ``sd-odd``    starts with ``/dev/sd`` but is no device name xencfg reads
    ``unresolved`` a device number (``/dev/block/8:0``, ``8:16``), a /proc or
                  /sys view, or no plain name under /dev: which device, only
                  the host can tell
    ``other``     anything else (``/dev/xvda``, ``/dev/vg/lv``, ...)

    ``dev`` is normalised first: every spelling of a path is one device.
    """
    dev = normalise(dev)
    if _SYMBOLIC.match(dev):
        return SYMBOLIC
    if dev.startswith(HDLM_PREFIX) or (devmap is not None and devmap.is_multipath(dev)):
        return MULTIPATH
    if SD_LIKE.match(dev):
        return SCSI
    if dev.startswith(SCSI_PREFIX) and not names.is_hdlm(dev):
        return SD_ODD
    # (each pattern tried only where it may match: most paths are neither)
    if (":" in dev or dev.startswith(_NUMBERED)) and _BY_NUMBER.match(dev):
        return UNRESOLVED
    if dev.startswith(_VIEWS) and _HOST_VIEW.match(dev):
        return UNRESOLVED
    if dev.startswith("/dev/") and not _PLAIN_DEV.match(dev):
        return UNRESOLVED
    return OTHER


def looks_scsi(text: str) -> bool:
    """``/dev/sd`` in ``text`` (as a path, or in any spelling of it), not as
    an HDLM device."""
    text = normalise(text) if text.startswith("/") else text
    return SCSI_PREFIX in text and not names.is_hdlm(text)


class Disk(Record):
    """One disk being looked at: where it is, and what was found there."""

    _fields = ("doc", "site", "findings", "edits", "spec", "device")

    def __init__(
        self,
        doc: Document,
        site: DiskSite,
        findings: list[Finding],
        edits: list[Edit] | None = None,
        spec: DiskSpec | None = None,
        device: str | None = None,  # the device it uses (after a migration)
    ) -> None:
        self.doc, self.site, self.findings = doc, site, findings
        self.edits = [] if edits is None else edits
        self.spec, self.device = spec, device

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
        # (form, value) -> (backend note, host device, its class): what a
        # disk's text alone decides, worked out once per text (a fleet
        # repeats its disk specs; the map of a transform never changes).
        self._decided: dict[tuple[str, str], tuple[str, str | None, str]] = {}

    def run(self, doc: Document) -> tuple[list[Edit], list[Finding]]:
        disks = []
        for site in find_disks(doc):
            disk = Disk(doc, site, [], [])
            self.visit(disk)
            disks.append(disk)
        same_lu(doc, disks)
        edits = [e for d in disks for e in d.edits]
        findings = [f for d in disks for f in d.findings]
        domain = ()  # looked up at the first finding (most files have none)
        for node, message in other_keys(doc, [d.site.node for d in disks]):
            if domain == ():
                domain = domain_name(doc) if doc.fmt != "json" else None
            line, col = doc.line_col(node.start)
            findings.append(
                Finding(line, col, "other-key", "warning", message, None, None, domain)
            )
        for f in findings:
            f.path = doc.path
        return edits, findings

    def visit(self, disk: Disk) -> None:
        node = disk.site.node
        if disk.site.note:
            disk.find(disk.site.note_kind, "warning", disk.site.note)
            return
        if isinstance(node, Opaque):
            if self._computed_not_scsi(disk.doc.raw(node)):
                disk.find(
                    "computed-other",
                    "info",
                    f"disk computed at start-up ({node.reason}): "
                    f"{disk.doc.raw(node)[:60]!r} can only name non-SCSI devices",
                )
                return
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
        other_domain, dev, kind = self._decide(disk.site.form, node.value, disk.spec)
        if other_domain:
            disk.find("driver-domain", "warning", f"{disk.target} is {other_domain}")
            return
        if dev is None:
            self.not_block(disk, disk.spec.path.text)
            return
        if kind in (SCSI, MULTIPATH):
            disk.device = dev
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
        elif kind == UNRESOLVED:
            self.unresolved(disk, dev)
        else:
            self.nothing_to_do(disk)

    def _decide(self, form: str, value: str, spec: DiskSpec):
        """(backend note, normalised host device or None, its class) of the
        spec ``value`` read as ``form``."""
        decided = self._decided.get((form, value))
        if decided is None:
            other_domain = driver_domain(spec.get("backend"))
            dev = None if other_domain else host_path(spec)
            dev = None if dev is None else normalise(dev)
            kind = "" if dev is None else classify(dev, self.devmap)
            decided = self._decided[(form, value)] = (other_domain, dev, kind)
            if len(self._decided) > 8192:  # (bounded, as the spec memo)
                self._decided.clear()
        return decided

    def _computed_not_scsi(self, raw: str) -> bool:
        """Every value of a computed disk (numbers in a fixed format) reads
        as a disk spec whose target is no SCSI device and names no path
        only the host can read."""
        samples = computed_targets(raw)
        if not samples:
            return False
        for text in samples:
            try:
                spec = parse_disk(text)
            except DiskSpecError:
                return False
            if spec.path is None or looks_scsi(spec.path.text):
                return False
            if driver_domain(spec.get("backend")):
                return False
            dev = host_path(spec)
            if dev is not None and classify(dev) != OTHER:
                return False
            if dev is None and spec.script:
                return False
        return True

    def unresolved(self, disk: Disk, dev: str) -> None:
        disk.find(
            "unresolved",
            "warning",
            f"{disk.target}: cannot tell offline which device {dev} is "
            "(a device number, a /proc or /sys view, or no plain name under "
            "/dev); left unchanged: check it by hand",
        )

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
        real = normalise(real)
        if SD_LIKE.match(real):
            disk.device = real
            self.scsi(disk, real, via=real)

    def not_block(self, disk: Disk, path: str) -> None:
        """A target that is not a host path (iscsi:, script=, ...)."""
        if _BY_NUMBER.match(path.strip()):
            self.unresolved(disk, path)
        elif looks_scsi(path):
            disk.find(
                "unsupported",
                "warning",
                f"{disk.target} is not a host device path; left unchanged",
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
