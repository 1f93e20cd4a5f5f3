"""Whether a document is an ``xl list -l`` dump: running state, which
apply never rewrites (it needs the disk finder, above the dump readers)."""

from __future__ import annotations

from ..document import Document
from .disks import find_disks


def is_xl_dump(doc: Document) -> bool:
    """True for an ``xl list -l`` dump (JSON, or xl's S-expressions with
    ``physpath`` disks): running state that apply never rewrites."""
    if doc.fmt == "json":
        return True
    if doc.fmt != "sxp":
        return False
    if "physpath" not in doc.text and "\\" not in doc.text:
        return False  # its disks are (physpath ...) lists, named as written
    return any(s.form == "path" for s in find_disks(doc))
