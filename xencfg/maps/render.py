"""Show a :class:`~xencfg.maps.DeviceMap` as a table or as JSON-ready data."""

from __future__ import annotations

from . import DeviceMap, MultipathDevice, PathInfo


def _hctl(p: PathInfo) -> str:
    return ":".join(map(str, p.hctl)) if p.hctl else "-"


def _rows(devices: list[MultipathDevice]) -> list[tuple[str, str, str, str]]:
    rows = []
    for dev in devices:
        if not dev.paths:
            rows.append((dev.name, "(no paths)", "", dev.status))
        for i, p in enumerate(dev.paths):
            status = p.status or (dev.status if i == 0 else "")
            if p.device is None:
                status = (status + " " if status else "") + "(no SCSI device)"
            rows.append((dev.name if i == 0 else "", p.device or "-", _hctl(p), status))
    return rows


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
    head = ("MULTIPATH DEVICE", "PATH", "H:C:T:L", "STATUS")
    lines = [f"source: {dm.source}"]
    lines += _format([head] + _rows(dm.devices))
    if dm.excluded:
        lines.append("")
        lines.append("excluded (not used):")
        lines += _format([head] + _rows(dm.excluded), indent="  ")
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
    """JSON-ready dict; ``"map"`` holds every usable ``{scsi: multipath}`` pair."""
    return {
        "source": dm.source,
        "map": dm.as_dict(),
        "devices": [_device_json(d) for d in dm.devices],
        "excluded": [_device_json(d) for d in dm.excluded],
        "warnings": [{"line": n, "message": m} for n, m in dm.warnings],
        "notes": [{"line": n, "message": m} for n, m in dm.notes],
    }
