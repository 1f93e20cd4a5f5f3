"""Running disks against configs.

Config management may apply the patch before anyone restarts the guest: the
config is migrated, "nothing to do", while the running domain still reaches
its LU through the SCSI device and bypasses multipathing.  So every config
is compared with what the dump shows running:

  config to migrate, running             the usual runbook (stop, patch, start)
  config migrated, running on SCSI       needs restart (stop, start; no patch)
  config migrated, running on multipath  done
  running disks differ otherwise         said, in a note
"""

from __future__ import annotations

from .host import find_links
from .model import Domain, Plan


def differ_note(live: list[str], mine: list[str]) -> str:
    return (
        "the running domain's disks differ from its config in another way "
        f"(running: {', '.join(live) or 'none'}; config: "
        f"{', '.join(mine) or 'none'}; both as migrated); the config is what "
        "starts again"
    )


def settle(plan: Plan, running, settled: list[tuple[Domain, bytes]]) -> None:
    """Compare the running disks with the configs (see the module text)."""
    for dom in plan.domains:
        run = running.get(dom.name or "")
        if dom.managed or not dom.running or run is None or not run.devices:
            continue
        if run.devices != dom.devices and not any("differ" in n for n in dom.notes):
            dom.notes.append(differ_note(run.devices, dom.devices))
    for dom, data in settled:
        run = running.get(dom.name or "")
        if run is None or run.domid is None or run.domid < 0:
            continue  # not running: the migrated config is what starts
        if run.disks or run.reasons:
            _needs_restart(plan, dom, run, data)
        elif run.devices and run.devices != dom.devices:
            at = plan.nothing.index(dom.label)
            plan.nothing[at] += f" (note: {differ_note(run.devices, dom.devices)})"


def _needs_restart(plan: Plan, dom: Domain, run, data: bytes) -> None:
    dom.running, dom.restart = True, True
    dom.disks = list(run.disks)
    dom.reasons = [f"running domain: {r}" for r in run.reasons]
    dom.old = dom.new = data
    scsi = ", ".join(d.old for d in run.disks) or "SCSI devices"
    dom.notes.append(
        f"needs restart: {dom.shown} is already migrated, but the running "
        f"domain still uses {scsi} (per the dump): stop it and start it from "
        "the migrated config"
    )
    if run.devices != dom.devices:
        dom.notes.append(differ_note(run.devices, dom.devices))
    if plan.auto_dir is not None:
        find_links(dom, plan.auto_dir)
    plan.nothing.remove(dom.label)
    plan.domains.append(dom)
