"""A disk found in a document, and the S-expression look-ups that the disk
finders of configs and of running-state dumps share."""

from __future__ import annotations

from ..document import List, Node, Str
from ..records import Record


class DiskSite(Record):
    """One disk found in a document.

    ``node`` is a Str (a literal the migration may rewrite) or an Opaque
    (computed when xm runs the file: reported, never rewritten).  ``form`` is
    "spec" for xl/xm disk specs and "uname" for S-expression unames.
    """

    __slots__ = ("node", "form", "domain", "conditional", "note")
    __slots__ += ("note_kind",)
    _fields = __slots__

    def __init__(
        self,
        node: Node,
        form: str,
        domain: str | None = None,
        conditional: bool = False,
        note: str | None = None,  # why the disk is left alone (dumps: driver domain)
        note_kind: str = "unsupported",  # the finding kind of that note
    ) -> None:
        self.node = node
        self.form = form
        self.domain = domain
        self.conditional = conditional
        self.note = note
        self.note_kind = note_kind


# How dom0 is named as a backend: xm's 4th field, xl's backend=, an
# S-expression (backend N), an xl dump's backend_domid/backend_domname.
_DOM0 = ("", "0", "domain-0", "dom0", "null")


def driver_domain(backend: str | None, name: str | None = None) -> str:
    """Why a disk served by ``backend`` (a domain id or name) is left alone,
    or "" when it is dom0 (or not said).  A driver domain's device names a
    device inside that domain, where dom0's map means nothing."""
    if backend is None and name is None:
        return ""  # the usual case: dom0
    ids = [v.strip() for v in (backend, name) if v is not None]
    others = [v for v in ids if v.lower() not in _DOM0]
    if not others:
        return ""
    who = name if name and name in others else others[0]
    return (
        f"served by backend domain {who}, not dom0: the device is one "
        "of that domain's, where this map does not apply; left unchanged"
    )


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
