"""Two disks of one domain on one device: when both paths of one LU were
attached (``sda`` and ``sde`` both map to ``sddlmaa``), the migration would
give the guest one LU twice.  Each such disk gets a warning (its migration,
if any, stays as it is: which of the two to keep is the owner's choice), and
``plan`` blocks the domain; disks that already are one device get it too.
"""

from __future__ import annotations


def same_lu(doc, disks) -> None:
    """Warn at every disk whose device another disk of its domain uses.

    Disks in ``if`` branches are left out (only one branch runs), and so are
    disks of dumps whose domain has no name (they cannot be told apart).
    """
    groups: dict[tuple, list] = {}
    per_file = doc.fmt not in ("sxp", "json")
    for disk in disks:
        if disk.device is None or disk.site.conditional:
            continue
        if not per_file and disk.site.domain is None:
            continue
        owner = None if per_file else disk.site.domain
        groups.setdefault((owner, disk.device), []).append(disk)
    for (_, device), same in groups.items():
        if len(same) < 2:
            continue
        for disk in same:
            others = [_where(doc, d) for d in same if d is not disk]
            moved = any(f.kind == "migrate" for f in disk.findings)
            verb = "would use" if moved else "uses"
            disk.find(
                "same-lu",
                "warning",
                f"{disk.target} {verb} {device}, like the disk at "
                f"{', '.join(others)} of this domain: the guest would get one "
                "LU twice (both paths of one LU attached?); keep one of them",
            )


def _where(doc, disk) -> str:
    line, col = doc.line_col(disk.site.node.start)
    return f"{line}:{col}"
