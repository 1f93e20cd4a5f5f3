"""One domain's runbook steps (text and JSON), and texts the sh script shares."""

from __future__ import annotations

from .model import Domain, Plan, sha256


def steps(plan: Plan, dom: Domain) -> list[dict]:
    ts = plan.toolstack
    name = dom.name or "?"
    out: list[dict] = []
    out.append(
        {
            "op": "disks",
            "text": "disks and their new devices (HDLM step 1, from the map):",
            "disks": [vars(d) for d in dom.disks],
        }
    )
    out.append(
        {
            "op": "verdict",
            "text": "verdict (HDLM step 2): every SCSI disk is in the map; "
            + ("needs restart" if dom.restart else "can be migrated"),
            "notes": dom.notes,
        }
    )
    stop = [ts, "shutdown", "-w", name]
    if dom.running is None:
        text = f"stop (step 3): if it runs ({ts} list {name}): {' '.join(stop)}"
    elif dom.running:
        text = f"stop (step 3): running: {' '.join(stop)}"
    else:
        text = "stop (step 3): not running per DUMP: nothing to stop"
    out.append({"op": "stop", "running": dom.running, "command": stop, "text": text})
    out.append(_suspend(plan, dom))
    out.append(_patch(dom))
    out.append(
        {"op": "checkpoint", "text": "checkpoint (manual): " + multipath_text(dom)}
    )
    if dom.managed:
        start = [ts, "start", name]
    elif dom.fmt == "sxp":
        start = [ts, "create", "-F", dom.config]
    else:
        start = [ts, "create", dom.config]
    if dom.running is False:
        text = (
            "start (step 7): it was not running: not started "
            f"(start it later with: {' '.join(start)})"
        )
    elif dom.running is None:
        text = f"start (step 7): if it was running: {' '.join(start)}"
    else:
        text = f"start (step 7): {' '.join(start)}"
    out.append({"op": "start", "running": dom.running, "command": start, "text": text})
    out.append(_restore(plan, dom))
    return out


def _patch(dom: Domain) -> dict:
    if dom.managed:
        return {
            "op": "patch",
            "manual": True,
            "text": "change the disks (steps 4-5, manual checkpoint): "
            + managed_edit_text(dom),
        }
    if dom.restart:
        return {
            "op": "patch",
            "manual": False,
            "restart": True,
            "path": dom.config,
            "sha256_old": sha256(dom.old or b""),
            "text": f"patch the config (steps 4-5): {dom.config} is already "
            "migrated: nothing to patch (needs restart)",
        }
    return {
        "op": "patch",
        "manual": False,
        "path": dom.config,
        "sha256_old": sha256(dom.old or b""),
        "sha256_new": sha256(dom.new or b""),
        "diff": dom.diff,
        "text": f"patch the config (steps 4-5): {dom.config}",
    }


def _suspend(plan: Plan, dom: Domain) -> dict:
    if dom.managed:
        if dom.on_xend_start in (None, "ignore"):
            return {
                "op": "suspend-autostart",
                "manual": False,
                "links": [],
                "text": "suspend autostart: on_xend_start is "
                f"{dom.on_xend_start or 'unset'}: nothing to suspend",
            }
        return {
            "op": "suspend-autostart",
            "manual": True,
            "on_xend_start": dom.on_xend_start,
            "text": f"suspend autostart (manual checkpoint): recorded "
            f"(on_xend_start {dom.on_xend_start}); set it to ignore in xend "
            "(see the disk change below: the same edit of the domain's "
            "S-expression can carry it)",
        }
    links = [vars(link) for link in dom.links]
    if not links:
        where = plan.auto_dir or "(no autostart folder)"
        text = f"suspend autostart: no link in {where}: nothing to suspend"
    else:
        text = "suspend autostart: " + "; ".join(
            f"mv {link.path} {link.parked} (recorded: -> {link.target})"
            for link in dom.links
        )
    return {"op": "suspend-autostart", "manual": False, "links": links, "text": text}


def _restore(plan: Plan, dom: Domain) -> dict:
    if dom.managed:
        if dom.on_xend_start in (None, "ignore"):
            return {
                "op": "restore-autostart",
                "manual": False,
                "links": [],
                "text": "restore autostart: nothing was suspended",
            }
        return {
            "op": "restore-autostart",
            "manual": True,
            "on_xend_start": dom.on_xend_start,
            "text": "restore autostart (manual checkpoint): set "
            f"(on_xend_start {dom.on_xend_start}) again",
        }
    links = [vars(link) for link in dom.links]
    if not links:
        text = "restore autostart: nothing was suspended"
    else:
        text = "restore autostart: " + "; ".join(
            f"mv {link.parked} {link.path} (check: -> {link.target})"
            for link in dom.links
        )
    return {"op": "restore-autostart", "manual": False, "links": links, "text": text}


def managed_edit_text(dom: Domain) -> str:
    uname = "; ".join(f"(uname {d.old}) -> (uname {d.new})" for d in dom.disks)
    return (
        f"{dom.name} is xend-managed: its config lives in xend, not in a file. "
        f"Change {uname}: 'xm list -l {dom.name} > {dom.name}.sxp', edit "
        f"those uname values, then 'xm delete {dom.name}' and "
        f"'xm new -F {dom.name}.sxp' (or set them through the Xen API)"
    )


def multipath_text(dom: Domain) -> str:
    news = ", ".join(d.new.rpartition(":")[2] for d in dom.disks)
    return (
        f"switch the LU(s) now used as {news} to multi-path on the storage "
        "side (HDLM step 6), then confirm"
    )
