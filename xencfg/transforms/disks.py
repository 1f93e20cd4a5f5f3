"""Where disks live in a Document: the strings a migration may rewrite.

xl/xm: ``disk = [...]``, ``disk += [...]``, and in xm Python files
``disk.append(...)``/``disk.extend([...])`` and the same inside ``if``
branches.  S-expressions: the ``uname`` of ``vbd``/``tap``/``tap2`` devices.
Nothing else: never ``root``, ``extra``, ``cmdline``, comments, other keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..document import Document, List, Node, Opaque, Setting, Str

DISK_KEYS = ("disk",)
SXP_DISK_DEVICES = ("vbd", "tap", "tap2")


@dataclass
class DiskSite:
    """One disk found in a document.

    ``node`` is a Str (a literal the migration may rewrite) or an Opaque
    (computed when xm runs the file: reported, never rewritten).  ``form`` is
    "spec" for xl/xm disk specs and "uname" for S-expression unames.
    """

    node: Node
    form: str
    domain: str | None = None
    conditional: bool = False
    note: str | None = None  # why the disk is left alone (dumps: driver domain)


def find_disks(doc: Document) -> list[DiskSite]:
    if doc.fmt == "sxp":
        return list(_sxp_disks(doc))
    if doc.fmt == "json":
        from .dumps import json_disks

        return list(json_disks(doc))
    return list(_setting_disks(doc))


def _setting_disks(doc: Document):
    domain = _config_name(doc)
    for s in doc.settings():
        if s.key not in DISK_KEYS or s.value is None:
            continue
        yield from _values(s.value, domain, s.conditional)


def _values(node: Node, domain, conditional):
    if isinstance(node, Str):
        yield DiskSite(node, "spec", domain, conditional)
    elif isinstance(node, Opaque):
        yield DiskSite(node, "spec", domain, conditional)
    elif isinstance(node, List):
        for item in node.items:
            yield from _values(item, domain, conditional)


def _config_name(doc: Document) -> str | None:
    name = None
    for s in doc.settings("name"):
        if isinstance(s.value, Str) and not s.conditional:
            name = s.value.value
    return name


def _sxp_disks(doc: Document):
    # Walk with a stack of enclosing lists so each uname knows its domain.
    def visit(node: Node, domain: str | None):
        if not isinstance(node, List):
            return
        if node.head == "domain":
            domain = _sxp_field(node, "name") or domain
        if node.head in SXP_DISK_DEVICES:
            for item in node.items[1:]:
                if isinstance(item, List) and item.head == "uname":
                    if len(item.items) >= 2 and isinstance(item.items[1], Str):
                        yield DiskSite(item.items[1], "uname", domain)
                elif isinstance(item, List) and item.head == "physpath":
                    from .dumps import sxp_physpath  # xl list -l, sxp form

                    site = sxp_physpath(node, domain)
                    if site is not None:
                        yield site
        for item in node.items:
            if isinstance(item, List):
                yield from visit(item, domain)

    last = None  # xl list -l (sxp) prints a PV domain's devices after it
    for top in doc.body:
        if isinstance(top, List) and top.head == "domain":
            last = _sxp_field(top, "name")
        owner = last if isinstance(top, List) and top.head == "device" else None
        yield from visit(top, owner)


def _sxp_field(node: List, key: str) -> str | None:
    for item in node.items[1:]:
        if isinstance(item, List) and item.head == key and len(item.items) >= 2:
            value = item.items[1]
            if isinstance(value, Str):
                return value.value
    return None


def sxp_domains(doc: Document) -> list[tuple[str | None, List]]:
    """Top-level ``(domain ...)`` expressions with their names."""
    out = []
    for top in doc.body:
        if isinstance(top, List) and top.head == "domain":
            out.append((_sxp_field(top, "name"), top))
    return out


def sxp_field(node: List, key: str) -> str | None:
    return _sxp_field(node, key)


__all__ = ["DiskSite", "find_disks", "sxp_domains", "sxp_field", "Setting"]
