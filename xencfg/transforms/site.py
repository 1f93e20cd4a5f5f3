"""A disk found in a document, and the S-expression look-ups that the disk
finders of configs and of running-state dumps share."""

from __future__ import annotations

from dataclasses import dataclass

from ..document import List, Node, Str


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
