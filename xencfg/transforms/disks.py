"""Where disks live in a Document: the strings a migration may rewrite.

xl/xm: ``disk = [...]``, ``disk += [...]``, and in xm Python files
``disk.append(...)``/``disk.extend([...])`` and the same inside ``if``
branches.  S-expressions: the ``uname`` of ``vbd``/``tap``/``tap2`` devices.
Nothing else: never ``root``, ``extra``, ``cmdline``, comments, other keys.
"""

from __future__ import annotations

from bisect import bisect_left

from ..document import Document, List, Node, Opaque, Setting, Str
from .site import DiskSite, driver_domain, sxp_domains, sxp_field

DISK_KEYS = ("disk",)
_SETTING_KEYS = DISK_KEYS + ("vbd_list",)  # (Xen 2.0's)
SXP_DISK_DEVICES = ("vbd", "tap", "tap2")


def find_disks(doc: Document) -> list[DiskSite]:
    if doc.fmt == "sxp":
        return _sxp_disks(doc)
    if doc.fmt == "json":
        from .dumps import json_disks

        return list(json_disks(doc))
    return list(_setting_disks(doc))


def _setting_disks(doc: Document):
    domain = domain_name(doc)
    for s in doc.settings_named(_SETTING_KEYS):
        if s.value is None:
            continue
        if s.key == "vbd_list":
            yield from _vbd_list(doc, s.value, domain, s.conditional)
        elif s.key in DISK_KEYS:
            yield from _values(s.value, domain, s.conditional)


def _vbd_list(doc: Document, node: Node, domain, conditional):
    """Xen 2.0's ``vbd_list = [ ('phy:sda6', 'sda6', 'w'), ... ]``: the first
    member of each tuple is a uname; any other shape that reaches a SCSI disk
    is reported."""
    from .otherkeys import reaches_scsi

    entries = node.items if isinstance(node, List) else [node]
    for entry in entries:
        items = entry.items if isinstance(entry, List) else []
        if len(items) == 3 and isinstance(items[0], (Str, Opaque)):
            yield DiskSite(items[0], "uname", domain, conditional)
        elif reaches_scsi(doc.raw(entry)):
            note = "vbd_list entry is not a literal ('uname', 'dev', 'mode'); left unchanged"
            yield DiskSite(entry, "uname", domain, conditional, note=note)


def _values(node: Node, domain, conditional):
    if isinstance(node, Str):
        yield DiskSite(node, "spec", domain, conditional)
    elif isinstance(node, Opaque):
        yield DiskSite(node, "spec", domain, conditional)
    elif isinstance(node, List):
        for item in node.items:
            yield from _values(item, domain, conditional)


def domain_name(doc: Document) -> str | None:
    """The name of the one domain ``doc`` defines, or None when it cannot be
    told for sure.

    xl/xm: the last ``name = "..."`` setting, if it is a literal string and
    no ``name`` setting is conditional (``name = "a"`` then ``if x: name =
    "b"`` may start either domain, so it has no name).  S-expressions: the
    name of its only ``(domain ...)`` (or ``(vm ...)``) expression.
    """
    if doc.fmt == "sxp":
        names = [n for n, _ in sxp_domains(doc)]
        if not names:
            names = [
                sxp_field(top, "name")
                for top in doc.body
                if isinstance(top, List) and top.head == "vm"
            ]
        return names[0] if len(names) == 1 else None
    name = None
    for s in doc.settings_named(("name",)):
        if s.conditional:
            return None
        name = s.value.value if isinstance(s.value, Str) else None
    return name


def _sxp_disks(doc: Document) -> list[DiskSite]:
    out: list[DiskSite] = []
    last = None  # xl list -l (sxp) prints a PV domain's devices after it
    # Without escapes every head reads as written: a list whose text has
    # neither "uname" nor "physpath" holds no disk, and is not walked.
    marks = None if "\\" in doc.text else _marks(doc.text)
    if marks == []:
        return out
    for top in doc.body:
        if isinstance(top, List) and top.head == "domain":
            last = sxp_field(top, "name")
        owner = last if isinstance(top, List) and top.head == "device" else None
        if isinstance(top, List) and _marked(top, marks):
            _sxp_visit(top, owner, out, marks)
    return out


def _marks(text: str) -> list[int]:
    """The offsets of the words "uname" and "physpath", in order."""
    found = []
    for word in ("uname", "physpath"):
        i = text.find(word)
        while i >= 0:
            found.append(i)
            i = text.find(word, i + 1)
    found.sort()
    return found


def _marked(node: List, marks: list[int] | None) -> bool:
    """Whether ``node`` may hold a disk: a mark lies inside it (or there are
    no marks to go by)."""
    if marks is None:
        return True
    i = bisect_left(marks, node.start)
    return i < len(marks) and marks[i] < node.end


def _sxp_visit(node: List, domain, out: list[DiskSite], marks) -> None:
    """The disks under ``node``, each with the name of the domain around it
    (recursion is bounded: the readers refuse deeper nesting than 100)."""
    head = node.head
    if head == "domain":
        domain = sxp_field(node, "name") or domain
    if head in SXP_DISK_DEVICES:
        for item in node.items[1:]:
            if isinstance(item, List) and item.head == "uname":
                if len(item.items) >= 2 and isinstance(item.items[1], Str):
                    note = driver_domain(sxp_field(node, "backend"))
                    note = note and f"{item.items[1].value} is {note}"
                    out.append(
                        DiskSite(
                            item.items[1],
                            "uname",
                            domain,
                            note=note or None,
                            note_kind="driver-domain",
                        )
                    )
            elif isinstance(item, List) and item.head == "physpath":
                from .dumps import sxp_physpath  # xl list -l, sxp form

                site = sxp_physpath(node, domain)
                if site is not None:
                    out.append(site)
    for item in node.items:
        if isinstance(item, List):
            if marks is not None:  # (_marked, inline: called for every list)
                i = bisect_left(marks, item.start)
                if i == len(marks) or marks[i] >= item.end:
                    continue
            _sxp_visit(item, domain, out, marks)


__all__ = [
    "DiskSite",
    "domain_name",
    "find_disks",
    "sxp_domains",
    "sxp_field",
    "Setting",
]
