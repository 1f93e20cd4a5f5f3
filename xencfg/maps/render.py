"""Show a :class:`~xencfg.maps.DeviceMap` as a table or as JSON-ready data."""

from __future__ import annotations

from .devicemap import LU_SCHEMES, DeviceMap, MultipathDevice, PathInfo


def _hctl(p: PathInfo) -> str:
    return ":".join(map(str, p.hctl)) if p.hctl else "-"


def _rows(devices: list[MultipathDevice], lu: bool = False) -> list[tuple[str, ...]]:
    rows = []
    for dev in devices:
        extra = (dev.lu or "-",) if lu else ()
        if not dev.paths:
            rows.append((dev.name, "(no paths)", "", dev.status) + extra)
        for i, p in enumerate(dev.paths):
            status = p.status or (dev.status if i == 0 else "")
            if p.device is None:
                status = (status + " " if status else "") + "(no SCSI device)"
            first = i == 0
            row = (dev.name if first else "", p.device or "-", _hctl(p), status)
            rows.append(row + (extra if first else ("",) * len(extra)))
    return rows


def _lu_line(dm: DeviceMap) -> str:
    if dm.has_lu_ids:
        return "LU identity: yes (each device names its LU)"
    if any(d.lu for d in dm.devices + dm.excluded):
        return "LU identity: partial (devices shown '-' do not name their LU)"
    return (
        f"LU identity: none ({dm.source} does not name LUs; across hosts only "
        "device names can be compared)"
    )


def _format(rows: list[tuple[str, ...]], indent: str = "") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r, widths)]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def table(dm: DeviceMap) -> str:
    """A readable table: multipath device, its paths, H:C:T:L, status; then
    excluded devices, warnings and notes."""
    lu = any(d.lu for d in dm.devices + dm.excluded)
    head = ("MULTIPATH DEVICE", "PATH", "H:C:T:L", "STATUS") + (("LU",) if lu else ())
    lines = [f"source: {dm.source}", _lu_line(dm)]
    lines += _format([head] + _rows(dm.devices, lu))
    if dm.excluded:
        lines.append("")
        lines.append("excluded (not used):")
        lines += _format([head] + _rows(dm.excluded, lu), indent="  ")
    if dm.warnings:
        lines.append("")
        lines.append("warnings:")
        lines += [f"  line {n}: {m}" if n else f"  {m}" for n, m in dm.warnings]
    if dm.notes:
        lines.append("")
        lines.append("notes:")
        lines += [f"  line {n}: {m}" if n else f"  {m}" for n, m in dm.notes]
    return "\n".join(lines) + "\n"


def _device_json(dev: MultipathDevice) -> dict:
    return {
        "name": dev.name,
        "status": dev.status,
        "lu": dev.lu,
        "paths": [
            {
                "device": p.device,
                "hctl": list(p.hctl) if p.hctl is not None else None,
                "status": p.status,
            }
            for p in dev.paths
        ],
    }


def to_json(dm: DeviceMap) -> dict:
    """JSON-ready dict; ``"map"`` holds every usable ``{scsi: multipath}`` pair,
    ``"lu_ids"`` whether every device names its LU (``"lu"`` of each device,
    in the ``"lu_scheme"`` of the source)."""
    return {
        "source": dm.source,
        "map": dm.as_dict(),
        "lu_ids": dm.has_lu_ids,
        "lu_scheme": LU_SCHEMES.get(dm.source) if dm.has_lu_ids else None,
        "devices": [_device_json(d) for d in dm.devices],
        "excluded": [_device_json(d) for d in dm.excluded],
        "warnings": [{"line": n, "message": m} for n, m in dm.warnings],
        "notes": [{"line": n, "message": m} for n, m in dm.notes],
    }
