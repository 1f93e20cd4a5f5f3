"""SCSI disks named outside ``disk``: settings whose value reaches a host
``/dev/sd*`` device (or ``phy:sdX``) in some other way.

Per xl.cfg(5) and the xmexample files, what runs in dom0 reads these values
as host paths: ``device_model_args*`` (qemu's own ``-drive file=...``),
``vscsi`` (pvscsi hands a host SCSI device itself to the guest, which no
device map translates: ``/dev/sddlm*`` is not a SCSI device), ``usbdevice``
(``disk:/dev/sdb``), ``cdrom`` (xm HVM: a host path), ``kernel``/``ramdisk``,
``pci``, and in xl files any key xencfg does not know (``disks``...).  Each gets a
warning at its place; none is rewritten.  Keys whose device names are the
guest's stay silent: ``root``, ``extra``, ``cmdline`` (the guest kernel's
command line), ``bootargs``/``bootloader_args`` (pygrub's options: it is
handed the disk itself; ``--args`` is again the guest's command line),
``name``, ``description``.
A key spelt ``Disk`` or ``DISK`` is no disk for Xen (keys are case
sensitive): a warning says so.
"""

from __future__ import annotations

import posixpath

from ..lazy import Pattern  # rare shapes: compiled when first met
from ..document import Document, Setting, Str
from ..maps import names

GUEST_SIDE = frozenset(
    {"root", "extra", "cmdline", "name", "description", "bootargs", "bootloader_args"}
)
DISK_KEYS = frozenset({"disk", "vbd_list"})
# Keys xl or xm read as (or with) host paths.  In an xm file other names are
# Python variables: one that builds a disk is reported where it is used.
HOST_SIDE = frozenset(
    {
        "device_model_args",
        "device_model_args_hvm",
        "device_model_args_pv",
        "device_model_override",
        "device_model",
        "vscsi",
        "usbdevice",
        "usb",
        "usbdev",
        "cdrom",
        "kernel",
        "ramdisk",
        "pci",
        "bootloader",
        "loader",
        "firmware",
        "vtpm",
        "channel",
        "serial",
        "vfb",
        "p9",
        "dtdev",
        "iomem",
        "ioports",
    }
)
_PATHS = Pattern(r"/[^\s,'\"=;]*")
_PHY_SD = Pattern(r"\bphy:sd(?!dlm)[a-z]")
_SD = Pattern(r"^/dev/sd(?!dlm)[a-z]")


def reaches_scsi(text: str) -> bool:
    """A ``/dev/sd*`` device (any spelling of its path) or ``phy:sdX`` in ``text``."""
    # Both need "sd" as written: folding a path (//, /./, x/..) only drops
    # whole components, so the SCSI name's component is in the text itself.
    if "sd" not in text:
        return False
    if _PHY_SD.search(text):
        return True
    for m in _PATHS.finditer(text):
        path = "/" + posixpath.normpath(m.group()).lstrip("/")
        if _SD.match(path) and not names.is_hdlm(path):
            return True
    return False


def _strings(node):
    """The strings under ``node`` that hold "sd" (see reaches_scsi)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, Str):
            if "sd" in node.value:
                yield node
        else:
            stack.extend(reversed(node.children))


def _sxp_strings(node):
    """(string, head of the innermost list around it) for the strings under
    ``node`` that hold "sd" (see reaches_scsi)."""
    stack = [(node, None)]
    while stack:
        node, head = stack.pop()
        if isinstance(node, Str):
            if "sd" in node.value:
                yield node, head
        else:
            head = getattr(node, "head", None) or head
            stack.extend((kid, head) for kid in reversed(node.children))


def _sxp_other(doc: Document, sites: set[int]):
    """S-expressions: a string outside the disks' unames that reaches a SCSI
    disk (a vscsi ``(p-devname /dev/sdb)``, a device model argument...)."""
    for top in doc.body:
        for node, head in _sxp_strings(top):
            if id(node) in sites or head in GUEST_SIDE or head == "args":
                continue
            if reaches_scsi(node.value):
                yield node, (
                    f"({head} {node.value[:60]}) names a host SCSI disk outside "
                    "a disk's uname: check it by hand; left unchanged"
                )


def _all_inside(doc: Document, nodes) -> bool:
    """True when every "sd" of the text lies inside ``nodes`` and no string
    outside them can hold one: xl and S-expression strings read as written
    when the text has no backslash (xm is Python: it joins 's' 'd')."""
    text = doc.text
    if doc.fmt not in ("xl", "sxp") or "\\" in text:
        return False
    total = text.count("sd")
    return total == sum(text.count("sd", n.start, n.end) for n in nodes)


def other_keys(doc: Document, sites=()):
    """``(node, message)`` for each string of a non-disk setting that reaches
    a SCSI disk; ``sites`` are the disk nodes already seen."""
    if doc.fmt == "json" or _all_inside(doc, sites):
        return
    seen = {id(node) for node in sites}
    if doc.fmt == "sxp":
        yield from _sxp_other(doc, seen)
        return
    for s in doc.body:
        if not isinstance(s, Setting) or s.key in DISK_KEYS or s.value is None:
            continue
        if s.key in GUEST_SIDE:
            continue
        known = s.key in HOST_SIDE or s.key.lower() in DISK_KEYS
        if doc.fmt == "xm" and not known:
            continue
        for node in _strings(s.value):
            if not reaches_scsi(node.value):
                continue
            if s.key.lower() in DISK_KEYS:
                why = (
                    f"'{s.key}' is not read by Xen (keys are case sensitive: "
                    f"'{s.key.lower()}'): its disks are neither used nor migrated"
                )
            elif s.key == "vscsi":
                why = (
                    "vscsi passes a host SCSI device itself to the guest; a "
                    "multipath device is no SCSI device: check it by hand"
                )
            else:
                why = (
                    f"'{s.key}' names a host SCSI disk ({node.value[:60]!r}); "
                    "only disk specs are migrated: check it by hand"
                )
            yield node, why + "; left unchanged"
